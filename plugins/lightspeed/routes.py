"""The two endpoints Lightspeed calls while the waiter waits at the POS.

``GET …/search?term=&businessExternalReference=&apiKey=`` — the linked PMS connection's search,
answered in Lightspeed's shape (``roomId``, ``roomDescription``, ``clientName``,
``reservationId``, ``creditLimit``, ``blocked``).

``POST …/charge`` — 200 only once the bill's room part is on the folio:

1. the request is stored as the event ``charge:<X-Lightspeed-Idempotency-Key>`` with the
   bill's room-charge postings (one per reservation, the tip riding with the charge) — a
   retry with the same key finds it and creates nothing;
2. the postings are sent now, one after the other (``context.post_now``: a posting already
   on the folio is not sent again, one being sent by an earlier attempt is waited for, an
   ambiguous failure is settled by reading the folio); once one does not get through, the
   rest are not sent and none is retried behind Lightspeed's back;
3. all on the folio (or nothing for a room): the bill is stored as ``receipt:<bill id>`` and
   its fiscal receipt queued — then 200.

Otherwise a 4xx/5xx whose ``customerErrorMessage`` tells the waiter what to do
(plugins.lightspeed.messages). A retry after a failure where nothing was posted tries again
(the hotel system may be back); after a success it gets the same 200.
"""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from decimal import Decimal

from hub.connectors import LinkUnavailable, SourceEvent
from hub.periodic import BusinessDay
from plugins.lightspeed.messages import error

log = logging.getLogger(__name__)
MAX_RESULTS = 50
MAX_TERM = 100


def business_day(close_date, time_zone: str, closing_time: str, fallback: datetime) -> str:
    """The business day (ISO date) a bill closed at ``close_date`` (ISO 8601, UTC when it has
    no offset) belongs to, in the connection's zone and closing time; ``fallback`` (when the
    hub received it) when the bill carries no readable close date — or one at the calendar's
    edge (year 1 or 9999), where the zone arithmetic overflows."""
    if isinstance(close_date, str):
        try:
            return _business_day(datetime.fromisoformat(close_date.replace("Z", "+00:00")),
                                 time_zone, closing_time)
        except (ValueError, OverflowError):
            pass
    return _business_day(fallback, time_zone, closing_time)


def _business_day(at: datetime, time_zone: str, closing_time: str) -> str:
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    return BusinessDay.of(closing_time, time_zone).open_day(at).isoformat()


def bill_id(body: dict) -> str:
    """What a refund's ``initialAccountId`` names: Lightspeed's example ("A1234.1") has the
    shape of a ``fiscId`` ("A1234.5"), so the fiscId, else the uuid or receiptId."""
    for key in ("fiscId", "uuid", "receiptId"):
        value = body.get(key) if isinstance(body, dict) else None
        if isinstance(value, str) and value.strip():
            return value.strip()[:150]
    return ""


# -- search ------------------------------------------------------------------------------------

def lightspeed_guest(found: dict) -> dict | None:
    """One search result of the PMS connector (``target``, ``kind``, ``room``,
    ``room_description``, ``name``, ``credit_limit``, ``blocked``) in Lightspeed's shape:
    ``reservationId`` is our target (``booking:501``, ``folio:88``) and comes back on the
    charge. A company or event account has no room: its name stands in. ``creditLimit`` is
    a decimal string (BigDecimal reads it), left out when there is none."""
    target = found.get("target")
    name = str(found.get("name") or "").strip()
    if not isinstance(target, str) or not target:
        return None
    room = str(found.get("room") or "").strip() or name[:20] or target
    description = str(found.get("room_description") or "").strip()
    if not description:
        description = {"company": "Company account", "event": "Event"}.get(
            found.get("kind"), room)
    out = {"roomId": room, "roomDescription": description, "clientName": name,
           "reservationId": target, "blocked": bool(found.get("blocked"))}
    limit = found.get("credit_limit")
    if isinstance(limit, Decimal) and limit.is_finite():
        out["creditLimit"] = str(limit)
    return out


