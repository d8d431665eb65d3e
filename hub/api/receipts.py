"""Manual receipts: a receipt composed in a form (the dashboard's, or an integrator's) and sent
to print.

The form is flat where a form has one input per value (``cashier_name``, ``customer_email``)
and gives defaults a cashier expects: an item's ``amount`` is ``price × quantity`` and the
``total`` their sum unless given (then they must match); ``vat``, ``payment_method`` (FFD 1214)
and ``payment_object`` (1212) given once apply to every item that does not say otherwise;
``payment_type`` pays the whole total one way instead of listing ``payments``. It becomes a
canonical receipt job through the same schema and intake as ``POST /api/v1/jobs``
(``load_job`` + ``accept_job``), and every error is reported at the form's own field.
"""
from __future__ import annotations

from decimal import Decimal

from flask import g, url_for
from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from fiscal import money as m
from fiscal.ledger import audit
from fiscal.model import Operation, PaymentMethod, PaymentObject, PaymentType, Taxation, Vat
from fiscal.schemas import MEASURES, PaymentSchema, Quantity, load_job
from fiscal.schemas.common import (MAX_QUANTITY, Choice, non_negative_money, positive_money,
                                   text)
from hub.api.auth import ledger, requires
from hub.api.errors import ApiError, invalid
from hub.api.job_intake import accept_job
from hub.api.job_views import job_json
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema, JobRecordSchema

bp = Blueprint("receipts", __name__, url_prefix="/api/v1", description="Manual receipts")
LOCATION = {"Location": {"description": "The job's URL", "schema": {"type": "string"}}}
ITEM_DEFAULTS = ("vat", "payment_method", "payment_object")


class ManualItemSchema(Schema):
    """One line of the receipt."""

    name = text(1, 128, "item name", required=True)
    price = non_negative_money("price", required=True, metadata={
        "description": "Price of one unit (VAT included)"})
    quantity = Quantity(load_default="1", validate=[
        validate.Range(min=0, min_inclusive=False,
                       error="quantity must be greater than 0, got {input} (a refund is a "
                             "*_refund operation with positive quantities)"),
        validate.Range(max=MAX_QUANTITY,
                       error=f"quantity must be at most {MAX_QUANTITY}, got {{input}}")],
        metadata={"description": "1 when left out"})
    amount = non_negative_money("amount", metadata={
        "description": "price × quantity when left out"})
    vat = Choice(Vat, metadata={"description": "The receipt's vat when left out"})
    payment_method = Choice(PaymentMethod, metadata={
        "description": "FFD 1214; the receipt's payment_method when left out"})
    payment_object = Choice(PaymentObject, metadata={
        "description": "FFD 1212; the receipt's payment_object when left out"})
    measure = Choice(MEASURES, metadata={"description": "FFD 2108; piece when left out"})
    sku = text(1, 64, "sku")


class ManualReceiptSchema(Schema):
    """A receipt as a form composes it."""

    register = text(1, 128, "register", metadata={"description": "The register to print on"})
    register_group = text(1, 128, "register_group", metadata={
        "description": "Or a group: its first active, least-loaded register"})
    cashier_id = text(1, 64, "cashier_id", metadata={
        "description": "One of the account's cashiers (required when the register's universal "
                       "cashier is off)"})
    cashier_name = text(1, 64, "cashier_name", metadata={
        "description": "Or the cashier's name as printed (FFD 1021)"})
    cashier_inn = fields.String(metadata={"description": "The cashier's INN (FFD 1203)"})
    operation = Choice(Operation, required=True, metadata={"description": "FFD 1054"})
    taxation = Choice(Taxation, required=True, metadata={"description": "FFD 1055"})
    vat = Choice(Vat, metadata={"description": "Every item's VAT unless the item says"})
    payment_method = Choice(PaymentMethod, metadata={
        "description": "FFD 1214 of every item unless the item says (full_payment otherwise)"})
    payment_object = Choice(PaymentObject, metadata={
        "description": "FFD 1212 of every item unless the item says (commodity otherwise)"})
    items = fields.List(fields.Nested(ManualItemSchema), required=True,
                        validate=validate.Length(min=1, max=100,
                                                 error="between 1 and 100 items"))
    payments = fields.List(fields.Nested(PaymentSchema), metadata={
        "description": "How it was paid (types and amounts); or payment_type"})
    payment_type = Choice(PaymentType, metadata={
        "description": "The whole total paid this one way; or payments"})
    total = positive_money("total", metadata={"description": "The sum of the items when left out"})
    customer_email = fields.String(metadata={"description": "Where the receipt is sent (1008)"})
    customer_phone = fields.String(metadata={"description": "Or a phone, +7… (1008)"})
    paperless = fields.Boolean(metadata={"description": "Send it electronically, print nothing"})
    refund_of = text(1, 128, "refund_of", metadata={
        "description": "sell_refund / buy_refund: the receipt job refunded"})
    idempotency_key = text(1, 128, "idempotency_key", metadata={
        "description": "Makes the request safe to retry: the same key with the same receipt "
                       "answers 200 with the first job; with another, 409"})

    @validates_schema(skip_on_field_errors=False)
    def _one_of_each(self, data, **kwargs):
        errors = {}
        if "payments" in data and "payment_type" in data:
            errors["payment_type"] = ["give payments or payment_type, not both"]
        elif "payments" not in data and "payment_type" not in data:
            errors["payments"] = ["give payments (types and amounts), or payment_type to pay "
                                  "the whole total one way"]
        if "cashier_id" in data and "cashier_name" in data:
            errors["cashier_name"] = ["give cashier_id or cashier_name, not both"]
        if "cashier_inn" in data and "cashier_name" not in data:
            errors["cashier_inn"] = ["give the cashier's name (cashier_name) with the INN"]
        for n, item in enumerate(data.get("items") or []):
            if "vat" not in item and "vat" not in data:
                errors.setdefault("items", {})[n] = {
                    "vat": ["give the item's vat, or vat for the whole receipt"]}
        if errors:
            raise ValidationError(errors)


