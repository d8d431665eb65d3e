"""The job envelope an integrator posts: kind, target register, and the body of that kind."""
from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from marshmallow import ValidationError, fields, missing, validates_schema

from fiscal import money as m
from fiscal.model import JobKind
from fiscal.schemas.common import (BaseSchema, CashierSchema, Choice, Money, given,
                                   positive_money, text)
from fiscal.schemas.correction import CorrectionSchema
from fiscal.schemas.receipt import ReceiptSchema

KIND_VALUES = frozenset(k.value for k in JobKind)


class _ForKinds:
    """A field that belongs to some job kinds only: an error when given for another kind."""

    def __init__(self, *args, kinds, **kwargs):
        self.kinds = frozenset(str(k) for k in kinds)
        super().__init__(*args, **kwargs)

    def deserialize(self, value, attr=None, data=None, **kwargs):
        kind = data.get("kind") if isinstance(data, Mapping) else None
        if (value is not missing and isinstance(kind, str) and kind in KIND_VALUES
                and kind not in self.kinds):
            raise ValidationError(f"{self.name} is not allowed when kind is {kind}")
        return super().deserialize(value, attr, data, **kwargs)


class _NestedForKinds(_ForKinds, fields.Nested):
    pass


class _MoneyForKinds(_ForKinds, Money):
    pass


def _kinds_text(kinds) -> str:
    return " or ".join(sorted(kinds))


class JobSchema(BaseSchema):
    """A canonical fiscal job as posted: exactly one of ``register`` / ``register_group``;
    ``receipt`` for kind receipt, ``correction`` for kind correction, ``amount`` for cash_in and
    cash_out — each required for its kinds and refused for the others."""

    kind = Choice(JobKind, required=True)
    register = text(1, 128, "register")
    register_group = text(1, 128, "register_group")
    idempotency_key = text(1, 128, "idempotency_key")
    cashier = fields.Nested(CashierSchema)
    cashier_id = text(1, 64, "cashier_id", metadata={
        "description": "One of the account's cashiers (GET /api/v1/cashiers): the document names "
                       "them (1021, 1203) and the job records who. Required when the register's "
                       "universal cashier is off; give cashier_id or cashier, not both."})
    receipt = _NestedForKinds(ReceiptSchema, kinds={JobKind.RECEIPT})
    correction = _NestedForKinds(CorrectionSchema, kinds={JobKind.CORRECTION})
    amount = _MoneyForKinds(kinds={JobKind.CASH_IN, JobKind.CASH_OUT},
                            validate=positive_money("amount").validators)

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _one_target(self, data, original, **kwargs):
        if not isinstance(original, Mapping):
            return                                    # "Invalid input type." says it all
        has_register, has_group = given(original, "register"), given(original, "register_group")
        if not has_register and not has_group:
            raise ValidationError("one of register or register_group is required",
                                  field_name="register")
        if has_register and has_group:
            raise ValidationError("give register or register_group, not both",
                                  field_name="register_group")

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _one_cashier(self, data, original, **kwargs):
        if (isinstance(original, Mapping) and given(original, "cashier")
                and given(original, "cashier_id")):
            raise ValidationError("give cashier_id or cashier, not both", field_name="cashier_id")

    @validates_schema(skip_on_field_errors=False, pass_original=True)
    def _body_of_kind(self, data, original, **kwargs):
        kind = data.get("kind")
        if kind is None:
            return
        errors = {}
        for name in ("receipt", "correction", "amount"):
            field = self.fields[name]
            if kind in field.kinds and not given(original, name):
                errors[name] = [f"{name} is required when kind is {_kinds_text(field.kinds)}"]
        if errors:
            raise ValidationError(errors)


_JOB_SCHEMA = JobSchema()


def load_job(data: dict) -> dict:
    """Validate and load a job envelope (raises :class:`marshmallow.ValidationError`).

    Returns a plain dict: money as Decimal in kopecks, quantities to 3 decimals, enum values
    as plain ``str``, defaults filled in.
    """
    return _JOB_SCHEMA.load(data)


def dump_job(job: dict) -> dict:
    """The JSON-ready form of a loaded job: money and quantities as strings ("700.00")."""
    return _JOB_SCHEMA.dump(job)


def job_total(job: Mapping) -> Decimal | None:
    """The money a job moves: a receipt's or correction's total, a cash_in/cash_out amount;
    None for the service kinds."""
    kind = job.get("kind")
    if kind == JobKind.RECEIPT:
        return m.money(job["receipt"]["total"])
    if kind == JobKind.CORRECTION:
        return m.money(job["correction"]["total"])
    if kind in (JobKind.CASH_IN, JobKind.CASH_OUT):
        return m.money(job["amount"])
    return None
