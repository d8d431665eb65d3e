"""Tenant isolation in one place: an account sees only its own live rows."""
from __future__ import annotations

from typing import TypeVar

from sqlalchemy.orm import Session

T = TypeVar("T")


def owned(session: Session, model: type[T], account_id: str, row_id: str) -> T | None:
    """The row ``row_id`` of ``model`` if it belongs to ``account_id`` and is not deleted;
    None otherwise — another account's row is answered exactly like a missing one."""
    row = session.get(model, row_id)
    if row is None or getattr(row, "account_id", None) != account_id:
        return None
    if getattr(row, "deleted_at", None) is not None:
        return None
    return row
