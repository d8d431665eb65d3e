"""Print-queue actions: counts per state, repeat a job, make a refund receipt of a printed sale,
cancel the tasks not yet sent to a register.

Each action is one ledger transaction with its audit entry, and every state change is a
compare-and-set: a job a worker (or another operator) moved meanwhile is answered 409 with the
state it is in now, and changes nothing.
"""
from __future__ import annotations

from flask import g, url_for
from marshmallow import RAISE, ValidationError
from sqlalchemy import select

from fiscal.ledger import audit
from fiscal.ledger import jobs as ledger_jobs
from fiscal.ledger.models import Job, Register
from fiscal.ledger.tenancy import owned
from fiscal.model import JobState
from fiscal.refunds import build_refund
from fiscal.schemas import dump_job, load_job
from fiscal.states import IllegalTransition, StaleState
from hub.api.auth import ledger, requires
from hub.api.errors import ApiError, invalid
from hub.api.job_corrections import corrected
from hub.api.job_details import is_refundable, job_details, owned_job
from hub.api.job_intake import accept_job, refunded_receipts
from hub.api.job_views import JobFilterArgs, count_jobs, job_json
from hub.api.parsing import OptionalBodyBlueprint
from hub.api.queue_schemas import (CancelledSchema, CancelTasksSchema, JobCountsSchema,
                                   JobDetailsSchema, RefundRequestSchema, RepeatSchema)
from hub.api.schemas import ErrorSchema, JobRecordSchema

REPEATABLE = (JobState.FAILED, JobState.NEEDS_ATTENTION)
LOCATION = {"Location": {"description": "The new job's URL", "schema": {"type": "string"}}}


bp = OptionalBodyBlueprint("queue_actions", __name__, url_prefix="/api/v1",
                           description="Print-queue actions: counts, repeat, refund receipt, "
                                       "cancel tasks")

MALFORMED = "The body is not JSON, or not a JSON object"


@bp.route("/jobs/counts", methods=["GET"])
@requires(bp, "read")
@bp.arguments(JobFilterArgs(), location="query", unknown=RAISE)
@bp.alt_response(200, schema=JobCountsSchema, success=True, description="The counts")
@bp.alt_response(422, schema=ErrorSchema, description="A filter is not valid (errors names it)")
def count_jobs_per_state(args: dict):
    """Count the print queue per state

    The list's filters (without state, limit and cursor): how many jobs in each state (every
    state, 0 included) and in all.
    """
    with ledger().session(readonly=True) as s:
        return count_jobs(s, g.account_id, args)


def _not_repeatable(job: Job) -> ApiError:
    why = {JobState.PRINTED: "it was printed; to take it back, make a refund receipt",
           JobState.CANCELLED: "it was cancelled; submit a new job instead",
           JobState.SENDING: "a worker is sending it to the register now"}.get(
        job.state, "it is on its way to the register")
    return ApiError(409, "not_repeatable", f"Job {job.id} is {job.state}: only a failed or "
                    f"needs_attention job can be repeated ({why})")


def _state_changed(job_id: str, exc: StaleState | IllegalTransition) -> ApiError:
    now = getattr(exc, "actual", None) or getattr(exc, "current", None)
    return ApiError(409, "not_repeatable", f"Job {job_id} changed meanwhile: it is {now} now; "
                    "nothing was changed")


@bp.route("/jobs/<job_id>/repeat", methods=["POST"])
@requires(bp, "jobs.act")
@bp.arguments(RepeatSchema(), required=False, description="Optional: corrected content, and "
              "for a needs_attention job the statement that it was not printed")
@bp.alt_response(200, schema=JobDetailsSchema, success=True,
                 description="The job, queued again (its history shows the repeat)")
@bp.alt_response(400, schema=ErrorSchema, description=MALFORMED)
@bp.alt_response(404, schema=ErrorSchema, description="No such job in this account")
@bp.alt_response(409, schema=ErrorSchema, description="not_repeatable: the job is not failed "
                 "or needs_attention (printed, cancelled, queued, sending, …; state names it); "
                 "register_removed: its register was removed")
