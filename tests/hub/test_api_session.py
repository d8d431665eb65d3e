"""Logging in and out, the session cookie, its CSRF token, the idle timeout, /me."""
from datetime import timedelta

from sqlalchemy import select

from conftest import PASSWORDS, UserClient
from fiscal.ledger import users as ledger_users
from fiscal.ledger.models import AuditEntry, User, UserSession


def idle(s, minutes):
    """Every live session was last seen ``minutes`` ago."""
    for row in s.scalars(select(UserSession).where(UserSession.ended_at.is_(None))):
        row.last_seen_at = row.last_seen_at - timedelta(minutes=minutes)


def login(client, who, password=None):
    return client.post("/api/v1/session", json={"login": who,
                                                "password": password or PASSWORDS[who]})


def test_login_sets_an_httponly_cookie_and_answers_who_and_the_csrf_token(app, people):
    client = app.test_client()
    resp = login(client, "operator")
    assert resp.status_code == 200
    cookie = resp.headers["Set-Cookie"]
    assert cookie.startswith("fiscalhub_session=") and "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
    body = resp.json
    assert (body["via"], body["role"], body["user"]["login"]) == ("session", "operator",
                                                                  "operator")
    assert len(body["csrf_token"]) == 64 and body["idle_timeout_seconds"] == 1800
    me = client.get("/api/v1/me")
    assert me.status_code == 200 and me.json["user"]["id"] == people["operator"]
    assert me.json["csrf_token"] == body["csrf_token"]


def test_wrong_password_and_unknown_login_get_the_same_401(app, people):
    client = app.test_client()
    wrong, unknown = login(client, "operator", "not it at all"), login(client, "nobody", "x" * 12)
    assert (wrong.status_code, unknown.status_code) == (401, 401)
    assert wrong.json == unknown.json == {"code": "bad_credentials",
                                          "message": "Wrong login or password"}
    assert "Set-Cookie" not in wrong.headers


def test_login_body_is_validated_field_by_field(app, people):
    resp = app.test_client().post("/api/v1/session", json={"login": "operator"})
    assert resp.status_code == 422
    assert resp.json["errors"] == {"password": ["Missing data for required field."]}


def test_blocked_user_cannot_log_in_and_their_session_ends_at_once(app, ledger, people):
    operator = UserClient(app, "operator", PASSWORDS["operator"])
    with ledger.session() as s:
        ledger_users.block_user(s, s.get(User, people["operator"]), actor="test")
    resp = operator.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.json["code"] == "session_ended" and resp.json["reason"] == "blocked"
    again = login(app.test_client(), "operator")
    assert again.status_code == 403 and again.json["code"] == "user_blocked"


def test_a_change_with_the_cookie_needs_the_csrf_token(app, people, ledger):
    user = UserClient(app, "operator", PASSWORDS["operator"])
    bare = user.client.patch("/api/v1/me", json={"language": "ru"})
    assert bare.status_code == 403 and bare.json["code"] == "csrf_failed"
    forged = user.client.patch("/api/v1/me", json={"language": "ru"},
                               headers={"X-CSRF-Token": "0" * 64})
    assert forged.status_code == 403
    with ledger.session() as s:
        assert s.get(User, people["operator"]).language == "en"     # nothing changed
    ok = user.patch("/api/v1/me", json={"language": "ru"})
    assert ok.status_code == 200 and ok.json["language"] == "ru"


def test_session_ends_after_the_idle_timeout_with_a_clear_answer(app, ledger, people):
    user = UserClient(app, "viewer", PASSWORDS["viewer"])
    assert user.get("/api/v1/me").status_code == 200
    with ledger.session() as s:        # 31 minutes pass without a request
        idle(s, minutes=31)
    resp = user.get("/api/v1/me")
    assert resp.status_code == 401
    assert resp.json["code"] == "session_ended" and resp.json["reason"] == "expired"
    assert "30 minutes without activity" in resp.json["message"]
    with ledger.session() as s:
        row = s.scalar(select(UserSession).where(UserSession.user_id == people["viewer"]))
        assert row.end_reason == "expired"


