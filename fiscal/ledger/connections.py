"""Connections in the ledger: a connector configured for an account — its settings, where its
jobs print (one register or one group of the account), and its business day (time zone and
closing time, 05:30 by default).

The settings arrive here already validated by the connector's schema (the hub knows the
connectors; the ledger does not). Every change writes its audit entry in the caller's
transaction, naming the settings that changed but never their values (they may be secrets).
A deleted connection keeps its row: its events, jobs and postings still name it.
"""
from __future__ import annotations

import re
import uuid
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from fiscal.ledger import audit
from fiscal.ledger.models import Connection, Register, RegisterGroup, utcnow
from fiscal.ledger.tenancy import owned

NAME_MAX = 200
DEFAULT_CLOSING_TIME = "05:30"
DEFAULT_TIME_ZONE = "Europe/Moscow"
_CLOSING = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
_KEEP = object()


class ConnectionRefused(Exception):
    """A connection change that is not valid; ``field`` says which field."""

    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


def valid_time_zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ConnectionRefused(f"{name!r} is not an IANA time zone (e.g. Europe/Moscow)",
                                "time_zone") from None
    return name


def valid_closing_time(value: str) -> str:
    if not isinstance(value, str) or not _CLOSING.match(value):
        raise ConnectionRefused("the closing time is HH:MM, 00:00 to 23:59 (e.g. 05:30)",
                                "closing_time")
    return value


def _valid_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= NAME_MAX:
        raise ConnectionRefused(f"a connection's name has 1 to {NAME_MAX} characters", "name")
    return name


def _valid_routing(session: Session, account_id: str, register_id, group_id) -> None:
    if bool(register_id) == bool(group_id):
        raise ConnectionRefused("give where its jobs print: register_id or register_group_id "
                                "(one of them)", "register_id")
    if register_id:
        reg = owned(session, Register, account_id, register_id)
        if reg is None or reg.removed_at is not None:
            raise ConnectionRefused(f"not a register of this account (or removed): "
                                    f"{register_id}", "register_id")
    elif owned(session, RegisterGroup, account_id, group_id) is None:
        raise ConnectionRefused(f"not a register group of this account: {group_id}",
                                "register_group_id")


def get_connection(session: Session, account_id: str, connection_id: str) -> Connection | None:
    """The account's connection (not deleted); None for another account's, as for none."""
    return owned(session, Connection, account_id, connection_id)


def live_connection(session: Session, connection_id: str) -> Connection | None:
    """Any account's connection that is not deleted (the webhook URL names only the ID)."""
    conn = session.get(Connection, connection_id)
    return conn if conn is not None and conn.deleted_at is None else None


def list_connections(session: Session, account_id: str | None = None) -> list[Connection]:
    """The account's connections (every account's for ``None``), by name."""
    where = [Connection.deleted_at.is_(None)]
    if account_id is not None:
        where.append(Connection.account_id == account_id)
    return list(session.scalars(select(Connection).where(*where)
                                .order_by(Connection.name, Connection.id)))


def routing(conn: Connection) -> dict:
    """Where the connection's jobs print, as the routing hook reads it."""
    if conn.register_id:
        return {"register": conn.register_id}
    return {"register_group": conn.register_group_id}


def create_connection(session: Session, account_id: str, *, connector: str, name: str,
                      settings: dict, actor: str, register_id: str | None = None,
                      register_group_id: str | None = None,
                      time_zone: str = DEFAULT_TIME_ZONE,
                      closing_time: str = DEFAULT_CLOSING_TIME) -> Connection:
    _valid_routing(session, account_id, register_id, register_group_id)
    now = utcnow()
    conn = Connection(id=str(uuid.uuid4()), account_id=account_id, connector=connector,
                      name=_valid_name(name), settings=settings, register_id=register_id,
                      register_group_id=register_group_id,
                      time_zone=valid_time_zone(time_zone),
                      closing_time=valid_closing_time(closing_time), created_at=now,
                      updated_at=now)
    session.add(conn)
    session.flush()
    audit.record(session, account_id, actor, "connection.create", "connection", conn.id,
                 {"connector": connector, "name": conn.name,
                  "setting_names": sorted(settings)})
    return conn


def edit_connection(session: Session, conn: Connection, *, actor: str, name=_KEEP,
                    settings=_KEEP, register_id=_KEEP, register_group_id=_KEEP,
                    time_zone=_KEEP, closing_time=_KEEP) -> dict:
    """Change what is given; ``{field: [old, new]}`` (for settings, the names that changed).
    Giving ``register_id`` or ``register_group_id`` replaces the routing (the other is
    cleared)."""
    changes: dict = {}
    if register_id is not _KEEP or register_group_id is not _KEEP:
        new_reg = None if register_id is _KEEP else register_id
        new_group = None if register_group_id is _KEEP else register_group_id
        _valid_routing(session, conn.account_id, new_reg, new_group)
        if (new_reg, new_group) != (conn.register_id, conn.register_group_id):
            changes["routing"] = [routing(conn), None]
            conn.register_id, conn.register_group_id = new_reg, new_group
            changes["routing"][1] = routing(conn)
    simple = {"name": _valid_name(name) if name is not _KEEP else _KEEP,
              "time_zone": valid_time_zone(time_zone) if time_zone is not _KEEP else _KEEP,
              "closing_time": (valid_closing_time(closing_time)
                               if closing_time is not _KEEP else _KEEP)}
    for field, value in simple.items():
        if value is not _KEEP and value != getattr(conn, field):
            changes[field] = [getattr(conn, field), value]
            setattr(conn, field, value)
    if settings is not _KEEP and settings != conn.settings:
        old = conn.settings or {}
        changed = sorted(k for k in set(old) | set(settings) if old.get(k) != settings.get(k))
        changes["setting_names"] = changed
        conn.settings = dict(settings)
    if changes:
        conn.updated_at = utcnow()
        audit.record(session, conn.account_id, actor, "connection.edit", "connection", conn.id,
                     {"changes": changes})
    return changes


def delete_connection(session: Session, conn: Connection, *, actor: str) -> None:
    """Stop the connection: its webhook answers 404 and the scheduler leaves it alone. Jobs
    and postings it produced stay where they are."""
    if conn.deleted_at is not None:
        return
    conn.deleted_at = utcnow()
    audit.record(session, conn.account_id, actor, "connection.delete", "connection", conn.id,
                 {"connector": conn.connector, "name": conn.name})
