"""/api/v1/cashiers: add, list, read, edit, delete; which registers a cashier may use; a
register with the universal cashier off — and the refusals: bad input, wrong role, another
account's cashier or register (404 / 422, nothing changes)."""
import json

import pytest
from sqlalchemy import select

from fiscal.ledger import registers
from fiscal.ledger.models import AuditEntry, Cashier, CashierRegister, Job
from fiscal.simulators.fiscal_memory import FiscalMemory
from receipts import receipt_job

ANNA = {"name": "Иванова А.", "inn": "500100732259"}


def create(client, auth, **body):
    return client.post("/api/v1/cashiers", json={**ANNA, **body}, headers=auth)


def cashier_rows(ledger, account_id):
    """Every cashier of the account with its registers, to show that nothing changed."""
    with ledger.session(readonly=True) as s:
        return [({c.name: getattr(x, c.name) for c in Cashier.__table__.columns},
                 sorted(s.scalars(select(CashierRegister.register_id)
                                  .where(CashierRegister.cashier_id == x.id))))
                for x in s.scalars(select(Cashier).where(Cashier.account_id == account_id))]


def post_job(client, auth, register_id, cashier_id):
    """The sample receipt naming the account's cashier ``cashier_id`` (None: no one)."""
    job = {k: v for k, v in receipt_job(register_id).items() if k != "cashier"}
    if cashier_id is not None:
        job["cashier_id"] = cashier_id
    return client.post("/api/v1/jobs", data=json.dumps(job), headers=auth,
                       content_type="application/json")


@pytest.fixture
def bar(ledger, account, data_dir):
    with ledger.session() as s:
        return registers.add_register(s, account["id"], name="Bar", driver="virtual",
                                      url=f"virtual://{data_dir / 'bar.sqlite'}").id


def test_add_list_read_edit_delete(client, auth, ledger, account, register):
    resp = create(client, auth)
    assert resp.status_code == 201, resp.json
    anna = resp.json
    assert resp.headers["Location"].endswith(f"/api/v1/cashiers/{anna['id']}")
    assert (anna["name"], anna["inn"], anna["register_ids"]) == ("Иванова А.", "500100732259",
                                                                 [])
    create(client, auth, name="Абрамов Б.", inn=None)
    listed = client.get("/api/v1/cashiers", headers=auth).json["items"]
    assert [(c["name"], c["inn"]) for c in listed] == [("Абрамов Б.", None),
                                                       ("Иванова А.", "500100732259")]
    url = f"/api/v1/cashiers/{anna['id']}"
    assert client.get(url, headers=auth).json == anna

    edited = client.patch(url, json={"name": "Иванова А. В.", "register_ids": [register["id"]]},
                          headers=auth)
    assert edited.status_code == 200
    assert (edited.json["name"], edited.json["inn"], edited.json["register_ids"]) == (
        "Иванова А. В.", "500100732259", [register["id"]])
    assert client.patch(url, json={"inn": None}, headers=auth).json["inn"] is None

    assert client.delete(url, headers=auth).status_code == 204
    assert client.get(url, headers=auth).status_code == 404
    assert client.patch(url, json={"name": "X"}, headers=auth).status_code == 404
    assert [c["name"] for c in client.get("/api/v1/cashiers", headers=auth).json["items"]] == [
        "Абрамов Б."]
    with ledger.session(readonly=True) as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(
            AuditEntry.target_id == anna["id"]).order_by(AuditEntry.id))]
    assert actions == ["cashier.create", "cashier.edit", "cashier.edit", "cashier.delete"]


def test_a_cashier_limited_to_some_registers_is_refused_on_the_others(client, auth, register,
                                                                      bar):
    anna = create(client, auth, register_ids=[bar]).json
    refused = post_job(client, auth, register["id"], anna["id"])
    assert refused.status_code == 422 and "cashier_id" in refused.json["errors"]
    ok = post_job(client, auth, bar, anna["id"])
    assert ok.status_code == 201 and ok.json["cashier"] == ANNA


def test_a_deleted_cashier_can_no_longer_be_named(client, auth, register):
    anna = create(client, auth).json
    earlier = post_job(client, auth, register["id"], anna["id"]).json
    client.delete(f"/api/v1/cashiers/{anna['id']}", headers=auth)
    refused = post_job(client, auth, register["id"], anna["id"])
    assert refused.status_code == 422 and "cashier_id" in refused.json["errors"]
    assert client.get(f"/api/v1/jobs/{earlier['id']}",
                      headers=auth).json["cashier"]["name"] == "Иванова А."