def search(connector, request, context):
    term = (request.query.get("term") or "").strip()[:MAX_TERM]
    if not term:
        return 200, []
    try:
        pms = context.linked(connector.settings.get("pms_connection_id"))
    except LinkUnavailable as exc:
        log.warning("lightspeed search on %s: %s", context.connection.id, exc.reason)
        return error("not_linked", connector.language)
    try:
        found = pms.connector.search(term, pms.http)
    except Exception as exc:     # the PMS, whatever went wrong: the waiter needs a word
        log.warning("lightspeed search: %s failed: %s", pms.connection.name, exc)
        return error("unavailable", connector.language)
    finally:
        pms.http.close()
    guests = [g for g in (lightspeed_guest(f) for f in found or [] if isinstance(f, dict)) if g]
    return 200, guests[:MAX_RESULTS]


# -- charge ------------------------------------------------------------------------------------

def _body(request) -> dict | None:
    try:
        body = json.loads(request.body)
    except ValueError:
        return None
    return body if isinstance(body, dict) else None


def _has_room_payment(body: dict, connector) -> bool:
    codes = {c for c, t in connector.settings["payment_types"].items() if t == "room"}
    payments = body.get("payments")
    return isinstance(payments, list) and any(
        isinstance(p, dict) and str(p.get("methodCode") or "").strip().upper() in codes
        for p in payments)


def charge(connector, request, context):
    language = connector.language
    body = _body(request)
    if body is None or not bill_id(body):
        return error("unreadable", language)
    key = (request.header("X-Lightspeed-Idempotency-Key") or "").strip()
    if not key:
        return error("no_key", language)
    if _has_room_payment(body, connector) and not connector.settings.get("pms_connection_id"):
        return error("not_linked", language)
    conn = context.connection
    payload = {"body": body, "business_day": business_day(
        body.get("closeDate"), conn.time_zone, conn.closing_time, request.received_at)}
    if body.get("initialAccountId"):
        original = context.event(f"receipt:{str(body['initialAccountId']).strip()}")
        if original is not None:
            payload["original_business_day"] = original["payload"].get("payload", {}).get(
                "business_day")
    [asked] = context.accept([SourceEvent(f"charge:{key}"[:200], "charge", payload)],
                             request.to_json())
    if asked.state == "rejected":
        log.info("lightspeed charge %s rejected: %s", key, asked.reason)
        return _with_reason(error("unreadable", language), asked.reason)
    results = context.post_now(asked.posting_ids)
    stuck = next((r for r in results if r["state"] != "posted"), None)
    if stuck is not None:
        return _with_reason(error(_situation(stuck), language), stuck["error"])
    [bill] = context.accept([SourceEvent(f"receipt:{bill_id(body)}", "receipt", payload)])
    if bill.state == "rejected":   # on the folio all the same: an operator fixes and replays
        log.error("lightspeed bill %s posted but its receipt was rejected: %s",
                  bill_id(body), bill.reason)
    return 200, {"status": "posted", "postings": [r["id"] for r in results],
                 "receipt_event": bill.id, "receipt_jobs": bill.job_ids}


def _situation(posting: dict) -> str:
    """What the waiter is told about a posting that is not on the folio."""
    if posting["state"] == "sending":
        return "in_progress"
    if posting["state"] == "needs_attention" or posting.get("may_have_arrived"):
        return "unclear"
    if posting.get("code") in ("refused", "not_supported") or posting["state"] == "cancelled":
        return "refused"
    return "unavailable"


def _with_reason(answer: tuple[int, dict], reason: str | None) -> tuple[int, dict]:
    """Lightspeed ignores properties other than customerErrorMessage; the reason is for the
    person reading the PMS postings report or our logs."""
    status, body = answer
    return status, ({**body, "reason": reason} if reason else body)
