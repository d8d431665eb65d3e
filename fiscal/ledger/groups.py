"""Groups of registers: a named, ordered list of an account's registers. A job sent to a group
prints on its first active register with the fewest pending jobs
(:func:`fiscal.ledger.registers.pick_from_group`).

Every change writes its audit entry in the caller's transaction. A deleted group keeps its row
(jobs that were sent to it still name it) but has no members and is found no more.
"""
from __future__ import annotations

import uuid

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from fiscal.ledger import audit
from fiscal.ledger.models import RegisterGroup, RegisterGroupMember, utcnow
from fiscal.ledger.tenancy import not_live_registers, owned

NAME_MAX = 200
_KEEP = object()


class GroupRefused(Exception):
    """A group change that is not valid; ``field`` says which field."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


def _valid_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise GroupRefused(f"a group's name has 1 to {NAME_MAX} characters", "name")
    return name


def _valid_members(session: Session, account_id: str, register_ids) -> list[str]:
    ids = list(register_ids or ())
    twice = sorted({r for r in ids if ids.count(r) > 1})
    if twice:
        raise GroupRefused(f"listed more than once: {', '.join(twice)}", "register_ids")
    missing = not_live_registers(session, account_id, ids)
    if missing:
        raise GroupRefused(f"not registers of this account (or removed): {', '.join(missing)}",
                           "register_ids")
    return ids


def get_group(session: Session, account_id: str, group_id: str) -> RegisterGroup | None:
    """The account's group (not deleted); None for another account's, as for none."""
    return owned(session, RegisterGroup, account_id, group_id)


def list_groups(session: Session, account_id: str) -> list[RegisterGroup]:
    return list(session.scalars(select(RegisterGroup).where(
        RegisterGroup.account_id == account_id, RegisterGroup.deleted_at.is_(None))
        .order_by(RegisterGroup.name, RegisterGroup.id)))


def member_ids(session: Session, group_id: str) -> list[str]:
    """The group's registers in their order."""
    return list(session.scalars(select(RegisterGroupMember.register_id)
                                .where(RegisterGroupMember.group_id == group_id)
                                .order_by(RegisterGroupMember.position)))


def _set_members(session: Session, group_id: str, register_ids: list[str]) -> None:
    session.execute(delete(RegisterGroupMember).where(RegisterGroupMember.group_id == group_id))
    session.add_all(RegisterGroupMember(group_id=group_id, register_id=r, position=n)
                    for n, r in enumerate(register_ids))
    session.flush()


def create_group(session: Session, account_id: str, *, name: str, actor: str,
                 register_ids=()) -> RegisterGroup:
    """Add a group of the account's registers, in the order given."""
    group = RegisterGroup(id=str(uuid.uuid4()), account_id=account_id, name=_valid_name(name),
                          created_at=utcnow())
    members = _valid_members(session, account_id, register_ids)
    session.add(group)
    session.flush()
    _set_members(session, group.id, members)
    audit.record(session, account_id, actor, "register_group.create", "register_group",
                 group.id, {"name": group.name, "register_ids": members})
    return group


def edit_group(session: Session, group: RegisterGroup, *, actor: str, name=_KEEP,
               register_ids=_KEEP) -> dict:
    """Rename the group or replace its ordered registers; ``{field: [old, new]}``."""
    changes = {}
    new_name = _valid_name(name) if name is not _KEEP else group.name
    new_members = (_valid_members(session, group.account_id, register_ids)
                   if register_ids is not _KEEP else None)
    if new_name != group.name:
        changes["name"] = [group.name, new_name]
        group.name = new_name
    if new_members is not None:
        old = member_ids(session, group.id)
        if new_members != old:
            _set_members(session, group.id, new_members)
            changes["register_ids"] = [old, new_members]
    if changes:
        audit.record(session, group.account_id, actor, "register_group.edit", "register_group",
                     group.id, {"changes": changes})
    return changes


def delete_group(session: Session, group: RegisterGroup, *, actor: str) -> None:
    """Delete the group: jobs can no longer be sent to it; jobs sent earlier keep its name."""
    if group.deleted_at is not None:
        return
    members = member_ids(session, group.id)
    session.execute(delete(RegisterGroupMember).where(RegisterGroupMember.group_id == group.id))
    group.deleted_at = utcnow()
    audit.record(session, group.account_id, actor, "register_group.delete", "register_group",
                 group.id, {"name": group.name, "register_ids": members})
