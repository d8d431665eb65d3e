"""Registers in the ledger: adding one, binding it to a device, its live state, and choosing a
register for a job that targets a group."""
from __future__ import annotations

import secrets
import uuid

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from fiscal.ledger.models import Job, Register, RegisterGroup, RegisterGroupMember, utcnow
from fiscal.model import JobState

# Letters and digits that cannot be misread when typed into a register's settings.
_BINDING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

DEFAULT_SETTINGS = {"paperless": False, "universal_cashier": True, "auto_open_shift": True,
                    "close_shift_at_end_of_day": False}

PENDING_STATES = (JobState.RECEIVED, JobState.QUEUED, JobState.SENDING, JobState.HELD)


def new_binding_id() -> str:
    raw = "".join(secrets.choice(_BINDING_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def add_register(session: Session, account_id: str, *, name: str, driver: str, url: str,
                 settings: dict | None = None) -> Register:
    reg = Register(id=str(uuid.uuid4()), account_id=account_id, name=name,
                   binding_id=new_binding_id(), driver=driver, url=url,
                   settings={**DEFAULT_SETTINGS, **(settings or {})}, state={})
    session.add(reg)
    session.flush()
    return reg


class BindingConflict(Exception):
    """A device other than the one the binding ID is bound to answered on the register's line."""


def bind_or_check(session: Session, register_id: str, serial_number: str, model: str) -> None:
    """Bind the register's binding ID to the device's factory serial number on first contact;
    afterwards refuse any other device (and show the conflict on the register)."""
    reg = session.get(Register, register_id)
    if reg.serial_number is None:
        taken = session.scalar(select(Register.id).where(
            Register.serial_number == serial_number, Register.removed_at.is_(None),
            Register.id != register_id))
        if taken:
            msg = (f"device {model} no. {serial_number} is already bound to register {taken}; "
                   f"one device cannot serve two binding IDs")
            reg.binding_conflict = msg
            raise BindingConflict(msg)
        reg.serial_number = serial_number
        reg.binding_conflict = None
    elif reg.serial_number != serial_number:
        msg = (f"binding ID {reg.binding_id} is bound to device no. {reg.serial_number}, "
               f"but device {model} no. {serial_number} answered")
        reg.binding_conflict = msg
        raise BindingConflict(msg)


def record_state(session: Session, register_id: str, state: dict, online: bool = True) -> None:
    reg = session.get(Register, register_id)
    if reg is None:
        return
    reg.state = {**(reg.state or {}), **state, "online": online}
    if online:
        reg.last_seen_at = utcnow()


def pending_counts(session: Session, register_ids: list[str]) -> dict[str, int]:
    rows = session.execute(select(Job.register_id, func.count()).where(
        Job.register_id.in_(register_ids), Job.state.in_(PENDING_STATES))
        .group_by(Job.register_id))
    return {rid: n for rid, n in rows}


def pick_from_group(session: Session, group: RegisterGroup) -> Register | None:
    """The first active register of the group with the fewest pending jobs."""
    members = list(session.execute(
        select(Register, RegisterGroupMember.position)
        .join(RegisterGroupMember, RegisterGroupMember.register_id == Register.id)
        .where(RegisterGroupMember.group_id == group.id, Register.removed_at.is_(None),
               Register.suspended.is_(False))
        .order_by(RegisterGroupMember.position, Register.created_at)))
    if not members:
        return None
    load = pending_counts(session, [r.id for r, _ in members])
    return min((r for r, _ in members), key=lambda r: load.get(r.id, 0))
