"""The shapes of the API's answers, for the OpenAPI document.

Requests are validated by the canonical schemas (:mod:`fiscal.schemas`) and by the argument
schemas next to the views; these schemas document what the views answer (the views build the
JSON themselves, e.g. :func:`hub.api.job_views.job_json`), and the OpenAPI test checks the
answers against them. Money in answers is always a string with two decimals.
"""
from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate

from fiscal.model import JobKind, JobState
from fiscal.schemas import CashierSchema, CorrectionSchema, ReceiptSchema

MONEY_PATTERN = r"^-?[0-9]+\.[0-9]{2}$"


def money(description: str, **kwargs) -> fields.String:
    return fields.String(metadata={"pattern": MONEY_PATTERN, "example": "700.00",
                                   "description": description}, **kwargs)


def timestamp(description: str, **kwargs) -> fields.String:
    """An ISO 8601 date-time as the API writes it (``2026-11-22T10:00:00.123456+00:00``)."""
    return fields.String(metadata={"format": "date-time", "description": description}, **kwargs)


class StrictBoolean(fields.Boolean):
    """``true`` or ``false`` only (marshmallow would also take 1, "yes", "on"…)."""

    def _deserialize(self, value, attr, data, **kwargs):
        if not isinstance(value, bool):
            raise self.make_error("invalid", input=value)
        return value


class ErrorSchema(Schema):
    """Every 4xx and 5xx answer."""

    code = fields.String(required=True, metadata={
        "description": "What went wrong, for machines: validation_failed, malformed_json, "
                       "empty_body, unauthorized, not_found, idempotency_conflict, "
                       "method_not_allowed, internal_error, …",
        "example": "validation_failed"})
    reason = fields.String(metadata={
        "description": "session_ended only: why (expired, logged_out, blocked, password_reset, unknown)"})
    message = fields.String(required=True, metadata={"description": "What went wrong, for people"})
    errors = fields.Dict(keys=fields.String(), metadata={
        "description": "Present when particular fields are wrong: each field path (nested "
                       "objects as in the request, list positions as string keys) maps to its "
                       "messages, e.g. {\"receipt\": {\"items\": {\"0\": {\"quantity\": "
                       "[\"Not a valid number.\"]}}}}"})


class _Open(Schema):
    """An object that may carry more keys than it documents."""

    class Meta:
        unknown = INCLUDE


class JobResultSchema(_Open):
    """The fiscal document a printed job became."""

    doc_type = fields.String(metadata={"description": "The kind of document printed"})
    fd_number = fields.Integer(allow_none=True, metadata={"description": "Fiscal document number"})
    fiscal_sign = fields.String(allow_none=True, metadata={"description": "Fiscal sign (FPD)"})
    fn_number = fields.String(allow_none=True, metadata={"description": "Fiscal drive number"})
    shift_number = fields.Integer(allow_none=True)
    receipt_number = fields.Integer(allow_none=True, metadata={
        "description": "The receipt's number in its shift"})
    doc_number = fields.Integer(allow_none=True)
    issued_at = timestamp("When the register issued the document", allow_none=True)
    total = money("The document's total", allow_none=True)


class JobErrorSchema(_Open):
    """Why a job failed or needs attention, and what the operator can do."""

    code = fields.String(metadata={"example": "paper_out"})
    message = fields.String()
    action = fields.String(allow_none=True, metadata={"description": "What to do about it"})
    retryable = fields.Boolean(metadata={"description": "Whether it is retried automatically"})
    kind = fields.String()


