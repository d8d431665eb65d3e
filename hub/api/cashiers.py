"""``/api/v1/cashiers``: the account's cashiers — the people named on receipts (FFD 1021 name,
1203 INN) — and which registers each may use.

A job names one with ``cashier_id``; the document then carries their name and INN and the job
records who. On a register whose universal cashier is off, every job must. A cashier limited
to some registers (``register_ids``) is refused on the others; with no registers given, they
may use all of the account's. Another account's cashier answers 404 like one that does not
exist.
"""
from __future__ import annotations

from flask import g, url_for
from marshmallow import RAISE, Schema, fields, validate

from fiscal.ledger import cashiers as ledger_cashiers
from fiscal.ledger.models import Cashier
from hub.api.auth import ledger, requires
from hub.api.errors import ApiError
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema, timestamp

bp = Blueprint("cashiers", __name__, url_prefix="/api/v1", description="The account's cashiers")
LOCATION = {"Location": {"description": "The cashier's URL", "schema": {"type": "string"}}}
NOT_FOUND = "No such cashier in this account (or they were deleted)"


def _name(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(1, ledger_cashiers.NAME_MAX), metadata={
        "example": "Иванова А.", "description": "As printed on receipts (FFD 1021, up to 64 "
        "characters)"}, **kwargs)


def _inn(**kwargs) -> fields.String:
    return fields.String(allow_none=True, validate=validate.Regexp(
        r"^[0-9]{12}$", error="A cashier's INN is 12 digits"), metadata={
        "example": "500100732259", "description": "The cashier's personal INN (FFD 1203, 12 "
        "digits); null for none"}, **kwargs)


def _register_ids(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(1, 64)), metadata={
        "description": "The registers they may use (the account's, not removed); empty: all"},
        **kwargs)


class CashierCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    name = _name(required=True)
    inn = _inn()
    register_ids = _register_ids(load_default=list)


class CashierEditSchema(Schema):
    """The fields to change; those left out stay as they are."""

    class Meta:
        unknown = RAISE

    name = _name()
    inn = _inn()
    register_ids = _register_ids()


class CashierRecordSchema(Schema):
    id = fields.String(required=True, metadata={"format": "uuid"})
    name = fields.String(required=True)
    inn = fields.String(required=True, allow_none=True)
    register_ids = fields.List(fields.String(), required=True, metadata={
        "description": "The registers they may use; empty: all of the account's"})
    created_at = timestamp("When they were added", required=True)


class CashierListSchema(Schema):
    items = fields.List(fields.Nested(CashierRecordSchema), required=True, metadata={
        "description": "The account's cashiers (deleted ones are left out), by name"})


def cashier_json(s, cashier: Cashier) -> dict:
    return {"id": cashier.id, "name": cashier.name, "inn": cashier.inn,
            "register_ids": ledger_cashiers.cashier_register_ids(s, cashier.id),
            "created_at": cashier.created_at.isoformat()}


def _cashier_or_404(s, cashier_id: str) -> Cashier:
    cashier = (ledger_cashiers.get_cashier(s, g.account_id, cashier_id)
               if "\x00" not in cashier_id else None)
    if cashier is None:
        raise ApiError(404, "not_found", f"No cashier {cashier_id!r} in this account")
    return cashier


@bp.route("/cashiers", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=CashierListSchema, success=True, description="The cashiers")
def list_cashiers():
    """List cashiers"""
    with ledger().session(readonly=True) as s:
        return {"items": [cashier_json(s, c)
                          for c in ledger_cashiers.list_cashiers(s, g.account_id)]}


@bp.route("/cashiers", methods=["POST"])
@requires(bp, "cashiers.manage")
@bp.arguments(CashierCreateSchema, example={"name": "Иванова А.", "inn": "500100732259"})
@bp.alt_response(201, schema=CashierRecordSchema, headers=LOCATION, success=True,
                 description="The new cashier")
@bp.alt_response(400, schema=ErrorSchema, description="The body is empty or not a JSON object")
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid (errors names it)")
def create_cashier(body: dict):
    """Add a cashier"""
    with ledger().session() as s:
        cashier = ledger_cashiers.create_cashier(s, g.account_id, actor=g.actor, **body)
        answer = cashier_json(s, cashier)
    return answer, 201, {"Location": url_for("cashiers.get_cashier", cashier_id=answer["id"])}


@bp.route("/cashiers/<cashier_id>", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=CashierRecordSchema, success=True, description="The cashier")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def get_cashier(cashier_id: str):
    """Read a cashier"""
    with ledger().session(readonly=True) as s:
        return cashier_json(s, _cashier_or_404(s, cashier_id))


@bp.route("/cashiers/<cashier_id>", methods=["PATCH"])
@requires(bp, "cashiers.manage")
@bp.arguments(CashierEditSchema, example={"register_ids": []})
@bp.alt_response(200, schema=CashierRecordSchema, success=True,
                 description="The changed cashier")
@bp.alt_response(400, schema=ErrorSchema, description="The body is empty or not a JSON object")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid (errors names it)")
def edit_cashier(body: dict, cashier_id: str):
    """Edit a cashier

    Their name, INN (null removes it) and the registers they may use (replaces the list).
    Jobs already accepted keep the name they were accepted with.
    """
    with ledger().session() as s:
        cashier = _cashier_or_404(s, cashier_id)
        ledger_cashiers.edit_cashier(s, cashier, actor=g.actor, **body)
        return cashier_json(s, cashier)


@bp.route("/cashiers/<cashier_id>", methods=["DELETE"])
@requires(bp, "cashiers.manage")
@bp.alt_response(204, success=True, description="Deleted")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def delete_cashier(cashier_id: str):
    """Delete a cashier

    Jobs can no longer name them; jobs already accepted still print with their name.
    """
    with ledger().session() as s:
        ledger_cashiers.delete_cashier(s, _cashier_or_404(s, cashier_id), actor=g.actor)
    return "", 204
