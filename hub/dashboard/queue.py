"""The print queue: every document of the account, filtered and paged as ``GET /api/v1/jobs``
takes it, with the counts per state and live state badges; a job's details (the receipt as it
prints, its history, fiscal result, error, source, refunds); and the operator's actions: repeat
(with the content corrected), refund receipt, cancel the tasks not yet sent."""
from __future__ import annotations

import json

from flask import Blueprint, request, url_for

from hub.dashboard.api_call import api
from hub.dashboard.pages import must, page, render

bp = Blueprint("dashboard_queue", __name__)

FILTERS = ("register", "job_id", "created_from", "created_to", "amount_min", "amount_max",
           "connection", "fd_number")
MULTI = ("kind", "state")
PAGE_SIZE = 50
# What an operator may cancel one by one: not sent yet, or failed (known not printed).
CANCELLABLE = ("received", "queued", "held", "failed")
REPEATABLE = ("failed", "needs_attention")
# Keys of the job's answer that are not its content (what a repeat may send back).
NOT_CONTENT = ("id", "state", "register", "register_group", "idempotency_key", "total", "result",
               "error", "attempts", "source", "created_at", "updated_at", "history",
               "attempt_log", "connection_id", "cashier_id", "refund_of", "refunds",
               "refund_left")
# Item fields the repeat editor shows as inputs (the others go back as they were).
ITEM_FIELDS = ("name", "price", "quantity", "amount", "vat", "payment_method")


def _flat_errors(errors, prefix: str = "") -> dict[str, str]:
    """The API's nested ``errors`` as ``{"amount_min": "message", …}``."""
    out: dict[str, str] = {}
    if isinstance(errors, dict):
        for key, value in errors.items():
            key = "" if key == "_schema" else str(key)
            path = f"{prefix}.{key}" if prefix and key else (prefix or key)
            out.update(_flat_errors(value, path))
    elif isinstance(errors, list) and all(isinstance(e, str) for e in errors):
        out[prefix] = " ".join(errors)
    elif isinstance(errors, list):
        for i, value in enumerate(errors):
            out.update(_flat_errors(value, f"{prefix}.{i}" if prefix else str(i)))
    else:
        out[prefix] = str(errors)
    return out


def _filter_errors(answer) -> dict[str, str]:
    """A refused filter's messages by parameter (the API names query fields bare)."""
    return _flat_errors(answer.errors)


@bp.get("/queue")
@page("read")
def queue():
    chosen = {k: request.args.get(k, "").strip() for k in FILTERS}
    several = {k: [v for v in request.args.getlist(k) if v] for k in MULTI}
    query = {**chosen, **several}
    cursor = request.args.get("cursor", "")
    listing = api("GET", "/api/v1/jobs", query={**query, "cursor": cursor,
                                                "limit": request.args.get("limit") or PAGE_SIZE})
    counts = api("GET", "/api/v1/jobs/counts",
                 query={k: v for k, v in query.items() if k != "state"})
    errors: dict[str, str] = {}
    jobs, next_url = [], None
    if listing.status == 422:
        errors = _filter_errors(listing)
    else:
        body = must(listing)
        jobs = body["items"]
        if body.get("next_cursor"):
            args = request.args.to_dict(flat=False)
            args["cursor"] = body["next_cursor"]
            next_url = url_for(".queue", **args)
    if counts.status == 422:
        errors = errors or _filter_errors(counts)
        counts_body = None
    else:
        counts_body = must(counts)
    base = {k: v for k, v in request.args.to_dict(flat=False).items()
            if k not in ("state", "cursor")}
    state_urls = {state: url_for(".queue", **base, state=state)
                  for state in (counts_body or {}).get("by_state", {})}
    registers = must(api("GET", "/api/v1/registers"))["items"]
    connections = api("GET", "/api/v1/connections")
    connections = connections.body.get("items", []) if connections.ok else []
    filtered = any(query.values())
    first_url = None
    if cursor:
        args = request.args.to_dict(flat=False)
        args.pop("cursor", None)
        first_url = url_for(".queue", **args)
    return render("queue/queue.html", live=True, jobs=jobs, counts=counts_body, chosen=chosen,
                  several=several, errors=errors, next_url=next_url, registers=registers,
                  register_names={r["id"]: r["name"] for r in registers},
                  connections=connections, filtered=filtered, first_url=first_url,
                  state_urls=state_urls,
                  cancellable=CANCELLABLE,
                  cancel_registers=[r for r in registers if not r["removed"]])


