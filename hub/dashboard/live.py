"""The live feed: ``GET /live`` streams server-sent events to an open page, so the overview's
tiles, counts and chart and every job's state badge change without a reload.

Each second it asks the ledger two cheap questions — has any job of the account changed state
since the last history row it saw (the history's id only grows), and do the registers' rows
look different — and only then reads what changed through the API, as the page itself would.
Its reads are passive: an open page does not keep alive a session nobody is using, and when the
session ends (idle, logout, blocked) the page is told at once and goes to the login page.
"""
from __future__ import annotations

import json
import time

from flask import Blueprint, Response, g, get_template_attribute, render_template
from flask import request, stream_with_context
from sqlalchemy import func, select

from fiscal.ledger.models import Job, JobEvent, Posting, PostingEvent, Register
from hub.api.auth import ledger
from hub.dashboard.api_call import api

bp = Blueprint("dashboard_live", __name__)

TICK = 1.0                  # seconds between looks
HEARTBEAT = 15.0            # a comment line now and then keeps proxies from closing it
STREAM_SECONDS = 300.0      # then the browser reconnects by itself (EventSource does)
MAX_JOBS_PER_EVENT = 200


def sse(event: str, data: dict) -> str:
    return f"event: {event}\ndata: {json.dumps(data, ensure_ascii=False)}\n\n"


def last_history_id(s) -> int:
    return s.scalar(select(func.max(JobEvent.id))) or 0


def changed_jobs(s, account_id: str, after: int) -> tuple[int, list[Job]]:
    """The newest history id and the account's jobs whose state changed after ``after``."""
    top = last_history_id(s)        # first: a row committed meanwhile waits for the next look
    rows = s.execute(select(JobEvent.job_id).join(Job, Job.id == JobEvent.job_id)
                     .where(JobEvent.id > after, JobEvent.id <= top,
                            Job.account_id == account_id)
                     .order_by(JobEvent.id)).all()
    ids = list(dict.fromkeys(r.job_id for r in rows))[-MAX_JOBS_PER_EVENT:]
    jobs = list(s.scalars(select(Job).where(Job.id.in_(ids)))) if ids else []
    # Other accounts' history counts as seen too, so the next look starts after it.
    return max(after, top), jobs


def live_since() -> int:
    """The history id a page's content is as of (the page hands it back to the feed)."""
    with ledger().session(readonly=True) as s:
        return last_history_id(s)


def postings_marker(s, account_id: str) -> int:
    """The newest history id of the account's postings (a room charge that failed or needs
    attention shows on the overview)."""
    return s.scalar(select(func.max(PostingEvent.id))
                    .join(Posting, Posting.id == PostingEvent.posting_id)
                    .where(Posting.account_id == account_id)) or 0


def registers_fingerprint(s, account_id: str) -> int:
    rows = s.execute(select(Register.id, Register.name, Register.state, Register.last_seen_at,
                            Register.suspended, Register.removed_at, Register.binding_conflict,
                            Register.settings)
                     .where(Register.account_id == account_id).order_by(Register.id)).all()
    return hash(json.dumps([list(r) for r in rows], default=str, sort_keys=True))


def job_update(job: Job) -> dict:
    badge = get_template_attribute("macros.html", "state_badge")
    return {"id": job.id, "state": job.state, "fd_number": job.fd_number,
            "badge": str(badge({"id": job.id, "state": job.state}))}


def overview_fragments() -> dict:
    from hub.dashboard.overview import FRAGMENTS, overview_data
    data = overview_data(passive=True)
    return {target: render_template(template, **data) for target, template in FRAGMENTS.items()}


@bp.get("/live")
def live():
    me = api("GET", "/api/v1/me", passive=True)
    on_overview = request.args.get("page", "") in ("/overview", "/")

    def stream():
        if me.status == 401:
            yield sse("session_ended", {"reason": (me.body or {}).get("reason", "unknown")})
            return
        g.me = me.body
        account_id = me.body["account"]["id"]
        with ledger().session(readonly=True) as s:
            seen, registers = last_history_id(s), registers_fingerprint(s, account_id)
            postings = postings_marker(s, account_id)
        # the page says how far its content went: changes since then are sent at once
        seen = min(seen, request.args.get("since", seen, type=int))
        yield "retry: 2000\n\n"
        started = last_beat = time.monotonic()
        while time.monotonic() - started < STREAM_SECONDS:
            time.sleep(TICK)
            check = api("GET", "/api/v1/me", passive=True)
            if check.status == 401:
                yield sse("session_ended", {"reason": (check.body or {}).get("reason",
                                                                           "unknown")})
                return
            with ledger().session(readonly=True) as s:
                seen, jobs = changed_jobs(s, account_id, seen)
                now_registers = registers_fingerprint(s, account_id)
                now_postings = postings_marker(s, account_id)
                update = {"jobs": [job_update(j) for j in jobs]}
            if jobs or now_registers != registers or now_postings != postings:
                registers, postings = now_registers, now_postings
                if on_overview:
                    update["fragments"] = overview_fragments()
                yield sse("update", update)
                last_beat = time.monotonic()
            elif time.monotonic() - last_beat > HEARTBEAT:
                yield ": still here\n\n"
                last_beat = time.monotonic()

    resp = Response(stream_with_context(stream()), mimetype="text/event-stream")
    resp.headers["Cache-Control"] = "no-store"
    resp.headers["X-Accel-Buffering"] = "no"        # nginx: pass each event on at once
    return resp
