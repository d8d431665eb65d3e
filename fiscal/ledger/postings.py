"""Postings in the ledger: money the hub owes a source system (a room charge onto a folio, a
tip, a void, the day's revenue), with their own state machine and history.

    pending ─▶ sending ─▶ posted
       ▲          ├──▶ pending          (surely not arrived, or the target is idempotent:
       │          │                      tried again after a backoff)
       │          ├──▶ failed           (the target refused it: it did not arrive)
       │          └──▶ needs_attention  (may have arrived; the connector cannot tell)
    failed ─▶ pending (repeat)      needs_attention ─▶ posted | failed (an operator settles it)
    pending | failed | needs_attention ─▶ cancelled

Intake writes a posting and its outbox row in the caller's transaction, like a job; the
connection's posting worker (hub.postings) sends it. Functions take an open ``Session`` and
leave committing to the caller.
"""
from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fiscal.ledger.models import Outbox, Posting, PostingEvent, utcnow
from fiscal.model import PostingState as P
from fiscal.states import IllegalTransition, StaleState

TRANSITIONS: dict[P, frozenset[P]] = {
    P.PENDING: frozenset({P.SENDING, P.CANCELLED}),
    P.SENDING: frozenset({P.POSTED, P.PENDING, P.FAILED, P.NEEDS_ATTENTION}),
    P.FAILED: frozenset({P.PENDING, P.CANCELLED}),
    P.NEEDS_ATTENTION: frozenset({P.POSTED, P.FAILED, P.CANCELLED}),
    P.POSTED: frozenset(),
    P.CANCELLED: frozenset(),
}


def queue_name(connection_id: str) -> str:
    """One RQ queue per connection: its postings go out one at a time, in order."""
    return f"postings.{connection_id}"


class PostingConflict(Exception):
    """The connection used the idempotency key before for a different posting."""

    def __init__(self, posting: Posting):
        super().__init__(f"posting key {posting.idempotency_key!r} was already used for "
                         f"posting {posting.id} with different content")
        self.posting = posting


def _same(posting: Posting, kind: str, target: str, amount: Decimal, payload: dict) -> bool:
    return (posting.kind, posting.target, Decimal(posting.amount), posting.payload or {}) == (
        kind, target, Decimal(amount), payload or {})


def create_posting(session: Session, *, account_id: str, connection_id: str, kind: str,
                   target: str, amount: Decimal, payload: dict, idempotency_key: str,
                   actor: str, source_event_id: str | None = None) -> tuple[Posting, bool]:
    """Store a posting with its outbox row; ``(posting, created)``. The same key with the same
    content answers the first posting and writes nothing."""
    existing = find_by_key(session, connection_id, idempotency_key)
    if existing is None:
        now = utcnow()
        posting = Posting(id=str(uuid.uuid4()), account_id=account_id,
                          connection_id=connection_id, source_event_id=source_event_id,
                          idempotency_key=idempotency_key, kind=kind, target=target,
                          amount=amount, payload=payload or {}, state=P.PENDING, attempts=0,
                          created_by=actor, created_at=now, updated_at=now)
        try:
            with session.begin_nested():
                session.add(posting)
                session.flush()
        except IntegrityError:
            existing = find_by_key(session, connection_id, idempotency_key)
            if existing is None:
                raise
        else:
            session.add(PostingEvent(posting_id=posting.id, at=now, from_state=None,
                                     to_state=P.PENDING, actor=actor, cause="accepted"))
            session.add(Outbox(topic="posting", posting_id=posting.id,
                               queue=queue_name(connection_id), created_at=now))
            return posting, True
    if not _same(existing, kind, target, amount, payload):
        raise PostingConflict(existing)
    return existing, False


def find_by_key(session: Session, connection_id: str, key: str) -> Posting | None:
    return session.scalar(select(Posting).where(Posting.connection_id == connection_id,
                                                Posting.idempotency_key == key))


