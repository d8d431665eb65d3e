"""Jobs in the ledger: intake (job + history + outbox in one transaction), compare-and-set
state transitions, reads.

Every function takes an open ``Session`` and leaves committing to the caller, so that a caller
can put several of them into one transaction (intake writes the job, its history and its
outbox row together).
"""
from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fiscal.ledger.db import note_job_change
from fiscal.ledger.models import Job, JobAttempt, JobEvent, Outbox, utcnow
from fiscal.model import JobState
from fiscal.states import StaleState, check_transition

# Not yet sent to a register: what an operator's "cancel tasks" cancels.
NOT_SENT = (JobState.RECEIVED, JobState.QUEUED, JobState.HELD)


def queue_name(register_id: str) -> str:
    """One RQ queue per register: one worker at a time prints on it."""
    return f"register.{register_id}"


def request_fingerprint(job_json: dict[str, Any]) -> str:
    """A stable hash of what was asked, to tell a retry from a different job reusing a key."""
    body = {k: v for k, v in job_json.items() if k != "idempotency_key"}
    return hashlib.sha256(json.dumps(body, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()


class IdempotencyConflict(Exception):
    """The idempotency key was used before for a different job."""

    def __init__(self, job: Job):
        super().__init__(f"idempotency key {job.idempotency_key!r} was already used for job "
                         f"{job.id} with different content")
        self.job = job


def find_by_key(session: Session, account_id: str, key: str) -> Job | None:
    return session.scalar(select(Job).where(Job.account_id == account_id,
                                            Job.idempotency_key == key))


def create_job(session: Session, *, account_id: str, register_id: str, job_json: dict[str, Any],
               kind: str, actor: str, idempotency_key: str | None = None,
               operation: str | None = None, total=None, refund_of: str | None = None,
               register_group_id: str | None = None, source: dict | None = None,
               state: str = JobState.RECEIVED, cashier_id: str | None = None,
               connection_id: str | None = None,
               source_event_id: str | None = None) -> tuple[Job, bool]:
    """Store a validated canonical job. Returns ``(job, created)``; a resubmission with the same
    idempotency key returns the first job and ``created=False`` without writing anything."""
    fingerprint = request_fingerprint(job_json)
    job_id = str(uuid.uuid4())
    key = idempotency_key or job_id
    existing = find_by_key(session, account_id, key)
    if existing is None:
        now = utcnow()
        job = Job(id=job_id, account_id=account_id, idempotency_key=key,
                  request_hash=fingerprint, kind=kind, operation=operation,
                  register_id=register_id, register_group_id=register_group_id, state=state,
                  payload=job_json, total=total, refund_of=refund_of, source=source,
                  created_by=actor, created_at=now, updated_at=now, cashier_id=cashier_id,
                  connection_id=connection_id, source_event_id=source_event_id)
        try:
            with session.begin_nested():
                session.add(job)
                session.flush()
        except IntegrityError:
            existing = find_by_key(session, account_id, key)
            if existing is None:
                raise
        else:
            session.add(JobEvent(job_id=job.id, at=now, from_state=None, to_state=state,
                                 actor=actor, cause="accepted"))
            note_job_change(session, job.id, None, state)
            if state == JobState.RECEIVED:
                session.add(Outbox(topic="print", job_id=job.id, queue=queue_name(register_id),
                                   created_at=now))
            return job, True
    if existing.request_hash != fingerprint:
        raise IdempotencyConflict(existing)
    return existing, False


def transition(session: Session, job_id: str, expected: str, new: str, *, actor: str,
               cause: str, details: dict | None = None, **fields: Any) -> None:
    """Compare-and-set the job's state from ``expected`` to ``new`` and record it.

    Raises ``IllegalTransition`` for a change the state machine forbids and ``StaleState`` when
    the job is no longer in ``expected`` (someone else moved it first)."""
    check_transition(job_id, expected, new)
    now = utcnow()
    values = {"state": new, "updated_at": now, "version": Job.version + 1, **fields}
    res = session.execute(update(Job).where(Job.id == job_id, Job.state == expected)
                          .values(**values).execution_options(synchronize_session=False))
    if res.rowcount != 1:
        actual = session.scalar(select(Job.state).where(Job.id == job_id))
        raise StaleState(job_id, expected, actual)
    session.execute(insert(JobEvent).values(job_id=job_id, at=now, from_state=expected,
                                            to_state=new, actor=actor, cause=cause,
                                            details=details))
    note_job_change(session, job_id, expected, new)
    session.expire_all()


def enqueue_again(session: Session, job: Job, *, actor: str, cause: str,
                  not_before: datetime | None = None) -> None:
    """Move a held or failed job back to ``queued`` with a fresh outbox row."""
    transition(session, job.id, job.state, JobState.QUEUED, actor=actor, cause=cause,
               not_before=not_before)
    session.add(Outbox(topic="print", job_id=job.id, queue=queue_name(job.register_id)))


def start_attempt(session: Session, job: Job, *, worker: str, baseline: dict) -> JobAttempt:
    """``queued`` → ``sending`` together with the register's baseline, in one commit."""
    transition(session, job.id, JobState.QUEUED, JobState.SENDING, actor=f"worker:{worker}",
               cause="sending to the register", details={"baseline": baseline},
               attempts=job.attempts + 1)
    attempt = JobAttempt(job_id=job.id, number=job.attempts + 1, worker=worker,
                         baseline=baseline)
    session.add(attempt)
    return attempt


def current_attempt(session: Session, job_id: str) -> JobAttempt | None:
    return session.scalar(select(JobAttempt).where(JobAttempt.job_id == job_id)
                          .order_by(JobAttempt.number.desc()).limit(1))


def finish_attempt(session: Session, job_id: str, outcome: str, details: dict | None = None):
    attempt = current_attempt(session, job_id)
    if attempt is not None and attempt.finished_at is None:
        attempt.finished_at = utcnow()
        attempt.outcome = outcome
        attempt.details = details


def history(session: Session, job_id: str) -> list[JobEvent]:
    return list(session.scalars(select(JobEvent).where(JobEvent.job_id == job_id)
                                .order_by(JobEvent.id)))


def attempts(session: Session, job_id: str) -> list[JobAttempt]:
    return list(session.scalars(select(JobAttempt).where(JobAttempt.job_id == job_id)
                                .order_by(JobAttempt.number)))


def release_held(session: Session, register_id: str, *, actor: str, cause: str) -> int:
    """Queue every held job of a register again (it answered again, or it was activated)."""
    held = list(session.scalars(select(Job).where(Job.register_id == register_id,
                                                  Job.state == JobState.HELD)
                                .order_by(Job.created_at)))
    for job in held:
        enqueue_again(session, job, actor=actor, cause=cause)
    return len(held)


def repeat_job(session: Session, job: Job, *, actor: str, cause: str,
               details: dict | None = None, not_printed_cause: str | None = None,
               **fields: Any) -> None:
    """An operator repeats a ``failed`` or ``needs_attention`` job: it goes back to ``queued``
    (with a fresh outbox row) keeping its ID and idempotency key; ``fields`` (a corrected
    ``payload``, ``total``, ``cashier_id``) are saved with that change and ``details`` (the
    ``previous_content``) go into its history event. A ``needs_attention`` job first goes to
    ``failed`` with ``not_printed_cause`` (the operator's statement that it was not printed).
    Automatic retries start afresh; the last error stays in the history only.

    Compare-and-set from ``job.state`` as the caller read it: ``StaleState`` when a worker or
    another operator moved the job meanwhile, ``IllegalTransition`` from any other state."""
    state = job.state
    if state == JobState.NEEDS_ATTENTION:
        transition(session, job.id, JobState.NEEDS_ATTENTION, JobState.FAILED, actor=actor,
                   cause=not_printed_cause or "stated not printed by the operator")
        state = JobState.FAILED
    transition(session, job.id, state, JobState.QUEUED, actor=actor, cause=cause,
               details=details, error=None, retries=0, not_before=None, **fields)
    session.add(Outbox(topic="print", job_id=job.id, queue=queue_name(job.register_id)))


def cancel_not_sent(session: Session, account_id: str, *, actor: str, cause: str,
                    register_id: str | None = None, job_ids: list[str] | None = None) -> int:
    """Cancel every job of the account (or of one of its registers) that was not sent to a
    register yet — ``received``, ``queued``, ``held`` — and record each with ``cause``; how
    many. One ``UPDATE … WHERE state = s RETURNING id`` per state is the compare-and-set: a
    job a worker took meanwhile (``sending``) no longer matches and is left alone.

    ``job_ids`` narrows it to those jobs, and then ``failed`` ones are cancelled too (known
    not printed; named one by one, an operator's choice rather than a sweep)."""
    now = utcnow()
    cancelled = 0
    states = NOT_SENT + ((JobState.FAILED,) if job_ids is not None else ())
    for state in states:
        check_transition("*", state, JobState.CANCELLED)
        where = [Job.account_id == account_id, Job.state == state]
        if register_id is not None:
            where.append(Job.register_id == register_id)
        if job_ids is not None:
            where.append(Job.id.in_(job_ids))
        ids = list(session.scalars(
            update(Job).where(*where)
            .values(state=JobState.CANCELLED, updated_at=now, version=Job.version + 1)
            .returning(Job.id).execution_options(synchronize_session=False)))
        if ids:
            session.execute(insert(JobEvent), [
                {"job_id": job_id, "at": now, "from_state": state,
                 "to_state": JobState.CANCELLED, "actor": actor, "cause": cause}
                for job_id in ids])
            for job_id in ids:
                note_job_change(session, job_id, state, JobState.CANCELLED)
        cancelled += len(ids)
    session.expire_all()
    return cancelled


def count_by_state(session: Session, *where) -> dict[str, int]:
    """How many jobs matching ``where`` (SQL conditions on ``Job``) are in each state; every
    state is present, 0 included."""
    counts = {state.value: 0 for state in JobState}
    for state, n in session.execute(select(Job.state, func.count()).where(*where)
                                    .group_by(Job.state)):
        counts[state] = n
    return counts
