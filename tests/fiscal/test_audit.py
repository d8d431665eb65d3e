"""The audit log: per account, newest first, keyset pages, no secrets."""
import pytest

from fiscal.ledger import accounts, audit


def add(ledger, account_id, n, start=0):
    with ledger.session() as s:
        for i in range(start, start + n):
            audit.record(s, account_id, audit.user_actor("anna"), "register.edit", "register",
                         f"r-{i}", {"n": i})


def page(ledger, account_id, limit, cursor=None):
    with ledger.session(readonly=True) as s:
        rows, nxt = audit.list_audit(s, account_id, limit, cursor)
        return [r.details["n"] for r in rows], nxt


def test_keyset_pages_newest_first_without_gaps_or_repeats(ledger, account):
    add(ledger, account["id"], 7)
    first, cur = page(ledger, account["id"], 3)
    assert first == [6, 5, 4] and cur is not None
    add(ledger, account["id"], 2, start=7)          # written while someone pages
    second, cur = page(ledger, account["id"], 3, cur)
    third, end = page(ledger, account["id"], 3, cur)
    assert (second, third, end) == ([3, 2, 1], [0], None)
    assert page(ledger, account["id"], 9) == ([8, 7, 6, 5, 4, 3, 2, 1, 0], None)
    _, cur = page(ledger, account["id"], 4)
    assert page(ledger, account["id"], 5, cur) == ([4, 3, 2, 1, 0], None)


def test_entries_carry_who_what_and_when(ledger, account):
    with ledger.session() as s:
        e = audit.record(s, account["id"], audit.api_key_actor("1a2b3c4d"), "job.cancel",
                         "job", "j-1", {"reason": "duplicate"})
        assert (e.actor, e.action, e.target_type, e.target_id) == (
            "api_key:1a2b3c4d", "job.cancel", "job", "j-1")
        assert e.at.tzinfo is not None and isinstance(e.id, int)


def test_an_account_sees_only_its_own_entries(ledger, account):
    with ledger.session() as s:
        theirs = accounts.create_account(s, "KTV Zvezda").id
    add(ledger, theirs, 3)
    add(ledger, account["id"], 1, start=10)
    assert page(ledger, account["id"], 50) == ([10], None)
    assert page(ledger, theirs, 50) == ([2, 1, 0], None)


@pytest.mark.parametrize("cursor", ["abc", "-1", "1.5", "²", "9" * 30])
def test_a_cursor_not_given_out_is_refused(ledger, account, cursor):
    with pytest.raises(audit.InvalidCursor), ledger.session() as s:
        audit.list_audit(s, account["id"], 10, cursor)


def test_the_limit_is_bounded(ledger, account):
    add(ledger, account["id"], 3)
    assert page(ledger, account["id"], 0)[0] == [2]
    with ledger.session() as s:
        assert len(audit.list_audit(s, account["id"], 10 ** 6)[0]) == 3


@pytest.mark.parametrize("details", [{"password": "x"}, {"nested": {"api_key": "fh_x"}},
                                     {"list": [{"Token": "t"}]}])
def test_secrets_are_refused(ledger, account, details):
    with pytest.raises(ValueError, match="secrets do not go into the audit log"), \
            ledger.session() as s:
        audit.record(s, account["id"], "cli", "user.create", "user", "u", details)
