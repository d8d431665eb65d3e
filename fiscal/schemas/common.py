"""Building blocks of the job schemas: money and quantity fields, enum choices, the small
nested objects (cashier, customer, supplier, agent, payment)."""
from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal

from marshmallow import RAISE, Schema, fields, validate

from fiscal import money as m
from fiscal.model import AgentType, PaymentType

# Upper bounds that keep every figure inside what a register can hold (a Shtrih-M amount is
# 5 bytes of kopecks, ~1.1e10 kopecks) and every product price × quantity exact.
MAX_MONEY = Decimal("9999999999.99")
MAX_QUANTITY = Decimal("9999999.999")

PHONE_RE = re.compile(r"^\+\d{10,15}$")
PHONE_MESSAGE = "phone must be + and 10 to 15 digits, e.g. +79991234567; got {input}"


def given(original, key: str) -> bool:
    """Whether the raw input (possibly not even a dict) has ``key``."""
    return isinstance(original, Mapping) and key in original


class BaseSchema(Schema):
    """Unknown fields are errors ("Unknown field."), never silently dropped."""

    class Meta:
        unknown = RAISE

    def get_attribute(self, obj, attr, default):
        # A dict is read by key only: marshmallow would otherwise fall back to getattr and
        # dump a correction without items as its dict.items method.
        if isinstance(obj, Mapping):
            return obj.get(attr, default)
        return super().get_attribute(obj, attr, default)


class Money(fields.Decimal):
    """Roubles: loaded as a Decimal rounded half-up to kopecks, dumped as a string ("700.00").

    Accepts str, int and Decimal; a float is refused (JSON numbers arrive as Decimal).
    """

    default_error_messages = {
        "float": "Not a valid amount: floats are not accepted, send a string such as \"700.00\".",
    }
    quantize = staticmethod(m.money)

    def __init__(self, **kwargs):
        super().__init__(as_string=True, **kwargs)

    def _format_num(self, value) -> Decimal:
        return self.quantize(value)

    def _validated(self, value) -> Decimal:
        if isinstance(value, float):
            raise self.make_error("float")
        return super()._validated(value)   # junk, NaN, Infinity → "Not a valid number."


class Quantity(Money):
    """A quantity: Decimal rounded half-up to 3 decimals, dumped as a string ("2.000")."""

    default_error_messages = {
        "float": "Not a valid quantity: floats are not accepted, send a string such as \"1.5\".",
    }
    quantize = staticmethod(m.quantity)


def positive_money(what: str, **kwargs) -> Money:
    """A money field that must be > 0."""
    return Money(validate=[
        validate.Range(min=0, min_inclusive=False,
                       error=f"{what} must be greater than 0, got {{input}}"),
        validate.Range(max=MAX_MONEY, error=f"{what} must be at most {MAX_MONEY}, got {{input}}"),
    ], **kwargs)


def non_negative_money(what: str, **kwargs) -> Money:
    """A money field that must be >= 0."""
    return Money(validate=[
        validate.Range(min=0, error=f"{what} must not be negative, got {{input}}"),
        validate.Range(max=MAX_MONEY, error=f"{what} must be at most {MAX_MONEY}, got {{input}}"),
    ], **kwargs)


class Choice(fields.String):
    """One value of a :class:`~enum.StrEnum` (or a fixed list), loaded as a plain ``str``."""

    def __init__(self, choices, **kwargs):
        self.choices = [str(c) for c in choices]
        super().__init__(validate=validate.OneOf(self.choices), **kwargs)

    def _deserialize(self, value, attr, data, **kwargs) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        return "".join(text)           # a StrEnum member from a Python caller → plain str


def text(min_length: int, max_length: int, what: str, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(
        min=min_length, max=max_length,
        error=f"{what} must be {min_length} to {max_length} characters long"), **kwargs)


def inn(lengths: tuple[int, ...], **kwargs) -> fields.String:
    """An INN: digits only, of one of ``lengths`` (10 for an organisation, 12 for a person)."""
    allowed = " or ".join(str(n) for n in lengths)
    pattern = "|".join(rf"\d{{{n}}}" for n in lengths)
    return fields.String(validate=validate.Regexp(
        rf"^(?:{pattern})$", error=f"INN must be {allowed} digits, got {{input}}"), **kwargs)


def phone(**kwargs) -> fields.String:
    return fields.String(validate=validate.Regexp(PHONE_RE, error=PHONE_MESSAGE), **kwargs)


class CashierSchema(BaseSchema):
    """The cashier (FFD 1021 name up to 64 characters, 1203 INN of 12 digits)."""

    name = text(1, 64, "cashier name", required=True)
    inn = inn((12,))


class CustomerSchema(BaseSchema):
    """The customer: 1008 email or phone (where an electronic receipt goes), 1227 name,
    1228 INN. All optional (a paperless receipt needs the email or the phone)."""

    email = fields.Email(validate=validate.Length(
        max=64, error="email must be at most 64 characters long"))
    phone = phone()
    name = text(1, 256, "customer name")
    inn = inn((10, 12))


class AgentSchema(BaseSchema):
    """The agent attribute of an item (FFD 1222)."""

    type = Choice(AgentType, required=True)


class SupplierSchema(BaseSchema):
    """The supplier an agent sells for (FFD 1224: 1226 INN, 1225 name, 1171 phones)."""

    inn = inn((10, 12), required=True)
    name = text(1, 256, "supplier name", required=True)
    phones = fields.List(phone(), validate=validate.Length(
        max=10, error="at most 10 supplier phones"))


class PaymentSchema(BaseSchema):
    """One payment: its type (1031 cash, 1081 electronic, 1215 prepaid, 1216 credit,
    1217 other) and amount > 0."""

    type = Choice(PaymentType, required=True)
    amount = positive_money("payment amount", required=True)