@pytest.mark.parametrize("body,field", [
    ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 65}, "name"),
    ({"inn": "12345"}, "inn"), ({"inn": "50010073225X"}, "inn"),
    ({"register_ids": ["no-such"]}, "register_ids"), ({"register_ids": "r"}, "register_ids"),
    ({"role": "boss"}, "role")])
def test_bad_input_is_422_naming_the_field(client, auth, ledger, account, body, field):
    resp = create(client, auth, **body)
    assert resp.status_code == 422 and field in resp.json["errors"], resp.json
    assert cashier_rows(ledger, account["id"]) == []


def test_a_removed_register_cannot_be_given(client, auth, ledger, account, bar):
    client.delete(f"/api/v1/registers/{bar}", headers=auth)
    resp = create(client, auth, register_ids=[bar])
    assert resp.status_code == 422 and bar in resp.json["errors"]["register_ids"][0]


# --- the register's universal cashier ------------------------------------------------------

def _strict(client, auth, register):
    """Turn the register's universal cashier off."""
    client.patch(f"/api/v1/registers/{register['id']}",
                 json={"settings": {"universal_cashier": False}}, headers=auth)


def test_with_the_universal_cashier_off_a_job_must_name_a_cashier_and_records_who(
        client, auth, ledger, register):
    _strict(client, auth, register)
    anna = create(client, auth).json
    refused = post_job(client, auth, register["id"], None)
    assert refused.status_code == 422 and "cashier_id" in refused.json["errors"]
    resp = post_job(client, auth, register["id"], anna["id"])
    assert resp.status_code == 201, resp.json
    assert resp.json["cashier"] == ANNA
    with ledger.session(readonly=True) as s:
        assert s.get(Job, resp.json["id"]).cashier_id == anna["id"]


def test_the_receipt_of_a_job_naming_a_cashier_names_them(client, auth, register, relay,
                                                          run_worker):
    _strict(client, auth, register)
    anna = create(client, auth).json
    job_id = post_job(client, auth, register["id"], anna["id"]).json["id"]
    relay.dispatch()
    run_worker(register["id"])
    assert client.get(f"/api/v1/jobs/{job_id}", headers=auth).json["state"] == "printed"
    (doc,) = FiscalMemory(register["memory"]).documents("receipt")
    assert doc.details["cashier"] == ANNA


# --- who may -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewers_and_operators_see_cashiers_but_may_not_change_them(client, auth, as_user,
                                                                    ledger, account, role):
    anna = create(client, auth).json
    before = cashier_rows(ledger, account["id"])
    user = as_user(role)
    assert user.get("/api/v1/cashiers").json["items"] == [anna]
    url = f"/api/v1/cashiers/{anna['id']}"
    assert user.get(url).status_code == 200
    for resp in (user.post("/api/v1/cashiers", json={"name": "X"}),
                 user.patch(url, json={"name": "X"}), user.delete(url)):
        assert resp.status_code == 403 and resp.json["code"] == "forbidden"
    assert cashier_rows(ledger, account["id"]) == before


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_manage_cashiers(as_user, role):
    user = as_user(role)
    anna = user.post("/api/v1/cashiers", json=ANNA)
    assert anna.status_code == 201
    url = f"/api/v1/cashiers/{anna.json['id']}"
    assert user.patch(url, json={"name": "Б."}).json["name"] == "Б."
    assert user.delete(url).status_code == 204


# --- tenant isolation -----------------------------------------------------------------------

def test_another_accounts_cashier_is_404_and_their_registers_cannot_be_given(
        client, auth, ledger, account, register, other_account):
    theirs = create(client, other_account["auth"], name="Чужой").json
    before = cashier_rows(ledger, other_account["id"])
    url = f"/api/v1/cashiers/{theirs['id']}"
    for resp in (client.get(url, headers=auth),
                 client.patch(url, json={"name": "Мой"}, headers=auth),
                 client.delete(url, headers=auth)):
        assert resp.status_code == 404 and resp.json["code"] == "not_found"
    assert client.get("/api/v1/cashiers", headers=auth).json["items"] == []
    refused = post_job(client, auth, register["id"], theirs["id"])
    assert refused.status_code == 422 and "cashier_id" in refused.json["errors"]
    given = create(client, auth, register_ids=[other_account["register_id"]])
    assert given.status_code == 422 and "register_ids" in given.json["errors"]
    assert cashier_rows(ledger, other_account["id"]) == before
    assert cashier_rows(ledger, account["id"]) == []
