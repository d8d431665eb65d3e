"""``/api/v1/users``: the account's users — list, add, read, edit, block, unblock, delete, and
set or reset a password.

Who may do what is ``hub.roles``: reading needs ``users.read``; every change needs
``users.manage`` and ``can_manage_user`` for the user's role (and for the new role): an admin
(or an API key, which acts as admin) manages admins, operators and viewers, only an owner
touches an owner. The ledger refuses to take away the account's last active owner (409
``last_owner``). Nobody blocks, deletes or resets the password of their own user here (409
``own_user``): one's own password is changed with ``POST /api/v1/me/password``, which asks for
the current one. Another account's user answers 404 like a user that does not exist.
"""
from __future__ import annotations

from flask import g, url_for
from marshmallow import RAISE, Schema, fields, validate

from fiscal.ledger import passwords, sessions as ledger_sessions, users as ledger_users
from fiscal.ledger.models import User
from hub.api.auth import forbidden, ledger, requires
from hub.api.errors import ApiError
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema, StrictBoolean
from hub.api.user_schemas import UserSchema, user_json
from hub.roles import ROLES, can_manage_user

bp = Blueprint("users", __name__, url_prefix="/api/v1",
               description="The account's users: add, edit, block, delete; roles and passwords")

# Why the sessions of a user whose password an administrator set have ended (the 401's reason).
PASSWORD_RESET = ledger_sessions.PASSWORD_RESET
LOCATION = {"Location": {"description": "The user's URL", "schema": {"type": "string"}}}
USER_PATH = "/users/<user_id>"


def _password_field(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(passwords.MIN_LENGTH, passwords.MAX_LENGTH),
                         metadata={"format": "password", "description": (
                             f"At least {passwords.MIN_LENGTH} characters, not the login. "
                             "Leave it out to have a one-time password generated")}, **kwargs)


class UserCreateSchema(Schema):
    """A new user. Without ``password`` a one-time password is generated and answered once."""

    class Meta:
        unknown = RAISE

    login = fields.String(required=True, validate=validate.Length(3, 64), metadata={
        "example": "anna.petrova", "description": "3 to 64 letters, digits and . _ @ -, "
        "starting with a letter or digit; unique across the hub (stored lower-cased)"})
    name = fields.String(required=True, validate=validate.Length(1, 200),
                         metadata={"example": "Anna Petrova"})
    email = fields.String(allow_none=True, validate=validate.Length(max=254),
                          metadata={"example": "anna@hotel-sever.example"})
    role = fields.String(required=True, validate=validate.OneOf(ROLES), metadata={
        "description": "owner, admin, operator or viewer; only an owner adds an owner"})
    language = fields.String(load_default="en", validate=validate.OneOf(ledger_users.LANGUAGES),
                             metadata={"description": "The dashboard's language (default en)"})
    password = _password_field()
    must_change_password = StrictBoolean(metadata={
        "description": "The user must choose their own password at the first login; by "
                       "default true for a generated password and false for a given one"})


class UserEditSchema(Schema):
    """The fields to change; those left out stay as they are."""

    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(1, 200))
    email = fields.String(allow_none=True, validate=validate.Length(max=254),
                          metadata={"description": "null removes it"})
    role = fields.String(validate=validate.OneOf(ROLES), metadata={
        "description": "Only an owner makes a user owner or changes an owner's role; the last "
                       "active owner keeps the role"})
    language = fields.String(validate=validate.OneOf(ledger_users.LANGUAGES))


class PasswordSetSchema(Schema):
    """An administrator sets or resets a user's password."""

    class Meta:
        unknown = RAISE

    password = _password_field()
    must_change_password = StrictBoolean(load_default=True, metadata={
        "description": "The user must choose their own password at the next login (default "
                       "true)"})


class UserListSchema(Schema):
    items = fields.List(fields.Nested(UserSchema), required=True, metadata={
        "description": "The account's users (deleted ones are left out), oldest first"})


class UserWithPasswordSchema(UserSchema):
    """A user, and the one-time password generated for them (shown this once)."""

    one_time_password = fields.String(required=True, allow_none=True, metadata={
        "example": "k7Qm-2xRt-Hn4p",
        "description": "The generated password, shown only in this answer: hand it to the "
                       "user, who must change it at the first login. null when the request "
                       "gave the password"})


NOT_FOUND = "No such user in this account (or it was deleted)"
OWN_USER = ("409: own_user — not on your own user (use POST /api/v1/me/password for your "
            "password); last_owner — the account's last active owner")


def _user_or_404(s, user_id: str) -> User:
    user = ledger_users.get_user(s, g.account_id, user_id) if "\x00" not in user_id else None
    if user is None:
        raise ApiError(404, "not_found", f"No user {user_id!r} in this account")
    return user


def _may_manage(target_role: str, new_role: str | None = None) -> None:
    if not can_manage_user(g.principal.role, target_role, new_role):
        raise forbidden(g.principal, "owners.manage")


def _not_own(user: User, what: str, hint: str = "") -> None:
    if g.principal.user_id == user.id:
        raise ApiError(409, "own_user", f"You cannot {what} your own user{hint}; ask another "
                       "owner or administrator")


@bp.route("/users", methods=["GET"])
@requires(bp, "users.read")
@bp.alt_response(200, schema=UserListSchema, success=True, description="The account's users")
def list_users():
    """List the users

    Every user of the account that is not deleted, blocked ones included, oldest first.
    """
    with ledger().session(readonly=True) as s:
        return {"items": [user_json(u) for u in ledger_users.list_users(s, g.account_id)]}


