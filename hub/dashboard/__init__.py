"""The operator dashboard: server-rendered pages over the account API, live by server-sent
events, in English and Russian, with every asset shipped in the package (no CDN: a venue's
back office may be offline).

Each part is a module with its own blueprint (``dashboard_<part>``); :data:`NAV` is the main
menu, each entry shown to the roles that may use it.
"""
from __future__ import annotations

import importlib

from flask import Flask, current_app, url_for

from hub.dashboard import labels
from hub.dashboard.i18n import current_language, gettext
from hub.dashboard.live import live_since
from hub.dashboard.overview import FIXES
from hub.dashboard.pages import allowed

PARTS = ("core", "overview", "live", "equipment", "queue", "receipts", "account",
         "connections")

# (endpoint, label, action the role needs)
NAV = (
    ("dashboard_overview.overview", "Overview", "read"),
    ("dashboard_equipment.registers", "Equipment", "read"),
    ("dashboard_queue.queue", "Print queue", "read"),
    ("dashboard_receipts.new_receipt", "New receipt", "jobs.create"),
    ("dashboard_connections.connections", "Connections", "read"),
    ("dashboard_account.users", "Account", "users.read"),
)

# Texts app.js shows (the page hands it their translations).
JS_TEXTS = ("The request was refused", "The hub did not answer; try again", "Done", "Copied",
            "Live updates paused; reconnecting…")


def nav_items():
    return [(e, label, a) for e, label, a in NAV if allowed(a)]


def page_url(endpoint: str, **values) -> str | None:
    """The URL of a page, or None when that part of the dashboard is not installed."""
    return url_for(endpoint, **values) if endpoint in current_app.view_functions else None


def init_dashboard(app: Flask) -> None:
    for part in PARTS:
        app.register_blueprint(importlib.import_module(f"hub.dashboard.{part}").bp)
    app.jinja_env.globals.update(
        _=gettext, lang=current_language, nav_items=nav_items, allowed=allowed,
        page_url=page_url, fixes=FIXES, live_since=live_since,
        js_texts=lambda: {text: gettext(text) for text in JS_TEXTS},
        state_label=lambda s: labels.JOB_STATES.get(s, s),
        state_tone=lambda s: labels.STATE_TONES.get(s, "off"),
        role_label=lambda r: labels.ROLES.get(r, r), labels=labels)
