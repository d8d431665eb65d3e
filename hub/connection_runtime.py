"""A connection at work: its connector instance (settings loaded by the connector's schema) and
the HTTP client its optional methods (send_posting, search, poll, end_of_day, health) get.

Used by intake, the posting worker and the scheduler alike, so they agree on what "this
connection's connector is unavailable" means.
"""
from __future__ import annotations

import inspect
from datetime import date, timedelta

import requests
from marshmallow import ValidationError
from sqlalchemy import select

from hub.connectors import Connector, SourceEvent, connectors

HTTP_TIMEOUT = (5, 30)          # connect, read (seconds)


class ConnectorUnavailable(Exception):
    """The connection's connector is not installed (or was disabled), or its stored settings
    no longer load (the connector was upgraded): nothing can be verified or translated."""

    def __init__(self, reason: str, errors: dict | None = None):
        super().__init__(reason)
        self.reason, self.errors = reason, errors or {}


def connector_class(host, name: str) -> type[Connector]:
    cls = connectors(host).get(name)
    if cls is None:
        raise ConnectorUnavailable(f"connector {name!r} is not installed (or is disabled)")
    return cls


def load_connector(host, conn) -> Connector:
    """The connector serving ``conn`` (a ``fiscal.ledger.models.Connection``)."""
    cls = connector_class(host, conn.connector)
    try:
        return cls.from_settings(dict(conn.settings or {}))
    except ValidationError as exc:
        raise ConnectorUnavailable(f"the settings of connection {conn.name!r} no longer load "
                                   f"in {conn.connector} {cls.version}: fix them",
                                   exc.messages) from None


class _TimeoutSession(requests.Session):
    """A session whose requests time out unless the connector says otherwise: a source system
    that stops answering must not hold a worker forever."""

    def request(self, method, url, **kwargs):
        kwargs.setdefault("timeout", HTTP_TIMEOUT)
        return super().request(method, url, **kwargs)


def http_session(conn) -> requests.Session:
    session = _TimeoutSession()
    session.headers["User-Agent"] = f"fiscalhub ({conn.connector} connection {conn.id})"
    return session


def connection_view(conn) -> dict:
    """The connection as hooks see it (``fiscalhub_route_job``'s ``connection``)."""
    from fiscal.ledger.connections import routing
    return {"id": conn.id, "account_id": conn.account_id, "connector": conn.connector,
            "name": conn.name, "settings": dict(conn.settings or {}), "routing": routing(conn),
            "time_zone": conn.time_zone, "closing_time": conn.closing_time}


def business_day_events(ledger, conn, day: date) -> list[SourceEvent]:
    """The connection's accepted events the hub received during business day ``day`` (from
    the closing time before it to its own, in the connection's zone), oldest first — what a
    connector totals up at end of day. The end-of-day events themselves are left out."""
    from fiscal.ledger.models import StoredEvent
    from fiscal.model import EventState
    from hub.periodic import BusinessDay
    days = BusinessDay.of(conn.closing_time, conn.time_zone)
    start, end = days.closes_at(day - timedelta(days=1)), days.closes_at(day)
    with ledger.session(readonly=True) as s:
        rows = s.scalars(select(StoredEvent).where(
            StoredEvent.connection_id == conn.id, StoredEvent.state == EventState.ACCEPTED,
            StoredEvent.received_at >= start, StoredEvent.received_at < end,
            StoredEvent.type != "end_of_day").order_by(StoredEvent.received_at, StoredEvent.id))
        return [SourceEvent.from_json(r.payload) for r in rows if r.payload]


def run_end_of_day(ledger, connector: Connector, conn, day: date, http) -> list:
    """``connector.end_of_day(day, http)``, given the business day's events too when its
    method takes an ``events`` argument (a POS connector totalling the day's bills)."""
    if "events" in inspect.signature(connector.end_of_day).parameters:
        return connector.end_of_day(day, http, events=business_day_events(ledger, conn, day))
    return connector.end_of_day(day, http)
