"""Corrected content for a repeated job: validated exactly like a new job (the canonical schema
and the intake's register, paperless, cashier and refund checks), with what a repeat may not
change — the kind, the operation, the register, the receipt it refunds, the idempotency key —
kept. Every refusal is a 422 with the fields under ``content``."""
from __future__ import annotations

from marshmallow import ValidationError
from sqlalchemy import select

from fiscal.ledger.models import Job, Register
from fiscal.model import JobState
from fiscal.refunds import check_refund
from fiscal.schemas import dump_job, job_total, load_job
from hub.api.errors import ApiError, invalid
from hub.api.job_intake import check_cashier, check_paperless

MESSAGE = "The corrected content is not valid"
TARGET_KEYS = ("register", "register_group", "idempotency_key")


def _refused(errors: dict) -> ApiError:
    return invalid({"content": errors}, MESSAGE)


def _kept(job: Job, content: dict) -> dict:
    """Errors for what the content may not change (the target and the idempotency key)."""
    errors = {}
    if "register" in content and content["register"] != job.register_id:
        errors["register"] = [f"A repeat prints on the job's register {job.register_id}; to "
                              "print elsewhere, cancel the job and submit a new one"]
    if "register_group" in content and content["register_group"] != job.register_group_id:
        errors["register_group"] = [f"A repeat prints on the job's register {job.register_id}"
                                    + (f" (group {job.register_group_id})"
                                       if job.register_group_id else "")]
    if "idempotency_key" in content and content["idempotency_key"] != job.idempotency_key:
        errors["idempotency_key"] = [f"The job keeps its idempotency key "
                                     f"{job.idempotency_key!r}"]
    return errors


def _same_document(job: Job, loaded: dict) -> dict:
    errors = {}
    if loaded["kind"] != job.kind:
        errors["kind"] = [f"A repeat keeps the job's kind {job.kind}; for another document, "
                          "cancel the job and submit a new one"]
        return errors
    inner_name = "receipt" if "receipt" in loaded else "correction"
    inner = loaded.get(inner_name) or {}
    if inner.get("operation") != job.operation:
        errors[inner_name] = {"operation": [f"A repeat keeps the job's operation "
                                            f"{job.operation}"]}
    if inner_name == "receipt" and inner.get("refund_of") != job.refund_of:
        errors.setdefault("receipt", {})["refund_of"] = [
            f"A repeat refunds what the job refunds: {job.refund_of}" if job.refund_of
            else "A repeat cannot make the job a refund of another receipt"]
    return errors


def _check_refund(s, job: Job, loaded: dict) -> None:
    """The corrected refund against what is left of the original — the job's own earlier
    content not counted (it was not printed)."""
    if not job.refund_of:
        return
    original = s.get(Job, job.refund_of)
    others = s.scalars(select(Job).where(Job.refund_of == original.id, Job.id != job.id,
                                         Job.state != JobState.CANCELLED))
    try:
        check_refund(load_job(original.payload)["receipt"],
                     [load_job(r.payload)["receipt"] for r in others], loaded["receipt"])
    except ValidationError as exc:
        raise _refused(exc.messages)


def corrected(s, job: Job, reg: Register, content: dict) -> dict:
    """The ledger fields of ``job`` with ``content`` (a canonical job as posted): ``payload``,
    ``total``, ``cashier_id``. Raises a 422 naming ``content.<field>``."""
    errors = _kept(job, content)
    body = {k: v for k, v in content.items() if k not in TARGET_KEYS}
    body["register"] = job.register_id
    try:
        loaded = load_job(body)
    except ValidationError as exc:
        errors.update(exc.messages)
    if errors:
        raise _refused(errors)
    errors = _same_document(job, loaded)
    if errors:
        raise _refused(errors)
    try:
        check_paperless(reg, loaded)
        cashier_id = check_cashier(s, reg, loaded)
    except ApiError as exc:
        raise _refused(exc.errors or {})
    _check_refund(s, job, loaded)
    # check_cashier moved the cashier's ID to the ledger's column; the payload names them.
    payload = {k: v for k, v in dump_job(loaded).items() if k not in TARGET_KEYS}
    payload.update({k: job.payload[k] for k in TARGET_KEYS if k in job.payload})
    return {"payload": payload, "total": job_total(loaded), "cashier_id": cashier_id}
