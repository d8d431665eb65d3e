"""Connectors for the intake tests: the example (TinyPOS) and "lab", whose behaviour its
settings choose — translate well, raise, return an invalid job, or take its time — so that a
test can break a connection, watch its events be rejected, fix the settings and replay."""
from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

from marshmallow import Schema, fields, validate

from hub.connectors import (Connector, ConnectorRoute, FiscalJobIntent, PostingIntent,
                            SourceEvent, TranslationError, verify_shared_secret)
from hub.hookspecs import hookimpl
from hub.plugins import PluginHost, make_plugin_manager

from connector_helpers import EXAMPLE

if str(EXAMPLE) not in sys.path:
    sys.path.insert(0, str(EXAMPLE))
import fiscalhub_example_connector as example  # noqa: E402

LAB_SECRET = "lab-secret-123"
MODES = ["ok", "raise", "invalid", "slow", "refuse"]


class LabSettings(Schema):
    secret = fields.String(required=True, validate=validate.Length(min=8))
    mode = fields.String(load_default="ok", validate=validate.OneOf(MODES))
    price = fields.Decimal(load_default=Decimal("100.00"), as_string=True)


class LabConnector(Connector):
    """Body: ``{"id": "e1", "items": 2, "tip": "10.00"}`` → a sale of ``items`` × ``price``
    and, with a tip, a tip posting."""

    name = "lab"
    title = "Lab POS"
    version = "1.0"
    settings_schema = LabSettings
    secret_settings = ("secret",)
    settings_example = {"secret": LAB_SECRET, "mode": "ok"}

    def verify(self, request):
        verify_shared_secret(request, "X-Lab-Secret", self.settings["secret"])

    def parse(self, request):
        doc = json.loads(request.body)
        docs = doc if isinstance(doc, list) else [doc]
        return [SourceEvent(event_id=str(d["id"]), type="sale", payload=d) for d in docs]

    def translate(self, event):
        mode = self.settings["mode"]
        if mode == "raise":
            raise RuntimeError("lab connector bug")
        if mode == "refuse":
            raise TranslationError("lab refuses this event", {"items": ["not a sale"]})
        if mode == "slow":
            time.sleep(3)
        n = int(event.payload.get("items", 1))
        price = self.settings["price"]
        item = {"name": "Karaoke hour", "price": str(price), "quantity": str(n),
                "amount": str(price * n), "vat": "vat20"}
        receipt = {"operation": "sell", "taxation": "osn", "items": [item],
                   "payments": [{"type": "cash", "amount": str(price * n)}],
                   "total": str(price * n)}
        if mode == "invalid":
            receipt["total"] = "1.00"               # does not add up
        intents = [FiscalJobIntent(job={"kind": "receipt", "receipt": receipt},
                                   idempotency_key=f"lab:{event.event_id}")]
        if event.payload.get("tip"):
            intents.append(PostingIntent(kind="tip", target="house",
                                         amount=Decimal(event.payload["tip"]),
                                         idempotency_key=f"lab:{event.event_id}:tip"))
        return intents


    def routes(self):
        return [ConnectorRoute("/search", "search_guests", ("GET",)),
                ConnectorRoute("/charge", "charge", ("POST",)),
                ConnectorRoute("/broken", "broken", ("GET",))]

    def search_guests(self, request, context):
        term = request.query.get("term", "")
        return 200, {"items": [{"room": "101", "guest": f"{term.title()} Petrov"}],
                     "connection": context.connection.id}

    def charge(self, request, context):
        """Synchronously: store the charge as an event now and answer with its job."""
        (outcome,) = context.accept(self.parse(request))
        return (200 if outcome.state == "accepted" else 422), outcome.to_json()

    def broken(self, request, context):
        raise KeyError("room")

    def end_of_day(self, business_day, http):
        amount = 1.5 if self.settings["mode"] == "invalid" else Decimal("1500.00")  # float: bad
        return [PostingIntent(kind="revenue", target="house", amount=amount,
                              idempotency_key=f"lab:eod:{business_day.isoformat()}")]

    def health(self, http):
        if self.settings["mode"] == "raise":
            raise ConnectionError("lab POS is unreachable")
        return {"ok": self.settings["mode"] == "ok", "detail": f"mode {self.settings['mode']}"}


class LabPlugin:
    @hookimpl
    def fiscalhub_register_connectors(self):
        return [LabConnector, example.ExampleConnector]


def lab_host(*extra) -> PluginHost:
    return PluginHost(make_plugin_manager(load_entrypoints=False, disabled=[],
                                          extra=[("lab", LabPlugin()), *extra]))
