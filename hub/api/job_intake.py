"""Accepting a job for an account: the one path every job takes into the ledger from the API —
``POST /api/v1/jobs``, manual receipts, register service actions, refunds and repeats.

:func:`accept_job` checks what the canonical schema cannot know (the register or group is the
account's and usable, the register's paperless and universal-cashier settings, the refund rules
against the original sale) and writes the job, its history and its outbox row in the caller's
transaction. Every refusal is a 422 naming the field; a reused idempotency key with other
content is a 409.
"""
from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy import select

from fiscal.ledger import jobs as ledger_jobs
from fiscal.ledger.cashiers import CashierRefused, check_cashier_for, receipt_cashier
from fiscal.ledger.models import Job, Register, RegisterGroup
from fiscal.ledger.registers import pick_from_group
from fiscal.ledger.tenancy import owned
from fiscal.model import REFUND_OF, JobKind, JobState
from fiscal.refunds import check_refund
from fiscal.schemas import dump_job, job_total, load_job
from hub.api.errors import ApiError, invalid


def _invalid(fields: dict, message: str = "The job is not valid") -> ApiError:
    return invalid(fields, message)


def target(s, account_id: str, job: dict) -> tuple[Register, str | None]:
    """The register the job prints on, and the group it was sent to (if it was)."""
    if job.get("register"):
        reg = owned(s, Register, account_id, job["register"])
        if reg is None:
            raise _invalid({"register": [f"Unknown register {job['register']!r}"]})
        if reg.removed_at is not None:
            raise _invalid({"register": [f"Register {reg.id} was removed"]})
        return reg, None
    group = owned(s, RegisterGroup, account_id, job["register_group"])
    if group is None:
        raise _invalid({"register_group": [f"Unknown register group {job['register_group']!r}"]})
    reg = pick_from_group(s, group)
    if reg is None:
        raise _invalid({"register_group": [f"Register group {group.id} has no active register"]})
    return reg, group.id


def check_paperless(reg: Register, job: dict) -> None:
    receipt = job.get("receipt")
    if receipt is None or not (reg.settings or {}).get("paperless") or receipt.get("paperless"):
        return
    customer = receipt.get("customer") or {}
    if not (customer.get("email") or customer.get("phone")):
        raise _invalid({"receipt": {"customer": [
            f"Register {reg.name} is paperless: the receipt is sent electronically, so "
            "give the customer's email or phone"]}})


def check_cashier(s, reg: Register, job: dict) -> str | None:
    """The account's cashier the job names (its ``cashier`` filled in from the ledger), or None
    (universal cashier). Raises a 422 on ``cashier_id``."""
    try:
        cashier = check_cashier_for(s, reg, job.get("cashier_id"))
    except CashierRefused as exc:
        raise _invalid({exc.field: [exc.message]})
    job.pop("cashier_id", None)     # the job row keeps it; the content names the cashier
    if cashier is None:
        return None
    job["cashier"] = receipt_cashier(cashier)
    return cashier.id


def refunded_receipts(s, original: Job) -> list[dict]:
    """The receipts of the refunds already made of ``original`` (not cancelled)."""
    earlier = s.scalars(select(Job).where(Job.refund_of == original.id,
                                          Job.state != JobState.CANCELLED))
    return [load_job(r.payload)["receipt"] for r in earlier]


def check_refund_of(s, account_id: str, job: dict) -> str | None:
    """The original sale a refund receipt refers to (``receipt.refund_of``), checked: the
    account's printed-or-pending receipt, the matching operation, never more than is left."""
    receipt = job.get("receipt")
    if not receipt or not receipt.get("refund_of"):
        return None
    original = owned(s, Job, account_id, receipt["refund_of"])
    if original is None or original.kind != JobKind.RECEIPT:
        raise _invalid({"receipt": {"refund_of": [
            f"Unknown receipt job {receipt['refund_of']!r}"]}})
    if original.state == JobState.CANCELLED:
        raise _invalid({"receipt": {"refund_of": [
            f"Job {original.id} was cancelled; there is nothing to refund"]}})
    if REFUND_OF.get(receipt["operation"]) != original.operation:
        raise _invalid({"receipt": {"operation": [
            f"Job {original.id} is a {original.operation} receipt; its refund is "
            f"{'sell_refund' if original.operation == 'sell' else 'buy_refund'}"]}})
    try:
        check_refund(load_job(original.payload)["receipt"], refunded_receipts(s, original),
                     receipt)
    except ValidationError as exc:
        raise _invalid(exc.messages, "The refund is not valid")
    return original.id


def accept_job(s, account_id: str, actor: str, job: dict, *, source: dict | None = None,
               connection_id: str | None = None,
               source_event_id: str | None = None) -> tuple[Job, bool]:
    """Store a loaded canonical job (``load_job``'s output) for the account; ``(job,
    created)``. Everything is checked before anything is written."""
    reg, group_id = target(s, account_id, job)
    check_paperless(reg, job)
    cashier_id = check_cashier(s, reg, job)
    key = job.get("idempotency_key")
    earlier = ledger_jobs.find_by_key(s, account_id, key) if key else None
    # A retry of a refund must not be counted against itself: create_job answers it (the
    # first job, or 409 for other content) without the refund check.
    refund_of = check_refund_of(s, account_id, job) if earlier is None else earlier.refund_of
    inner = job.get("receipt") or job.get("correction") or {}
    try:
        return ledger_jobs.create_job(
            s, account_id=account_id, register_id=reg.id, job_json=dump_job(job),
            kind=job["kind"], actor=actor, idempotency_key=job.get("idempotency_key"),
            operation=inner.get("operation"), total=job_total(job), refund_of=refund_of,
            register_group_id=group_id, source=source, cashier_id=cashier_id,
            connection_id=connection_id, source_event_id=source_event_id)
    except ledger_jobs.IdempotencyConflict as exc:
        raise ApiError(409, "idempotency_conflict", str(exc), {"idempotency_key": [str(exc)]})
