"""Connectors for the intake tests: the example (TinyPOS) and "lab", whose behaviour its
settings choose — translate well, raise, return an invalid job, or take its time — so that a
test can break a connection, watch its events be rejected, fix the settings and replay."""
from __future__ import annotations

import json
import sys
import time
from decimal import Decimal

from marshmallow import Schema, fields, validate

from hub.connectors import (Connector, FiscalJobIntent, PostingIntent, SourceEvent,
                            TranslationError, verify_shared_secret)
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


class LabPlugin:
    @hookimpl
    def fiscalhub_register_connectors(self):
        return [LabConnector, example.ExampleConnector]


def lab_host(*extra) -> PluginHost:
    return PluginHost(make_plugin_manager(load_entrypoints=False, disabled=[],
                                          extra=[("lab", LabPlugin()), *extra]))