@bp.alt_response(422, schema=ErrorSchema, description="The corrected content is not valid "
                 "(errors names content.<field>), or not_printed is missing for a "
                 "needs_attention job")
def repeat_job(body: dict, job_id: str):
    """Repeat a failed or needs-attention job

    Queues it again under the same ID and idempotency key (so its source document is still
    printed at most once), optionally with corrected content, validated like a new job; the
    previous content stays in the history (previous_content). A needs_attention job needs
    not_printed: true — the operator's statement, recorded in its history, that the register
    did not print it.
    """
    reason = body.get("reason")
    with ledger().session() as s:
        job = owned_job(s, g.account_id, job_id)
        if job.state not in REPEATABLE:
            raise _not_repeatable(job)
        reg = s.get(Register, job.register_id)
        if reg.removed_at is not None:
            raise ApiError(409, "register_removed", f"Register {reg.id} was removed; its jobs "
                           "cannot be printed")
        if job.state == JobState.NEEDS_ATTENTION and body.get("not_printed") is not True:
            raise invalid({"not_printed": [
                f"Job {job.id} needs attention: the register may have printed it. Check the "
                "register's last document; if it is not there, send not_printed: true"]})
        fields = corrected(s, job, reg, body["content"]) if "content" in body else {}
        details = {}
        if fields:
            details["previous_content"] = job.payload
        if job.error:
            details["previous_error"] = job.error
        note = f": {reason}" if reason else ""
        from_state = job.state
        try:
            ledger_jobs.repeat_job(
                s, job, actor=g.actor, details=details or None,
                cause=f"repeated by {g.actor}"
                      + (" with corrected content" if fields else "") + note,
                not_printed_cause=f"{g.actor} states the register did not print it{note}",
                **fields)
        except (StaleState, IllegalTransition) as exc:
            raise _state_changed(job_id, exc)
        audit.record(s, g.account_id, g.actor, "job.repeat", "job", job_id,
                     {"from": from_state, "corrected": bool(fields), "reason": reason})
        return job_details(s, s.get(Job, job_id))


def _refund_job(s, original: Job, body: dict) -> dict:
    """The canonical refund job (loaded) of ``body``'s choice; 422 when it is not valid."""
    receipt = load_job(original.payload)["receipt"]
    try:
        refund = build_refund(receipt, refunded_receipts(s, original), body.get("items"))
    except ValidationError as exc:
        raise invalid(exc.messages, "The refund is not valid")
    if "payments" in body:
        refund["payments"] = body["payments"]
    refund["refund_of"] = original.id
    job = {"kind": "receipt", "register": original.register_id, "receipt": refund}
    cashier_id = body.get("cashier_id") or original.cashier_id
    if cashier_id:
        job["cashier_id"] = cashier_id
    elif original.payload.get("cashier"):
        job["cashier"] = original.payload["cashier"]
    if body.get("idempotency_key"):
        job["idempotency_key"] = body["idempotency_key"]
    try:
        return load_job(dump_job(job))
    except ValidationError as exc:
        errors = dict(exc.messages)
        inner = dict(errors.pop("receipt", {}))
        if "payments" in inner:                 # the body's own field
            errors["payments"] = inner.pop("payments")
        if inner:
            errors["receipt"] = inner
        raise invalid(errors, "The refund receipt is not valid")


@bp.route("/jobs/<job_id>/refund", methods=["POST"])
@requires(bp, "jobs.act")
@bp.arguments(RefundRequestSchema(), required=False, description="Optional: the lines and "
              "quantities (else everything left), payments, cashier, idempotency key")
@bp.alt_response(201, schema=JobRecordSchema, headers=LOCATION, success=True,
                 description="The refund receipt job was received")
@bp.alt_response(200, schema=JobRecordSchema, headers=LOCATION, success=True,
                 description="The idempotency_key was used before for a refund of this job: "
                             "that refund")
@bp.alt_response(400, schema=ErrorSchema, description=MALFORMED)
@bp.alt_response(404, schema=ErrorSchema, description="No such job in this account")
@bp.alt_response(409, schema=ErrorSchema, description="not_refundable: the job is not a printed "
                 "sell or buy receipt; idempotency_conflict: the key was used for another job")
