"""What the scheduler tests share: a clock they move by hand, connectors with end-of-day work
and polling, and a scheduler over the real SQLite ledger built with them."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from marshmallow import Schema, fields, validate
from sqlalchemy import select, update

from fiscal.ledger import connections as ledger_connections
from fiscal.ledger import registers
from fiscal.ledger.models import Connection, Job, ScheduledRun
from hub.connectors import (Connector, FiscalJobIntent, PostingIntent, SourceEvent,
                            TranslationError)
from hub.hookspecs import hookimpl
from hub.intake import Intake
from hub.plugins import PluginHost, make_plugin_manager
from hub.scheduler import Scheduler

UTC = timezone.utc
# What the lab PMS holds and what it was asked: reset by each test's `pms` fixture.
PMS: dict = {"feed": [], "calls": []}


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


class Clock:
    """The scheduler's clock, moved by the test."""

    def __init__(self, at: datetime):
        self.at = at

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta) -> datetime:
        self.at += timedelta(**delta)
        return self.at


class NightSettings(Schema):
    mode = fields.String(load_default="ok", validate=validate.OneOf(["ok", "down"]))


class NightAuditConnector(Connector):
    """A hotel PMS with a night audit: end of day posts the day's revenue; polling returns
    the PMS's feed of sales (all of it, every time: the hub deduplicates)."""

    name = "night_audit"
    version = "1.0"
    settings_schema = NightSettings
    poll_interval = 300

    def verify(self, request):
        pass

    def parse(self, request):
        return []

    def translate(self, event):
        if event.type != "sale":
            raise TranslationError(f"not a sale: {event.type}")
        amount = str(event.payload["amount"])
        item = {"name": "Room service", "price": amount, "quantity": "1", "amount": amount,
                "vat": "vat20"}
        return [FiscalJobIntent(idempotency_key=f"sale:{event.event_id}", job={
            "kind": "receipt", "receipt": {
                "operation": "sell", "taxation": "osn", "items": [item],
                "payments": [{"type": "electronic", "amount": amount}], "total": amount}})]

    def end_of_day(self, business_day, http):
        PMS["calls"].append(("end_of_day", business_day))
        if self.settings["mode"] == "down":
            raise ConnectionError("the PMS does not answer")
        return [PostingIntent(kind="revenue", target="night-audit", amount=Decimal("1500.00"),
                              payload={"day": business_day.isoformat()},
                              idempotency_key=f"revenue:{business_day.isoformat()}")]

    def poll(self, since, http):
        PMS["calls"].append(("poll", since))
        if self.settings["mode"] == "down":
            raise ConnectionError("the PMS does not answer")
        return list(PMS["feed"])


class QuietConnector(Connector):
    """A POS with webhooks only: no end-of-day work, no polling."""

    name = "quiet_pos"
    version = "1.0"

    def verify(self, request):
        pass

    def parse(self, request):
        return []

    def translate(self, event):
        return []


class LabPlugin:
    @hookimpl
    def fiscalhub_register_connectors(self):
        return [NightAuditConnector, QuietConnector]


def host_with(*extra) -> PluginHost:
    return PluginHost(make_plugin_manager(load_entrypoints=False, disabled=[],
                                          extra=[("night_lab", LabPlugin()), *extra]))


def sale(event_id: str, amount: str = "250.00") -> SourceEvent:
    return SourceEvent(event_id=event_id, type="sale", payload={"amount": amount})


def make_scheduler(ledger, clock, host=None, **options) -> Scheduler:
    host = host or host_with()
    return Scheduler(ledger, host, Intake(ledger, host), clock, **options)


def add_register(ledger, account_id, data_dir, name, **settings) -> str:
    with ledger.session() as s:
        return registers.add_register(s, account_id, name=name, driver="virtual",
                                      url=f"virtual://{data_dir / (name + '.sqlite')}",
                                      settings=settings).id


def add_connection(ledger, account_id, *, connector="night_audit", register_id=None,
                   group_id=None, time_zone="Europe/Moscow", closing_time="05:30",
                   settings=None, created_at=utc(2026, 1, 1)) -> str:
    with ledger.session() as s:
        conn = ledger_connections.create_connection(
            s, account_id, connector=connector, name=f"{connector} {time_zone}",
            settings=settings or {}, actor="test", register_id=register_id,
            register_group_id=group_id, time_zone=time_zone, closing_time=closing_time)
        conn.created_at = created_at        # it existed before the days the test drives
        return conn.id


def set_connection(ledger, connection_id, **values) -> None:
    with ledger.session() as s:
        s.execute(update(Connection).where(Connection.id == connection_id).values(**values))


def runs(ledger, name_prefix: str = "") -> list[ScheduledRun]:
    with ledger.session(readonly=True) as s:
        return list(s.scalars(select(ScheduledRun).where(
            ScheduledRun.name.startswith(name_prefix)).order_by(ScheduledRun.id)))


def z_reports(ledger) -> list[Job]:
    with ledger.session(readonly=True) as s:
        return list(s.scalars(select(Job).where(Job.kind == "close_shift")
                              .order_by(Job.created_at, Job.id)))


def print_waiting_z_reports(ledger) -> None:
    """What the register's worker would do: every waiting Z report is printed."""
    with ledger.session() as s:
        s.execute(update(Job).where(Job.kind == "close_shift", Job.state != "printed")
                  .values(state="printed"))
