"""An item of a receipt or a correction (FFD 1059)."""
from __future__ import annotations

from marshmallow import ValidationError, fields, validate, validates_schema

from fiscal import money as m
from fiscal.model import PaymentMethod, PaymentObject, Vat
from fiscal.schemas.common import (MAX_QUANTITY, AgentSchema, BaseSchema, Choice, Quantity,
                                   SupplierSchema, given, non_negative_money, text)

# FFD 1.2 tag 2108, мера количества предмета расчёта (in the order of its codes; "other" = 255).
MEASURES = (
    "piece", "gram", "kilogram", "ton", "centimeter", "decimeter", "meter",
    "square_centimeter", "square_decimeter", "square_meter", "milliliter", "liter",
    "cubic_meter", "kilowatt_hour", "gigacalorie", "day", "hour", "minute", "second",
    "kilobyte", "megabyte", "gigabyte", "terabyte", "other",
)
MEASURE_TAG_2108 = {name: code for name, code in zip(MEASURES, (
    0, 10, 11, 12, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 70, 71, 72, 73,
    80, 81, 82, 83, 255))}


class ItemSchema(BaseSchema):
    """One item: ``amount`` must be ``price × quantity`` within one kopeck; an ``agent`` needs
    its ``supplier``."""

    name = text(1, 128, "item name", required=True)                    # 1030
    price = non_negative_money("price", required=True)                  # 1079
    quantity = Quantity(required=True, validate=[                      # 1023
        validate.Range(min=0, min_inclusive=False,
                       error="quantity must be greater than 0, got {input} "
                             "(a refund is a *_refund operation with positive quantities)"),
        validate.Range(max=MAX_QUANTITY,
                       error=f"quantity must be at most {MAX_QUANTITY}, got {{input}}"),
    ])
    amount = non_negative_money("amount", required=True)                # 1043
    measure = Choice(MEASURES, load_default="piece")                    # 2108
    vat = Choice(Vat, required=True)                                    # 1199
    payment_method = Choice(PaymentMethod, load_default=PaymentMethod.FULL_PAYMENT.value)
    payment_object = Choice(PaymentObject, load_default=PaymentObject.COMMODITY.value)
    agent = fields.Nested(AgentSchema)                                  # 1222
    supplier = fields.Nested(SupplierSchema)                            # 1224 / 1226
    sku = text(1, 64, "sku")

    @validates_schema(skip_on_field_errors=False)
    def _amount_is_price_times_quantity(self, data, **kwargs):
        if not {"price", "quantity", "amount"} <= data.keys():
            return
        price, qty, amount = data["price"], data["quantity"], data["amount"]
        if not m.amount_matches(amount, price, qty):
            raise ValidationError(
                f"amount {amount} is not price × quantity = {price} × {qty} = "
                f"{m.line_amount(price, qty)} (within 0.01)", field_name="amount")

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _agent_needs_supplier(self, data, original, **kwargs):
        if given(original, "agent") and not given(original, "supplier"):
            raise ValidationError(
                "supplier (INN and name) is required when agent is given (FFD 1224/1226)",
                field_name="supplier")