@bp.route("/users", methods=["POST"])
@requires(bp, "users.manage")
@bp.arguments(UserCreateSchema, example={"login": "anna.petrova", "name": "Anna Petrova",
                                         "email": "anna@hotel-sever.example",
                                         "role": "operator", "language": "ru"})
@bp.alt_response(201, schema=UserWithPasswordSchema, headers=LOCATION, success=True,
                 description="Added; one_time_password is shown this once when none was given")
@bp.alt_response(409, schema=ErrorSchema, description="The login is taken (login_taken)")
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid or the password "
                 "is too weak (errors names the field)")
def create_user(body: dict):
    """Add a user

    Without a password, one is generated, answered once in one_time_password and must be
    changed at the first login. Only an owner adds an owner (403 otherwise).
    """
    _may_manage(body["role"])
    with ledger().session() as s:
        user, otp = ledger_users.create_user(s, g.account_id, actor=g.actor, **body)
        out = {**user_json(user), "one_time_password": otp}
    return out, 201, {"Location": url_for("users.get_user", user_id=out["id"])}


@bp.route(USER_PATH, methods=["GET"])
@requires(bp, "users.read")
@bp.alt_response(200, schema=UserSchema, success=True, description="The user")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def get_user(user_id: str):
    """Read a user"""
    with ledger().session(readonly=True) as s:
        return user_json(_user_or_404(s, user_id))


@bp.route(USER_PATH, methods=["PATCH"])
@requires(bp, "users.manage")
@bp.arguments(UserEditSchema, example={"role": "admin"})
@bp.alt_response(200, schema=UserSchema, success=True, description="The changed user")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description="The last active owner cannot be given "
                 "another role (last_owner)")
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid (errors names it)")
def edit_user(body: dict, user_id: str):
    """Edit a user

    Name, email, role and dashboard language. Giving or taking away the owner role, or editing
    an owner, needs an owner (403 otherwise).
    """
    with ledger().session() as s:
        user = _user_or_404(s, user_id)
        _may_manage(user.role, body.get("role"))
        ledger_users.edit_user(s, user, actor=g.actor, **body)
        return user_json(user)


@bp.route(USER_PATH, methods=["DELETE"])
@requires(bp, "users.manage")
@bp.alt_response(204, success=True, description="Deleted; the user's sessions have ended")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description=OWN_USER)
def delete_user(user_id: str):
    """Delete a user

    The user disappears from the account and cannot log in; their sessions end at once. Their
    login stays taken (the audit log names them by it).
    """
    with ledger().session() as s:
        user = _user_or_404(s, user_id)
        _may_manage(user.role)
        _not_own(user, "delete")
        ledger_users.delete_user(s, user, actor=g.actor)
    return "", 204


@bp.route(USER_PATH + "/block", methods=["POST"])
@requires(bp, "users.manage")
@bp.alt_response(200, schema=UserSchema, success=True, description="Blocked (also when it "
                 "already was); the user's sessions have ended")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description=OWN_USER)
def block_user(user_id: str):
    """Block a user

    A blocked user cannot log in, and every session they have ends now (their next request
    answers 401 session_ended). Unblock gives the login back.
    """
    with ledger().session() as s:
        user = _user_or_404(s, user_id)
        _may_manage(user.role)
        _not_own(user, "block")
        ledger_users.block_user(s, user, actor=g.actor)
        return user_json(user)


@bp.route(USER_PATH + "/unblock", methods=["POST"])
@requires(bp, "users.manage")
@bp.alt_response(200, schema=UserSchema, success=True, description="Unblocked (also when it "
                 "was not blocked)")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def unblock_user(user_id: str):
    """Unblock a user

    The user may log in again (their old sessions stay ended).
    """
    with ledger().session() as s:
        user = _user_or_404(s, user_id)
        _may_manage(user.role)
        ledger_users.unblock_user(s, user, actor=g.actor)
        return user_json(user)


@bp.route(USER_PATH + "/password", methods=["POST"])
@requires(bp, "users.manage")
@bp.arguments(PasswordSetSchema, example={})
@bp.alt_response(200, schema=UserWithPasswordSchema, success=True, description="Set; "
                 "one_time_password is shown this once when none was given")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description="own_user: change your own password "
                 "with POST /api/v1/me/password")
@bp.alt_response(422, schema=ErrorSchema, description="The password is too weak (errors "
                 "names it)")
def set_password(body: dict, user_id: str):
    """Set or reset a user's password

    For a user who forgot theirs, or whose password may be known to others: without a
    password one is generated and answered once. The user's sessions end at once (401
    session_ended, reason password_reset); by default they must choose their own password at
    the next login.
    """
    with ledger().session() as s:
        user = _user_or_404(s, user_id)
        _may_manage(user.role)
        _not_own(user, "reset the password of", " here (use POST /api/v1/me/password)")
        otp = None
        password = body.get("password")
        if password is None:
            password = otp = passwords.one_time_password()
        ledger_users.set_password(s, user, password, actor=g.actor,
                                  must_change=body["must_change_password"])
        ledger_sessions.end_user_sessions(s, user.id, PASSWORD_RESET)
        return {**user_json(user), "one_time_password": otp}
