"""Server-side sessions of the dashboard's users.

The cookie carries a random token of 256 bits; only its SHA-256 is stored (as for API keys, a
slow hash would add latency and nothing else: the token cannot be guessed). Because the session
lives here and not in a signed cookie, logging out, blocking and deleting a user end it at once.

A session ends after ``idle_timeout`` without activity. ``last_seen_at`` is written at most every
``TOUCH_EVERY`` to spare a write per request, so a session may end up to that much earlier than
``idle_timeout`` after the last request, never later.
"""
from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from fiscal.ledger.models import User, UserSession, utcnow

IDLE_TIMEOUT = timedelta(minutes=30)
TOUCH_EVERY = timedelta(seconds=30)

EXPIRED, LOGGED_OUT, BLOCKED, UNKNOWN = "expired", "logged_out", "blocked", "unknown"
PASSWORD_RESET = "password_reset"       # an administrator set a new password for the user


class SessionEnded(Exception):
    """The session cannot be used: ``reason`` is ``expired`` (no activity for the idle timeout),
    ``logged_out``, ``blocked`` (the user was blocked or deleted) or ``unknown``."""

    _MESSAGES = {EXPIRED: "the session ended after a period without activity",
                 LOGGED_OUT: "the session was logged out",
                 BLOCKED: "the user was blocked or deleted",
                 UNKNOWN: "no such session",
                 PASSWORD_RESET: "an administrator reset the user's password"}

    def __init__(self, reason: str):
        super().__init__(self._MESSAGES.get(reason, f"the session ended ({reason})"))
        self.reason = reason


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _usable(user: User | None) -> bool:
    return user is not None and user.blocked_at is None and user.deleted_at is None


def start_session(session: Session, user: User, now: datetime | None = None) -> str:
    """A new session for ``user`` (already authenticated); returns the token for the cookie,
    which is not stored anywhere."""
    if not _usable(user):
        raise SessionEnded(BLOCKED)
    now = now or utcnow()
    token = secrets.token_urlsafe(32)
    session.add(UserSession(id=str(uuid.uuid4()), user_id=user.id, token_hash=token_hash(token),
                            created_at=now, last_seen_at=now))
    session.flush()
    return token


def resume_session(session: Session, token: str, idle_timeout: timedelta = IDLE_TIMEOUT,
                   now: datetime | None = None, touch: bool = True) -> User:
    """The user of a live session, marking it seen; raises ``SessionEnded`` otherwise.

    ``touch=False`` only looks (it writes nothing): what the dashboard's live feed uses, so that
    an open page does not keep a session alive that nobody is using.

    An expired session, or one whose user was blocked or deleted, is ended in the ledger
    before the exception is raised: a caller that wants that bookkeeping kept catches
    ``SessionEnded`` inside its transaction. Nothing depends on it, though: the next call
    reaches the same answer from the same rows."""
    now = now or utcnow()
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if row is None:
        raise SessionEnded(UNKNOWN)
    if row.ended_at is not None:
        raise SessionEnded(row.end_reason or LOGGED_OUT)
    user = session.get(User, row.user_id)
    if not _usable(user):
        if touch:
            _end(row, BLOCKED, now)
        raise SessionEnded(BLOCKED)
    if now - row.last_seen_at > idle_timeout:
        if touch:
            _end(row, EXPIRED, now)
        raise SessionEnded(EXPIRED)
    if touch and now - row.last_seen_at >= TOUCH_EVERY:
        row.last_seen_at = now
    return user


def _end(row: UserSession, reason: str, now: datetime) -> None:
    row.ended_at = now
    row.end_reason = reason


def end_session(session: Session, token: str, now: datetime | None = None) -> User | None:
    """Log out: the session's user, or None when there was no live session for ``token``."""
    row = session.scalar(select(UserSession).where(UserSession.token_hash == token_hash(token)))
    if row is None or row.ended_at is not None:
        return None
    _end(row, LOGGED_OUT, now or utcnow())
    return session.get(User, row.user_id)


def end_user_sessions(session: Session, user_id: str, reason: str,
                      now: datetime | None = None, keep_token: str | None = None) -> int:
    """End every live session of a user (blocked, deleted; all but ``keep_token``'s after a
    password change); returns how many there were."""
    q = update(UserSession).where(UserSession.user_id == user_id, UserSession.ended_at.is_(None))
    if keep_token is not None:
        q = q.where(UserSession.token_hash != token_hash(keep_token))
    res = session.execute(q.values(ended_at=now or utcnow(), end_reason=reason)
                          .execution_options(synchronize_session="fetch"))
    return res.rowcount


def live_sessions(session: Session, user_id: str) -> list[UserSession]:
    return list(session.scalars(select(UserSession).where(
        UserSession.user_id == user_id, UserSession.ended_at.is_(None))
        .order_by(UserSession.created_at)))
