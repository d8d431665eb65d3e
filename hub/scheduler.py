"""The scheduler: runs periodic work — each connection's end of day, the 24-hour shift guard,
polling, and the periodic jobs plugins register — once per period, recorded in the ledger.

One :meth:`Scheduler.tick` looks at every periodic job, works out the latest period due now
(:mod:`hub.periodic`), and runs it unless the ledger has a run of it already
(:mod:`fiscal.ledger.scheduled_runs`: the unique (name, period) row is the lock, so any number
of schedulers may run side by side, and one restarted finds what the last one did). Only the
*latest* due period runs: a scheduler that was down for a week closes the last business day
once, not seven times. A run that raises is recorded ``failed`` with the cause in words and
retried after a backoff; one failing job never stops the others.

The time comes from ``clock`` (aware UTC), so tests can drive the scheduler across midnight,
DST changes and restarts. The scheduler never builds the Flask app.
"""
from __future__ import annotations

import json
import logging
import threading
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from typing import Any, Callable

from fiscal.ledger import scheduled_runs
from fiscal.ledger.connections import list_connections
from fiscal.ledger.models import utcnow
from hub import scheduled_jobs
from hub.connection_runtime import http_session
from hub.connectors import connectors
from hub.periodic import BusinessDay, Every, Period, PeriodicJob
from hub.plugins import PluginConflict

log = logging.getLogger(__name__)
DEFAULT_INTERVAL = 15.0
DEFAULT_SHIFT_GUARD_MARGIN = timedelta(minutes=30)
DEFAULT_RUN_TIMEOUT = timedelta(minutes=10)
SHIFT_LIMIT = timedelta(hours=24)


@dataclass
class Due:
    """A period of some job that is due now, and the work that runs it."""

    name: str
    period: Period
    work: Callable[[scheduled_runs.Claim], Any]
    account_id: str | None = None
    connection_id: str | None = None
    timeout: timedelta = DEFAULT_RUN_TIMEOUT


@dataclass
class RunReport:
    """What one run did in a tick."""

    name: str
    period: str
    state: str
    attempt: int
    how: str
    result: dict | None = None
    error: str | None = None
    recorded: bool = True        # False: another scheduler took the run over meanwhile

    def line(self) -> str:
        tail = self.error or json.dumps(self.result, ensure_ascii=False, default=str)
        return f"{self.name} {self.period}: {self.state} (attempt {self.attempt}) {tail}"


def plugin_periodic_jobs(host) -> list[PeriodicJob]:
    """The periodic jobs every plugin registers, checked: PeriodicJob instances with names no
    two plugins share (a clash stops the scheduler at startup, as for drivers)."""
    found: dict[str, PeriodicJob] = {}
    owners: dict[str, str] = {}
    for impl in host.pm.hook.fiscalhub_register_periodic_jobs.get_hookimpls():
        kwargs = {"hub": host} if "hub" in impl.argnames else {}
        for job in impl.function(**kwargs) or ():
            if not isinstance(job, PeriodicJob):
                raise PluginConflict(f"{impl.plugin_name} registers {job!r} as a periodic job; "
                                     "return hub.periodic.PeriodicJob instances")
            if job.name in found:
                raise PluginConflict(f"periodic job {job.name!r} is registered by both "
                                     f"{owners[job.name]} and {impl.plugin_name}")
            found[job.name], owners[job.name] = job, impl.plugin_name
    return list(found.values())


def _jsonable(value: Any) -> dict | None:
    """A result as the ledger stores it: a JSON object (Decimals and times as strings)."""
    if value is None:
        return None
    if not isinstance(value, dict):
        value = {"returned": value}
    return json.loads(json.dumps(value, ensure_ascii=False, default=str))


def _level(report: RunReport) -> int:
    """Failures are warnings; a poll that found nothing new (every minute) is not news."""
    if report.state == scheduled_runs.FAILED:
        return logging.WARNING
    quiet = report.name.startswith("poll:") and not (report.result or {}).get("new")
    return logging.DEBUG if quiet else logging.INFO


