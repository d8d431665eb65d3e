"""Register service actions: open shift, X report, Z report (close shift), cash in, cash out,
cancel the open receipt, reprint the last document, cut the paper.

Each action is enqueued as a job like any other (:func:`hub.api.job_intake.accept_job`: the
register's cashier rule applies) and answered with it, 201 and its Location; the worker prints
it in turn with the register's other jobs. An ``Idempotency-Key`` header makes a retry (or a
double click) answer 200 with the first job instead of printing twice; without one, a second
open-shift or Z report while one is still waiting is refused (409 ``already_pending``).

A suspended register refuses service (409 ``register_suspended``: activate it first), a removed
one too (409 ``register_removed``). Another account's register answers 404.
"""
from __future__ import annotations

from flask import g, url_for
from marshmallow import RAISE, Schema, ValidationError, fields
from sqlalchemy import select

from fiscal.ledger.jobs import find_by_key
from fiscal.ledger.models import Job, Register
from fiscal.model import JobKind, JobState
from fiscal.schemas import CashierSchema, load_job
from fiscal.schemas.common import positive_money, text
from hub.api.auth import ledger, requires
from hub.api.errors import ApiError, invalid
from hub.api.job_intake import accept_job
from hub.api.job_views import job_json
from hub.api.jobs import LOCATION, IdempotencyHeaders
from hub.api.parsing import OptionalBodyBlueprint
from hub.api.registers import register_or_404
from hub.api.schemas import ErrorSchema, JobRecordSchema


bp = OptionalBodyBlueprint("register_service", __name__, url_prefix="/api/v1",
                             description="Register service actions, each enqueued as a job")

# A second one of these while the first still waits is a double click, not an intention.
ONCE_AT_A_TIME = (JobKind.OPEN_SHIFT, JobKind.CLOSE_SHIFT)
WAITING = (JobState.RECEIVED, JobState.QUEUED, JobState.HELD, JobState.SENDING)


class ServiceBodySchema(Schema):
    """Who does it: one of the account's cashiers (cashier_id) or a cashier named here. Required
    (cashier_id) when the register's universal cashier is off; otherwise optional, and the body
    may be left out."""

    class Meta:
        unknown = RAISE

    cashier_id = text(1, 64, "cashier_id", metadata={
        "description": "One of the account's cashiers (GET /api/v1/cashiers)"})
    cashier = fields.Nested(CashierSchema, metadata={
        "description": "A cashier named for this document only (registers with the universal "
                       "cashier on)"})


class CashBodySchema(ServiceBodySchema):
    """The amount, and who does it (as for every service action)."""

    amount = positive_money("amount", required=True, metadata={"example": "5000.00"})


def _enqueue(kind: str, register_id: str, headers: dict, body: dict):
    key = headers.get("idempotency_key")
    with ledger().session() as s:
        reg = register_or_404(s, register_id)
        try:
            job = load_job({"kind": kind, "register": reg.id, **body,
                            **({"idempotency_key": key} if key else {})})
        except ValidationError as exc:
            raise invalid(exc.messages)
        if key is None or find_by_key(s, g.account_id, key) is None:
            _check_serviceable(s, reg, kind)
        row, created = accept_job(s, g.account_id, g.actor, job)
        answer = job_json(row)
    return (answer, 201 if created else 200,
            {"Location": url_for("jobs.get_job", job_id=answer["id"])})


def _check_serviceable(s, reg: Register, kind: str) -> None:
    if reg.removed_at is not None:
        raise ApiError(409, "register_removed", f"The register {reg.name} was removed; it "
                       "cannot be used again")
    if reg.suspended:
        raise ApiError(409, "register_suspended", f"The register {reg.name} is suspended; "
                       "activate it first (POST /api/v1/registers/{id}/activate)")
    if kind in ONCE_AT_A_TIME:
        waiting = s.scalar(select(Job).where(Job.register_id == reg.id, Job.kind == kind,
                                             Job.state.in_(WAITING))
                           .order_by(Job.created_at).limit(1))
        if waiting is not None:
            raise ApiError(409, "already_pending", f"A {kind} job for {reg.name} is already "
                           f"waiting ({waiting.id}, {waiting.state}); follow it in the print "
                           "queue instead of sending another")


CONFLICTS = ("register_suspended: activate the register first; register_removed: it was "
             "removed; already_pending: the same shift action already waits (open-shift and "
             "close-shift only); idempotency_conflict: the Idempotency-Key was used for "
             "another job")


def _action(path: str, kind: JobKind, summary: str, detail: str, body_schema=ServiceBodySchema):
    """Register the view for one service action."""
    def view(headers: dict, body: dict, register_id: str):
        return _enqueue(kind.value, register_id, headers, body)

    view.__name__ = view.__qualname__ = kind.value
    view.__doc__ = f"{summary}\n\n{detail}\n"
    required = body_schema is CashBodySchema
    for decorate in (
            bp.alt_response(422, schema=ErrorSchema, description="A field is not valid (errors "
                            "names it), or the register's cashier rule refuses the job "
                            "(cashier_id)"),
            bp.alt_response(409, schema=ErrorSchema, description=CONFLICTS),
            bp.alt_response(404, schema=ErrorSchema,
                            description="No such register in this account"),
            bp.alt_response(400, schema=ErrorSchema,
                            description="The body is not valid JSON or not a JSON object"),
            bp.alt_response(200, schema=JobRecordSchema, headers=LOCATION, success=True,
                            description="The Idempotency-Key was used before for the same "
                                        "action: that job"),
            bp.alt_response(201, schema=JobRecordSchema, headers=LOCATION, success=True,
                            description="Enqueued: the job (follow it at its Location)"),
            bp.arguments(body_schema, required=required,
                         description=body_schema.__doc__.split("\n\n")[0]),
            bp.arguments(IdempotencyHeaders(), location="headers"),
            requires(bp, "registers.service"),
            bp.route(f"/registers/<register_id>/{path}", methods=["POST"])):
        view = decorate(view)
    return view


open_shift = _action("open-shift", JobKind.OPEN_SHIFT, "Open the shift",
                     "Prints the shift-opening report (a fiscal document).")
x_report = _action("x-report", JobKind.X_REPORT, "Print an X report",
                   "The shift's totals so far; the shift stays open.")
close_shift = _action("close-shift", JobKind.CLOSE_SHIFT, "Close the shift (Z report)",
                      "Prints the Z report and closes the shift (a fiscal document). Send an "
                      "Idempotency-Key so that a retry does not close a second shift.")
cash_in = _action("cash-in", JobKind.CASH_IN, "Cash in",
                  "Puts money into the drawer (a deposit); opens the shift first when the "
                  "register's auto-open shift is on.", CashBodySchema)
cash_out = _action("cash-out", JobKind.CASH_OUT, "Cash out",
                   "Takes money out of the drawer (a withdrawal, collection).", CashBodySchema)
cancel_receipt = _action("cancel-receipt", JobKind.CANCEL_RECEIPT, "Cancel the open receipt",
                         "Cancels a receipt left open on the register (nothing registered "
                         "is undone: a printed receipt is refunded, not cancelled).")
reprint_last = _action("reprint-last", JobKind.REPRINT_LAST, "Reprint the last document",
                       "Prints a copy of the register's last document.")
cut = _action("cut", JobKind.CUT, "Cut the paper", "Cuts the receipt tape.")
