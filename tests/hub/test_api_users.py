"""/api/v1/users: list, add, read, edit, block, unblock, delete, set a password — and the
refusals: wrong role, an admin touching an owner, one's own user, the last owner, bad input,
and another account's user (404, nothing changes)."""
import json

import pytest
from sqlalchemy import select

from conftest import PASSWORDS, UserClient
from fiscal.ledger.models import AuditEntry, User, UserSession

NEW = {"login": "anna.petrova", "name": "Anna Petrova", "email": "anna@hotel.example",
       "role": "operator"}


def audit_actions(ledger, account_id):
    with ledger.session(readonly=True) as s:
        return [(e.actor, e.action, e.target_id) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.account_id == account_id)
            .order_by(AuditEntry.id))]


def row(ledger, user_id):
    """Every column of a user row, to show that nothing changed."""
    with ledger.session(readonly=True) as s:
        u = s.get(User, user_id)
        return {c.name: getattr(u, c.name) for c in User.__table__.columns}


def login(app, who, password):
    return app.test_client().post("/api/v1/session", json={"login": who, "password": password})


# --- reading -------------------------------------------------------------------------------

def test_owner_and_admin_list_the_users_without_any_password(as_user, people):
    for role in ("owner", "admin"):
        resp = as_user(role).get("/api/v1/users")
        assert resp.status_code == 200
        assert [u["login"] for u in resp.json["items"]] == ["owner", "admin", "operator",
                                                            "viewer"]
        text = resp.data.decode()
        assert "hash" not in text and "scrypt" not in text
        assert not [p for p in PASSWORDS.values() if p in text]


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_operators_and_viewers_may_not_see_the_users(as_user, role):
    resp = as_user(role).get("/api/v1/users")
    assert resp.status_code == 403 and resp.json["code"] == "forbidden"


def test_read_one_user_and_an_unknown_id_is_404(client, auth, people):
    resp = client.get(f"/api/v1/users/{people['viewer']}", headers=auth)
    assert resp.status_code == 200
    assert (resp.json["login"], resp.json["role"], resp.json["blocked"]) == ("viewer", "viewer",
                                                                             False)
    missing = client.get("/api/v1/users/no-such-user", headers=auth)
    assert missing.status_code == 404 and missing.json["code"] == "not_found"


# --- adding --------------------------------------------------------------------------------

def test_add_without_a_password_answers_a_one_time_password_once(app, ledger, as_user, people):
    admin = as_user("admin")
    resp = admin.post("/api/v1/users", json=NEW)
    assert resp.status_code == 201
    body = resp.json
    assert resp.headers["Location"].endswith(f"/api/v1/users/{body['id']}")
    assert (body["login"], body["role"], body["language"]) == ("anna.petrova", "operator", "en")
    assert body["must_change_password"] is True and len(body["one_time_password"]) == 14
    again = admin.get(f"/api/v1/users/{body['id']}")
    assert "one_time_password" not in again.json              # shown once
    user = UserClient(app, "anna.petrova", body["one_time_password"])
    assert user.me["user"]["must_change_password"] is True
    assert audit_actions(ledger, user.me["account"]["id"])[-2][:2] == ("user:admin",
                                                                       "user.create")


def test_add_with_a_password(app, as_user, people):
    resp = as_user("owner").post("/api/v1/users", json={
        **NEW, "login": "Boris", "role": "viewer", "language": "ru",
        "password": "boris's own secret"})
    assert resp.status_code == 201
    assert resp.json["login"] == "boris" and resp.json["one_time_password"] is None
    assert resp.json["must_change_password"] is False and resp.json["language"] == "ru"
    assert login(app, "boris", "boris's own secret").status_code == 200


def test_an_api_key_adds_admins_but_not_owners(client, auth, ledger, account, people):
    ok = client.post("/api/v1/users", json={**NEW, "role": "admin"}, headers=auth)
    assert ok.status_code == 201
    prefix = account["key"].split("_")[1]
    assert audit_actions(ledger, account["id"])[-1] == (f"api_key:{prefix}", "user.create",
                                                        ok.json["id"])
    owner = client.post("/api/v1/users", json={**NEW, "login": "boss", "role": "owner"},
                        headers=auth)
    assert owner.status_code == 403 and owner.json["code"] == "forbidden"


def test_only_an_owner_adds_an_owner(as_user, ledger):
    refused = as_user("admin").post("/api/v1/users", json={**NEW, "role": "owner"})
    assert refused.status_code == 403 and "owners" in refused.json["message"]
    with ledger.session(readonly=True) as s:
        assert s.scalar(select(User).where(User.login == "anna.petrova")) is None
    assert as_user("owner").post("/api/v1/users", json={**NEW, "role": "owner"}).status_code \
        == 201


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_operators_and_viewers_may_not_add_users(as_user, role):
    resp = as_user(role).post("/api/v1/users", json=NEW)
    assert resp.status_code == 403 and resp.json["code"] == "forbidden"


