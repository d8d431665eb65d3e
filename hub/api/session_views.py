"""The dashboard's login: ``/api/v1/session`` (log in, log out) and ``/api/v1/me`` (who am I,
my profile, my password).

A login sets the ``fiscalhub_session`` cookie (HttpOnly, SameSite=Lax; Secure with
``FISCALHUB_COOKIE_SECURE``) and answers the session's CSRF token, which every change made with
the cookie sends back in ``X-CSRF-Token``. The session ends after
``FISCALHUB_SESSION_IDLE_MINUTES`` (30) without a request, at logout, and when the user is
blocked or deleted; the next request then answers 401 ``session_ended`` with the reason.
"""
from __future__ import annotations

from flask import g, make_response, request
from marshmallow import Schema, fields, validate

from fiscal.ledger import audit, sessions as ledger_sessions, users as ledger_users
from fiscal.ledger.models import Account, ApiKey, User
from hub.api.auth import (SESSION_COOKIE, csrf_token, idle_timeout, ledger, requires, settings)
from hub.api.errors import ApiError, invalid
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema
from hub.api.user_schemas import UserSchema, user_json

bp = Blueprint("session", __name__, url_prefix="/api/v1",
               description="Logging in to the dashboard, and one's own profile")


class LoginSchema(Schema):
    login = fields.String(required=True, validate=validate.Length(1, 254),
                          metadata={"example": "anna.petrova"})
    password = fields.String(required=True, validate=validate.Length(1, 256),
                             metadata={"format": "password"})


class AccountRefSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)


class ApiKeyRefSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)


class MeSchema(Schema):
    """Who the request acts for: a user (with a session) or an API key."""

    via = fields.String(required=True, validate=validate.OneOf(["session", "api_key"]))
    role = fields.String(required=True, metadata={
        "description": "The role the request acts with (an API key acts as admin)"})
    account = fields.Nested(AccountRefSchema, required=True)
    user = fields.Nested(UserSchema, required=True, allow_none=True)
    api_key = fields.Nested(ApiKeyRefSchema, required=True, allow_none=True)
    csrf_token = fields.String(required=True, allow_none=True, metadata={
        "description": "With a session: send it as X-CSRF-Token with every change"})
    idle_timeout_seconds = fields.Integer(required=True, allow_none=True, metadata={
        "description": "With a session: it ends after this long without a request"})


class ProfileSchema(Schema):
    name = fields.String(validate=validate.Length(1, 200))
    email = fields.String(allow_none=True, validate=validate.Length(max=254))
    language = fields.String(validate=validate.OneOf(ledger_users.LANGUAGES))


class PasswordChangeSchema(Schema):
    current_password = fields.String(required=True, validate=validate.Length(1, 256),
                                     metadata={"format": "password"})
    new_password = fields.String(required=True, validate=validate.Length(1, 256), metadata={
        "format": "password", "description": "At least 10 characters, not the login"})


def _me(s, principal, user: User | None) -> dict:
    account = s.get(Account, principal.account_id)
    key = s.get(ApiKey, principal.key_id) if principal.key_id else None
    return {"via": principal.via, "role": principal.role,
            "account": {"id": account.id, "name": account.name},
            "user": user_json(user) if user else None,
            "api_key": ({"id": key.id, "name": key.name, "prefix": key.prefix} if key else None),
            "csrf_token": principal.csrf_token,
            "idle_timeout_seconds": (int(idle_timeout().total_seconds())
                                     if principal.via == "session" else None)}


@bp.route("/session", methods=["POST"])
@bp.arguments(LoginSchema, example={"login": "anna.petrova", "password": "correct horse"})
@bp.alt_response(200, schema=MeSchema, success=True, description="Logged in: the "
                 "fiscalhub_session cookie is set; the answer carries the CSRF token",
                 headers={"Set-Cookie": {"description": "fiscalhub_session=…; HttpOnly; "
                                         "SameSite=Lax", "schema": {"type": "string"}}})
@bp.alt_response(401, schema=ErrorSchema, description="Wrong login or password "
                 "(bad_credentials; the same answer for a login that does not exist)")