def utc_clock() -> datetime:
    return utcnow()


class Scheduler:
    """Runs due periods of every periodic job; ``tick()`` once, ``run_forever()`` in a loop."""

    def __init__(self, ledger, host, intake, clock: Callable[[], datetime] = utc_clock, *,
                 shift_guard_margin: timedelta = DEFAULT_SHIFT_GUARD_MARGIN,
                 run_timeout: timedelta = DEFAULT_RUN_TIMEOUT,
                 max_attempts: int = scheduled_runs.MAX_ATTEMPTS,
                 retry_base: timedelta = scheduled_runs.RETRY_BASE,
                 http_factory=http_session):
        if not timedelta(0) <= shift_guard_margin < SHIFT_LIMIT:
            raise ValueError("the shift guard's margin is between 0 and 24 hours")
        self.ledger, self.host, self.intake, self.clock = ledger, host, intake, clock
        self.shift_limit = SHIFT_LIMIT - shift_guard_margin
        self.run_timeout, self.max_attempts, self.retry_base = (run_timeout, max_attempts,
                                                                retry_base)
        self.http_factory = http_factory
        self.plugin_jobs = plugin_periodic_jobs(host)

    def now(self) -> datetime:
        at = self.clock()
        if at.tzinfo is None:
            raise ValueError("the scheduler's clock must give aware datetimes (UTC)")
        return at.astimezone(timezone.utc)

    # -- the loop ---------------------------------------------------------------------------
    def run_forever(self, stop: threading.Event, interval: float = DEFAULT_INTERVAL) -> None:
        """Tick every ``interval`` seconds until ``stop`` is set. A tick that fails (the
        database is away) is logged; the next one tries again."""
        while not stop.is_set():
            try:
                for report in self.tick():
                    log.log(_level(report), "scheduled run %s", report.line())
            except Exception:
                log.exception("a scheduler tick failed; trying again in %s s", interval)
            stop.wait(interval)

    def tick(self) -> list[RunReport]:
        """One pass: run every due period that has no run yet (or whose run is to be retried
        or taken over). Returns what ran."""
        now = self.now()
        dues = self.due(now)
        with self.ledger.session(readonly=True) as s:
            known = scheduled_runs.find_runs(s, [(d.name, d.period.key) for d in dues])
        reports = []
        for due in dues:
            if not scheduled_runs.wants_attempt(
                    known.get((due.name, due.period.key)), now, timeout=due.timeout,
                    max_attempts=self.max_attempts, retry_base=self.retry_base):
                continue                    # done, running elsewhere, or waiting: no lock
            try:
                report = self._run(due, now)
            except Exception:               # the ledger refused the claim or the record
                log.exception("scheduled run %s %s could not be recorded", due.name,
                              due.period.key)
                continue
            if report is not None:
                reports.append(report)
        return reports

    def _run(self, due: Due, now: datetime) -> RunReport | None:
        with self.ledger.session() as s:
            claim = scheduled_runs.acquire(
                s, name=due.name, period=due.period.key, due_at=due.period.due_at, now=now,
                account_id=due.account_id, connection_id=due.connection_id,
                timeout=due.timeout, max_attempts=self.max_attempts,
                retry_base=self.retry_base)
        if claim is None:
            return None
        result, error = None, None
        try:
            result, state = _jsonable(due.work(claim)), scheduled_runs.DONE
        except scheduled_jobs.RunIncomplete as exc:
            result, error, state = _jsonable(exc.result), exc.message, scheduled_runs.FAILED
        except Exception as exc:            # a plugin's or a connector's bug: keep the cause
            log.warning("scheduled run %s %s raised", due.name, due.period.key, exc_info=True)
            error, state = f"{due.name} raised {scheduled_jobs.in_words(exc)}", \
                scheduled_runs.FAILED
        with self.ledger.session() as s:
            recorded = scheduled_runs.finish(s, claim, state=state, now=self.now(),
                                             result=result, error=error)
        if not recorded:
            log.warning("scheduled run %s %s was taken over by another scheduler while it ran",
                        due.name, due.period.key)
        return RunReport(name=due.name, period=due.period.key, state=state,
                         attempt=claim.attempt, how=claim.how, result=result, error=error,
                         recorded=recorded)

    # -- what is due ------------------------------------------------------------------------
    def due(self, now: datetime) -> list[Due]:
        """Every job's latest period due at ``now`` (whether it ran already is the ledger's
        to say). A source that fails to say is logged and left out of this tick only."""
        found: list[Due] = []
        for source in (self._connection_work, self._shift_guard_work, self._plugin_work):
            try:
                found.extend(source(now))
            except Exception:
                log.exception("the scheduler could not list %s", source.__name__)
        return found

    def _connection_work(self, now: datetime) -> list[Due]:
        with self.ledger.session(readonly=True) as s:
            connections = list_connections(s, None)
        try:
            installed = connectors(self.host)
        except Exception:                   # a plugin's conflict: end of day still runs
            log.exception("the connectors could not be listed; no polling this tick")
            installed = {}
        found = []
        for conn in connections:
            try:
                found.extend(self._for_connection(conn, installed.get(conn.connector), now))
            except Exception:               # a broken time zone, say: the others go on
                log.exception("connection %s: cannot schedule its work", conn.id)
        return found

    def _for_connection(self, conn, cls, now: datetime) -> list[Due]:
        found = []
        closing = BusinessDay.of(conn.closing_time, conn.time_zone).latest(now)
        # A business day that closed before the connection existed is not its to close.
        if closing.due_at >= conn.created_at:
            day = date.fromisoformat(closing.key)
            found.append(Due(
                name=f"end_of_day:{conn.id}", period=closing, account_id=conn.account_id,
                connection_id=conn.id, timeout=self.run_timeout,
                work=lambda claim, c=conn.id, d=day, at=closing.due_at: scheduled_jobs
                .end_of_day(self, c, d, at, final=claim.attempt >= self.max_attempts)))
        if cls is not None and cls.supports("poll"):    # none installed: end of day says so
            name = f"poll:{conn.id}"
            found.append(Due(
                name=name, account_id=conn.account_id, connection_id=conn.id,
                period=Every(timedelta(seconds=max(1, int(cls.poll_interval)))).latest(now),
                timeout=self.run_timeout,
                work=lambda claim, c=conn.id, n=name: scheduled_jobs.poll(self, c, n)))
        return found

    def _shift_guard_work(self, now: datetime) -> list[Due]:
        with self.ledger.session(readonly=True) as s:
            due = scheduled_jobs.shift_guard_due(s, now, self.shift_limit)
        return [Due(name=f"shift_guard:{reg.id}", period=Period(str(number), at),
                    account_id=reg.account_id, timeout=self.run_timeout,
                    work=lambda claim, r=reg.id, n=number: scheduled_jobs.shift_guard(
                        self, r, n))
                for reg, number, at in due]

    def _plugin_work(self, now: datetime) -> list[Due]:
        return [Due(name=job.name, period=job.schedule.latest(now), timeout=job.timeout,
                    work=lambda claim, j=job: j.run(now, self.host))
                for job in self.plugin_jobs]


def build_scheduler(settings, host=None, clock: Callable[[], datetime] = utc_clock) -> Scheduler:
    """The scheduler of a ``fiscalhub scheduler`` process, from its settings."""
    from fiscal.ledger.db import Ledger
    from hub.intake import Intake
    from hub.plugins import default_host
    host = host or default_host()
    ledger = Ledger(settings.database_url, observers=[host.job_changes_observer])
    return Scheduler(ledger, host, Intake(ledger, host, settings.translate_timeout), clock,
                     shift_guard_margin=timedelta(minutes=settings.shift_guard_margin_minutes),
                     run_timeout=timedelta(minutes=settings.scheduler_run_timeout_minutes))
