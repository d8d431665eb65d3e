"""Requests and answers of the print queue's details and actions, and of manual receipts' answers
(the job's own shapes are in :mod:`hub.api.schemas`).

Request schemas validate (unknown fields are refused, money and quantities are decimals, never
floats); answer schemas document what the views build (:mod:`hub.api.job_details`).
"""
from __future__ import annotations

from marshmallow import Schema, fields, validate

from fiscal.model import JobState
from fiscal.schemas import PaymentSchema, Quantity
from hub.api.schemas import JobDetailSchema, money, timestamp

MAX_REFUND_LINES = 100


def _reason(description: str, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(
        min=1, max=500, error="The reason must be 1 to 500 characters"),
        metadata={"description": description}, **kwargs)


# requests ------------------------------------------------------------------------------------
class RepeatSchema(Schema):
    """Repeat a failed or needs-attention job, as it is or with corrected content."""

    content = fields.Dict(metadata={
        "description": "The corrected job: a canonical job as for POST /api/v1/jobs, validated "
                       "like a new one. Its kind and receipt/correction operation stay the "
                       "job's, and it prints on the job's register (register and "
                       "register_group may be left out; if given they must name the job's "
                       "register or group); idempotency_key may be left out (the job keeps its "
                       "own). Without content the job is printed again as it is."})
    not_printed = fields.Boolean(metadata={
        "description": "Required (true) for a needs_attention job: the operator states that "
                       "the register did not print it (check the register's last document "
                       "first), so printing it again cannot make a second document"})
    reason = _reason("Why, for the job's history (optional)")


class RefundLineSchema(Schema):
    index = fields.Integer(required=True, validate=validate.Range(min=0, max=1000), metadata={
        "description": "The line of the original receipt (its position in receipt.items, "
                       "from 0; refund_left.items of GET /api/v1/jobs/{id} lists them)"})
    quantity = Quantity(required=True, validate=validate.Range(
        min=0, min_inclusive=False, error="quantity must be greater than 0, got {input}"),
        metadata={"description": "How much of the line to refund (at most what is left)"})


class RefundRequestSchema(Schema):
    """A refund receipt of a printed sale: chosen lines, or everything left."""

    items = fields.List(fields.Nested(RefundLineSchema), validate=validate.Length(
        min=1, max=MAX_REFUND_LINES, error=f"between 1 and {MAX_REFUND_LINES} lines"), metadata={
        "description": "The lines and quantities to refund; left out: everything that is left"})
    payments = fields.List(fields.Nested(PaymentSchema), validate=validate.Length(
        min=1, max=10, error="between 1 and 10 payments"), metadata={
        "description": "How the money goes back; left out: the original's non-cash types "
                       "first (each up to what is left of it), cash last"})
    cashier_id = fields.String(validate=validate.Length(min=1, max=64), metadata={
        "description": "The account's cashier who makes the refund; left out: the original's "
                       "cashier"})
    idempotency_key = fields.String(validate=validate.Length(min=1, max=128), metadata={
        "description": "Makes the request safe to retry: a key already used for a refund of "
                       "this job answers 200 with that refund"})


MAX_CANCEL_JOBS = 200


class CancelTasksSchema(Schema):
    """Cancel the jobs not yet sent to a register: all of them, or the ones named."""

    register = fields.String(validate=validate.Length(1, 128), metadata={
        "description": "Only this register's jobs (404 when the account has no such register); "
                       "left out: every register of the account"})
    jobs = fields.List(fields.String(validate=validate.Length(1, 128)),
                       validate=validate.Length(1, MAX_CANCEL_JOBS), metadata={
        "description": "Only these jobs (their IDs; each must be the account's): those not "
                       "sent yet and failed ones are cancelled, the others left as they are"})
    reason = _reason("Why (goes into each job's history)", required=True)


# answers -------------------------------------------------------------------------------------
JobStateCountsSchema = Schema.from_dict(
    {state.value: fields.Integer(required=True) for state in JobState}, name="JobStateCounts")


class JobCountsSchema(Schema):
    """How many jobs the filters match, per state and in all."""

    by_state = fields.Nested(JobStateCountsSchema, required=True, metadata={
        "description": "Every state, 0 included"})
    total = fields.Integer(required=True)


class CancelledSchema(Schema):
    cancelled = fields.Integer(required=True, metadata={
        "description": "How many jobs were cancelled (received, queued or held ones)"})


class RefundSummarySchema(Schema):
    """A refund made of a receipt."""

    id = fields.String(required=True)
    state = fields.String(required=True, validate=validate.OneOf([s.value for s in JobState]))
    total = money("Its total", required=True, allow_none=True)
    created_at = timestamp("When it was received", required=True)


class LineLeftSchema(Schema):
    """What is left to refund of one line of the receipt."""

    index = fields.Integer(required=True, metadata={"description": "Its position in items"})
    name = fields.String(required=True)
    sku = fields.String(required=True, allow_none=True)
    price = money("Its price", required=True)
    quantity = fields.String(required=True, metadata={"description": "Quantity left (\"1.000\")",
                                                      "example": "1.000"})
    amount = money("Amount left", required=True)


class PaymentLeftSchema(Schema):
    type = fields.String(required=True)
    amount = money("Left to pay back by this type", required=True)


class RefundLeftSchema(Schema):
    """What is left to refund of a printed sale (or buy) receipt."""

    total = money("Total left", required=True)
    items = fields.List(fields.Nested(LineLeftSchema), required=True)
    payments = fields.List(fields.Nested(PaymentLeftSchema), required=True)


class JobDetailsSchema(JobDetailSchema):
    """A job with everything the print queue shows of it: its history, attempts, fiscal result,
    where it came from, and — for a receipt — its refunds and what is left to refund."""

    connection_id = fields.String(required=True, allow_none=True, metadata={
        "description": "The source connection it came from"})
    cashier_id = fields.String(required=True, allow_none=True, metadata={
        "description": "The account's cashier it names"})
    refund_of = fields.String(required=True, allow_none=True, metadata={
        "description": "The receipt job it refunds"})
    refunds = fields.List(fields.Nested(RefundSummarySchema), required=True, metadata={
        "description": "The refunds made of it, oldest first (cancelled ones too)"})
    refund_left = fields.Nested(RefundLeftSchema, required=True, allow_none=True, metadata={
        "description": "A printed sell or buy receipt: what is left to refund; else null"})
