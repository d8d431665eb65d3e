"""``GET /api/v1/health``: the database, Redis, the workers' heartbeats and the registers.

Without a key it answers what a load balancer needs (up or not, counts); with an API key it
also lists the account's registers and their live state.
"""
from __future__ import annotations

from datetime import datetime, timezone

from flask import current_app, request
from rq import Worker
from sqlalchemy import func, select, text

from fiscal.ledger.models import Job, Register
from fiscal.model import JobState
from hub.api.auth import BEARER_OPTIONAL, current_key, ledger
from hub.api.parsing import Blueprint
from hub.api.schemas import HealthSchema, HealthUnavailableSchema

bp = Blueprint("health", __name__, url_prefix="/api/v1",
               description="Whether the hub can take and print jobs")
# A worker whose heartbeat is older than this is reported as stale.
HEARTBEAT_STALE_SECONDS = 120


def _database() -> dict:
    try:
        with ledger().session(readonly=True) as s:
            s.execute(text("SELECT 1"))
            pending = s.scalar(select(func.count()).select_from(Job).where(
                Job.state.in_([JobState.RECEIVED, JobState.QUEUED, JobState.SENDING])))
            attention = s.scalar(select(func.count()).select_from(Job).where(
                Job.state == JobState.NEEDS_ATTENTION))
        return {"ok": True, "jobs_pending": pending, "jobs_needing_attention": attention}
    except Exception as exc:
        return {"ok": False, "error": str(exc)}


def _redis_and_workers() -> tuple[dict, list[dict]]:
    redis = current_app.extensions["fiscalhub.redis"]
    if redis is None:
        return {"ok": False, "error": "REDIS_URL is not set"}, []
    try:
        redis.ping()
        now = datetime.now(timezone.utc)
        workers = []
        for w in Worker.all(connection=redis):
            beat = w.last_heartbeat
            if beat is not None and beat.tzinfo is None:
                beat = beat.replace(tzinfo=timezone.utc)
            age = (now - beat).total_seconds() if beat else None
            workers.append({"name": w.name, "state": w.get_state(),
                            "queues": w.queue_names(),
                            "last_heartbeat": beat.isoformat() if beat else None,
                            "alive": age is not None and age < HEARTBEAT_STALE_SECONDS})
        return {"ok": True}, workers
    except Exception as exc:
        return {"ok": False, "error": str(exc)}, []


def _registers(account_id: str | None) -> dict:
    with ledger().session(readonly=True) as s:
        q = select(Register).where(Register.removed_at.is_(None))
        if account_id:
            q = q.where(Register.account_id == account_id)
        regs = list(s.scalars(q))
    summary = {"total": len(regs), "online": sum(1 for r in regs if (r.state or {}).get("online")),
               "suspended": sum(1 for r in regs if r.suspended)}
    if account_id:
        summary["items"] = [{"id": r.id, "name": r.name, "online": bool((r.state or {}).get("online")),
                             "suspended": r.suspended,
                             "last_seen_at": r.last_seen_at.isoformat() if r.last_seen_at else None,
                             "binding_conflict": r.binding_conflict, "state": r.state}
                            for r in regs]
    return summary


@bp.route("/health", methods=["GET"])
@bp.doc(security=BEARER_OPTIONAL)
@bp.alt_response(200, schema=HealthSchema, success=True,
                 description="The database and Redis answer")
@bp.alt_response(503, schema=HealthUnavailableSchema,
                 description="The database or Redis does not answer: an error (code "
                 "unavailable, message) with the same report")
@bp.alt_response(401, response="Unauthorized")
def health():
    """Health of the hub

    Public: without a key, counts only; with an API key, also the account's registers and
    their live state (a key that is sent must be valid).
    """
    account_id = current_key()[0] if request.headers.get("Authorization") else None
    db = _database()
    redis, workers = _redis_and_workers()
    ok = db["ok"] and redis["ok"]
    body = {"status": "ok" if ok else "unavailable", "database": db, "redis": redis,
            "workers": workers, "registers": _registers(account_id) if db["ok"] else None}
    if ok:
        return body, 200
    down = [f"{name} does not answer ({check['error']})"
            for name, check in (("the database", db), ("Redis", redis)) if not check["ok"]]
    # A 503 is an error like any other (code, message) that also carries the whole report.
    return {"code": "unavailable", "message": "; ".join(down).capitalize(), **body}, 503