@bp.alt_response(403, schema=ErrorSchema, description="The user is blocked (user_blocked)")
@bp.alt_response(422, schema=ErrorSchema, description="login or password missing")
def login(body: dict):
    """Log in

    Starts a session for the dashboard. A user with a one-time password can then only change
    it (POST /api/v1/me/password), read /api/v1/me and log out.
    """
    from hub.api.auth import Principal
    with ledger().session() as s:
        try:
            user = ledger_users.authenticate_user(s, body["login"], body["password"])
        except ledger_users.LoginRefused as exc:
            if exc.reason == "blocked":
                raise ApiError(403, "user_blocked", "This user is blocked; ask the account's "
                               "owner or administrator")
            raise ApiError(401, "bad_credentials", "Wrong login or password",
                           headers={"WWW-Authenticate": "Cookie"})
        token = ledger_sessions.start_session(s, user)
        audit.record(s, user.account_id, audit.user_actor(user.login), "session.login", "user",
                     user.id, {"login": user.login, "ip": request.remote_addr})
        principal = Principal(account_id=user.account_id, role=user.role,
                              actor=audit.user_actor(user.login), via="session",
                              user_id=user.id, csrf_token=csrf_token(token))
        body = _me(s, principal, user)
    resp = make_response(body, 200)
    resp.set_cookie(SESSION_COOKIE, token, httponly=True, samesite="Lax", path="/",
                    secure=settings().cookie_secure)
    return resp


@bp.route("/session", methods=["DELETE"])
@bp.alt_response(204, success=True, description="Logged out (also when there was no live "
                 "session); the cookie is cleared")
def logout():
    """Log out

    Ends the session of the cookie at once. Needs no CSRF token: the worst another site can do
    with it is log you out.
    """
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        with ledger().session() as s:
            user = ledger_sessions.end_session(s, token)
            if user is not None:
                audit.record(s, user.account_id, audit.user_actor(user.login), "session.logout",
                             "user", user.id, {"login": user.login})
    resp = make_response("", 204)
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@bp.route("/me", methods=["GET"])
@requires(bp, None, password_change_ok=True)
@bp.alt_response(200, schema=MeSchema, success=True, description="Who you are")
def me():
    """Who am I

    The user of the session (with the CSRF token) or the API key, the account and the role.
    """
    with ledger().session(readonly=True) as s:
        user = s.get(User, g.principal.user_id) if g.principal.user_id else None
        return _me(s, g.principal, user)


def _own_user(s) -> User:
    if g.principal.user_id is None:
        raise ApiError(403, "not_a_user", "An API key has no profile or password; log in as a "
                       "user")
    return s.get(User, g.principal.user_id)


@bp.route("/me", methods=["PATCH"])
@requires(bp, "profile.edit")
@bp.arguments(ProfileSchema, example={"language": "ru"})
@bp.alt_response(200, schema=UserSchema, success=True, description="The changed profile")
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid")
def edit_me(body: dict):
    """Edit my profile

    One's own name, email and dashboard language (en, ru).
    """
    with ledger().session() as s:
        user = _own_user(s)
        ledger_users.edit_user(s, user, actor=g.actor, **body)
        return user_json(user)


@bp.route("/me/password", methods=["POST"])
@requires(bp, None, password_change_ok=True)
@bp.arguments(PasswordChangeSchema)
@bp.alt_response(204, success=True, description="Changed; the session goes on")
@bp.alt_response(422, schema=ErrorSchema, description="The current password is wrong, or the "
                 "new one is too weak (errors names the field)")
def change_password(body: dict):
    """Change my password

    Also how a user replaces a one-time password; other sessions of the user end.
    """
    with ledger().session() as s:
        user = _own_user(s)
        if not ledger_users.check_password(user, body["current_password"]):
            raise invalid({"current_password": ["This is not your current password"]})
        ledger_users.set_password(s, user, body["new_password"], actor=g.actor)
        ledger_sessions.end_user_sessions(s, user.id, ledger_sessions.LOGGED_OUT,
                                          keep_token=request.cookies.get(SESSION_COOKIE))
    return "", 204
