"""Registers in the ledger: adding one, binding it to a device, its live state, the changes an
account makes to it (edit, settings, suspend, activate, remove), and choosing a register for a
job that targets a group.

Every change an account makes writes its audit entry in the caller's transaction. A removed
register keeps its row (its printed jobs point at it) and its binding ID, which is never
given out again.
"""
from __future__ import annotations

import secrets
import uuid

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from fiscal.ledger import audit
from fiscal.ledger import jobs as ledger_jobs
from fiscal.ledger.models import Job, Register, RegisterGroup, RegisterGroupMember, utcnow
from fiscal.model import JobState
from fiscal.states import StaleState

# Letters and digits that cannot be misread when typed into a register's settings.
_BINDING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"

DEFAULT_SETTINGS = {"paperless": False, "universal_cashier": True, "auto_open_shift": True,
                    "close_shift_at_end_of_day": False}

PENDING_STATES = (JobState.RECEIVED, JobState.QUEUED, JobState.SENDING, JobState.HELD)
# What removing a register cancels: every job not yet sent to it, and the failed ones (they
# could only be repeated on this register). A job being sent finishes or is reconciled; a job
# that needs attention may have been printed, so an operator settles it.
CANCELLED_ON_REMOVE = (JobState.RECEIVED, JobState.QUEUED, JobState.HELD, JobState.FAILED)
REMOVED_CAUSE = "the register was removed"
_KEEP = object()


class RegisterRefused(Exception):
    """``code``: ``register_removed`` (a removed register cannot be changed or used),
    ``invalid`` (``field`` says which)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


def new_binding_id() -> str:
    raw = "".join(secrets.choice(_BINDING_ALPHABET) for _ in range(12))
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _unused_binding_id(session: Session) -> str:
    """A binding ID no register ever had (removed ones keep theirs: an ID is never reused)."""
    while True:
        binding_id = new_binding_id()
        if session.scalar(select(Register.id).where(Register.binding_id == binding_id)) is None:
            return binding_id


def add_register(session: Session, account_id: str, *, name: str, driver: str, url: str,
                 settings: dict | None = None) -> Register:
    reg = Register(id=str(uuid.uuid4()), account_id=account_id, name=name,
                   binding_id=_unused_binding_id(session), driver=driver, url=url,
                   settings={**DEFAULT_SETTINGS, **(settings or {})}, state={})
    session.add(reg)
    session.flush()
    return reg


def create_register(session: Session, account_id: str, *, name: str, driver: str, url: str,
                    actor: str, settings: dict | None = None) -> Register:
    """:func:`add_register` for an account's user or key, with its audit entry."""
    reg = add_register(session, account_id, name=name, driver=driver, url=url,
                       settings=_valid_settings(settings or {}))
    audit.record(session, account_id, actor, "register.create", "register", reg.id,
                 {"name": reg.name, "driver": reg.driver, "url": reg.url,
                  "binding_id": reg.binding_id, "settings": public_settings(reg)})
    return reg


def public_settings(reg: Register) -> dict:
    """The four account-facing settings (defaults filled in); driver options stay hidden."""
    stored = reg.settings or {}
    return {k: bool(stored.get(k, default)) for k, default in DEFAULT_SETTINGS.items()}


def _valid_settings(settings: dict) -> dict:
    unknown = sorted(set(settings) - set(DEFAULT_SETTINGS))
    if unknown:
        raise RegisterRefused("invalid", f"unknown settings: {', '.join(unknown)}", "settings")
    wrong = sorted(k for k, v in settings.items() if not isinstance(v, bool))
    if wrong:
        raise RegisterRefused("invalid", f"settings are true or false: {', '.join(wrong)}",
                              "settings")
    return dict(settings)


def check_usable(reg: Register) -> None:
    """Refuse any change to (or service on) a removed register."""
    if reg.removed_at is not None:
        raise RegisterRefused("register_removed", f"The register {reg.name} was removed on "
                              f"{reg.removed_at:%Y-%m-%d %H:%M} UTC; a removed register cannot "
                              "be changed or used again (add the device as a new register)")