def _job(job_id: str) -> dict:
    return must(api("GET", f"/api/v1/jobs/{job_id}"))


def _register_name(register_id: str | None) -> str | None:
    if not register_id:
        return None
    reg = api("GET", f"/api/v1/registers/{register_id}")
    return reg.body.get("name") if reg.ok else register_id


def _source(job: dict) -> dict | None:
    """Where the job came from, for the page: the connection (its name and page), the event
    (its page), or the scheduler."""
    from hub.dashboard import page_url
    source = job.get("source") or {}
    connection_id = job.get("connection_id") or source.get("connection_id")
    if not source and not connection_id:
        return None
    out = {"connection_id": connection_id, "connector": source.get("connector"),
           "event_id": source.get("event_id"), "scheduler": source.get("scheduler"),
           "connection_name": None, "connection_url": None, "event_url": None}
    if connection_id:
        conn = api("GET", f"/api/v1/connections/{connection_id}")
        out["connection_name"] = conn.body.get("name") if conn.ok else None
        out["connection_url"] = page_url("dashboard_connections.connection",
                                         connection_id=connection_id)
        if out["event_id"]:
            out["event_url"] = page_url("dashboard_connections.event",
                                        connection_id=connection_id, event_id=out["event_id"])
    return out


def content_of(job: dict) -> dict:
    """The job's canonical content, as a repeat sends it back."""
    return {k: v for k, v in job.items() if k not in NOT_CONTENT}


@bp.get("/queue/<job_id>")
@page("read")
def job(job_id: str):
    details = _job(job_id)
    doc = details.get("receipt") or details.get("correction")
    other = {k: v for k, v in content_of(details).items() if k != "kind"}
    return render("queue/job.html", live=True, job=details, doc=doc, other_content=other,
                  register_name=_register_name(details.get("register")),
                  source=_source(details), repeatable=REPEATABLE,
                  cancellable=CANCELLABLE)


@bp.get("/queue/<job_id>/repeat")
@page("jobs.act")
def repeat(job_id: str):
    details = _job(job_id)
    content = content_of(details)
    receipt = content.get("receipt") if details["kind"] == "receipt" else None
    extras = {}
    if receipt is not None:
        extras = {
            "job": {k: v for k, v in content.items() if k not in ("receipt", "cashier")},
            "cashier": {k: v for k, v in (content.get("cashier") or {}).items() if k != "name"},
            "receipt": {k: v for k, v in receipt.items()
                        if k not in ("items", "payments", "total", "customer")},
            "customer": {k: v for k, v in (receipt.get("customer") or {}).items()
                         if k != "email"},
            "items": [{k: v for k, v in item.items() if k not in ITEM_FIELDS}
                      for item in receipt.get("items", [])],
        }
    return render("queue/repeat.html", job=details, receipt=receipt, extras=extras,
                  content_json=json.dumps(content, ensure_ascii=False, indent=2),
                  register_name=_register_name(details.get("register")),
                  repeatable=details["state"] in REPEATABLE)


@bp.get("/queue/<job_id>/refund")
@page("jobs.act")
def refund(job_id: str):
    details = _job(job_id)
    left = details.get("refund_left")
    return render("queue/refund.html", job=details, left=left,
                  register_name=_register_name(details.get("register")))

