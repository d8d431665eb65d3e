"""/api/v1/audit-log: who did what, newest first, keyset pages, filters; only owners, admins and
API keys read it; only the account's own entries; no secret in any entry."""
import pytest

from fiscal.ledger import audit

NEW = {"login": "anna.petrova", "name": "Anna Petrova", "role": "operator"}


def entries(client, headers, **query):
    resp = client.get("/api/v1/audit-log", query_string=query, headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


def all_pages(client, headers, **query):
    out, cursor = [], query.pop("cursor", None)
    while True:
        page = entries(client, headers, **query, **({"cursor": cursor} if cursor else {}))
        out += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return out


def fill(ledger, account_id, n, action="test.thing", actor="cli", target_id=None):
    with ledger.session() as s:
        for i in range(n):
            audit.record(s, account_id, actor, action, "thing", target_id or f"t{i}", {"n": i})


def test_who_did_what_newest_first(client, auth, as_user, account, people):
    owner = as_user("owner")
    created = owner.post("/api/v1/users", json=NEW).json
    client.post(f"/api/v1/users/{created['id']}/block", headers=auth)
    key = client.post("/api/v1/api-keys", json={"name": "PMS"}, headers=auth).json
    page = entries(client, auth, limit=3)
    prefix = account["key"].split("_")[1]
    assert [(e["actor"], e["action"], e["target_type"], e["target_id"])
            for e in page["items"]] == [
        (f"api_key:{prefix}", "api_key.create", "api_key", key["id"]),
        (f"api_key:{prefix}", "user.block", "user", created["id"]),
        ("user:owner", "user.create", "user", created["id"])]
    first = page["items"][0]
    assert set(first) == {"id", "at", "actor", "action", "target_type", "target_id", "details"}
    assert first["details"] == {"name": "PMS", "prefix": key["prefix"]}
    assert page["items"][0]["id"] > page["items"][1]["id"] > page["items"][2]["id"]
    assert page["next_cursor"] is not None               # the logins are further down


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_read_it(as_user, role):
    resp = as_user(role).get("/api/v1/audit-log")
    assert resp.status_code == 200
    assert resp.json["items"][0]["action"] == "session.login"


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_operators_and_viewers_may_not(as_user, role):
    resp = as_user(role).get("/api/v1/audit-log")
    assert resp.status_code == 403 and resp.json["code"] == "forbidden"


def test_pages_walk_every_entry_once_even_while_new_ones_arrive(client, auth, ledger, account):
    fill(ledger, account["id"], 7)
    first = entries(client, auth, limit=3)
    assert [e["details"]["n"] for e in first["items"]] == [6, 5, 4]
    fill(ledger, account["id"], 2, action="test.later")           # written meanwhile
    rest = all_pages(client, auth, limit=3, cursor=first["next_cursor"])
    assert [e["details"]["n"] for e in rest] == [3, 2, 1, 0]
    everything = all_pages(client, auth, limit=2)
    assert len(everything) == 9 and len({e["id"] for e in everything}) == 9
    assert entries(client, auth, limit=200)["next_cursor"] is None


def test_filters_keep_the_keyset(client, auth, ledger, account, people):
    fill(ledger, account["id"], 5, action="test.a", actor="user:owner")
    fill(ledger, account["id"], 5, action="test.b", actor="cli", target_id="x")
    fill(ledger, account["id"], 5, action="test.a", actor="cli")
    by_actor = all_pages(client, auth, limit=2, actor="user:owner")
    assert len(by_actor) == 5 and {e["actor"] for e in by_actor} == {"user:owner"}
    by_action = all_pages(client, auth, limit=4, action="test.a")
    assert len(by_action) == 10 and {e["action"] for e in by_action} == {"test.a"}
    both = entries(client, auth, action="test.a,test.b", limit=200)["items"]
    assert len(both) == 15
    repeated = client.get("/api/v1/audit-log?action=test.a&action=test.b&limit=200",
                          headers=auth).json["items"]
    assert repeated == both
    target = all_pages(client, auth, limit=2, target_type="thing", target_id="x")
    assert [e["details"]["n"] for e in target] == [4, 3, 2, 1, 0]
    combined = entries(client, auth, actor="cli", action="test.a", target_id="t1")["items"]
    assert [(e["actor"], e["action"], e["target_id"]) for e in combined] == [
        ("cli", "test.a", "t1")]
    assert entries(client, auth, actor="nobody")["items"] == []


def test_about_one_user(client, auth, people):
    client.patch(f"/api/v1/users/{people['viewer']}", json={"name": "V"}, headers=auth)
    client.post(f"/api/v1/users/{people['viewer']}/block", headers=auth)
    history = entries(client, auth, target_type="user", target_id=people["viewer"])["items"]
    assert [e["action"] for e in history] == ["user.block", "user.edit", "user.create"]
    assert history[1]["details"]["changes"] == {"name": ["Viewer", "V"]}


@pytest.mark.parametrize("query, field", [
    ({"cursor": "abc"}, "cursor"), ({"cursor": "-1"}, "cursor"), ({"cursor": "9" * 19}, "cursor"),
    ({"limit": "0"}, "limit"), ({"limit": "201"}, "limit"), ({"limit": "many"}, "limit"),
    ({"actor": ""}, "actor"), ({"action": ""}, "action"), ({"page": "2"}, "page")])
def test_bad_parameters_are_422_naming_them(client, auth, query, field):
    resp = client.get("/api/v1/audit-log", query_string=query, headers=auth)
    assert resp.status_code == 422 and field in resp.json["errors"], resp.json


def test_only_the_accounts_own_entries(client, auth, ledger, account, other_account):
    fill(ledger, other_account["id"], 3, action="test.theirs")
    fill(ledger, account["id"], 1, action="test.ours")
    mine = all_pages(client, auth, limit=2)
    assert [e["action"] for e in mine] == ["test.ours"]
    assert entries(client, auth, target_id=other_account["user_id"])["items"] == []
    assert entries(client, auth, action="test.theirs")["items"] == []
    theirs = all_pages(client, other_account["auth"])
    assert "test.ours" not in {e["action"] for e in theirs}


def test_no_secret_in_any_entry(client, auth, account):
    created = client.post("/api/v1/users", json=NEW, headers=auth).json
    key = client.post("/api/v1/api-keys", json={"name": "PMS"}, headers=auth).json
    client.delete(f"/api/v1/api-keys/{key['id']}", headers=auth)
    text = client.get("/api/v1/audit-log?limit=200", headers=auth).data.decode()
    assert "user.create" in text and "api_key.delete" in text
    for secret in (created["one_time_password"], key["key"], key["key"].split("_", 2)[2],
                   account["key"]):
        assert secret not in text