def test_a_taken_login_is_409(client, auth, people):
    resp = client.post("/api/v1/users", json={**NEW, "login": "Operator"}, headers=auth)
    assert resp.status_code == 409 and resp.json["code"] == "login_taken"
    assert "login" in resp.json["errors"]


@pytest.mark.parametrize("change, field", [
    ({"role": "boss"}, "role"),
    ({"login": "anna petrova"}, "login"),
    ({"login": "ab"}, "login"),
    ({"email": "not-an-email"}, "email"),
    ({"name": "   "}, "name"),
    ({"language": "de"}, "language"),
    ({"password": "short"}, "password"),
    ({"password": "Anna.Petrova"}, "password"),             # the login
    ({"must_change_password": "yes"}, "must_change_password"),
    ({"is_admin": True}, "is_admin"),                        # unknown fields are refused
])
def test_bad_input_is_422_naming_the_field(client, auth, ledger, change, field):
    resp = client.post("/api/v1/users", json={**NEW, **change}, headers=auth)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"]
    with ledger.session(readonly=True) as s:
        assert s.scalar(select(User).where(User.name == NEW["name"])) is None


def test_missing_fields_are_named(client, auth):
    resp = client.post("/api/v1/users", json={"login": "x-y-z"}, headers=auth)
    assert resp.status_code == 422
    assert set(resp.json["errors"]) == {"name", "role"}


# --- editing -------------------------------------------------------------------------------

def test_admin_edits_a_user(as_user, ledger, people):
    resp = as_user("admin").patch(f"/api/v1/users/{people['operator']}", json={
        "name": "Olga", "email": "olga@hotel.example", "role": "viewer", "language": "ru"})
    assert resp.status_code == 200
    assert (resp.json["name"], resp.json["role"], resp.json["language"]) == ("Olga", "viewer",
                                                                             "ru")
    with ledger.session(readonly=True) as s:
        entry = s.scalars(select(AuditEntry).order_by(AuditEntry.id.desc())).first()
    assert entry.action == "user.edit" and entry.details["changes"]["role"] == ["operator",
                                                                                 "viewer"]
    cleared = as_user("admin").patch(f"/api/v1/users/{people['operator']}", json={"email": None})
    assert cleared.status_code == 200 and cleared.json["email"] is None


def test_a_new_role_works_at_the_next_request(as_user, people):
    viewer = as_user("viewer")
    assert viewer.get("/api/v1/users").status_code == 403
    assert as_user("owner").patch(f"/api/v1/users/{people['viewer']}",
                                  json={"role": "admin"}).status_code == 200
    assert viewer.get("/api/v1/users").status_code == 200


def test_admin_cannot_edit_an_owner_nor_make_anyone_owner(as_user, ledger, people):
    admin = as_user("admin")
    before = row(ledger, people["owner"])
    resp = admin.patch(f"/api/v1/users/{people['owner']}", json={"name": "Mallory"})
    assert resp.status_code == 403 and resp.json["code"] == "forbidden"
    assert row(ledger, people["owner"]) == before
    promote = admin.patch(f"/api/v1/users/{people['operator']}", json={"role": "owner"})
    assert promote.status_code == 403
    assert admin.patch(f"/api/v1/users/{people['admin']}", json={"role": "owner"}).status_code \
        == 403
    assert row(ledger, people["operator"])["role"] == "operator"


def test_owner_makes_another_owner_and_only_then_may_step_down(as_user, people):
    owner = as_user("owner")
    last = owner.patch(f"/api/v1/users/{people['owner']}", json={"role": "admin"})
    assert last.status_code == 409 and last.json["code"] == "last_owner"
    assert owner.patch(f"/api/v1/users/{people['admin']}", json={"role": "owner"}).status_code \
        == 200
    stepped = owner.patch(f"/api/v1/users/{people['owner']}", json={"role": "admin"})
    assert stepped.status_code == 200 and stepped.json["role"] == "admin"


def test_edit_refuses_bad_fields(client, auth, ledger, people):
    before = row(ledger, people["viewer"])
    for body, field in (({"role": "king"}, "role"), ({"login": "renamed"}, "login"),
                        ({"name": ""}, "name"), ({"email": "nope"}, "email")):
        resp = client.patch(f"/api/v1/users/{people['viewer']}", json=body, headers=auth)
        assert resp.status_code == 422 and field in resp.json["errors"], (body, resp.json)
    assert row(ledger, people["viewer"]) == before


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_operators_and_viewers_may_not_edit(as_user, ledger, people, role):
    caller = as_user(role)
    before = row(ledger, people["viewer"])
    resp = caller.patch(f"/api/v1/users/{people['viewer']}", json={"name": "X"})
    assert resp.status_code == 403
    assert row(ledger, people["viewer"]) == before


