"""Tenant isolation in one place: an account sees only its own live rows."""
from __future__ import annotations

from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.orm import Session

from fiscal.ledger.models import Register

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


def not_live_registers(session: Session, account_id: str, register_ids: list[str]) -> list[str]:
    """Those of ``register_ids`` that are not live (unremoved) registers of ``account_id``, in
    their order: another account's register is named exactly like a missing one."""
    if not register_ids:
        return []
    found = set(session.scalars(select(Register.id).where(
        Register.id.in_(register_ids), Register.account_id == account_id,
        Register.removed_at.is_(None))))
    return [r for r in register_ids if r not in found]
