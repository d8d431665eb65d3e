"""A fiscal receipt (FFD 1054 sell, sell_refund, buy, buy_refund) and the settlement rules it
shares with a correction: ``total = Σ amounts``, ``Σ payments ≥ total``, only cash beyond it."""
from __future__ import annotations

from collections.abc import Mapping

from marshmallow import ValidationError, fields, validate, validates_schema

from fiscal import money as m
from fiscal.model import Operation, PaymentType, REFUND_OF, Taxation
from fiscal.schemas.common import (BaseSchema, Choice, CustomerSchema, PaymentSchema,
                                   positive_money, text)
from fiscal.schemas.item import ItemSchema

MAX_ITEMS = 100
MAX_PAYMENTS = 10


def items_field(**kwargs) -> fields.List:
    return fields.List(fields.Nested(ItemSchema), validate=validate.Length(
        min=1, max=MAX_ITEMS, error=f"between 1 and {MAX_ITEMS} items"), **kwargs)


def payments_field(**kwargs) -> fields.List:
    return fields.List(fields.Nested(PaymentSchema), validate=validate.Length(
        min=1, max=MAX_PAYMENTS, error=f"between 1 and {MAX_PAYMENTS} payments"), **kwargs)


def _complete(data: Mapping, original, name: str, keys: set[str]) -> list | None:
    """``data[name]`` when every element of it loaded the ``keys`` it needs, else None.

    marshmallow keeps the valid part of a list with errors in the loaded data (an element
    with a bad field lacks that field; an element of the wrong type is left out), so a rule
    over the whole list runs only when the list is complete in what the rule reads.
    """
    loaded = data.get(name)
    raw = original.get(name) if isinstance(original, Mapping) else None
    if not loaded or not isinstance(raw, list) or len(loaded) != len(raw):
        return None
    if not all(isinstance(e, Mapping) and keys <= e.keys() for e in loaded):
        return None
    return loaded


def settlement_errors(data: Mapping, original) -> dict[str, list[str]]:
    """Errors of ``total`` against the items and of ``payments`` against the total.

    Each rule runs only when the fields it reads loaded without errors (those have their own).
    """
    errors: dict[str, list[str]] = {}
    total = data.get("total")
    items = _complete(data, original, "items", {"amount"})
    payments = _complete(data, original, "payments", {"type", "amount"})
    if total is not None and items is not None:
        items_sum = sum((item["amount"] for item in items), m.ZERO)
        if total != items_sum:
            errors["total"] = [f"total {total} is not the sum of item amounts {items_sum}"]
    if total is not None and payments is not None:
        paid = m.payments_total(payments)
        non_cash = m.payments_total(p for p in payments if p["type"] != PaymentType.CASH)
        if paid < total:
            errors["payments"] = [f"payments {paid} do not cover the total {total}"]
        elif non_cash > total:
            errors["payments"] = [
                f"non-cash payments {non_cash} exceed the total {total}: "
                "only cash may exceed it (the change)"]
    return errors


class SettledSchema(BaseSchema):
    """A document that settles a total with payments (receipts and corrections)."""

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _settlement(self, data, original, **kwargs):
        errors = settlement_errors(data, original)
        if errors:
            raise ValidationError(errors)


class ReceiptSchema(SettledSchema):
    """A receipt. ``paperless`` needs a customer email or phone; ``refund_of`` (the id of the
    job refunded) is only for ``sell_refund`` / ``buy_refund``."""

    operation = Choice(Operation, required=True)                        # 1054
    taxation = Choice(Taxation, required=True)                          # 1055
    items = items_field(required=True)
    payments = payments_field(required=True)
    customer = fields.Nested(CustomerSchema)                            # 1008, 1227, 1228
    total = positive_money("total", required=True)                      # 1020
    paperless = fields.Boolean(load_default=False)
    refund_of = text(1, 128, "refund_of")

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _paperless_needs_contact(self, data, original, **kwargs):
        if data.get("paperless") is not True:
            return
        customer = original.get("customer") if isinstance(original, Mapping) else None
        if customer is not None and not isinstance(customer, Mapping):
            return                                   # the customer has an error of its own
        # A contact that is given but invalid has its own error at customer.email / .phone.
        if not (customer and ({"email", "phone"} & customer.keys())):
            raise ValidationError(
                "a paperless receipt needs a customer email or phone to send it to",
                field_name="customer")

    @validates_schema(skip_on_field_errors=False)
    def _refund_of_only_on_refunds(self, data, **kwargs):
        operation = data.get("operation")
        if "refund_of" in data and operation is not None and operation not in REFUND_OF:
            raise ValidationError(
                f"refund_of is only allowed on sell_refund or buy_refund, not on {operation}",
                field_name="refund_of")
