"""A correction receipt (FFD 1.05 tag 1173 correction type, 1174 its basis)."""
from __future__ import annotations

from collections.abc import Mapping

from marshmallow import ValidationError, fields, validates_schema

from fiscal.model import CorrectionType, Operation, Taxation, Vat
from fiscal.schemas.common import BaseSchema, Choice, given, positive_money, text
from fiscal.schemas.receipt import SettledSchema, items_field, payments_field


class CorrectionBaseSchema(BaseSchema):
    """The basis of a correction (1174): 1178 date, 1179 number of the tax authority's order,
    1177 description."""

    date = fields.Date(required=True)
    number = text(1, 32, "base number")
    name = text(1, 256, "base name")


class CorrectionSchema(SettledSchema):
    """A correction. ``base.number`` is required for a correction by order (``instruction``);
    without items the whole total is at one ``vat`` rate, with items each carries its own."""

    operation = Choice(Operation, required=True)                        # 1054
    correction_type = Choice(CorrectionType, required=True)             # 1173
    base = fields.Nested(CorrectionBaseSchema, required=True)           # 1174
    taxation = Choice(Taxation, required=True)                          # 1055
    items = items_field()
    vat = Choice(Vat)
    payments = payments_field(required=True)
    total = positive_money("total", required=True)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _order_number(self, data, original, **kwargs):
        base = original.get("base") if isinstance(original, Mapping) else None
        if (data.get("correction_type") == CorrectionType.INSTRUCTION
                and isinstance(base, Mapping) and "number" not in base):
            raise ValidationError({"base": {"number": [
                "base number (of the tax authority's order) is required when correction_type "
                "is instruction"]}})

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _vat_or_items(self, data, original, **kwargs):
        has_items, has_vat = given(original, "items"), given(original, "vat")
        if not has_items and not has_vat:
            raise ValidationError(
                "vat is required when there are no items (the rate of the whole total)",
                field_name="vat")
        if has_items and has_vat:
            raise ValidationError(
                "vat is not allowed with items: each item carries its own vat",
                field_name="vat")
