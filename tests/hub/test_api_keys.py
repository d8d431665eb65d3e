"""/api/v1/api-keys: list, issue (the key shown once), delete (refused at once) — the refusals
(wrong role, bad input, another account's key) — and no key or password in clear in any row
of the database after they went through the API."""
import json

import pytest
from sqlalchemy import select

from fiscal.ledger.models import ApiKey, AuditEntry, Base


def bearer(key):
    return {"Authorization": f"Bearer {key}"}


def key_row(ledger, key_id):
    with ledger.session(readonly=True) as s:
        k = s.get(ApiKey, key_id)
        return {c.name: getattr(k, c.name) for c in ApiKey.__table__.columns}


def key_id_of(ledger, key):
    with ledger.session(readonly=True) as s:
        return s.scalar(select(ApiKey.id).where(ApiKey.prefix == key.split("_")[1]))


def test_list_shows_name_prefix_and_use_but_never_the_secret(client, auth, account):
    resp = client.get("/api/v1/api-keys", headers=auth)
    assert resp.status_code == 200
    (key,) = resp.json["items"]
    assert set(key) == {"id", "name", "prefix", "created_at", "created_by", "last_used_at",
                        "current"}
    assert (key["name"], key["prefix"]) == ("tests", account["key"].split("_")[1])
    assert key["current"] is True and key["last_used_at"] is not None   # this very request
    assert key["created_by"] is None                 # issued without an audit entry (fixture)
    assert account["key"].split("_", 2)[2] not in resp.data.decode()


def test_issue_shows_the_key_once_and_it_works(client, auth, ledger, account):
    resp = client.post("/api/v1/api-keys", json={"name": "  Clock PMS "}, headers=auth)
    assert resp.status_code == 201
    new = resp.json
    prefix = account["key"].split("_")[1]
    assert new["key"].startswith(f"fh_{new['prefix']}_") and new["name"] == "Clock PMS"
    assert (new["created_by"], new["current"], new["last_used_at"]) == (
        f"api_key:{prefix}", False, None)
    me = client.get("/api/v1/me", headers=bearer(new["key"]))
    assert me.status_code == 200 and me.json["api_key"]["id"] == new["id"]
    listed = client.get("/api/v1/api-keys", headers=auth)
    assert [k["name"] for k in listed.json["items"]] == ["tests", "Clock PMS"]
    assert new["key"] not in listed.data.decode() and "key" not in listed.json["items"][1]
    with ledger.session(readonly=True) as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.actor, entry.action, entry.target_id) == (f"api_key:{prefix}",
                                                            "api_key.create", new["id"])
    assert entry.details == {"name": "Clock PMS", "prefix": new["prefix"]}


def test_a_user_issues_a_key_and_is_named_as_its_creator(as_user):
    owner = as_user("owner")
    new = owner.post("/api/v1/api-keys", json={"name": "POS"}).json
    assert new["created_by"] == "user:owner"
    listed = {k["id"]: k for k in owner.get("/api/v1/api-keys").json["items"]}
    assert listed[new["id"]]["created_by"] == "user:owner"
    assert listed[new["id"]]["current"] is False
    assert as_user("admin").delete(f"/api/v1/api-keys/{new['id']}").status_code == 204


def test_a_deleted_key_is_refused_at_once(client, auth, ledger, account):
    new = client.post("/api/v1/api-keys", json={"name": "old PMS"}, headers=auth).json
    assert client.get("/api/v1/jobs", headers=bearer(new["key"])).status_code == 200
    resp = client.delete(f"/api/v1/api-keys/{new['id']}", headers=auth)
    assert resp.status_code == 204 and resp.data == b""
    refused = client.get("/api/v1/jobs", headers=bearer(new["key"]))
    assert refused.status_code == 401 and refused.json["code"] == "unauthorized"
    assert "deleted" in refused.json["message"]
    assert [k["id"] for k in client.get("/api/v1/api-keys", headers=auth).json["items"]] == [
        key_id_of(ledger, account["key"])]
    again = client.delete(f"/api/v1/api-keys/{new['id']}", headers=auth)
    assert again.status_code == 404 and again.json["code"] == "not_found"
    with ledger.session(readonly=True) as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert (entry.action, entry.target_id) == ("api_key.delete", new["id"])
    assert new["key"] not in json.dumps(entry.details)


def test_a_key_may_delete_itself(client, auth, ledger, account):
    own = key_id_of(ledger, account["key"])
    assert client.delete(f"/api/v1/api-keys/{own}", headers=auth).status_code == 204
    assert client.get("/api/v1/api-keys", headers=auth).status_code == 401


