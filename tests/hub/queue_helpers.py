"""Helpers of the print-queue tests: post jobs, print them on the virtual register, make a job
fail or need attention, look at the ledger."""
from __future__ import annotations

import json

from sqlalchemy import func, select

from fiscal.ledger import jobs as ledger_jobs
from fiscal.ledger.models import AuditEntry, Job
from fiscal.simulators.fiscal_memory import FiscalMemory
from receipts import receipt_job


def post_job(client, auth, body, status=201) -> dict:
    resp = client.post("/api/v1/jobs", data=json.dumps(body), headers=auth,
                       content_type="application/json")
    assert resp.status_code == status, resp.json
    return resp.json


def post(client, auth, url, body=None):
    """POST ``body`` as JSON (nothing when None) with ``auth`` (headers or a UserClient)."""
    kw = {"data": json.dumps(body), "content_type": "application/json"} if body is not None else {}
    if hasattr(client, "client"):           # a UserClient: the cookie and the CSRF token
        return client.post(url, **kw)
    return client.post(url, headers=auth, **kw)


def mixed_sale(register_id: str, **overrides) -> dict:
    """850.50: Борщ 2 × 350.00 and Чай 150.50, paid 500.00 by card and 400.00 in cash."""
    return receipt_job(register_id, payments=[{"type": "electronic", "amount": "500.00"},
                                              {"type": "cash", "amount": "400.00"}],
                       customer={"email": "guest@example.com"}, **overrides)


def print_all(relay, run_worker, register_id: str) -> None:
    relay.dispatch()
    run_worker(register_id)


def printed_job(client, auth, register, relay, run_worker, body=None) -> dict:
    job = post_job(client, auth, body or mixed_sale(register["id"]))
    print_all(relay, run_worker, register["id"])
    got = client.get(f"/api/v1/jobs/{job['id']}", headers=auth).json
    assert got["state"] == "printed", got
    return got


def failed_job(client, auth, register, relay, run_worker, body=None) -> dict:
    """A job the register refused (paper out): failed, not retried automatically."""
    job = post_job(client, auth, body or receipt_job(register["id"]))
    FiscalMemory(register["memory"]).arm_fault("paper_out", on="receipt")
    print_all(relay, run_worker, register["id"])
    got = client.get(f"/api/v1/jobs/{job['id']}", headers=auth).json
    assert got["state"] == "failed", got
    FiscalMemory(register["memory"]).set_paper(True)          # the operator loads paper
    return got


def needs_attention_job(ledger, job_id: str) -> None:
    """Walk a received job to needs_attention, as a worker that could not settle it would."""
    with ledger.session() as s:
        for old, new in (("received", "queued"), ("queued", "sending"),
                         ("sending", "needs_attention")):
            ledger_jobs.transition(s, job_id, old, new, actor="worker:test", cause="test",
                                   **({"error": {"code": "unconfirmed", "message": "unknown"}}
                                      if new == "needs_attention" else {}))


def set_state(ledger, job_id: str, *path: str) -> None:
    with ledger.session() as s:
        for old, new in zip(path, path[1:]):
            ledger_jobs.transition(s, job_id, old, new, actor="test", cause="test")


def job_row(ledger, job_id: str) -> dict:
    with ledger.session(readonly=True) as s:
        job = s.get(Job, job_id)
        return {"state": job.state, "payload": job.payload, "total": job.total,
                "version": job.version, "events": len(ledger_jobs.history(s, job_id))}


def job_count(ledger, **where) -> int:
    with ledger.session(readonly=True) as s:
        q = select(func.count()).select_from(Job)
        for key, value in where.items():
            q = q.where(getattr(Job, key) == value)
        return s.scalar(q)


def audit_actions(ledger, account_id: str) -> list[tuple[str, str | None]]:
    with ledger.session(readonly=True) as s:
        return [(a.action, a.target_id) for a in s.scalars(
            select(AuditEntry).where(AuditEntry.account_id == account_id)
            .order_by(AuditEntry.id))]
