"""``/api/v1/jobs``: submit a canonical fiscal job, read it back, list the print queue."""
from __future__ import annotations

from flask import g, url_for
from marshmallow import RAISE, Schema, ValidationError, fields, validate
from sqlalchemy import select

from fiscal.ledger import jobs as ledger_jobs
from fiscal.ledger.models import Job, Register, RegisterGroup
from fiscal.ledger.registers import pick_from_group
from fiscal.model import REFUND_OF, JobKind, JobState
from fiscal.refunds import check_refund
from fiscal.samples import sample_receipt
from fiscal.schemas import JobSchema, dump_job, job_total, load_job
from hub.api.auth import ledger, requires_api_key
from hub.api.errors import ApiError, invalid
from hub.api.job_views import JobListArgs, job_json, list_jobs
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema, JobDetailSchema, JobPageSchema, JobRecordSchema

bp = Blueprint("jobs", __name__, url_prefix="/api/v1",
               description="Canonical fiscal jobs and the print queue")
LOCATION = {"Location": {"description": "The job's URL", "schema": {"type": "string"}}}


class _StrippedString(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        return super()._deserialize(value, attr, data, **kwargs).strip()


class IdempotencyHeaders(Schema):
    idempotency_key = _StrippedString(data_key="Idempotency-Key", validate=validate.Length(
        min=1, max=128, error="The header must be 1 to 128 characters"), metadata={
        "description": "Makes the submission safe to retry: the same key with the same job "
                       "answers 200 with the first job; with a different job, 409. Same as "
                       "the body's idempotency_key (they must not differ)."})


def _invalid(fields: dict, message: str = "The job is not valid") -> ApiError:
    return invalid(fields, message)


def _target(s, account_id: str, job: dict) -> tuple[Register, str | None]:
    if job.get("register"):
        reg = s.get(Register, job["register"])
        if reg is None or reg.account_id != account_id:
            raise _invalid({"register": [f"Unknown register {job['register']!r}"]})
        if reg.removed_at is not None:
            raise _invalid({"register": [f"Register {reg.id} was removed"]})
        return reg, None
    group = s.get(RegisterGroup, job["register_group"])
    if group is None or group.account_id != account_id:
        raise _invalid({"register_group": [f"Unknown register group {job['register_group']!r}"]})
    reg = pick_from_group(s, group)
    if reg is None:
        raise _invalid({"register_group": [f"Register group {group.id} has no active register"]})
    return reg, group.id


def _check_paperless(reg: Register, job: dict) -> None:
    receipt = job.get("receipt")
    if receipt is None or not reg.settings.get("paperless") or receipt.get("paperless"):
        return
    customer = receipt.get("customer") or {}
    if not (customer.get("email") or customer.get("phone")):
        raise _invalid({"receipt": {"customer": [
            f"Register {reg.name} is paperless: the receipt is sent electronically, so "
            "give the customer's email or phone"]}})


def _check_refund(s, account_id: str, job: dict) -> str | None:
    receipt = job.get("receipt")
    if not receipt or not receipt.get("refund_of"):
        return None
    original = s.get(Job, receipt["refund_of"])
    if original is None or original.account_id != account_id or original.kind != JobKind.RECEIPT:
        raise _invalid({"receipt": {"refund_of": [
            f"Unknown receipt job {receipt['refund_of']!r}"]}})
    if original.state == JobState.CANCELLED:
        raise _invalid({"receipt": {"refund_of": [
            f"Job {original.id} was cancelled; there is nothing to refund"]}})
    if REFUND_OF.get(receipt["operation"]) != original.operation:
        raise _invalid({"receipt": {"operation": [
            f"Job {original.id} is a {original.operation} receipt; its refund is "
            f"{'sell_refund' if original.operation == 'sell' else 'buy_refund'}"]}})
    earlier = s.scalars(select(Job).where(Job.refund_of == original.id,
                                          Job.state != JobState.CANCELLED))
    check_refund(load_job(original.payload)["receipt"],
                 [load_job(r.payload)["receipt"] for r in earlier], receipt)
    return original.id


@bp.route("/jobs", methods=["POST"])
@requires_api_key(bp)
@bp.arguments(IdempotencyHeaders(), location="headers")
@bp.arguments(JobSchema(), description="A canonical fiscal job",
              example=sample_receipt("0c5e7a52-2b8e-4a55-9d6c-1b2f0b8f7e01"))
@bp.alt_response(201, schema=JobRecordSchema, headers=LOCATION, success=True,
                 description="The job was received")
@bp.alt_response(200, schema=JobRecordSchema, headers=LOCATION, success=True,
                 description="The Idempotency-Key was used before for the same job: that job")
@bp.alt_response(400, schema=ErrorSchema,
                 description="The body is empty, not JSON, or not a JSON object")
@bp.alt_response(409, schema=ErrorSchema,
                 description="The Idempotency-Key was used before for a different job")
@bp.alt_response(422, schema=ErrorSchema, description="The job is not valid: errors names "
                 "each field (and the register, refund and paperless rules)")
def submit_job(headers: dict, job: dict):
    """Submit a fiscal job

    Validated like every job (the canonical schema); 201 with the job and its Location.
    """
    header_key = headers.get("idempotency_key")
    if header_key is not None:
        body_key = job.get("idempotency_key")
        if body_key is not None and body_key != header_key:
            raise _invalid({"idempotency_key": [
                "The Idempotency-Key header and the body's idempotency_key differ"]})
        job["idempotency_key"] = header_key
    job_json_form = dump_job(job)
    with ledger().session() as s:
        reg, group_id = _target(s, g.account_id, job)
        _check_paperless(reg, job)
        try:
            refund_of = _check_refund(s, g.account_id, job)
        except ValidationError as exc:
            raise _invalid(exc.messages, "The refund is not valid")
        inner = job.get("receipt") or job.get("correction") or {}
        try:
            row, created = ledger_jobs.create_job(
                s, account_id=g.account_id, register_id=reg.id, job_json=job_json_form,
                kind=job["kind"], actor=g.actor, idempotency_key=job.get("idempotency_key"),
                operation=inner.get("operation"), total=job_total(job), refund_of=refund_of,
                register_group_id=group_id)
        except ledger_jobs.IdempotencyConflict as exc:
            raise ApiError(409, "idempotency_conflict", str(exc),
                           {"idempotency_key": [str(exc)]})
        body = job_json(row)
    status = 201 if created else 200
    return body, status, {"Location": url_for("jobs.get_job", job_id=body["id"])}


@bp.route("/jobs/<job_id>", methods=["GET"])
@requires_api_key(bp)
@bp.alt_response(200, schema=JobDetailSchema, success=True,
                 description="The job with its history and attempts")
@bp.alt_response(404, schema=ErrorSchema, description="No such job in this account")
def get_job(job_id: str):
    """Read a job"""
    with ledger().session(readonly=True) as s:
        row = s.get(Job, job_id) if "\x00" not in job_id else None
        if row is None or row.account_id != g.account_id:
            raise ApiError(404, "not_found", f"No job {job_id!r} in this account")
        return job_json(row, history=ledger_jobs.history(s, job_id),
                        attempts=ledger_jobs.attempts(s, job_id))


@bp.route("/jobs", methods=["GET"])
@requires_api_key(bp)
@bp.arguments(JobListArgs(), location="query", unknown=RAISE)
@bp.alt_response(200, schema=JobPageSchema, success=True, description="A page of jobs")
@bp.alt_response(422, schema=ErrorSchema, description="A filter is not valid (errors names it)")
def get_jobs(args: dict):
    """List the print queue

    Newest first, filtered; pass next_cursor as cursor for the next page.
    """
    with ledger().session(readonly=True) as s:
        return list_jobs(s, g.account_id, args)
