"""How a user looks in the API (the users endpoints and ``/me`` answer the same shape)."""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from fiscal.ledger.models import User
from fiscal.ledger.users import LANGUAGES, ROLES
from hub.api.schemas import timestamp


def _iso(dt) -> str | None:
    return dt.isoformat() if dt else None


def user_json(user: User) -> dict:
    return {"id": user.id, "login": user.login, "name": user.name, "email": user.email,
            "role": user.role, "language": user.language, "blocked": user.blocked_at is not None,
            "blocked_at": _iso(user.blocked_at),
            "must_change_password": user.must_change_password,
            "created_at": _iso(user.created_at), "last_login_at": _iso(user.last_login_at)}


class UserSchema(Schema):
    """A user of the account (never the password or its hash)."""

    id = fields.String(required=True, metadata={"format": "uuid"})
    login = fields.String(required=True, metadata={"example": "anna.petrova"})
    name = fields.String(required=True, metadata={"example": "Anna Petrova"})
    email = fields.String(required=True, allow_none=True)
    role = fields.String(required=True, validate=validate.OneOf(ROLES))
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES), metadata={
        "description": "The dashboard's language for this user"})
    blocked = fields.Boolean(required=True)
    blocked_at = timestamp("When the user was blocked", required=True, allow_none=True)
    must_change_password = fields.Boolean(required=True, metadata={
        "description": "The password is a one-time password: the user must choose their own "
                       "before doing anything else"})
    created_at = timestamp("When the user was added", required=True)
    last_login_at = timestamp("The user's last login", required=True, allow_none=True)
