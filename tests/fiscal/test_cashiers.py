"""Cashiers: validation, which registers they may use, the universal-cashier rule, and the
job columns that record the cashier and the source connection."""
import pytest
from sqlalchemy import select

from fiscal.ledger import accounts, cashiers, jobs, registers
from fiscal.ledger.models import AuditEntry, Cashier, Job, Register


@pytest.fixture
def strict(ledger, account, data_dir):
    """A second register of the account with the universal cashier off."""
    with ledger.session() as s:
        reg = registers.add_register(s, account["id"], name="Bar", driver="virtual",
                                     url=f"virtual://{data_dir / 'bar.sqlite'}",
                                     settings={"universal_cashier": False})
        return reg.id


def create(ledger, account_id, name="Иванова А.", **kw):
    with ledger.session() as s:
        return cashiers.create_cashier(s, account_id, name=name, actor="test", **kw).id


def check(ledger, register_id, cashier_id):
    """The cashier's name, or the refusal's code."""
    with ledger.session() as s:
        try:
            found = cashiers.check_cashier_for(s, s.get(Register, register_id), cashier_id)
        except cashiers.CashierRefused as exc:
            assert exc.field == "cashier_id"
            return exc.code
        return found and found.name


def test_with_the_universal_cashier_on_a_job_may_name_no_one(ledger, account, register):
    assert check(ledger, register["id"], None) is None
    cid = create(ledger, account["id"])
    assert check(ledger, register["id"], cid) == "Иванова А."
    assert check(ledger, register["id"], "no-such-cashier") == "unknown_cashier"


def test_with_it_off_the_job_must_name_a_cashier_allowed_on_the_register(
        ledger, account, register, strict):
    anyone = create(ledger, account["id"], "Anyone")
    bar_only = create(ledger, account["id"], "Bar only", register_ids=[strict])
    desk_only = create(ledger, account["id"], "Desk only", register_ids=[register["id"]])
    gone = create(ledger, account["id"], "Gone")
    with ledger.session() as s:
        cashiers.delete_cashier(s, s.get(Cashier, gone), actor="test")
        theirs = accounts.create_account(s, "KTV Zvezda").id
    foreign = create(ledger, theirs, "Theirs")
    assert check(ledger, strict, None) == "cashier_required"
    assert check(ledger, strict, anyone) == "Anyone"
    assert check(ledger, strict, bar_only) == "Bar only"
    assert check(ledger, strict, desk_only) == "cashier_not_allowed"
    assert check(ledger, strict, gone) == "unknown_cashier"
    assert check(ledger, strict, foreign) == "unknown_cashier"
    # the limits hold on a universal-cashier register too, when a job names someone
    assert check(ledger, register["id"], bar_only) == "cashier_not_allowed"


@pytest.mark.parametrize("field, kw", [("name", {"name": "x" * 65}), ("name", {"name": "  "}),
                                       ("inn", {"inn": "12345678901"}),
                                       ("inn", {"inn": "١٢٣٤٥٦٧٨٩٠١٢"}),
                                       ("register_ids", {"register_ids": ["nope"]})])
def test_fields_are_validated(ledger, account, field, kw):
    with pytest.raises(cashiers.CashierRefused) as err:
        create(ledger, account["id"], **{"name": "Petrov", **kw})
    assert (err.value.code, err.value.field) == ("invalid", field)


def test_another_accounts_or_a_removed_register_cannot_be_assigned(ledger, account, register):
    with ledger.session() as s:
        theirs = accounts.create_account(s, "KTV Zvezda").id
        their_reg = registers.add_register(s, theirs, name="T", driver="virtual",
                                           url="virtual:///tmp/t").id
        s.get(Register, register["id"]).removed_at = registers.utcnow()
    for reg in (their_reg, register["id"]):
        with pytest.raises(cashiers.CashierRefused):
            create(ledger, account["id"], register_ids=[reg])


def test_edit_delete_list_and_their_audit_entries(ledger, account, register, strict):
    cid = create(ledger, account["id"], "Petrov", inn="500100732259")
    with ledger.session() as s:
        c = cashiers.get_cashier(s, account["id"], cid)
        changes = cashiers.edit_cashier(s, c, actor="user:anna", name="Petrov P.", inn=None,
                                        register_ids=[strict, strict])
        assert changes == {"name": ["Petrov", "Petrov P."], "inn": ["500100732259", None],
                           "register_ids": [[], [strict]]}
        assert cashiers.cashier_register_ids(s, cid) == [strict]
        assert cashiers.edit_cashier(s, c, actor="user:anna", register_ids=[strict]) == {}
        assert cashiers.receipt_cashier(c) == {"name": "Petrov P."}
        cashiers.edit_cashier(s, c, actor="user:anna", register_ids=[])
        assert cashiers.may_use(s, c, register["id"])
    with ledger.session() as s:
        assert [c.name for c in cashiers.list_cashiers(s, account["id"])] == ["Petrov P."]
        cashiers.delete_cashier(s, cashiers.get_cashier(s, account["id"], cid), actor="cli")
        assert cashiers.list_cashiers(s, account["id"]) == []
        assert cashiers.get_cashier(s, account["id"], cid) is None
        log = s.scalars(select(AuditEntry).where(AuditEntry.target_id == cid)
                        .order_by(AuditEntry.id)).all()
        assert [(e.action, e.actor) for e in log] == [
            ("cashier.create", "test"), ("cashier.edit", "user:anna"),
            ("cashier.edit", "user:anna"), ("cashier.delete", "cli")]


def test_another_accounts_cashier_is_not_found(ledger, account):
    with ledger.session() as s:
        theirs = accounts.create_account(s, "KTV Zvezda").id
    cid = create(ledger, theirs)
    with ledger.session() as s:
        assert cashiers.get_cashier(s, account["id"], cid) is None
        assert cashiers.list_cashiers(s, account["id"]) == []


def test_a_job_records_its_cashier_and_source_connection(ledger, account, register):
    cid = create(ledger, account["id"])
    with ledger.session() as s:
        job, _ = jobs.create_job(s, account_id=account["id"], register_id=register["id"],
                                 job_json={"kind": "x_report"}, kind="x_report", actor="test")
        job.cashier_id, job.connection_id = cid, "conn-1"
        jid = job.id
    with ledger.session() as s:
        found = s.scalars(select(Job).where(Job.connection_id == "conn-1")).all()
        assert [(j.id, j.cashier_id) for j in found] == [(jid, cid)]
