"""The scheduler's built-in work: a connection's end of day, the 24-hour shift guard, polling.

Each function does one run's work for :class:`hub.scheduler.Scheduler` and is idempotent, as
every run must be (a run taken over from a scheduler that died runs again):

* **End of day** stores the connector's end-of-day intents as the source event
  ``end_of_day:<business day>`` (deduplicated per connection), then queues a Z report
  (``close_shift``) on each of the connection's registers set to close at end of day, under the
  key ``end_of_day:<register>:<business day>`` — a register two connections print on is still
  closed once per business day.
* **The shift guard** queues a Z report on a register whose shift has been open for almost 24
  hours (a register refuses fiscal documents after 24), keyed by register and shift number.
* **Polling** asks the connector for events since the start of the last successful poll and
  takes them in like webhook deliveries (deduplicated by event ID).
"""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from fiscal.ledger import scheduled_runs
from fiscal.ledger.cashiers import cashier_register_ids, list_cashiers, may_use
from fiscal.ledger.connections import live_connection
from fiscal.ledger.groups import member_ids
from fiscal.ledger.jobs import find_by_key
from fiscal.ledger.models import Job, Register
from fiscal.ledger.registers import pending_counts
from fiscal.ledger.source_events import find_event
from fiscal.model import JobKind, JobState
from fiscal.schemas import load_job
from hub.api.errors import ApiError
from hub.api.job_intake import accept_job
from hub.connection_runtime import connector_class, load_connector, run_end_of_day
from hub.connectors import NotSupported, SourceEvent
from hub.intake import outcome_of

ACTOR = "scheduler"
WAITING = (JobState.RECEIVED, JobState.QUEUED, JobState.HELD, JobState.SENDING)
# How far back the shift guard looks for a shift's first document when the driver does not
# report when the shift was opened (the Shtrih-M driver does not): a shift is at most 24 h.
SHIFT_LOOKBACK = timedelta(hours=26)


class RunIncomplete(Exception):
    """A run that did part of its work: it fails (and is retried) keeping ``result``."""

    def __init__(self, message: str, result: dict | None = None):
        super().__init__(message)
        self.message, self.result = message, result


def in_words(exc: BaseException) -> str:
    """An exception as a run's error: what it says, and what it is."""
    text = getattr(exc, "reason", None) or getattr(exc, "message", None) or str(exc)
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


# -- Z reports -------------------------------------------------------------------------------

def pick_cashier(s, reg: Register) -> tuple[str | None, str | None]:
    """The cashier a Z report on ``reg`` names: none while the universal cashier is on; else
    a cashier assigned to this register (by name), else one allowed on every register.
    ``(cashier id, None)`` or ``(None, why there is none)``."""
    if (reg.settings or {}).get("universal_cashier", True):
        return None, None
    allowed = [c for c in list_cashiers(s, reg.account_id) if may_use(s, c, reg.id)]
    if not allowed:
        return None, (f"the register {reg.name} has the universal cashier off and no cashier "
                      "of the account may use it: add one, or turn the universal cashier on")
    assigned = [c for c in allowed if cashier_register_ids(s, c.id)]
    return (assigned or allowed)[0].id, None


def queue_z_report(s, reg: Register, key: str, *, source: dict, connection_id: str | None,
                   skip_closed_shift: bool) -> tuple[dict, bool]:
    """Queue a Z report on ``reg`` under ``key`` unless there is no need. ``(what was done,
    whether it is a problem)``: a skip for a good reason is not; a Z report that should be
    queued and cannot is."""
    out = {"register_id": reg.id}
    if reg.removed_at is not None:
        return {**out, "skipped": "the register was removed"}, False
    if reg.suspended:
        return {**out, "skipped": "the register is suspended: nothing prints on it until it "
                                  "is activated"}, False
    earlier = find_by_key(s, reg.account_id, key)
    if earlier is not None:
        return {**out, "job_id": earlier.id, "created": False}, False
    waiting = s.scalar(select(Job.id).where(Job.register_id == reg.id,
                                            Job.kind == JobKind.CLOSE_SHIFT,
                                            Job.state.in_(WAITING)).limit(1))
    if waiting is not None:
        return {**out, "skipped": f"a Z report is waiting to print already (job {waiting})"}, \
            False
    if (skip_closed_shift and (reg.state or {}).get("shift_open") is False
            and not pending_counts(s, [reg.id])):
        return {**out, "skipped": "the shift is closed (as the register last reported) and "
                                  "no job is waiting to print"}, False
    cashier_id, no_cashier = pick_cashier(s, reg)
    if no_cashier:
        return {**out, "skipped": no_cashier}, True
    job = load_job({"kind": "close_shift", "register": reg.id, "idempotency_key": key,
                    **({"cashier_id": cashier_id} if cashier_id else {})})
    try:
        with s.begin_nested():
            row, created = accept_job(s, reg.account_id, ACTOR, job, source=source,
                                      connection_id=connection_id)
    except ApiError as exc:
        return {**out, "skipped": f"the Z report was refused: {exc.message}",
                "errors": exc.errors}, True
    return {**out, "job_id": row.id, "created": created}, False


