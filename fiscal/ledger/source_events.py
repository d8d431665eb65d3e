"""Source events in the ledger: what a connection received, stored once per source event ID,
with what became of it — ``accepted`` (the jobs and postings it produced name it) or
``rejected`` (the reason and field errors kept, replayable once the connection is fixed).

Functions take an open ``Session`` and leave committing to the caller: intake stores the event
together with its jobs, postings and outbox rows.
"""
from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fiscal.ledger.keyset import decode_cursor, encode_cursor
from fiscal.ledger.models import Job, StoredEvent, utcnow
from fiscal.model import EventState

MAX_LIMIT = 200


def find_event(session: Session, connection_id: str, event_id: str) -> StoredEvent | None:
    return session.scalar(select(StoredEvent).where(StoredEvent.connection_id == connection_id,
                                                    StoredEvent.event_id == event_id))


def insert_event(session: Session, *, account_id: str, connection_id: str, event_id: str,
                 type: str, state: str, request: dict | None, payload: dict | None,
                 reason: str | None = None, errors: dict | None = None,
                 received_at: datetime | None = None) -> tuple[StoredEvent, bool]:
    """Store an event; ``(event, created)``. One stored under the same source event ID (a
    redelivery, or a concurrent delivery that committed first) is answered instead, and
    nothing is written."""
    existing = find_event(session, connection_id, event_id)
    if existing is not None:
        return existing, False
    now = utcnow()
    row = StoredEvent(id=str(uuid.uuid4()), account_id=account_id, connection_id=connection_id,
                      event_id=event_id, type=type, state=state, request=request,
                      payload=payload, reason=reason, errors=errors,
                      received_at=received_at or now, processed_at=now, replays=0)
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        existing = find_event(session, connection_id, event_id)
        if existing is None:
            raise
        return existing, False
    return row, True


def mark(session: Session, row: StoredEvent, state: str, *, reason: str | None = None,
         errors: dict | None = None) -> None:
    row.state, row.reason, row.errors = state, reason, errors
    row.processed_at = utcnow()


def jobs_for_event(session: Session, event_row_id: str) -> list[Job]:
    return list(session.scalars(select(Job).where(Job.source_event_id == event_row_id)
                                .order_by(Job.created_at, Job.id)))


def list_events(session: Session, connection_id: str, *, state: str | None = None,
                limit: int = 50, cursor: str | None = None) -> tuple[list[StoredEvent],
                                                                      str | None]:
    """The connection's events, newest first; ``(events, next cursor or None)``."""
    if state is not None and state not in set(EventState):
        raise ValueError(f"unknown event state {state!r}")
    limit = max(1, min(limit, MAX_LIMIT))
    q = select(StoredEvent).where(StoredEvent.connection_id == connection_id)
    if state is not None:
        q = q.where(StoredEvent.state == state)
    if cursor:
        at, row_id = decode_cursor(cursor)
        q = q.where(or_(StoredEvent.received_at < at,
                        (StoredEvent.received_at == at) & (StoredEvent.id < row_id)))
    rows = list(session.scalars(q.order_by(StoredEvent.received_at.desc(),
                                           StoredEvent.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode_cursor(rows[-1].received_at, rows[-1].id) if more else None)
