"""The overview: the registers as tiles, the print queue's counts, the activity chart, and what
needs a person at the top — each with its cause in words and the button that fixes it. The
live feed (:mod:`hub.dashboard.live`) re-renders the same fragments when anything changes."""
from __future__ import annotations

from datetime import date, datetime, timezone

from flask import Blueprint

from hub.dashboard.api_call import api
from hub.dashboard.pages import must, page, render

bp = Blueprint("dashboard_overview", __name__)

SHIFT_WARN_HOURS = 20           # a shift must be closed within 24 hours
FN_WARN_DAYS = 30
ATTENTION_STATES = ("needs_attention", "failed")
# The buttons that fix a register's problem: the service action's path → its label.
FIXES = {"activate": "Activate", "close-shift": "Close shift (Z report)",
         "cancel-receipt": "Cancel the open receipt"}
FRAGMENTS = {"register-tiles": "overview/_tiles.html", "queue-counts": "overview/_counts.html",
             "attention": "overview/_attention.html", "activity": "overview/_chart.html"}


def _hours_since(iso: str | None, now: datetime) -> float | None:
    if not iso:
        return None
    try:
        at = datetime.fromisoformat(iso)
    except ValueError:
        return None
    at = at if at.tzinfo else at.replace(tzinfo=timezone.utc)
    return (now - at).total_seconds() / 3600


def _days_until(iso: str | None, today: date) -> int | None:
    try:
        return (date.fromisoformat(iso) - today).days if iso else None
    except ValueError:
        return None


def register_tile(reg: dict, now: datetime) -> dict:
    """What a tile shows about a register, with its problems in words and their fixes
    (pure: the register as the API answers it)."""
    live = reg["live"]
    problems = []       # text (translated), detail (as the register said), fix (a service action)

    def problem(text, detail=None, fix=None):
        problems.append({"text": text, "detail": detail, "fix": fix})

    shift_hours = _hours_since(live.get("shift_opened_at"), now) if live.get("shift_open") else None
    fn_days = _days_until(live.get("fn_expires_on"), now.date())
    if reg["suspended"]:
        problem("Suspended: its jobs are held and nothing is printed", fix="activate")
    if reg["binding_conflict"]:
        problem("Another device answered on its line", reg["binding_conflict"])
    if not live["online"] and live["last_seen_at"]:
        problem("Offline", live.get("error") or None)
    if live.get("shift_expired"):
        problem("The shift is over 24 hours old: close it (Z report) to print again",
                fix="close-shift")
    elif shift_hours is not None and shift_hours >= SHIFT_WARN_HOURS:
        problem("The shift nears 24 hours: close it (Z report) soon", fix="close-shift")
    if live.get("paper") == "out":
        problem("Out of paper: put in a new roll")
    if live.get("receipt_open"):
        problem("A receipt is left open on the register", fix="cancel-receipt")
    if fn_days is not None and fn_days <= FN_WARN_DAYS:
        problem("The fiscal storage (FN) expires soon: order a replacement",
                live.get("fn_expires_on"))
    if reg["suspended"] or reg["binding_conflict"] or (not live["online"] and live["last_seen_at"]):
        tone = "bad"
    elif problems:
        tone = "warn"
    else:
        tone = "ok" if live["online"] else "off"
    return {**reg, "tone": tone, "problems": problems, "shift_hours": shift_hours,
            "fn_days": fn_days}


def chart_bars(minutes: list[dict], width: int = 720, height: int = 130) -> dict:
    """Bar geometry for the activity chart (pure): one bar per minute, printed and failed
    stacked, scaled to the busiest minute."""
    top = max([m["printed"] + m["failed"] for m in minutes] + [1])
    step = width / max(len(minutes), 1)
    bars = []
    for i, m in enumerate(minutes):
        h_ok = height * m["printed"] / top
        h_bad = height * m["failed"] / top
        bars.append({"x": round(i * step, 2), "w": round(max(step - 0.5, 0.5), 2),
                     "y_ok": round(height - h_ok, 2), "h_ok": round(h_ok, 2),
                     "y_bad": round(height - h_ok - h_bad, 2), "h_bad": round(h_bad, 2),
                     **m})
    return {"bars": bars, "top": top, "width": width, "height": height}


def overview_data(passive: bool = False) -> dict:
    """Everything the overview shows, read through the API (``passive``: for the live feed,
    not counted as the user's activity)."""
    now = datetime.now(timezone.utc)
    regs = must(api("GET", "/api/v1/registers", passive=passive))["items"]
    counts = must(api("GET", "/api/v1/jobs/counts", passive=passive))
    attention = must(api("GET", "/api/v1/jobs", passive=passive,
                         query={"state": ",".join(ATTENTION_STATES), "limit": 20}))["items"]
    activity = must(api("GET", "/api/v1/jobs/activity", query={"hours": 3}, passive=passive))
    postings = must(api("GET", "/api/v1/postings", passive=passive,
                        query={"state": list(ATTENTION_STATES), "limit": 20}))["items"]
    runs = must(api("GET", "/api/v1/scheduled-runs", passive=passive,
                    query={"state": "failed", "limit": 5}))["items"]
    connections = ({c["id"]: c["name"] for c in must(api(
        "GET", "/api/v1/connections", passive=passive))["items"]} if postings or runs else {})
    tiles = [register_tile(r, now) for r in regs if not r["removed"]]
    return {"tiles": tiles, "counts": counts, "attention": attention,
            "postings": postings, "connection_names": connections, "failed_runs": runs,
            "register_names": {r["id"]: r["name"] for r in regs},
            "register_problems": [t for t in tiles if t["problems"]],
            "activity": activity, "chart": chart_bars(activity["minutes"])}


@bp.get("/overview")
@page("read")
def overview():
    return render("overview/overview.html", live=True, **overview_data())