def transition(session: Session, posting_id: str, expected: str, new: str, *, actor: str,
               cause: str, details: dict | None = None, **fields: Any) -> None:
    """Compare-and-set the posting's state and record it (``IllegalTransition`` for a change
    the state machine forbids, ``StaleState`` when someone moved it first)."""
    if P(new) not in TRANSITIONS[P(expected)]:
        raise IllegalTransition(posting_id, expected, new)
    now = utcnow()
    res = session.execute(update(Posting).where(Posting.id == posting_id,
                                                Posting.state == expected)
                          .values(state=new, updated_at=now, **fields)
                          .execution_options(synchronize_session=False))
    if res.rowcount != 1:
        raise StaleState(posting_id, expected,
                         session.scalar(select(Posting.state).where(Posting.id == posting_id)))
    session.execute(insert(PostingEvent).values(posting_id=posting_id, at=now,
                                                from_state=expected, to_state=new, actor=actor,
                                                cause=cause, details=details))
    session.expire_all()


def send_again(session: Session, posting: Posting, *, actor: str, cause: str,
               details: dict | None = None) -> None:
    """An operator repeats a ``failed`` or ``needs_attention`` posting (the latter stated not
    posted first): back to ``pending`` with a fresh outbox row and its tries counted afresh."""
    state = posting.state
    if state == P.NEEDS_ATTENTION:
        transition(session, posting.id, P.NEEDS_ATTENTION, P.FAILED, actor=actor,
                   cause="stated not posted by the operator")
        state = P.FAILED
    transition(session, posting.id, state, P.PENDING, actor=actor, cause=cause,
               details=details, attempts=0, not_before=None, error=None)
    session.add(Outbox(topic="posting", posting_id=posting.id,
                       queue=queue_name(posting.connection_id)))


def retry_later(session: Session, posting: Posting, *, actor: str, cause: str,
                not_before: datetime, error: dict) -> None:
    """``sending`` → ``pending``, due again at ``not_before`` (the sweeper enqueues it)."""
    transition(session, posting.id, P.SENDING, P.PENDING, actor=actor, cause=cause,
               details={"error": error, "not_before": not_before.isoformat()},
               not_before=not_before, error=error)


def history(session: Session, posting_id: str) -> list[PostingEvent]:
    return list(session.scalars(select(PostingEvent).where(PostingEvent.posting_id == posting_id)
                                .order_by(PostingEvent.id)))


def for_event(session: Session, source_event_id: str) -> list[Posting]:
    return list(session.scalars(select(Posting).where(Posting.source_event_id == source_event_id)
                                .order_by(Posting.created_at, Posting.id)))


def count_by_state(session: Session, *where) -> dict[str, int]:
    counts = {state.value: 0 for state in P}
    for state, n in session.execute(select(Posting.state, func.count()).where(*where)
                                    .group_by(Posting.state)):
        counts[state] = n
    return counts


def cancel(session: Session, posting: Posting, *, actor: str, cause: str) -> None:
    """An operator gives up on a ``pending``, ``failed`` or ``needs_attention`` posting (it
    will not be sent; a pending one a worker takes meanwhile is not cancelled: ``StaleState``)."""
    transition(session, posting.id, posting.state, P.CANCELLED, actor=actor, cause=cause,
               not_before=None)


def mark_posted(session: Session, posting: Posting, *, actor: str, cause: str,
                result: dict) -> None:
    """An operator found a ``needs_attention`` posting on the target: it is ``posted``."""
    transition(session, posting.id, P.NEEDS_ATTENTION, P.POSTED, actor=actor, cause=cause,
               result=result)


def page(session: Session, account_id: str, *, limit: int,
         after: tuple[datetime, str] | None = None, connection_id: str | None = None,
         states: list[str] | None = None, kinds: list[str] | None = None
         ) -> tuple[list[Posting], bool]:
    """One page of the account's postings, newest first, and whether more follow. Keyset on
    ``(created_at, id)`` (index ``ix_postings_account_created``): ``after`` is the last row
    of the previous page, so a deep page costs what the first does."""
    q = select(Posting).where(Posting.account_id == account_id)
    if connection_id is not None:
        q = q.where(Posting.connection_id == connection_id)
    if states:
        q = q.where(Posting.state.in_(states))
    if kinds:
        q = q.where(Posting.kind.in_(kinds))
    if after is not None:
        created, posting_id = after
        # The redundant bound keeps the index range short (as in the print queue's listing).
        q = q.where(Posting.created_at <= created,
                    or_(Posting.created_at < created,
                        and_(Posting.created_at == created, Posting.id < posting_id)))
    rows = list(session.scalars(q.order_by(Posting.created_at.desc(), Posting.id.desc())
                                .limit(limit + 1)))
    return rows[:limit], len(rows) > limit
