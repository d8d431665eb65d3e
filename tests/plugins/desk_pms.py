"""A small PMS connector for the Lightspeed route tests: guests to find and a folio per target
in memory, and switches for how the "hotel system" misbehaves — so the charge route's rules
(retries, in-progress attempts, ambiguous failures, nothing half-posted) are tested apart
from Clock. tests/plugins/test_lightspeed_scenario.py runs the same flow against Clock."""
from __future__ import annotations

import threading
import time
from decimal import Decimal

from marshmallow import Schema, fields

from hub.connectors import Connector, PostingNotDelivered, PostingRefused
from hub.plugins import PluginHost, make_plugin_manager
from plugins.lightspeed import plugin as lightspeed_plugin


class Desk:
    """The hotel system's state, shared by every instance of the connector."""

    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.guests = [
            {"target": "booking:501", "kind": "guest", "room": "101", "room_description":
             "101 Deluxe", "name": "Anna Ivanova", "credit_limit": Decimal("5000.00"),
             "blocked": False},
            {"target": "folio:88", "kind": "company", "room": None, "room_description": None,
             "name": "House account", "credit_limit": None, "blocked": False}]
        self.folios: dict[str, list[dict]] = {}     # target -> posted charges
        self.mode = "ok"            # ok | refuse | down | ambiguous_after | ambiguous_before
        self.refuse_targets: set[str] = set()
        self.delay = 0.0
        self.calls = 0
        self.search_fails = False

    def charges(self, target: str) -> list[dict]:
        return self.folios.get(target, [])


DESK = Desk()


class DeskSettings(Schema):
    name = fields.String(load_default="desk")


class DeskPms(Connector):
    name = "desk_pms"
    title = "Desk PMS (tests)"
    settings_schema = DeskSettings
    settings_example = {"name": "desk"}

    def verify(self, request):
        return None

    def parse(self, request):
        return []

    def translate(self, event):
        return []

    def search(self, term, http):
        if DESK.search_fails:
            raise ConnectionError("the desk is unreachable")
        term = term.lower()
        return [g for g in DESK.guests if term in g["name"].lower()
                or term in (g["room"] or "").lower()]

    def send_posting(self, posting, http):
        with DESK.lock:
            DESK.calls += 1
        if DESK.delay:
            time.sleep(DESK.delay)
        if DESK.mode == "down":
            raise PostingNotDelivered("the desk is down")
        if DESK.mode == "refuse" or posting.target in DESK.refuse_targets:
            raise PostingRefused("the folio is closed")
        if DESK.mode == "ambiguous_before":
            raise TimeoutError("no answer")
        with DESK.lock:
            DESK.folios.setdefault(posting.target, []).append(
                {"key": posting.idempotency_key, "amount": posting.amount,
                 "lines": posting.payload.get("lines", [])})
        if DESK.mode == "ambiguous_after":
            raise TimeoutError("no answer after storing")
        return {"posted": posting.target}

    def posting_arrived(self, posting, http):
        return any(c["key"] == posting.idempotency_key for c in DESK.charges(posting.target))


class DeskPlugin:
    def fiscalhub_register_connectors(self):
        return [DeskPms]


def desk_host() -> PluginHost:
    return PluginHost(make_plugin_manager(load_entrypoints=False, disabled=[], extra=[
        ("lightspeed", lightspeed_plugin), ("desk_pms", DeskPlugin())]))


def desk_and_lightspeed(settings, auth, register, api_key: str, language: str = "en"):
    """The hub with this PMS and Lightspeed, each a connection of the account through the API:
    ``(app, client, lightspeed connection id, desk connection id)``; the desk reset."""
    from hub.app import create_app
    DESK.reset()
    app = create_app(settings, host=desk_host())
    client = app.test_client()

    def connect(connector, conn_settings):
        resp = client.post("/api/v1/connections", headers=auth, json={
            "connector": connector, "name": f"{connector} one", "register_id": register["id"],
            "settings": conn_settings})
        assert resp.status_code == 201, resp.json
        return resp.json["id"]
    desk = connect("desk_pms", {})
    pos = connect("lightspeed", {"api_key": api_key, "pms_connection_id": desk,
                                 "language": language})
    return app, client, pos, desk
