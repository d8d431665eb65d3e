"""How jobs look in the API, and the print-queue listing with its filters and keyset pages."""
from __future__ import annotations

from datetime import datetime, time, timezone

from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import and_, or_, select

from fiscal.ledger import jobs as ledger_jobs
from fiscal.ledger.keyset import InvalidCursor, decode_cursor, encode_cursor
from fiscal.ledger.models import Job, JobAttempt, JobEvent
from fiscal.model import JobKind, JobState
from hub.api.errors import bad_cursor

MAX_PAGE = 200
MAX_FD_NUMBER = 2**32 - 1        # FFD tag 1040 is a 32-bit number


def iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def job_json(job: Job, history: list[JobEvent] | None = None,
             attempts: list[JobAttempt] | None = None) -> dict:
    payload = dict(job.payload)
    payload.pop("register", None)
    payload.pop("register_group", None)
    payload.pop("idempotency_key", None)
    payload.pop("cashier_id", None)         # the ledger's column (details show it); the
                                            # payload's cashier is the one printed
    out = {
        "id": job.id, "state": job.state, "kind": job.kind,
        "register": job.register_id, "register_group": job.register_group_id,
        "idempotency_key": job.idempotency_key,
        "total": str(job.total) if job.total is not None else None,
        **{k: v for k, v in payload.items() if k != "kind"},
        "result": job.result, "error": job.error, "attempts": job.attempts,
        "source": job.source, "created_at": iso(job.created_at),
        "updated_at": iso(job.updated_at),
    }
    if history is not None:
        out["history"] = [{"at": iso(e.at), "from": e.from_state, "to": e.to_state,
                           "by": e.actor, "cause": e.cause, "details": e.details}
                          for e in history]
    if attempts is not None:
        out["attempt_log"] = [{"number": a.number, "worker": a.worker,
                               "started_at": iso(a.started_at),
                               "finished_at": iso(a.finished_at), "baseline": a.baseline,
                               "outcome": a.outcome} for a in attempts]
    return out


class _DateOrDateTime(fields.Field):
    """``2026-11-22`` or ``2026-11-22T10:00:00+03:00``; a date alone means its whole day (UTC),
    a time without an offset is UTC."""

    def __init__(self, end_of_day: bool = False, **kw):
        super().__init__(**kw)
        self.end_of_day = end_of_day

    def _deserialize(self, value, attr, data, **kwargs):
        try:
            if len(value) == 10:
                d = datetime.strptime(value, "%Y-%m-%d").date()
                return datetime.combine(d, time.max if self.end_of_day else time.min,
                                        tzinfo=timezone.utc)
            dt = datetime.fromisoformat(value)
        except (TypeError, ValueError):
            raise ValidationError("Not a date (YYYY-MM-DD) or an ISO 8601 date-time.")
        return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _several(what: str) -> str:
    return (f"Only jobs of these {what}s: repeat the parameter or separate values by commas "
            f"({what}=a,b)")


class JobFilterArgs(Schema):
    """The print queue's filters that both the list and the counts take (query parameters).
    Unknown parameters are refused."""

    register = fields.String(validate=validate.Length(max=128),
                             metadata={"description": "Only jobs of this register"})
    job_id = fields.String(validate=validate.Length(min=1, max=128), metadata={
        "description": "A job ID or a document ID: the job with this ID, or the job whose "
                       "idempotency key (the source's document ID) it is"})
    kind = fields.List(fields.String(validate=validate.OneOf([k.value for k in JobKind])),
                       metadata={"description": _several("kind")})
    created_from = _DateOrDateTime(metadata={
        "type": "string", "example": "2026-11-22",
        "description": "Created at or after: a date (from its start, UTC) or an ISO 8601 "
                       "date-time (UTC when it has no offset)"})
    created_to = _DateOrDateTime(end_of_day=True, metadata={
        "type": "string", "example": "2026-11-22",
        "description": "Created at or before: a date (to its end, UTC) or an ISO 8601 "
                       "date-time"})
    amount_min = fields.Decimal(places=2, metadata={"description": "Total at least this"})
    amount_max = fields.Decimal(places=2, metadata={"description": "Total at most this"})
    connection = fields.String(validate=validate.Length(max=128), metadata={
        "description": "Only jobs that came from this source connection"})
    fd_number = fields.Integer(validate=validate.Range(1, MAX_FD_NUMBER), metadata={
        "description": "Only the job printed as this fiscal document number"})

    @validates_schema
    def _ranges(self, data, **kwargs):
        if ("amount_min" in data and "amount_max" in data
                and data["amount_min"] > data["amount_max"]):
            raise ValidationError("amount_min is greater than amount_max", "amount_min")
        if ("created_from" in data and "created_to" in data
                and data["created_from"] > data["created_to"]):
            raise ValidationError("created_from is after created_to", "created_from")


class JobListArgs(JobFilterArgs):
    """The print queue's filters, with the states and the page."""

    state = fields.List(fields.String(validate=validate.OneOf([s.value for s in JobState])),
                        metadata={"description": _several("state")})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE),
                           metadata={"description": "Jobs per page"})
    cursor = fields.String(metadata={"description": "The next_cursor of the previous page"})


def job_conditions(account_id: str, a: dict) -> list:
    """The SQL conditions of the filters in ``a`` (loaded :class:`JobFilterArgs` or
    :class:`JobListArgs`) — the cursor apart."""
    where = [Job.account_id == account_id]
    if "register" in a:
        where.append(Job.register_id == a["register"])
    if "job_id" in a:
        where.append(or_(Job.id == a["job_id"], Job.idempotency_key == a["job_id"]))
    if a.get("state"):
        where.append(Job.state.in_(a["state"]))
    if a.get("kind"):
        where.append(Job.kind.in_(a["kind"]))
    if "created_from" in a:
        where.append(Job.created_at >= a["created_from"])
    if "created_to" in a:
        where.append(Job.created_at <= a["created_to"])
    if "amount_min" in a:
        where.append(Job.total >= a["amount_min"])
    if "amount_max" in a:
        where.append(Job.total <= a["amount_max"])
    if "connection" in a:
        where.append(Job.connection_id == a["connection"])
    if "fd_number" in a:
        where.append(Job.fd_number == a["fd_number"])
    return where


def _decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        return decode_cursor(cursor)
    except InvalidCursor:
        raise bad_cursor() from None


def list_jobs(s, account_id: str, a: dict) -> dict:
    """The page ``a`` (loaded :class:`JobListArgs`) asks for, newest first; ``next_cursor``
    fetches the next page (keyset on created_at, id)."""
    q = select(Job).where(*job_conditions(account_id, a))
    if "cursor" in a:
        created, job_id = _decode_cursor(a["cursor"])
        # The redundant `created_at <= c` bounds the index range; the OR alone makes SQLite
        # scan from the newest row down to the cursor (bench/queue_list.py: deep pages).
        q = q.where(Job.created_at <= created,
                    or_(Job.created_at < created,
                        and_(Job.created_at == created, Job.id < job_id)))
    limit = a["limit"]
    rows = list(s.scalars(q.order_by(Job.created_at.desc(), Job.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return {"items": [job_json(r) for r in rows],
            "next_cursor": (encode_cursor(rows[-1].created_at, rows[-1].id)
                            if more else None)}


def count_jobs(s, account_id: str, a: dict) -> dict:
    """Jobs per state (every state, 0 included) and in all, for the filters ``a`` (loaded
    :class:`JobFilterArgs`)."""
    by_state = ledger_jobs.count_by_state(s, *job_conditions(account_id, a))
    return {"by_state": by_state, "total": sum(by_state.values())}