# -- end of day ------------------------------------------------------------------------------

def end_of_day(sched, connection_id: str, day: date, due_at: datetime, final: bool) -> dict:
    """Close business day ``day`` of the connection. The Z reports wait for the connector's
    part (its receipts print first); on the ``final`` attempt they go ahead without it."""
    with sched.ledger.session(readonly=True) as s:
        conn = live_connection(s, connection_id)
    if conn is None:
        return {"business_day": day.isoformat(), "skipped": "the connection was deleted"}
    result: dict = {"business_day": day.isoformat()}
    problems = []
    try:
        result["event"] = _end_of_day_event(sched, conn, day, due_at)
    except Exception as exc:            # the source system or the connector: tell, go on
        problems.append(f"{conn.connector} end of day failed: {in_words(exc)}")
        result["event"] = {"error": problems[-1]}
        if not final:
            raise RunIncomplete(f"{problems[-1]}; the Z reports wait for it (tried again "
                                "later)", result)
    if (result["event"] or {}).get("state") == "rejected":
        problems.append(f"the end-of-day event was rejected: {result['event']['reason']}")
    source = {"scheduler": "end_of_day", "connection_id": conn.id,
              "connector": conn.connector, "business_day": day.isoformat()}
    result["z_reports"] = []
    with sched.ledger.session() as s:
        ids = [conn.register_id] if conn.register_id else member_ids(s, conn.register_group_id)
        for reg in (s.get(Register, r) for r in ids):
            if reg is None or reg.account_id != conn.account_id:
                continue
            if not (reg.settings or {}).get("close_shift_at_end_of_day"):
                result["z_reports"].append({"register_id": reg.id, "skipped":
                                            "close shift at end of day is off"})
                continue
            entry, problem = queue_z_report(
                s, reg, f"end_of_day:{reg.id}:{day.isoformat()}", source=source,
                connection_id=conn.id, skip_closed_shift=True)
            result["z_reports"].append(entry)
            if problem:
                problems.append(f"no Z report on {reg.name}: {entry['skipped']}")
    if problems:
        raise RunIncomplete("; ".join(problems), result)
    return result


def _end_of_day_event(sched, conn, day: date, due_at: datetime) -> dict:
    """The connector's end-of-day intents, stored once as the event ``end_of_day:<day>``."""
    if not connector_class(sched.host, conn.connector).supports("end_of_day"):
        return {"supported": False}
    event_id = f"end_of_day:{day.isoformat()}"
    with sched.ledger.session(readonly=True) as s:
        row = find_event(s, conn.id, event_id)
        if row is not None:         # a retry: the source system is not asked twice
            return outcome_of(s, row, duplicate=True).to_json()
    connector = load_connector(sched.host, conn)
    http = sched.http_factory(conn)
    try:
        intents = run_end_of_day(sched.ledger, connector, conn, day, http)
    except NotSupported:
        return {"supported": False}
    finally:
        http.close()
    event = SourceEvent(event_id=event_id, type="end_of_day", occurred_at=due_at,
                        payload={"business_day": day.isoformat(),
                                 "closing_time": conn.closing_time,
                                 "time_zone": conn.time_zone})
    return sched.intake.accept_intents(conn, event, intents, actor=ACTOR).to_json()


# -- the 24-hour shift guard -----------------------------------------------------------------

