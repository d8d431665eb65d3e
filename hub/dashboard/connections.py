"""Connections (a POS, a PMS or a billing desk linked to the hub) with their health, a
connection's page — its settings form generated from the connector's settings schema, secrets
masked — and its events: rejected ones with the reason and a Replay button, one event with its
payload, jobs and postings. Everything is read through the account API."""
from __future__ import annotations

import json

from flask import Blueprint, abort, request

from hub.dashboard.api_call import api
from hub.dashboard.i18n import gettext as _
from hub.dashboard.pages import must, page, render

bp = Blueprint("dashboard_connections", __name__)

MASK = "********"
EVENT_STATES = {"accepted": "Accepted", "rejected": "Rejected"}
EVENT_TONES = {"accepted": "ok", "rejected": "bad"}
POSTING_STATES = {"pending": "Waiting to be sent", "sending": "Sending", "posted": "Posted",
                  "failed": "Failed", "needs_attention": "Needs attention",
                  "cancelled": "Cancelled"}
POSTING_TONES = {"pending": "busy", "sending": "busy", "posted": "ok", "failed": "bad",
                 "needs_attention": "bad", "cancelled": "off"}
EVENT_LIMIT = 50


def connectors() -> dict[str, dict]:
    """The installed connectors by name, each with its settings' fields."""
    return {c["name"]: c for c in must(api("GET", "/api/v1/connectors"))["items"]}


def routing_choices() -> tuple[dict, dict]:
    """Registers and groups a connection may print on: id → name."""
    regs = must(api("GET", "/api/v1/registers"))["items"]
    groups = must(api("GET", "/api/v1/register-groups"))["items"]
    return ({r["id"]: r["name"] for r in regs if not r.get("removed")},
            {gr["id"]: gr["name"] for gr in groups})


def health_words(health: dict | None) -> list[str]:
    """What needs a person, in the visitor's language (from the health check's counts)."""
    if health is None:
        return [_("The health check did not answer")]
    words = []
    source = health.get("source")
    if source is not None and not source.get("ok"):
        words.append(_("The source system reports a problem: {detail}",
                       detail=source.get("detail") or "—"))
    postings = health.get("postings") or {}
    if postings.get("needs_attention"):
        n = postings["needs_attention"]
        words.append(_("{n} posting(s) may or may not have arrived: check them on the source system and settle them", n=n))  # noqa: E501
    if postings.get("failed"):
        words.append(_("{n} posting(s) failed: fix the cause and repeat them",
                       n=postings["failed"]))
    if health.get("rejected_events"):
        words.append(_("{n} event(s) were rejected: fix the connection's settings and replay them",
                       n=health["rejected_events"]))
    if not words and not health.get("ok"):
        words += health.get("problems") or []
    return words


def health_of(connection_id: str) -> tuple[dict | None, list[str]]:
    answer = api("GET", f"/api/v1/connections/{connection_id}/health")
    health = answer.body if answer.ok else None
    return health, health_words(health)


def form_field(setting: dict, stored: dict) -> dict:
    """How a setting is shown in the form: its input, its value, its help (pure)."""
    name = setting["name"]
    is_set = name in stored and stored[name] is not None
    value = stored.get(name) if is_set else None
    default = setting.get("default")
    out = {"name": name, "path": f"settings.{name}", "id": f"s-{name}",
           "required": setting.get("required", False), "description": setting.get("description"),
           "default": default, "is_set": is_set, "choices": setting.get("choices")}
    kind = setting.get("type", "string")
    if setting.get("secret"):
        out.update(input="secret", value=MASK if is_set else "")
    elif setting.get("choices"):
        out.update(input="choice", value="" if value is None else str(value),
                   options=[(str(c), str(c)) for c in setting["choices"]])
    elif kind == "boolean":
        out.update(input="boolean", value=bool(value if is_set else default))
    elif kind == "integer":
        out.update(input="integer", value="" if value is None else value)
    elif kind == "number":
        out.update(input="number", value="" if value is None else value)
    elif kind in ("object", "array"):
        out.update(input="json", value="" if value is None else json.dumps(
            value, ensure_ascii=False, indent=1))
    else:
        out.update(input="text", value="" if value is None else value)
    if default is not None and not isinstance(default, (dict, list)):
        out["default_text"] = str(default).lower() if isinstance(default, bool) else str(default)
    elif isinstance(default, (dict, list)) and default:
        out["default_text"] = json.dumps(default, ensure_ascii=False)
    return out


@bp.get("/connections")
@page("read")
def connections():
    items = must(api("GET", "/api/v1/connections"))["items"]
    found = connectors()
    rows = []
    for conn in items:
        health, words = health_of(conn["id"])
        rows.append({**conn, "health": health, "problems": words})
    registers, groups = routing_choices()
    chosen = request.args.get("connector", "")
    new_fields = ([form_field(s, {}) for s in found[chosen]["settings"]]
                  if chosen in found else None)
    return render("connections/connections.html", connections=rows, connectors=found,
                  registers=registers, groups=groups, chosen=chosen, new_fields=new_fields)


@bp.get("/connections/<connection_id>")
@page("read")
def connection(connection_id: str):
    conn = must(api("GET", f"/api/v1/connections/{connection_id}"))
    found = connectors()
    connector = found.get(conn["connector"])
    fields = ([form_field(s, conn["settings"]) for s in connector["settings"]]
              if connector else [])
    health, words = health_of(connection_id)
    registers, groups = routing_choices()
    return render("connections/connection.html", conn=conn, connector=connector,
                  fields=fields, health=health, problems=words, registers=registers,
                  groups=groups)


@bp.get("/connections/<connection_id>/events")
@page("read")
def events(connection_id: str):
    conn = must(api("GET", f"/api/v1/connections/{connection_id}"))
    state = request.args.get("state", "")
    state = state if state in EVENT_STATES else ""
    cursor = request.args.get("cursor", "")
    answer = api("GET", f"/api/v1/connections/{connection_id}/events",
                 query={"state": state, "limit": EVENT_LIMIT, "cursor": cursor})
    if answer.status == 422 and cursor:     # a stale cursor: start again from the newest
        answer = api("GET", f"/api/v1/connections/{connection_id}/events",
                     query={"state": state, "limit": EVENT_LIMIT})
        cursor = ""
    body = must(answer)
    return render("connections/events.html", conn=conn, events=body["items"],
                  next_cursor=body["next_cursor"], state=state, paged=bool(cursor),
                  event_states=EVENT_STATES, event_tones=EVENT_TONES)


@bp.get("/connections/<connection_id>/events/<event_id>")
@page("read")
def event(connection_id: str, event_id: str):
    conn = must(api("GET", f"/api/v1/connections/{connection_id}"))
    ev = must(api("GET", f"/api/v1/connections/{connection_id}/events/{event_id}"))
    if ev.get("event_id") is None:
        abort(404)
    jobs = []
    for job_id in ev["job_ids"]:
        answer = api("GET", f"/api/v1/jobs/{job_id}")
        jobs.append(answer.body if answer.ok else {"id": job_id, "state": None})
    postings = []
    for posting_id in ev["posting_ids"]:
        answer = api("GET", f"/api/v1/postings/{posting_id}")
        postings.append(answer.body if answer.ok else {"id": posting_id, "state": None})
    return render("connections/event.html", conn=conn, ev=ev, jobs=jobs, postings=postings,
                  event_states=EVENT_STATES, event_tones=EVENT_TONES,
                  posting_states=POSTING_STATES, posting_tones=POSTING_TONES,
                  pretty=lambda v: json.dumps(v, ensure_ascii=False, indent=2),
                  live=bool(jobs))