# --- blocking ------------------------------------------------------------------------------

def test_block_ends_the_users_session_and_unblock_lets_them_in_again(app, as_user, people):
    operator = as_user("operator")
    admin = as_user("admin")
    resp = admin.post(f"/api/v1/users/{people['operator']}/block")
    assert resp.status_code == 200 and resp.json["blocked"] is True
    assert resp.json["blocked_at"] is not None
    ended = operator.get("/api/v1/me")
    assert ended.status_code == 401
    assert (ended.json["code"], ended.json["reason"]) == ("session_ended", "blocked")
    assert login(app, "operator", PASSWORDS["operator"]).json["code"] == "user_blocked"
    again = admin.post(f"/api/v1/users/{people['operator']}/block")
    assert again.status_code == 200 and again.json["blocked_at"] == resp.json["blocked_at"]
    unblocked = admin.post(f"/api/v1/users/{people['operator']}/unblock")
    assert unblocked.status_code == 200 and unblocked.json["blocked"] is False
    assert login(app, "operator", PASSWORDS["operator"]).status_code == 200
    assert operator.get("/api/v1/me").status_code == 401       # the old session stays ended


def test_nobody_blocks_or_deletes_their_own_user(as_user, ledger, people):
    admin = as_user("admin")
    for method, url in (("post", "block"), ("delete", ""), ("post", "password")):
        path = f"/api/v1/users/{people['admin']}" + (f"/{url}" if url else "")
        kw = {"json": {}} if url == "password" else {}
        resp = getattr(admin, method)(path, **kw)
        assert resp.status_code == 409 and resp.json["code"] == "own_user", (url, resp.json)
    assert admin.get("/api/v1/me").status_code == 200
    owner = as_user("owner")
    assert owner.post(f"/api/v1/users/{people['owner']}/block").json["code"] == "own_user"
    assert row(ledger, people["owner"])["blocked_at"] is None


def test_admin_cannot_block_delete_or_reset_an_owner(as_user, client, auth, ledger, people):
    before = row(ledger, people["owner"])
    admin = as_user("admin")
    for call in (lambda c, h: c.post(f"/api/v1/users/{people['owner']}/block", headers=h),
                 lambda c, h: c.post(f"/api/v1/users/{people['owner']}/unblock", headers=h),
                 lambda c, h: c.delete(f"/api/v1/users/{people['owner']}", headers=h),
                 lambda c, h: c.post(f"/api/v1/users/{people['owner']}/password", json={},
                                     headers=h)):
        assert call(admin, {}).status_code == 403
        assert call(client, auth).status_code == 403               # an API key acts as admin
    assert row(ledger, people["owner"]) == before


def test_owner_blocks_and_deletes_another_owner(as_user, client, auth, people):
    owner = as_user("owner")
    second = owner.post("/api/v1/users", json={**NEW, "role": "owner"}).json
    assert owner.post(f"/api/v1/users/{second['id']}/block").status_code == 200
    assert owner.delete(f"/api/v1/users/{second['id']}").status_code == 204


@pytest.mark.parametrize("role", ["operator", "viewer"])
def test_operators_and_viewers_may_not_block(as_user, ledger, people, role):
    resp = as_user(role).post(f"/api/v1/users/{people['viewer']}/block")
    assert resp.status_code == 403
    assert row(ledger, people["viewer"])["blocked_at"] is None


# --- deleting ------------------------------------------------------------------------------

def test_delete_removes_the_user_and_ends_their_session(app, as_user, client, auth, people):
    viewer = as_user("viewer")
    resp = client.delete(f"/api/v1/users/{people['viewer']}", headers=auth)
    assert resp.status_code == 204 and resp.data == b""
    assert viewer.get("/api/v1/me").json["code"] == "session_ended"
    assert client.get(f"/api/v1/users/{people['viewer']}", headers=auth).status_code == 404
    assert "viewer" not in [u["login"] for u in
                            client.get("/api/v1/users", headers=auth).json["items"]]
    assert login(app, "viewer", PASSWORDS["viewer"]).json["code"] == "bad_credentials"
    again = client.delete(f"/api/v1/users/{people['viewer']}", headers=auth)
    assert again.status_code == 404
    taken = client.post("/api/v1/users", json={**NEW, "login": "viewer"}, headers=auth)
    assert taken.status_code == 409                              # the login stays taken