@bp.alt_response(422, schema=ErrorSchema, description="The refund is not valid: a line that "
                 "does not exist, more than is left of it (errors names items.<n>), nothing "
                 "left, payments that do not cover it, a cashier the register refuses")
def refund_job(body: dict, job_id: str):
    """Make a refund receipt of a printed sale

    A sell_refund (buy_refund) receipt of the chosen lines and quantities, or of everything
    left to refund, on the same register: the original's prices, VAT, payment method and
    object; total = the sum; never more than is left. Payments default to the original's
    non-cash types first (each up to what is left of it), cash last.
    """
    key = body.get("idempotency_key")
    with ledger().session() as s:
        original = owned_job(s, g.account_id, job_id)
        earlier = ledger_jobs.find_by_key(s, g.account_id, key) if key else None
        if earlier is not None and earlier.refund_of != original.id:
            raise ApiError(409, "idempotency_conflict", f"idempotency key {key!r} was already "
                           f"used for job {earlier.id}", {"idempotency_key": ["already used"]})
        if earlier is not None:
            row, created = earlier, False
        elif not is_refundable(original):
            what = (f"a {original.state} {original.operation} receipt" if original.operation
                    else f"a {original.state} {original.kind} job")
            raise ApiError(409, "not_refundable", f"Job {original.id} is {what}: only a printed "
                           "sell or buy receipt can be refunded")
        else:
            row, created = accept_job(s, g.account_id, g.actor, _refund_job(s, original, body))
            audit.record(s, g.account_id, g.actor, "job.refund", "job", original.id,
                         {"refund": row.id, "total": str(row.total)})
        answer = job_json(row)
    return answer, 201 if created else 200, {"Location": url_for("jobs.get_job",
                                                                 job_id=answer["id"])}


def _check_own_jobs(s, job_ids: list[str]) -> None:
    """Every named job is the account's (422 naming the ones that are not)."""
    found = set(s.scalars(select(Job.id).where(Job.account_id == g.account_id,
                                               Job.id.in_(job_ids))))
    missing = {str(i): [f"No job {job_id!r} in this account"]
               for i, job_id in enumerate(job_ids) if job_id not in found}
    if missing:
        raise invalid({"jobs": missing})


@bp.route("/jobs/cancel", methods=["POST"])
@requires(bp, "jobs.act")
@bp.arguments(CancelTasksSchema(), description="The register (or none: the whole account) and "
              "the reason")
@bp.alt_response(200, schema=CancelledSchema, success=True, description="How many were cancelled")
@bp.alt_response(400, schema=ErrorSchema, description=MALFORMED)
@bp.alt_response(404, schema=ErrorSchema, description="No such register in this account")
@bp.alt_response(422, schema=ErrorSchema, description="The reason is missing, or a field is "
                 "not valid (errors names it)")
def cancel_tasks(body: dict):
    """Cancel the tasks not yet sent to a register

    Every received, queued or held job of the register (or of every register of the account)
    is cancelled in one call, with the reason and who cancelled it in its history. Jobs being
    sent, printed, failed or needing attention are left alone (a job a worker takes meanwhile
    is skipped). With jobs, only those are cancelled — failed ones among them too.
    """
    register_id, reason, job_ids = body.get("register"), body["reason"], body.get("jobs")
    with ledger().session() as s:
        if register_id is not None and owned(s, Register, g.account_id, register_id) is None:
            raise ApiError(404, "not_found", f"No register {register_id!r} in this account")
        if job_ids is not None:
            _check_own_jobs(s, job_ids)
        n = ledger_jobs.cancel_not_sent(s, g.account_id, register_id=register_id, actor=g.actor,
                                        cause=f"cancelled by {g.actor}: {reason}",
                                        job_ids=job_ids)
        details = {"reason": reason, "cancelled": n}
        if job_ids is not None:
            details["jobs"] = job_ids
        audit.record(s, g.account_id, g.actor, "jobs.cancel",
                     "register" if register_id else "account", register_id or g.account_id,
                     details)
    return {"cancelled": n}