def test_deleting_a_key_does_not_touch_the_others(client, auth):
    a = client.post("/api/v1/api-keys", json={"name": "a"}, headers=auth).json
    b = client.post("/api/v1/api-keys", json={"name": "b"}, headers=auth).json
    assert client.delete(f"/api/v1/api-keys/{a['id']}", headers=bearer(b["key"])).status_code \
        == 204
    assert client.get("/api/v1/me", headers=bearer(b["key"])).status_code == 200
    assert client.get("/api/v1/me", headers=auth).status_code == 200


def test_unknown_key_id_is_404(client, auth):
    resp = client.delete("/api/v1/api-keys/no-such-key", headers=auth)
    assert resp.status_code == 404 and resp.json["code"] == "not_found"


@pytest.mark.parametrize("body, field", [({}, "name"), ({"name": ""}, "name"),
                                         ({"name": "   "}, "name"), ({"name": "x" * 201}, "name"),
                                         ({"name": 5}, "name"),
                                         ({"name": "PMS", "scope": "all"}, "scope")])
def test_bad_input_is_422_naming_the_field(client, auth, ledger, body, field):
    resp = client.post("/api/v1/api-keys", json=body, headers=auth)
    assert resp.status_code == 422 and field in resp.json["errors"], resp.json
    with ledger.session(readonly=True) as s:
        assert len(s.scalars(select(ApiKey)).all()) == 1


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_operators_and_viewers_may_not_see_or_touch_keys(as_user, ledger, account, role):
    user = as_user(role)
    own = key_id_of(ledger, account["key"])
    for resp in (user.get("/api/v1/api-keys"),
                 user.post("/api/v1/api-keys", json={"name": "mine"}),
                 user.delete(f"/api/v1/api-keys/{own}")):
        assert resp.status_code == 403 and resp.json["code"] == "forbidden"
    assert key_row(ledger, own)["deleted_at"] is None
    with ledger.session(readonly=True) as s:
        assert len(s.scalars(select(ApiKey)).all()) == 1


def test_admin_manages_keys_with_the_session(as_user):
    admin = as_user("admin")
    new = admin.post("/api/v1/api-keys", json={"name": "KTV"})
    assert new.status_code == 201
    assert admin.delete(f"/api/v1/api-keys/{new.json['id']}").status_code == 204


def test_another_accounts_key_is_404_and_keeps_working(client, auth, as_user, ledger,
                                                       other_account):
    theirs = key_id_of(ledger, other_account["key"])
    before = key_row(ledger, theirs)
    for caller, headers in ((client, auth), (as_user("owner"), {})):
        resp = caller.delete(f"/api/v1/api-keys/{theirs}", headers=headers)
        assert resp.status_code == 404 and resp.json["code"] == "not_found"
        assert theirs not in caller.get("/api/v1/api-keys", headers=headers).data.decode()
    assert key_row(ledger, theirs) == before
    assert client.get("/api/v1/me", headers=other_account["auth"]).status_code == 200
    with ledger.session(readonly=True) as s:
        assert s.scalar(select(AuditEntry).where(
            AuditEntry.account_id == other_account["id"],
            AuditEntry.action == "api_key.delete")) is None


def test_no_key_or_password_is_in_any_row_in_clear(client, auth, as_user, ledger, account):
    """Create users and keys through the API, log in, reset a password; then read every row of
    every table with SQLAlchemy Core: none of the secrets is there."""
    secrets = [account["key"], account["key"].split("_", 2)[2]]
    created = client.post("/api/v1/users", headers=auth, json={
        "login": "clerk", "name": "Clerk", "role": "operator"}).json
    secrets.append(created["one_time_password"])
    given = "the clerk's passphrase"
    client.post("/api/v1/users", headers=auth, json={"login": "cook", "name": "Cook",
                                                     "role": "viewer", "password": given})
    secrets.append(given)
    reset = client.post(f"/api/v1/users/{created['id']}/password", json={}, headers=auth).json
    secrets.append(reset["one_time_password"])
    for name in ("PMS", "POS"):
        key = client.post("/api/v1/api-keys", json={"name": name}, headers=auth).json["key"]
        secrets += [key, key.split("_", 2)[2]]
    owner = as_user("owner")
    key = owner.post("/api/v1/api-keys", json={"name": "by owner"}).json["key"]
    secrets += [key, key.split("_", 2)[2]]
    assert client.post("/api/v1/session", json={"login": "cook", "password": given}) \
        .status_code == 200

    cells = []
    with ledger.session(readonly=True) as s:
        for table in Base.metadata.sorted_tables:
            for r in s.execute(select(table)):
                cells += [json.dumps(v, default=str) if isinstance(v, (dict, list)) else str(v)
                          for v in r if v is not None]
    assert len(cells) > 50
    assert any(key.split("_")[1] in c for c in cells)      # the prefix is there, in clear
    assert [x for x in secrets if any(x in c for c in cells)] == []