def test_the_last_owner_cannot_be_removed(ledger, as_user, people):
    """Only an owner touches an owner, and not its own user: so the last owner is refused
    by the own_user rule before the ledger's last_owner; with a second owner gone, the
    remaining one still cannot step down."""
    owner = as_user("owner")
    second = owner.post("/api/v1/users", json={**NEW, "role": "owner",
                                               "password": "second owner secret"}).json
    other = UserClient(owner.client.application, "anna.petrova", "second owner secret")
    assert other.delete(f"/api/v1/users/{people['owner']}").status_code == 204
    last = other.patch(f"/api/v1/users/{second['id']}", json={"role": "viewer"})
    assert last.status_code == 409 and last.json["code"] == "last_owner"
    assert row(ledger, second["id"])["role"] == "owner"


# --- passwords -----------------------------------------------------------------------------

def test_reset_generates_a_one_time_password_and_ends_the_sessions(app, as_user, people):
    operator = as_user("operator")
    resp = as_user("admin").post(f"/api/v1/users/{people['operator']}/password", json={})
    assert resp.status_code == 200
    otp = resp.json["one_time_password"]
    assert otp and resp.json["must_change_password"] is True
    ended = operator.get("/api/v1/me")
    assert (ended.status_code, ended.json["reason"]) == (401, "password_reset")
    assert login(app, "operator", PASSWORDS["operator"]).status_code == 401
    fresh = UserClient(app, "operator", otp)
    assert fresh.get("/api/v1/jobs").json["code"] == "password_change_required"


def test_set_a_given_password(app, client, auth, people):
    resp = client.post(f"/api/v1/users/{people['viewer']}/password", headers=auth,
                       json={"password": "a new viewer secret", "must_change_password": False})
    assert resp.status_code == 200
    assert resp.json["one_time_password"] is None and resp.json["must_change_password"] is False
    assert login(app, "viewer", "a new viewer secret").status_code == 200
    weak = client.post(f"/api/v1/users/{people['viewer']}/password", headers=auth,
                       json={"password": "viewer"})
    assert weak.status_code == 422 and "password" in weak.json["errors"]
    unknown = client.post(f"/api/v1/users/{people['viewer']}/password", headers=auth,
                          json={"passwd": "a new viewer secret"})
    assert unknown.status_code == 422 and "passwd" in unknown.json["errors"]


def test_no_password_goes_into_the_audit_log(client, auth, ledger, account, people):
    created = client.post("/api/v1/users", json=NEW, headers=auth).json
    reset = client.post(f"/api/v1/users/{created['id']}/password", json={}, headers=auth).json
    given = "a given secret 123"
    client.post(f"/api/v1/users/{people['viewer']}/password", json={"password": given},
                headers=auth)
    with ledger.session(readonly=True) as s:
        details = json.dumps([e.details for e in s.scalars(select(AuditEntry))])
    assert "user.set_password" in [a for _, a, _ in audit_actions(ledger, account["id"])]
    for secret in (created["one_time_password"], reset["one_time_password"], given):
        assert secret not in details


def test_a_change_with_the_cookie_needs_the_csrf_token(as_user, ledger, people):
    admin = as_user("admin")
    resp = admin.client.post(f"/api/v1/users/{people['viewer']}/block")
    assert resp.status_code == 403 and resp.json["code"] == "csrf_failed"
    assert row(ledger, people["viewer"])["blocked_at"] is None


# --- another account -----------------------------------------------------------------------

def test_another_accounts_user_is_404_everywhere_and_nothing_changes(client, auth, as_user,
                                                                    ledger, account, people,
                                                                    other_account):
    theirs = other_account["user_id"]
    before = row(ledger, theirs)
    audit_before = audit_actions(ledger, other_account["id"])
    owner = as_user("owner")
    calls = [("get", "", None), ("patch", "", {"name": "Hacked", "role": "viewer"}),
             ("delete", "", None), ("post", "/block", None), ("post", "/unblock", None),
             ("post", "/password", {}), ("post", "/password", {"password": "taken over 123"})]
    for method, suffix, body in calls:
        for caller, headers in ((client, auth), (owner, {})):
            kw = {"json": body} if body is not None else {}
            resp = getattr(caller, method)(f"/api/v1/users/{theirs}{suffix}", headers=headers,
                                           **kw)
            assert resp.status_code == 404, (method, suffix, resp.json)
            assert resp.json["code"] == "not_found"
    assert row(ledger, theirs) == before
    assert audit_actions(ledger, other_account["id"]) == audit_before
    assert theirs not in [u["id"] for u in client.get("/api/v1/users", headers=auth)
                          .json["items"]]
    assert login(client.application, "zvezda-owner", "zvezda secret 1").status_code == 200
    with ledger.session(readonly=True) as s:
        assert s.scalar(select(UserSession).where(UserSession.user_id == theirs,
                                                  UserSession.ended_at.is_not(None))) is None