def canonical_job(form: dict) -> dict:
    """The canonical receipt job (as posted to ``POST /api/v1/jobs``) of a loaded form."""
    items = []
    for line in form["items"]:
        item = {k: v for k, v in line.items()}
        for key in ITEM_DEFAULTS:
            if key not in item and key in form:
                item[key] = form[key]
        item.setdefault("amount", m.line_amount(item["price"], item["quantity"]))
        items.append(item)
    total = form.get("total", sum((i["amount"] for i in items), m.ZERO))
    receipt = {"operation": form["operation"], "taxation": form["taxation"], "items": items,
               "total": total,
               "payments": form.get("payments") or [{"type": form.get("payment_type"),
                                                     "amount": total}]}
    customer = {k: form[f"customer_{k}"] for k in ("email", "phone") if f"customer_{k}" in form}
    if customer:
        receipt["customer"] = customer
    for key in ("paperless", "refund_of"):
        if key in form:
            receipt[key] = form[key]
    job = {"kind": "receipt", "receipt": receipt}
    for key in ("register", "register_group", "cashier_id", "idempotency_key"):
        if key in form:
            job[key] = form[key]
    if "cashier_name" in form:
        job["cashier"] = {"name": form["cashier_name"],
                          **({"inn": form["cashier_inn"]} if "cashier_inn" in form else {})}
    return _json_ready(job)


def _json_ready(value):
    """Decimals as strings, as a client would post them (the schema loads them again)."""
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json_ready(v) for v in value]
    return str(value) if isinstance(value, Decimal) else value


def form_errors(errors: dict, form: dict) -> dict:
    """A canonical job's errors at the form's fields."""
    out = {}
    for key, messages in errors.items():
        if key == "cashier":
            inner = messages if isinstance(messages, dict) else {"name": messages}
            for field, msgs in inner.items():
                out["cashier_inn" if field == "inn" else "cashier_name"] = msgs
        elif key == "receipt" and isinstance(messages, dict):
            for field, msgs in messages.items():
                if field == "customer":
                    inner = msgs if isinstance(msgs, dict) else {"email": msgs}
                    for sub, sub_msgs in inner.items():
                        out["customer_phone" if sub == "phone" else "customer_email"] = sub_msgs
                elif field == "payments" and "payment_type" in form:
                    out["payment_type"] = msgs
                else:
                    out[field] = msgs
        else:
            out[key] = messages
    return out


@bp.route("/receipts", methods=["POST"])
@requires(bp, "jobs.create")
@bp.arguments(ManualReceiptSchema(), description="The receipt as composed in a form", example={
    "register": "<register id>", "cashier_name": "Иванова А.", "operation": "sell",
    "taxation": "usn_income", "vat": "none", "payment_object": "service",
    "items": [{"name": "Проживание, 1 ночь", "price": "4500.00"},
              {"name": "Завтрак", "price": "450.00", "quantity": "2"}],
    "payment_type": "electronic", "customer_email": "guest@example.com"})
@bp.alt_response(201, schema=JobRecordSchema, headers=LOCATION, success=True,
                 description="The receipt job was received")
@bp.alt_response(200, schema=JobRecordSchema, headers=LOCATION, success=True,
                 description="The idempotency_key was used before for the same receipt: that job")
@bp.alt_response(400, schema=ErrorSchema, description="The body is empty, not JSON, or not a "
                 "JSON object")
@bp.alt_response(409, schema=ErrorSchema,
                 description="The idempotency_key was used before for a different job")
@bp.alt_response(422, schema=ErrorSchema, description="The receipt is not valid: errors names "
                 "each field of the form (items.<n>.<field>, payments, total, customer_email, "
                 "cashier_id, register, …)")
def create_receipt(form: dict):
    """Compose a receipt and send it to print

    A form-friendly receipt (register, cashier, operation, taxation, payment method and object,
    payments, items, customer contact) becomes a canonical receipt job validated like every
    job; the amounts and the total are computed when left out. 201 with the job.
    """
    try:
        job = load_job(canonical_job(form))
    except ValidationError as exc:
        raise invalid(form_errors(exc.messages, form), "The receipt is not valid")
    with ledger().session() as s:
        try:
            row, created = accept_job(s, g.account_id, g.actor, job)
        except ApiError as exc:
            raise ApiError(exc.status, exc.code, exc.message,
                           form_errors(exc.errors, form) if exc.errors else None)
        if created:
            audit.record(s, g.account_id, g.actor, "job.manual_receipt", "job", row.id,
                         {"register": row.register_id, "operation": row.operation,
                          "total": str(row.total)})
        body = job_json(row)
    return body, 201 if created else 200, {"Location": url_for("jobs.get_job", job_id=body["id"])}
