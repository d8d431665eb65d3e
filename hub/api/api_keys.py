"""``/api/v1/api-keys``: the account's API keys — list, issue, delete.

A key is ``fh_<prefix>_<secret>``. The full key is answered once, when it is issued; the hub
keeps only its hash, and shows the prefix and the name to tell keys apart. A deleted key is
refused (401) from the next request on — also the key that deleted itself. Every issue and
delete writes an audit entry (name and prefix, never the secret). Listing needs
``api_keys.read``, issuing and deleting ``api_keys.manage`` (owners and admins; a key acts as
admin, so a key may issue and delete keys).
"""
from __future__ import annotations

from flask import g
from marshmallow import RAISE, Schema, fields, validate

from fiscal.ledger import accounts
from fiscal.ledger.models import ApiKey
from hub.api.auth import ledger, requires
from hub.api.errors import ApiError
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema, timestamp

bp = Blueprint("api_keys", __name__, url_prefix="/api/v1",
               description="The account's API keys: issue (shown once), list, delete")


class ApiKeyCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    name = fields.String(required=True, validate=validate.Length(1, 200), metadata={
        "example": "Clock PMS", "description": "Who or what uses the key (1 to 200 characters)"})


class ApiKeySchema(Schema):
    """An API key as the account sees it: never the secret, nor its hash."""

    id = fields.String(required=True, metadata={"format": "uuid"})
    name = fields.String(required=True, metadata={"example": "Clock PMS"})
    prefix = fields.String(required=True, metadata={
        "example": "3f9a1c0b", "description": "The part after fh_ that the key starts with: "
                                              "it tells the keys apart (fh_3f9a1c0b_…)"})
    created_at = timestamp("When it was issued", required=True)
    created_by = fields.String(required=True, allow_none=True, metadata={
        "example": "user:anna.petrova", "description": "Who issued it, as the audit log names "
                                                       "actors (user:<login>, api_key:<prefix>, "
                                                       "cli); null when not known"})
    last_used_at = timestamp("When a request last used it (updated at most once a minute); "
                             "null when never", required=True, allow_none=True)
    current = fields.Boolean(required=True, metadata={
        "description": "Whether this is the key the request was made with"})


class ApiKeyIssuedSchema(ApiKeySchema):
    """A key just issued, with the full key: shown this once."""

    key = fields.String(required=True, metadata={
        "format": "password", "example": "fh_3f9a1c0b_Jx…",
        "description": "The full key, shown only in this answer: store it where the client "
                       "keeps secrets and send it as 'Authorization: Bearer <key>'"})


class ApiKeyListSchema(Schema):
    items = fields.List(fields.Nested(ApiKeySchema), required=True, metadata={
        "description": "The account's keys, oldest first (deleted ones are left out)"})


def _iso(dt) -> str | None:
    return dt.isoformat() if dt else None


def key_json(key: ApiKey, created_by: str | None) -> dict:
    return {"id": key.id, "name": key.name, "prefix": key.prefix,
            "created_at": _iso(key.created_at), "created_by": created_by,
            "last_used_at": _iso(key.last_used_at), "current": key.id == g.principal.key_id}


@bp.route("/api-keys", methods=["GET"])
@requires(bp, "api_keys.read")
@bp.alt_response(200, schema=ApiKeyListSchema, success=True, description="The account's keys")
def list_api_keys():
    """List the API keys

    Name, prefix, who issued it and when it was last used; never the secret.
    """
    with ledger().session(readonly=True) as s:
        keys = accounts.list_api_keys(s, g.account_id)
        creators = accounts.key_creators(s, g.account_id, [k.id for k in keys])
        return {"items": [key_json(k, creators.get(k.id)) for k in keys]}


@bp.route("/api-keys", methods=["POST"])
@requires(bp, "api_keys.manage")
@bp.arguments(ApiKeyCreateSchema, example={"name": "Clock PMS"})
@bp.alt_response(201, schema=ApiKeyIssuedSchema, success=True,
                 description="Issued: the full key is in key, shown this once")
@bp.alt_response(422, schema=ErrorSchema, description="The name is missing or not valid")
def create_api_key(body: dict):
    """Issue an API key

    The answer carries the full key this once; the hub stores only its hash. An account may
    have as many keys as it wants (one per system that calls the API is easiest to revoke).
    """
    with ledger().session() as s:
        row, key = accounts.create_api_key(s, g.account_id, body["name"], actor=g.actor)
        return {**key_json(row, g.actor), "key": key}, 201


@bp.route("/api-keys/<key_id>", methods=["DELETE"])
@requires(bp, "api_keys.manage")
@bp.alt_response(204, success=True, description="Deleted: the key is refused from now on")
@bp.alt_response(404, schema=ErrorSchema, description="No such key in this account (or it was "
                 "deleted already)")
def delete_api_key(key_id: str):
    """Delete an API key

    Works at once: the next request with the key answers 401. A key may delete itself.
    """
    with ledger().session() as s:
        row = accounts.get_api_key(s, g.account_id, key_id) if "\x00" not in key_id else None
        if row is None:
            raise ApiError(404, "not_found", f"No API key {key_id!r} in this account")
        accounts.revoke_api_key(s, row, actor=g.actor)
    return "", 204
