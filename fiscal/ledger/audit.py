"""The audit log: who did what in an account, newest first.

A change and its audit entry are written in the same transaction (the caller's), so there is
no change without its entry and no entry for a change that was rolled back. Actors are
``user:<login>``, ``api_key:<prefix>`` or ``cli``: a login is never reused (deleted users keep
it) and a key's prefix is unique, so an actor names one party for good.
"""
from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from fiscal.ledger.models import AuditEntry, utcnow

CLI = "cli"
MAX_LIMIT = 200

# Names under which a secret could slip into ``details``; recording one is a bug.
_SECRET_NAMES = {"password", "password_hash", "token", "token_hash", "api_key", "key",
                 "secret", "secret_hash", "one_time_password"}


def user_actor(login: str) -> str:
    return f"user:{login}"


def api_key_actor(prefix: str) -> str:
    return f"api_key:{prefix}"


class InvalidCursor(ValueError):
    """Not a cursor that ``list_audit`` gave out."""


def _check_no_secrets(value: Any, path: str = "details") -> None:
    if isinstance(value, dict):
        for k, v in value.items():
            if str(k).lower() in _SECRET_NAMES:
                raise ValueError(f"{path}.{k}: secrets do not go into the audit log")
            _check_no_secrets(v, f"{path}.{k}")
    elif isinstance(value, (list, tuple)):
        for i, v in enumerate(value):
            _check_no_secrets(v, f"{path}[{i}]")


def record(session: Session, account_id: str, actor: str, action: str, target_type: str,
           target_id: str | None, details: dict[str, Any] | None = None) -> AuditEntry:
    """Add an entry, e.g. ``record(s, acc, "user:anna", "user.block", "user", uid)``."""
    _check_no_secrets(details)
    entry = AuditEntry(account_id=account_id, at=utcnow(), actor=actor, action=action,
                       target_type=target_type, target_id=target_id, details=details)
    session.add(entry)
    session.flush()
    return entry


def list_audit(session: Session, account_id: str, limit: int = 50,
               cursor: str | None = None, *, actor: str | None = None,
               actions: list[str] | None = None, target_type: str | None = None,
               target_id: str | None = None) -> tuple[list[AuditEntry], str | None]:
    """One page of the account's entries, newest first, and the cursor of the next page (None
    on the last), optionally only those of an actor, of some actions, or about a target.
    Keyset on the autoincrement id (index ``(account_id, id)``), so a deep page costs what the
    first does and entries written meanwhile neither repeat nor go missing."""
    limit = max(1, min(int(limit), MAX_LIMIT))
    q = select(AuditEntry).where(AuditEntry.account_id == account_id)
    if cursor is not None:
        if not (cursor.isascii() and cursor.isdigit() and len(cursor) <= 18):
            raise InvalidCursor(f"not an audit log cursor: {cursor!r}")
        q = q.where(AuditEntry.id < int(cursor))
    for column, value in ((AuditEntry.actor, actor), (AuditEntry.target_type, target_type),
                          (AuditEntry.target_id, target_id)):
        if value is not None:
            q = q.where(column == value)
    if actions:
        q = q.where(AuditEntry.action.in_(actions))
    rows = list(session.scalars(q.order_by(AuditEntry.id.desc()).limit(limit + 1)))
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (str(rows[-1].id) if more else None)
