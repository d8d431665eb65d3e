"""The outbox relay and the sweeper.

The relay hands outbox rows to Redis (at least once: enqueueing twice is harmless) and marks
them dispatched: a ``print`` row's job to its register's queue (the job becomes ``queued``), a
``posting`` row's posting to its connection's queue. The sweeper finds work Redis lost or a
dead worker left behind (postings: :mod:`hub.posting_sweep`):

* ``queued`` jobs that RQ no longer has (a Redis restart lost them) are enqueued again;
* ``sending`` jobs whose worker is gone are enqueued again, and the register's worker
  reconciles them with the register before anything else happens;
* jobs ``held`` because their register was offline are tried again, one per register at a time;
* ``queued`` jobs whose automatic-retry delay has run out are enqueued;
* ``pending`` postings that are due, and ``sending`` ones whose worker is gone, are enqueued.
"""
from __future__ import annotations

import logging
import threading
from datetime import timedelta

from redis import Redis
from redis.exceptions import RedisError
from sqlalchemy import select

from fiscal.ledger import jobs as ledger_jobs
from fiscal.ledger.db import Ledger
from fiscal.ledger.models import Job, Outbox, Register, utcnow
from fiscal.model import JobState
from fiscal.states import StaleState
from hub.posting_sweep import sweep_postings
from hub.queues import (enqueue_posting, enqueue_print, register_lock_key, rq_status,
                        waiting_in_queue)

log = logging.getLogger(__name__)
S = JobState
ACTOR = "relay"
ACTIVE_RQ = {"queued", "started", "deferred", "scheduled"}


class Relay:
    def __init__(self, ledger: Ledger, redis: Redis, job_timeout: int = 180,
                 grace: float = 15.0, held_retry: float = 30.0):
        self.ledger, self.redis, self.job_timeout = ledger, redis, job_timeout
        self.grace = timedelta(seconds=grace)          # how stale a job must be to be swept
        self.held_retry = timedelta(seconds=held_retry)

    # relay -------------------------------------------------------------------------------
    def dispatch(self, limit: int = 500) -> int:
        """Enqueue pending outbox rows; returns how many were handed to Redis."""
        with self.ledger.session(readonly=True) as s:
            rows = [(r.id, r.topic, r.job_id, r.posting_id, r.queue) for r in s.scalars(
                select(Outbox).where(Outbox.dispatched_at.is_(None))
                .order_by(Outbox.id).limit(limit))]
        done = []
        for row_id, topic, job_id, posting_id, queue in rows:
            try:
                if topic == "posting":
                    enqueue_posting(self.redis, queue, posting_id)
                else:
                    enqueue_print(self.redis, queue, job_id, self.job_timeout)
            except RedisError as exc:
                log.warning("relay: Redis unavailable (%s); %d rows wait", exc, len(rows))
                break
            done.append((row_id, job_id, queue))
        if done:
            self._mark_dispatched(done)
        return len(done)

    def _mark_dispatched(self, done) -> None:
        now = utcnow()
        with self.ledger.session() as s:
            for row_id, job_id, queue in done:
                s.get(Outbox, row_id).dispatched_at = now
                job = s.get(Job, job_id) if job_id is not None else None
                if job is not None and job.state == S.RECEIVED:
                    try:
                        ledger_jobs.transition(s, job_id, S.RECEIVED, S.QUEUED, actor=ACTOR,
                                               cause=f"queued on {queue}")
                    except StaleState:
                        pass        # the worker picked it up first

    # sweeper -----------------------------------------------------------------------------
    def sweep(self) -> dict[str, int]:
        counts = {"lost": 0, "orphaned": 0, "held": 0}
        now = utcnow()
        stale = now - self.grace
        with self.ledger.session(readonly=True) as s:
            queued = list(s.execute(select(Job.id, Job.register_id, Job.not_before).where(
                Job.state == S.QUEUED, Job.updated_at < stale).limit(500)))
            sending = list(s.execute(select(Job.id, Job.register_id).where(
                Job.state == S.SENDING, Job.updated_at < stale).limit(500)))
            workers = {j.id: (ledger_jobs.current_attempt(s, j.id) or None) for j in sending}
            workers = {k: (a.worker if a else None) for k, a in workers.items()}
        for job_id, register_id, not_before in queued:
            if not_before is not None and not_before > now:
                continue
            status, worker = rq_status(self.redis, job_id)
            alive = status in ACTIVE_RQ and (status != "started"
                                             or self._holder(register_id) == worker)
            if status == "queued" and not self._waiting(job_id, register_id):
                alive = False       # taken by a worker that died before it started it
            if not alive:
                self._enqueue(job_id, register_id)
                counts["lost"] += 1
        for job_id, register_id in sending:
            status, _ = rq_status(self.redis, job_id)
            holder = self._holder(register_id)
            if status == "queued" and self._waiting(job_id, register_id):
                continue
            if status == "started" and holder is not None and holder == workers.get(job_id):
                continue
            # First in line: it is settled before the register prints anything else, so
            # the documents after its baseline are as few as they can be.
            self._enqueue(job_id, register_id, at_front=True)
            counts["orphaned"] += 1
        counts["held"] = self._retry_held(now)
        counts.update(sweep_postings(self.ledger, self.redis, now, self.grace))
        return counts

    def _waiting(self, job_id: str, register_id: str) -> bool:
        return waiting_in_queue(self.redis, ledger_jobs.queue_name(register_id), job_id)

    def _holder(self, register_id: str) -> str | None:
        value = self.redis.get(register_lock_key(register_id))
        return value.decode() if value else None

    def _enqueue(self, job_id: str, register_id: str, at_front: bool = False) -> None:
        log.info("sweeper: enqueueing %s again", job_id)
        enqueue_print(self.redis, ledger_jobs.queue_name(register_id), job_id, self.job_timeout,
                      at_front=at_front)

    def _retry_held(self, now) -> int:
        """Offline registers: try the oldest held job again now and then (not every job, so an
        unplugged register does not fill the history)."""
        n = 0
        with self.ledger.session() as s:
            regs = s.scalars(select(Register).where(
                Register.removed_at.is_(None), Register.suspended.is_(False),
                Register.id.in_(select(Job.register_id).where(Job.state == S.HELD))))
            for reg in list(regs):
                job = s.scalar(select(Job).where(Job.register_id == reg.id,
                                                 Job.state == S.HELD)
                               .order_by(Job.created_at).limit(1))
                if job is None or job.updated_at > now - self.held_retry:
                    continue
                ledger_jobs.enqueue_again(s, job, actor="sweeper",
                                          cause="trying the register again")
                n += 1
        return n


class RelayLoop(threading.Thread):
    """Runs the relay often and the sweeper now and then, until stopped."""

    def __init__(self, relay: Relay, interval: float = 0.2, sweep_every: float = 5.0):
        super().__init__(name="fiscalhub-relay", daemon=True)
        self.relay, self.interval, self.sweep_every = relay, interval, sweep_every
        self.stopping = threading.Event()

    def run(self) -> None:
        last_sweep = 0.0
        import time
        while not self.stopping.is_set():
            try:
                moved = self.relay.dispatch()
                if time.monotonic() - last_sweep >= self.sweep_every:
                    self.relay.sweep()
                    last_sweep = time.monotonic()
            except Exception:       # keep relaying through Redis or database hiccups
                log.exception("relay loop")
                moved = 0
            if not moved:
                self.stopping.wait(self.interval)

    def stop(self) -> None:
        self.stopping.set()