def test_idle_timeout_is_a_setting(settings, redis, ledger, people):
    from hub.app import create_app
    settings.session_idle_minutes = 5
    app = create_app(settings)
    user = UserClient(app, "viewer", PASSWORDS["viewer"])
    assert user.me["idle_timeout_seconds"] == 300
    with ledger.session() as s:
        idle(s, minutes=6)
    assert user.get("/api/v1/me").json["reason"] == "expired"


def test_logout_ends_the_session_and_clears_the_cookie(app, ledger, people):
    user = UserClient(app, "admin", PASSWORDS["admin"])
    token = user.client.get_cookie("fiscalhub_session").value
    resp = user.client.delete("/api/v1/session")
    assert resp.status_code == 204
    assert user.client.get_cookie("fiscalhub_session") is None
    user.client.set_cookie("fiscalhub_session", token)          # an old copy of the cookie
    again = user.get("/api/v1/me")
    assert again.status_code == 401 and again.json["reason"] == "logged_out"
    with ledger.session() as s:
        actions = list(s.scalars(select(AuditEntry.action).order_by(AuditEntry.id)))
    assert actions[-2:] == ["session.login", "session.logout"]


def test_one_time_password_must_be_changed_before_anything_else(app, ledger, account):
    with ledger.session() as s:
        _, otp = ledger_users.create_user(s, account["id"], login="newbie", name="New",
                                          role="operator", actor="test")
    user = UserClient(app, "newbie", otp)
    assert user.me["user"]["must_change_password"] is True
    blocked = user.get("/api/v1/jobs")
    assert blocked.status_code == 403 and blocked.json["code"] == "password_change_required"
    same = user.post("/api/v1/me/password", json={"current_password": otp, "new_password": otp})
    assert same.status_code == 422 and "new_password" in same.json["errors"] or \
        "password" in same.json["errors"]
    wrong = user.post("/api/v1/me/password", json={"current_password": "nope nope nope",
                                                   "new_password": "a brand new secret"})
    assert wrong.status_code == 422 and "current_password" in wrong.json["errors"]
    ok = user.post("/api/v1/me/password", json={"current_password": otp,
                                                "new_password": "a brand new secret"})
    assert ok.status_code == 204
    assert user.get("/api/v1/jobs").status_code == 200
    assert login(app.test_client(), "newbie", "a brand new secret").status_code == 200


def test_changing_the_password_ends_the_users_other_sessions(app, people):
    here = UserClient(app, "admin", PASSWORDS["admin"])
    elsewhere = UserClient(app, "admin", PASSWORDS["admin"])
    resp = here.post("/api/v1/me/password", json={"current_password": PASSWORDS["admin"],
                                                  "new_password": "admin's new secret"})
    assert resp.status_code == 204
    assert here.get("/api/v1/me").status_code == 200
    assert elsewhere.get("/api/v1/me").json["reason"] == "logged_out"


def test_me_with_an_api_key_names_the_key_and_the_admin_role(client, auth, account):
    resp = client.get("/api/v1/me", headers=auth)
    assert resp.status_code == 200
    assert (resp.json["via"], resp.json["role"], resp.json["user"]) == ("api_key", "admin", None)
    assert resp.json["api_key"]["prefix"] == account["key"].split("_")[1]
    profile = client.patch("/api/v1/me", json={"name": "x"}, headers=auth)
    assert profile.status_code == 403 and profile.json["code"] == "not_a_user"


def test_viewer_may_read_but_not_submit_jobs(as_user, register):
    from receipts import receipt_job
    viewer = as_user("viewer")
    assert viewer.get("/api/v1/jobs").status_code == 200
    resp = viewer.post("/api/v1/jobs", json=receipt_job(register["id"]))
    assert resp.status_code == 403 and resp.json["code"] == "forbidden"
    operator = as_user("operator")
    assert operator.post("/api/v1/jobs", json=receipt_job(register["id"])).status_code == 201


def test_no_credentials_is_401_naming_both_ways_in(client):
    resp = client.get("/api/v1/jobs")
    assert resp.status_code == 401 and "log in" in resp.json["message"]
