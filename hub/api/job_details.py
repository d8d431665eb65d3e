"""A job's details as the print queue shows them: the job, its history and attempts, where it
came from, and for a receipt its refunds and what is left to refund of it."""
from __future__ import annotations

from sqlalchemy import select

from fiscal.ledger import jobs as ledger_jobs
from fiscal.ledger.models import Job
from fiscal.ledger.tenancy import owned
from fiscal.model import REFUND_OF, JobKind, JobState
from fiscal.refunds import lines_left, payments_left, refund_left
from fiscal.schemas import load_job
from hub.api.errors import ApiError
from hub.api.job_intake import refunded_receipts
from hub.api.job_views import iso, job_json


def owned_job(s, account_id: str, job_id: str) -> Job:
    """The account's job ``job_id``; 404 ``not_found`` for a missing one and for another
    account's alike."""
    row = owned(s, Job, account_id, job_id) if "\x00" not in job_id else None
    if row is None:
        raise ApiError(404, "not_found", f"No job {job_id!r} in this account")
    return row


def is_refundable(job: Job) -> bool:
    """A printed sell or buy receipt: what ``POST /jobs/{id}/refund`` takes."""
    return (job.kind == JobKind.RECEIPT and job.state == JobState.PRINTED
            and job.operation is not None and job.operation not in REFUND_OF)


def refund_left_json(s, job: Job) -> dict | None:
    """What is left to refund of a printed sale (by line and payment type), else None."""
    if not is_refundable(job):
        return None
    receipt = load_job(job.payload)["receipt"]
    earlier = refunded_receipts(s, job)
    lines = lines_left(receipt, earlier)
    return {
        "total": str(refund_left(receipt, earlier).total),
        "items": [{"index": line.index, "name": item["name"], "sku": item.get("sku"),
                   "price": str(item["price"]), "quantity": str(line.quantity),
                   "amount": str(line.amount)}
                  for line, item in zip(lines, receipt["items"])],
        "payments": [{"type": kind, "amount": str(amount)}
                     for kind, amount in payments_left(receipt, earlier).items()],
    }


def job_details(s, job: Job) -> dict:
    """The whole job (:class:`hub.api.queue_schemas.JobDetailsSchema`)."""
    out = job_json(job, history=ledger_jobs.history(s, job.id),
                   attempts=ledger_jobs.attempts(s, job.id))
    # By refund_of alone (index ix_jobs_refund_of; a refund is its sale's account's): with the
    # account in the condition and its order, SQLite walked the account's jobs by date instead.
    refunds = sorted(s.scalars(select(Job).where(Job.refund_of == job.id)),
                     key=lambda r: (r.created_at, r.id))
    out.update(
        connection_id=job.connection_id, cashier_id=job.cashier_id, refund_of=job.refund_of,
        refunds=[{"id": r.id, "state": r.state,
                  "total": str(r.total) if r.total is not None else None,
                  "created_at": iso(r.created_at)} for r in refunds],
        refund_left=refund_left_json(s, job))
    return out
