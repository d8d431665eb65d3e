"""The sweeper's part for postings (run by :meth:`hub.relay.Relay.sweep`).

The ledger says what is due, Redis only delivers it, so the sweeper enqueues again:

* ``pending`` postings that are due — their backoff has run out, or they have waited longer
  than the grace period without one — and that RQ does not have waiting in their queue or
  running (a retry is never scheduled in Redis: the posting's own ``not_before`` is the
  schedule);
* ``sending`` postings whose worker is gone (RQ no longer runs them, or the connection's
  posting-worker lock is held by another process): the posting service settles the
  interrupted try before it sends anything again.

Postings of a deleted connection are left alone: no worker serves it any more.
"""
from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis import Redis
from sqlalchemy import and_, or_, select

from fiscal.ledger.db import Ledger
from fiscal.ledger.models import Connection, Posting
from fiscal.ledger.postings import queue_name
from fiscal.model import PostingState as P
from hub.queues import enqueue_posting, posting_lock_key, rq_status, waiting_in_queue

log = logging.getLogger(__name__)
ACTIVE_RQ = {"queued", "started", "deferred", "scheduled"}


def sweep_postings(ledger: Ledger, redis: Redis, now: datetime, grace: timedelta,
                   limit: int = 500) -> dict[str, int]:
    """Enqueue due and orphaned postings; ``{"postings_due": n, "postings_orphaned": m}``."""
    stale = now - grace
    live = select(Connection.id).where(Connection.deleted_at.is_(None))
    with ledger.session(readonly=True) as s:
        due = list(s.execute(select(Posting.id, Posting.connection_id).where(
            Posting.state == P.PENDING, Posting.connection_id.in_(live),
            or_(Posting.not_before <= now,
                and_(Posting.not_before.is_(None), Posting.updated_at < stale)))
            .order_by(Posting.created_at).limit(limit)))
        sending = list(s.execute(select(Posting.id, Posting.connection_id).where(
            Posting.state == P.SENDING, Posting.connection_id.in_(live),
            Posting.updated_at < stale).limit(limit)))
    counts = {"postings_due": 0, "postings_orphaned": 0}
    for posting_id, connection_id in due:
        status, worker = rq_status(redis, posting_id)
        if status == "queued":
            if _waiting(redis, connection_id, posting_id):
                continue
        elif status in ACTIVE_RQ and (status != "started"
                                      or _holder(redis, connection_id) == worker):
            continue
        log.info("sweeper: posting %s is due; enqueueing it", posting_id)
        enqueue_posting(redis, queue_name(connection_id), posting_id)
        counts["postings_due"] += 1
    for posting_id, connection_id in sending:
        status, worker = rq_status(redis, posting_id)
        if status == "queued" and _waiting(redis, connection_id, posting_id):
            continue
        holder = _holder(redis, connection_id)
        if status == "started" and holder is not None and holder == worker:
            continue
        # First in line: the interrupted try is settled before the next posting goes out.
        log.info("sweeper: posting %s was left sending; enqueueing it", posting_id)
        enqueue_posting(redis, queue_name(connection_id), posting_id, at_front=True)
        counts["postings_orphaned"] += 1
    return counts


def _waiting(redis: Redis, connection_id: str, posting_id: str) -> bool:
    return waiting_in_queue(redis, queue_name(connection_id), posting_id)


def _holder(redis: Redis, connection_id: str) -> str | None:
    value = redis.get(posting_lock_key(connection_id))
    return value.decode() if value else None
