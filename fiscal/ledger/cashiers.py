"""The account's cashiers: the people named on receipts (FFD 1021 name, 1203 INN), and which
registers each may use.

A register's ``universal_cashier`` setting (on by default) lets a job name anyone, or no one,
as the cashier. With it off, every job for the register must name one of the account's cashiers
allowed on it (``check_cashier_for``), and the job records who (``jobs.cashier_id``).

Every change writes its audit entry in the caller's transaction. A deleted cashier keeps its row:
printed jobs still point at it.
"""
from __future__ import annotations

import re
import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fiscal.ledger import audit
from fiscal.ledger.models import Cashier, CashierRegister, Register, utcnow
from fiscal.ledger.tenancy import not_live_registers, owned

NAME_MAX = 64                   # FFD tag 1021
_INN = re.compile(r"^[0-9]{12}$")  # FFD tag 1203: a person's INN, 12 ASCII digits
_KEEP = object()


class CashierRefused(Exception):
    """``code``: ``invalid`` (``field`` says which), ``cashier_required`` (the register's
    universal cashier is off and the job names none), ``unknown_cashier`` (not a cashier of
    the register's account), ``cashier_not_allowed`` (not allowed on this register)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def _valid_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise CashierRefused("invalid", f"a cashier's name has 1 to {NAME_MAX} characters",
                             "name")
    return name


def _valid_inn(inn: str | None) -> str | None:
    inn = (inn or "").strip() or None
    if inn is not None and not _INN.match(inn):
        raise CashierRefused("invalid", "a cashier's INN is 12 digits", "inn")
    return inn


def _valid_registers(session: Session, account_id: str, register_ids) -> list[str]:
    ids = list(dict.fromkeys(register_ids or ()))
    missing = not_live_registers(session, account_id, ids)
    if missing:
        raise CashierRefused("invalid", f"not registers of this account: {', '.join(missing)}",
                             "register_ids")
    return ids


def get_cashier(session: Session, account_id: str, cashier_id: str) -> Cashier | None:
    """The account's cashier (not deleted); None for another account's, as for none."""
    return owned(session, Cashier, account_id, cashier_id)


def list_cashiers(session: Session, account_id: str) -> list[Cashier]:
    return list(session.scalars(select(Cashier).where(Cashier.account_id == account_id,
                                                      Cashier.deleted_at.is_(None))
                                .order_by(Cashier.name, Cashier.id)))


def cashier_register_ids(session: Session, cashier_id: str) -> list[str]:
    """The registers the cashier is limited to; empty: all of the account's."""
    return list(session.scalars(select(CashierRegister.register_id)
                                .where(CashierRegister.cashier_id == cashier_id)
                                .order_by(CashierRegister.register_id)))


def _set_registers(session: Session, cashier_id: str, register_ids: list[str]) -> None:
    session.execute(delete(CashierRegister).where(CashierRegister.cashier_id == cashier_id))
    session.add_all(CashierRegister(cashier_id=cashier_id, register_id=r) for r in register_ids)
    session.flush()


def create_cashier(session: Session, account_id: str, *, name: str, actor: str,
                   inn: str | None = None, register_ids=()) -> Cashier:
    """Add a cashier; ``register_ids`` limits them to those registers (empty: all)."""
    cashier = Cashier(id=str(uuid.uuid4()), account_id=account_id, name=_valid_name(name),
                      inn=_valid_inn(inn), created_at=utcnow())
    regs = _valid_registers(session, account_id, register_ids)
    session.add(cashier)
    session.flush()
    _set_registers(session, cashier.id, regs)
    audit.record(session, account_id, actor, "cashier.create", "cashier", cashier.id,
                 {"name": cashier.name, "inn": cashier.inn, "register_ids": regs})
    return cashier


def edit_cashier(session: Session, cashier: Cashier, *, actor: str, name=_KEEP, inn=_KEEP,
                 register_ids=_KEEP) -> dict:
    """Change the given fields; returns ``{field: [old, new]}`` for those that changed."""
    changes = {}
    if name is not _KEEP and (new := _valid_name(name)) != cashier.name:
        changes["name"] = [cashier.name, new]
        cashier.name = new
    if inn is not _KEEP and (new := _valid_inn(inn)) != cashier.inn:
        changes["inn"] = [cashier.inn, new]
        cashier.inn = new
    if register_ids is not _KEEP:
        old = cashier_register_ids(session, cashier.id)
        new = sorted(_valid_registers(session, cashier.account_id, register_ids))
        if new != old:
            _set_registers(session, cashier.id, new)
            changes["register_ids"] = [old, new]
    if changes:
        audit.record(session, cashier.account_id, actor, "cashier.edit", "cashier", cashier.id,
                     {"changes": changes})
    return changes


def delete_cashier(session: Session, cashier: Cashier, *, actor: str) -> None:
    if cashier.deleted_at is not None:
        return
    cashier.deleted_at = utcnow()
    audit.record(session, cashier.account_id, actor, "cashier.delete", "cashier", cashier.id,
                 {"name": cashier.name})


def may_use(session: Session, cashier: Cashier, register_id: str) -> bool:
    allowed = cashier_register_ids(session, cashier.id)
    return not allowed or register_id in allowed


def check_cashier_for(session: Session, register: Register,
                      cashier_id: str | None) -> Cashier | None:
    """The cashier a job for ``register`` is printed for, or None (universal cashier).

    A named cashier must be a live cashier of the register's account and allowed on the
    register, whatever the setting. With the register's universal cashier off, naming one is
    required. Raises ``CashierRefused`` (field ``cashier_id``)."""
    if cashier_id is None:
        if (register.settings or {}).get("universal_cashier", True):
            return None
        raise CashierRefused("cashier_required", f"the register {register.name} has the "
                             "universal cashier off: the job must name one of the account's "
                             "cashiers", "cashier_id")
    cashier = get_cashier(session, register.account_id, cashier_id)
    if cashier is None:
        raise CashierRefused("unknown_cashier", f"no cashier {cashier_id} in this account",
                             "cashier_id")
    if not may_use(session, cashier, register.id):
        raise CashierRefused("cashier_not_allowed", f"the cashier {cashier.name} may not use the "
                             f"register {register.name}", "cashier_id")
    return cashier


def receipt_cashier(cashier: Cashier) -> dict:
    """The canonical job's ``cashier`` (1021 name, 1203 INN when known) for this cashier."""
    return {"name": cashier.name, **({"inn": cashier.inn} if cashier.inn else {})}
