"""``/api/v1/audit-log``: who did what in the account, newest first.

Entries are written by the ledger in the same transaction as the change they describe (users,
API keys, logins, cashiers, registers…). An actor is ``user:<login>``, ``api_key:<prefix>`` or
``cli``. Pages are a keyset on the entry's id: a deep page costs what the first does, and
entries written while an operator pages through neither repeat nor go missing. Reading needs
``audit.read`` (owners and admins, and API keys).
"""
from __future__ import annotations

from flask import g
from marshmallow import RAISE, Schema, fields, validate

from fiscal.ledger.audit import MAX_LIMIT, InvalidCursor, list_audit
from fiscal.ledger.models import AuditEntry
from hub.api.auth import ledger, requires
from hub.api.errors import bad_cursor
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema, timestamp

bp = Blueprint("audit_log", __name__, url_prefix="/api/v1",
               description="The audit log: who did what, and when")


class AuditQuerySchema(Schema):
    """The page and the filters (query parameters); unknown parameters are refused."""

    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT),
                           metadata={"description": f"Entries per page (1 to {MAX_LIMIT})"})
    cursor = fields.String(validate=validate.Length(max=40), metadata={
        "description": "The next_cursor of the previous page"})
    actor = fields.String(validate=validate.Length(1, 200), metadata={
        "example": "user:anna.petrova",
        "description": "Only entries of this actor: user:<login>, api_key:<prefix> or cli"})
    action = fields.List(fields.String(validate=validate.Length(1, 64)), metadata={
        "example": ["user.block", "user.delete"],
        "description": "Only these actions (user.create, user.edit, user.block, user.unblock, "
                       "user.delete, user.set_password, session.login, session.logout, "
                       "api_key.create, api_key.delete, …): repeat the parameter or separate "
                       "values by commas"})
    target_type = fields.String(validate=validate.Length(1, 32), metadata={
        "example": "user", "description": "Only entries about this kind of object (user, "
                                          "api_key, account, register, cashier, …)"})
    target_id = fields.String(validate=validate.Length(1, 64), metadata={
        "description": "Only entries about this object (its id)"})


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "Grows with every entry"})
    at = timestamp("When", required=True)
    actor = fields.String(required=True, metadata={
        "example": "user:anna.petrova", "description": "Who: user:<login>, api_key:<prefix> "
                                                       "or cli"})
    action = fields.String(required=True, metadata={"example": "user.block"})
    target_type = fields.String(required=True, metadata={"example": "user"})
    target_id = fields.String(required=True, allow_none=True)
    details = fields.Dict(required=True, allow_none=True, metadata={
        "description": "What changed (e.g. {\"login\": …, \"changes\": {\"role\": [old, "
                       "new]}}); never a password or a key"})


class AuditPageSchema(Schema):
    """A page of the audit log, newest first."""

    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass it as cursor for the next page (with the same filters); null on "
                       "the last page"})


def entry_json(e: AuditEntry) -> dict:
    return {"id": e.id, "at": e.at.isoformat(), "actor": e.actor, "action": e.action,
            "target_type": e.target_type, "target_id": e.target_id, "details": e.details}


def audit_page(s, account_id: str, args: dict) -> dict:
    """The page ``args`` (loaded :class:`AuditQuerySchema`) asks for: newest first, keyset on
    the id, the filters on top."""
    try:
        rows, next_cursor = list_audit(
            s, account_id, args["limit"], args.get("cursor"), actor=args.get("actor"),
            actions=args.get("action"), target_type=args.get("target_type"),
            target_id=args.get("target_id"))
    except InvalidCursor:
        raise bad_cursor() from None
    return {"items": [entry_json(e) for e in rows], "next_cursor": next_cursor}


@bp.route("/audit-log", methods=["GET"])
@requires(bp, "audit.read")
@bp.arguments(AuditQuerySchema(), location="query", unknown=RAISE)
@bp.alt_response(200, schema=AuditPageSchema, success=True, description="A page of entries")
@bp.alt_response(422, schema=ErrorSchema, description="A parameter is not valid (errors "
                 "names it), or the cursor is not one this API gave out")
def read_audit_log(args: dict):
    """Read the audit log

    Newest first; filter by actor, action, target_type and target_id; pass next_cursor as
    cursor (with the same filters) for the next page.
    """
    with ledger().session(readonly=True) as s:
        return audit_page(s, g.account_id, args)