class JobRecordSchema(Schema):
    """A job as the API answers it: the canonical content as posted, plus its state."""

    id = fields.String(required=True, metadata={"format": "uuid"})
    state = fields.String(required=True, validate=validate.OneOf([s.value for s in JobState]))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in JobKind]))
    register = fields.String(required=True, metadata={"description": "The register it prints on"})
    register_group = fields.String(required=True, allow_none=True, metadata={
        "description": "The group it was sent to, if it was"})
    idempotency_key = fields.String(required=True)
    total = money("The money the job moves (receipt or correction total, cash amount); "
                  "null for service jobs", required=True, allow_none=True)
    cashier = fields.Nested(CashierSchema)
    receipt = fields.Nested(ReceiptSchema)
    correction = fields.Nested(CorrectionSchema)
    amount = money("cash_in / cash_out amount")
    result = fields.Nested(JobResultSchema, required=True, allow_none=True)
    error = fields.Nested(JobErrorSchema, required=True, allow_none=True)
    attempts = fields.Integer(required=True, metadata={"description": "Attempts to print it"})
    source = fields.Dict(required=True, allow_none=True, metadata={
        "description": "Where it came from (connection, plugin, event); null when posted"})
    created_at = timestamp("When it was received", required=True)
    updated_at = timestamp("When its state last changed", required=True)


class JobEventSchema(Schema):
    at = timestamp("When", required=True)
    from_ = fields.String(data_key="from", required=True, allow_none=True)
    to = fields.String(required=True)
    by = fields.String(required=True, metadata={"description": "Who or what made the change"})
    cause = fields.String(required=True)
    details = fields.Dict(required=True, allow_none=True)


class JobAttemptSchema(Schema):
    number = fields.Integer(required=True)
    worker = fields.String(required=True, allow_none=True)
    started_at = timestamp("When the attempt started", required=True)
    finished_at = timestamp("When it ended", required=True, allow_none=True)
    baseline = fields.Dict(required=True, metadata={
        "description": "What the register showed before the attempt (last document, …)"})
    outcome = fields.String(required=True, allow_none=True)


class JobDetailSchema(JobRecordSchema):
    """A job with its history and its attempts."""

    history = fields.List(fields.Nested(JobEventSchema), required=True)
    attempt_log = fields.List(fields.Nested(JobAttemptSchema), required=True)


class JobPageSchema(Schema):
    """A page of the print queue, newest first."""

    items = fields.List(fields.Nested(JobRecordSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass it as cursor for the next page; null on the last page"})


class CheckSchema(Schema):
    ok = fields.Boolean(required=True)
    error = fields.String(metadata={"description": "Why it is not ok"})


class DatabaseCheckSchema(CheckSchema):
    jobs_pending = fields.Integer()
    jobs_needing_attention = fields.Integer()


class WorkerSchema(Schema):
    name = fields.String(required=True)
    state = fields.String(required=True)
    queues = fields.List(fields.String(), required=True)
    last_heartbeat = timestamp("Its last heartbeat", required=True, allow_none=True)
    alive = fields.Boolean(required=True)


class RegisterStateSchema(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    online = fields.Boolean(required=True)
    suspended = fields.Boolean(required=True)
    last_seen_at = timestamp("When a worker last talked to it", required=True, allow_none=True)
    binding_conflict = fields.String(required=True, allow_none=True)
    state = fields.Dict(required=True, allow_none=True, metadata={
        "description": "Its live state as last seen (shift, paper, last document, …)"})


class RegistersSummarySchema(Schema):
    total = fields.Integer(required=True)
    online = fields.Integer(required=True)
    suspended = fields.Integer(required=True)
    items = fields.List(fields.Nested(RegisterStateSchema), metadata={
        "description": "The account's registers (only with an API key)"})


class HealthSchema(Schema):
    status = fields.String(required=True, validate=validate.OneOf(["ok", "unavailable"]))
    database = fields.Nested(DatabaseCheckSchema, required=True)
    redis = fields.Nested(CheckSchema, required=True)
    workers = fields.List(fields.Nested(WorkerSchema), required=True)
    registers = fields.Nested(RegistersSummarySchema, required=True, allow_none=True)


class HealthUnavailableSchema(HealthSchema):
    """The 503: the error format's ``code`` (``unavailable``) and ``message``, and the report."""

    code = fields.String(required=True, validate=validate.OneOf(["unavailable"]))
    message = fields.String(required=True, metadata={"description": "What does not answer"})