def _instant(value) -> datetime | None:
    """A driver's ISO time; one without an offset is taken as UTC."""
    if not isinstance(value, str):
        return None
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        return None
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def shift_opened_at(s, reg: Register, shift_number: int, now: datetime) -> datetime | None:
    """When the register's open shift was opened: as its driver reported it, or else the time
    of the shift's first document printed through the hub (auto-open opens the shift right
    before it); None when neither is known."""
    state = reg.state or {}
    opened = _instant(state.get("shift_opened_at"))
    if opened is not None:
        return opened
    rows = s.scalars(select(Job.result).where(
        Job.account_id == reg.account_id, Job.register_id == reg.id,
        Job.created_at >= now - SHIFT_LOOKBACK, Job.state == JobState.PRINTED,
        Job.fd_number.is_not(None)))
    times = [_instant(r.get("issued_at")) for r in rows
             if isinstance(r, dict) and r.get("shift_number") == shift_number]
    times = [t for t in times if t is not None]
    return min(times) if times else None


def shift_guard_due(s, now: datetime, limit: timedelta) -> list[tuple[Register, int, datetime]]:
    """Registers whose open shift is due for the guard's Z report: ``(register, shift number,
    when it fell due)``. Due ``limit`` after the shift opened, or now when the driver says the
    shift is past 24 hours and nothing says since when."""
    due = []
    for reg in s.scalars(select(Register).where(Register.removed_at.is_(None),
                                                Register.suspended.is_(False))):
        state = reg.state or {}
        number = state.get("shift_number")
        if state.get("shift_open") is not True or not isinstance(number, int):
            continue
        opened = shift_opened_at(s, reg, number, now)
        at = opened + limit if opened is not None else (
            now if state.get("shift_expired") is True else None)
        if at is not None and at <= now:
            due.append((reg, number, at))
    return due


def shift_guard(sched, register_id: str, shift_number: int) -> dict:
    """Queue the Z report closing shift ``shift_number`` of the register."""
    out = {"register_id": register_id, "shift_number": shift_number}
    with sched.ledger.session() as s:
        reg = s.get(Register, register_id)
        state = (reg.state or {}) if reg is not None else {}
        if state.get("shift_open") is not True or state.get("shift_number") != shift_number:
            return {**out, "skipped": "the shift was closed meanwhile"}
        entry, problem = queue_z_report(
            s, reg, f"shift_guard:{reg.id}:{shift_number}", connection_id=None,
            source={"scheduler": "shift_guard", "shift_number": shift_number},
            skip_closed_shift=False)
    if problem:
        raise RunIncomplete(f"no Z report on {reg.name} before its shift reaches 24 hours: "
                            f"{entry['skipped']}", {**out, **entry})
    return {**out, **entry}


# -- polling ---------------------------------------------------------------------------------

def poll(sched, connection_id: str, run_name: str) -> dict:
    """Take in the events the connector finds since the start of the last successful poll."""
    with sched.ledger.session(readonly=True) as s:
        conn = live_connection(s, connection_id)
        last = scheduled_runs.last_done(s, run_name)
    if conn is None:
        return {"skipped": "the connection was deleted"}
    since = last.started_at if last is not None else None
    connector = load_connector(sched.host, conn)
    http = sched.http_factory(conn)
    try:
        events = connector.poll(since, http)
    except Exception as exc:
        raise RunIncomplete(f"{conn.connector} poll failed: {in_words(exc)}",
                            {"since": since.isoformat() if since else None}) from exc
    finally:
        http.close()
    if not isinstance(events, (list, tuple)) or not all(isinstance(e, SourceEvent)
                                                        for e in events):
        raise RunIncomplete(f"{conn.connector} poll must return a list of SourceEvent, not "
                            f"{type(events).__name__}")
    outcomes = (sched.intake.accept_events(conn, connector, list(events), actor=ACTOR)
                if events else [])
    return {"since": since.isoformat() if since else None, "events": len(outcomes),
            "new": sum(not o.duplicate for o in outcomes),
            "duplicates": sum(o.duplicate for o in outcomes),
            "rejected": sum(o.state == "rejected" and not o.duplicate for o in outcomes),
            "job_ids": [j for o in outcomes if not o.duplicate for j in o.job_ids],
            "posting_ids": [p for o in outcomes if not o.duplicate for p in o.posting_ids]}
