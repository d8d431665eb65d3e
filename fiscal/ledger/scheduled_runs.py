"""Runs of periodic jobs in the ledger: one row per job name and period (``end_of_day:<connection
id>`` for business day ``2026-11-21``), whichever scheduler process claims it.

The unique ``(name, period)`` is the lock: claiming inserts the row, and a second claim — a
second scheduler, or the same one after a restart — finds it and leaves the period alone. A run
is ``running`` until its scheduler finishes it ``done`` (with a result) or ``failed`` (with the
cause in words). Two ways back in, both compare-and-set on the attempt number so that only one
scheduler wins:

* a ``running`` run older than its timeout is **taken over** (its scheduler died; runs are
  idempotent, so running the period again is safe);
* a ``failed`` run is **retried** after a backoff (1, 4, 16 minutes…), up to a few attempts.

A scheduler finishes only the attempt it claimed: one that was taken over meanwhile writes
nothing. Functions take an open ``Session`` and leave committing to the caller; times come from
the caller (the scheduler's clock), so tests can move time.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fiscal.ledger.models import ScheduledRun

RUNNING, DONE, FAILED = "running", "done", "failed"
STATES = (RUNNING, DONE, FAILED)
MAX_LIMIT = 200
MAX_ATTEMPTS = 4
RETRY_BASE = timedelta(minutes=1)
RETRY_CAP = timedelta(hours=1)
ERROR_MAX = 4000


class InvalidCursor(ValueError):
    """Not a cursor that :func:`list_runs` gave out."""


@dataclass(frozen=True)
class Claim:
    """The right to run one attempt of a run: only the holder of this attempt finishes it."""

    run_id: int
    name: str
    period: str
    attempt: int
    started_at: datetime
    how: str                # "claimed", "retried" or "taken_over"


def _claim_of(run: ScheduledRun, attempt: int, now: datetime, how: str) -> Claim:
    return Claim(run_id=run.id, name=run.name, period=run.period, attempt=attempt,
                 started_at=now, how=how)


def find_run(session: Session, name: str, period: str) -> ScheduledRun | None:
    return session.scalar(select(ScheduledRun).where(ScheduledRun.name == name,
                                                     ScheduledRun.period == period))


def find_runs(session: Session, keys) -> dict[tuple[str, str], ScheduledRun]:
    """The runs of the given ``(name, period)`` pairs that exist, by pair: one look for a
    whole tick, so that a scheduler with nothing to do never takes the write lock."""
    wanted = set(keys)
    found: dict[tuple[str, str], ScheduledRun] = {}
    pairs = sorted(wanted)
    for start in range(0, len(pairs), 400):
        chunk = pairs[start:start + 400]
        rows = session.scalars(select(ScheduledRun).where(
            ScheduledRun.name.in_({n for n, _ in chunk}),
            ScheduledRun.period.in_({p for _, p in chunk})))
        found.update({(r.name, r.period): r for r in rows if (r.name, r.period) in wanted})
    return found


def wants_attempt(run: ScheduledRun | None, now: datetime, *, timeout: timedelta,
                  max_attempts: int = MAX_ATTEMPTS, retry_base: timedelta = RETRY_BASE) -> bool:
    """Whether :func:`acquire` may have something to do for this run (None: not run yet)."""
    if run is None:
        return True
    if run.state == RUNNING:
        return is_stale(run, now, timeout)
    return (run.state == FAILED and run.attempts < max_attempts
            and now >= retry_at(run, retry_base))


def claim(session: Session, *, name: str, period: str, due_at: datetime, now: datetime,
          account_id: str | None = None, connection_id: str | None = None) -> Claim | None:
    """Insert the run (attempt 1, ``running``); None when the period is claimed already."""
    run = ScheduledRun(name=name, period=period, account_id=account_id,
                       connection_id=connection_id, due_at=due_at, started_at=now,
                       state=RUNNING, attempts=1)
    try:
        with session.begin_nested():
            session.add(run)
            session.flush()
    except IntegrityError:
        return None         # another scheduler claimed it between our look and our insert
    return _claim_of(run, 1, now, "claimed")


def _restart(session: Session, run: ScheduledRun, from_state: str, now: datetime,
             how: str) -> Claim | None:
    attempt = run.attempts + 1
    won = session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.id == run.id, ScheduledRun.state == from_state,
               ScheduledRun.attempts == run.attempts)
        .values(state=RUNNING, attempts=attempt, started_at=now, finished_at=None)
        .execution_options(synchronize_session=False)).rowcount
    if won != 1:
        return None
    session.expire(run)
    return _claim_of(run, attempt, now, how)


def is_stale(run: ScheduledRun, now: datetime, timeout: timedelta) -> bool:
    return run.state == RUNNING and now - run.started_at >= timeout


def take_over(session: Session, run: ScheduledRun, now: datetime,
              timeout: timedelta) -> Claim | None:
    """Run again a ``running`` run whose scheduler has not finished it within ``timeout``."""
    if not is_stale(run, now, timeout):
        return None
    return _restart(session, run, RUNNING, now, "taken_over")


def retry_at(run: ScheduledRun, base: timedelta = RETRY_BASE) -> datetime:
    """When a failed run may be tried again: ``base`` × 4^(attempts − 1) after it failed,
    at most an hour."""
    wait = min(base * 4 ** max(run.attempts - 1, 0), RETRY_CAP)
    return (run.finished_at or run.started_at) + wait


def retry(session: Session, run: ScheduledRun, now: datetime,
          base: timedelta = RETRY_BASE) -> Claim | None:
    """Try a ``failed`` run again once its backoff has passed."""
    if run.state != FAILED or now < retry_at(run, base):
        return None
    return _restart(session, run, FAILED, now, "retried")


def acquire(session: Session, *, name: str, period: str, due_at: datetime, now: datetime,
            account_id: str | None = None, connection_id: str | None = None,
            timeout: timedelta = timedelta(minutes=10), max_attempts: int = MAX_ATTEMPTS,
            retry_base: timedelta = RETRY_BASE) -> Claim | None:
    """The scheduler's one question: may I run this period now? A claim of a new run, a retry
    of a failed one, or a take-over of a stale one; None when the period is done, running
    elsewhere, waiting for its backoff, or out of attempts."""
    run = find_run(session, name, period)
    if run is None:
        return claim(session, name=name, period=period, due_at=due_at, now=now,
                     account_id=account_id, connection_id=connection_id)
    if run.attempts >= max_attempts:
        if is_stale(run, now, timeout):
            give_up(session, run, now, f"the scheduler running attempt {run.attempts} stopped "
                                       f"without finishing it ({max_attempts} attempts made)")
        return None
    if run.state == RUNNING:
        return take_over(session, run, now, timeout)
    if run.state == FAILED:
        return retry(session, run, now, retry_base)
    return None


def give_up(session: Session, run: ScheduledRun, now: datetime, error: str) -> bool:
    """Fail a stale run for good (no attempts left)."""
    return session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.id == run.id, ScheduledRun.state == RUNNING,
               ScheduledRun.attempts == run.attempts)
        .values(state=FAILED, finished_at=now, error=error[:ERROR_MAX])
        .execution_options(synchronize_session=False)).rowcount == 1


def finish(session: Session, claim: Claim, *, state: str, now: datetime,
           result: dict | None = None, error: str | None = None) -> bool:
    """Record how the claimed attempt ended (``done`` or ``failed``). False, writing nothing,
    when the attempt is no longer ours (another scheduler took the run over)."""
    if state not in (DONE, FAILED):
        raise ValueError(f"a run finishes done or failed, not {state!r}")
    return session.execute(
        update(ScheduledRun)
        .where(ScheduledRun.id == claim.run_id, ScheduledRun.state == RUNNING,
               ScheduledRun.attempts == claim.attempt)
        .values(state=state, finished_at=now, result=result,
                error=error[:ERROR_MAX] if error else None)
        .execution_options(synchronize_session=False)).rowcount == 1


def last_done(session: Session, name: str) -> ScheduledRun | None:
    """The latest run of ``name`` that finished ``done`` (a poll's ``since`` is its start)."""
    return session.scalar(select(ScheduledRun).where(ScheduledRun.name == name,
                                                     ScheduledRun.state == DONE)
                          .order_by(ScheduledRun.started_at.desc(), ScheduledRun.id.desc())
                          .limit(1))


def list_runs(session: Session, *, account_id: str | None = None, all_accounts: bool = False,
              connection_id: str | None = None, name: str | None = None,
              state: str | None = None, limit: int = 50,
              cursor: str | None = None) -> tuple[list[ScheduledRun], str | None]:
    """Runs newest first (by claim) and the cursor of the next page (None on the last): the
    account's (``account_id``), or every run, plugin runs included (``all_accounts``).
    ``name`` is a run's name (``end_of_day:<connection id>``) or a kind (``end_of_day``,
    ``poll``, ``shift_guard``, a plugin job's name) for every run of it. Keyset on the id."""
    if account_id is None and not all_accounts:
        raise ValueError("give account_id, or all_accounts=True")
    if state is not None and state not in STATES:
        raise ValueError(f"unknown run state {state!r}")
    limit = max(1, min(int(limit), MAX_LIMIT))
    q = select(ScheduledRun)
    if account_id is not None:
        q = q.where(ScheduledRun.account_id == account_id)
    if connection_id is not None:
        q = q.where(ScheduledRun.connection_id == connection_id)
    if name is not None:
        q = q.where(or_(ScheduledRun.name == name,
                        ScheduledRun.name.startswith(f"{name}:", autoescape=True)))
    if state is not None:
        q = q.where(ScheduledRun.state == state)
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
            raise InvalidCursor(f"not a scheduled runs cursor: {cursor!r}")
        q = q.where(ScheduledRun.id < int(cursor))
    rows = list(session.scalars(q.order_by(ScheduledRun.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more else None)