def edit_register(session: Session, reg: Register, *, actor: str, name=_KEEP, url=_KEEP,
                  settings: dict | None = None) -> dict:
    """Change the name, the connection URL and some settings; ``{field: [old, new]}`` for what
    changed. The binding stays: the same device on a new line is still this register."""
    check_usable(reg)
    settings = _valid_settings(settings or {})
    changes = {}
    if name is not _KEEP and name != reg.name:
        changes["name"] = [reg.name, name]
        reg.name = name
    if url is not _KEEP and url != reg.url:
        changes["url"] = [reg.url, url]
        reg.url = url
    old = public_settings(reg)
    for key, value in settings.items():
        if old[key] != value:
            changes[f"settings.{key}"] = [old[key], value]
    if settings:
        reg.settings = {**(reg.settings or {}), **settings}      # a new dict: JSON is saved
    if changes:
        audit.record(session, reg.account_id, actor, "register.edit", "register", reg.id,
                     {"changes": changes})
    return changes


def suspend_register(session: Session, reg: Register, *, actor: str) -> bool:
    """Hold the register's jobs from now on (the worker holds each one it picks up); False
    when it was suspended already."""
    check_usable(reg)
    if reg.suspended:
        return False
    reg.suspended = True
    audit.record(session, reg.account_id, actor, "register.suspend", "register", reg.id,
                 {"name": reg.name})
    return True


def activate_register(session: Session, reg: Register, *, actor: str) -> int:
    """Print on the register again: its held jobs go back to the queue. Returns how many."""
    check_usable(reg)
    was_suspended = reg.suspended
    reg.suspended = False
    session.flush()
    released = ledger_jobs.release_held(session, reg.id, actor=actor,
                                        cause="the register was activated")
    reg = session.get(Register, reg.id)
    if was_suspended or released:
        audit.record(session, reg.account_id, actor, "register.activate", "register", reg.id,
                     {"name": reg.name, "was_suspended": was_suspended,
                      "jobs_released": released})
    return released


def _count(session: Session, register_id: str, state: str) -> int:
    return session.scalar(select(func.count()).select_from(Job).where(
        Job.register_id == register_id, Job.state == state))


def remove_register(session: Session, reg: Register, *, actor: str) -> dict[str, int]:
    """Remove the register for good: its pending and failed jobs are cancelled with the cause
    "the register was removed", it leaves its groups, and its binding ID is never reused. Jobs
    being sent finish or are reconciled; printed ones stay. Returns the counts."""
    check_usable(reg)
    reg_id, account_id = reg.id, reg.account_id
    reg.removed_at = utcnow()
    session.flush()
    pending = list(session.execute(select(Job.id, Job.state).where(
        Job.register_id == reg_id, Job.state.in_(CANCELLED_ON_REMOVE))
        .order_by(Job.created_at, Job.id)))
    cancelled = 0
    for job_id, state in pending:
        try:
            ledger_jobs.transition(session, job_id, state, JobState.CANCELLED, actor=actor,
                                   cause=REMOVED_CAUSE)
            cancelled += 1
        except StaleState:
            pass        # a worker moved it first (e.g. it is being sent now)
    groups = list(session.scalars(select(RegisterGroupMember.group_id).where(
        RegisterGroupMember.register_id == reg_id)))
    session.execute(delete(RegisterGroupMember).where(RegisterGroupMember.register_id == reg_id))
    counts = {"jobs_cancelled": cancelled,
              "jobs_still_sending": _count(session, reg_id, JobState.SENDING),
              "jobs_needing_attention": _count(session, reg_id, JobState.NEEDS_ATTENTION),
              "jobs_printed": _count(session, reg_id, JobState.PRINTED)}
    reg = session.get(Register, reg_id)
    audit.record(session, account_id, actor, "register.remove", "register", reg_id,
                 {"name": reg.name, "binding_id": reg.binding_id, "left_groups": groups,
                  **counts})
    return counts


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
    else:
        reg.binding_conflict = None


def record_state(session: Session, register_id: str, state: dict, online: bool = True) -> None:
    """Store what a worker saw of the register. A status from the device it is bound to also
    ends a binding conflict shown earlier (the right device is back on the line)."""
    reg = session.get(Register, register_id)
    if reg is None:
        return
    reg.state = {**(reg.state or {}), **state, "online": online}
    if online:
        reg.last_seen_at = utcnow()
    if (reg.binding_conflict and reg.serial_number is not None
            and state.get("serial_number") == reg.serial_number):
        reg.binding_conflict = None


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
