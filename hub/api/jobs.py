"""``/api/v1/jobs``: submit a canonical fiscal job, read it back, list the print queue."""
from __future__ import annotations

from flask import g, url_for
from marshmallow import RAISE, Schema, fields, validate

from fiscal.samples import sample_receipt
from fiscal.schemas import JobSchema
from hub.api.auth import ledger, requires
from hub.api.errors import invalid
from hub.api.job_details import job_details, owned_job
from hub.api.job_intake import accept_job
from hub.api.job_views import JobListArgs, job_json, list_jobs
from hub.api.parsing import Blueprint
from hub.api.queue_schemas import JobDetailsSchema
from hub.api.schemas import ErrorSchema, JobPageSchema, JobRecordSchema

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


@bp.route("/jobs", methods=["POST"])
@requires(bp, "jobs.create")
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
            raise invalid({"idempotency_key": [
                "The Idempotency-Key header and the body's idempotency_key differ"]})
        job["idempotency_key"] = header_key
    with ledger().session() as s:
        row, created = accept_job(s, g.account_id, g.actor, job)
        body = job_json(row)
    status = 201 if created else 200
    return body, status, {"Location": url_for("jobs.get_job", job_id=body["id"])}


@bp.route("/jobs/<job_id>", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=JobDetailsSchema, success=True,
                 description="The job with its history, attempts, source and refunds")
@bp.alt_response(404, schema=ErrorSchema, description="No such job in this account")
def get_job(job_id: str):
    """Read a job

    The whole job: its content, state, fiscal result and error, its history (who changed its
    state, when and why; a repeat's previous content), its attempts, where it came from
    (source, connection_id), its cashier, the receipt it refunds, and for a printed sale the
    refunds made of it and what is left to refund (by line and payment type).
    """
    with ledger().session(readonly=True) as s:
        return job_details(s, owned_job(s, g.account_id, job_id))


@bp.route("/jobs", methods=["GET"])
@requires(bp, "read")
@bp.arguments(JobListArgs(), location="query", unknown=RAISE)
@bp.alt_response(200, schema=JobPageSchema, success=True, description="A page of jobs")
@bp.alt_response(422, schema=ErrorSchema, description="A filter is not valid (errors names it)")
def get_jobs(args: dict):
    """List the print queue

    Newest first, filtered; pass next_cursor as cursor for the next page.
    """
    with ledger().session(readonly=True) as s:
        return list_jobs(s, g.account_id, args)
