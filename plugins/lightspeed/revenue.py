"""The day's restaurant revenue for the PMS, at the connection's closing time (Clock's "Full
Revenue posting daily at EOD"): what the room charges did not already put on guest folios.

From the business day's bills (each closed bill once: the ``receipt`` events the charge route
stores, or ``bill`` events delivered to ``/hooks/<id>``, that the hub received during the
business day; of those, a bill whose close date falls on another business day — a void dated
the next morning — is left to that day), the part paid by cash and card:

- ``lines``: that part of each bill split by charge template in proportion to its items
  (largest remainder to the kopeck), summed per template over the day; the tips paid with it
  as one line of ``tip_template`` marked ``"tip": true``;
- ``payments``: those payments per (payment type, Lightspeed method code), tips included, so
  the end-of-day folio balances to zero and can be closed;
- refunds and voids count negative.

One ``end_of_day`` posting to the linked PMS connection (target ``end_of_day``, key
``lightspeed:eod:<business day>``); nothing when the day had no such revenue. Pure.
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal

from fiscal.money import allocate
from hub.connectors import PostingIntent, SourceEvent, TranslationError
from plugins.lightspeed.settings import ROOM
from plugins.lightspeed.translation import read_bill

ZERO = Decimal("0.00")
BILL_EVENTS = ("receipt", "bill")


def day_revenue(events: list[SourceEvent], settings: dict,
                day: date | None = None) -> tuple[dict, dict, list[str]]:
    """``(amount per template, amount per (type, method), skipped event IDs)`` over the
    events' bills of business ``day`` (a bill's ``business_day``, from its close date; all
    of them when ``day`` is None); a bill that no longer reads (settings changed since) is
    skipped, by ID."""
    lines: dict[tuple[str, bool], Decimal] = {}     # (template, is the tips' line)
    paid: dict[tuple[str, str], Decimal] = {}
    skipped = []
    for event in events:
        if event.type not in BILL_EVENTS:
            continue
        own = (event.payload or {}).get("business_day")
        if day is not None and own and own != day.isoformat():
            continue
        try:
            bill = read_bill((event.payload or {}).get("body"), settings)
        except TranslationError:
            skipped.append(event.event_id)
            continue
        others = [p for p in bill.payments if p["type"] != ROOM]
        part = sum((p["net"] for p in others), ZERO)
        tips = sum((p["gratuity"] for p in others), ZERO)
        weights = [e["amount"] for e in bill.entries]
        for entry, share in zip(bill.entries, allocate(part, weights) if part else []):
            if share:
                key = (entry["template"], False)
                lines[key] = lines.get(key, ZERO) + share * bill.sign
        if tips:
            key = (bill.opts["tip_template"], True)
            lines[key] = lines.get(key, ZERO) + tips * bill.sign
        for p in others:
            key = (p["type"], p["method"])
            paid[key] = paid.get(key, ZERO) + (p["net"] + p["gratuity"]) * bill.sign
    return lines, paid, skipped


def end_of_day_posting(day: date, events: list[SourceEvent],
                       settings: dict) -> list[PostingIntent]:
    """The end-of-day posting of business day ``day`` (an empty list when there is nothing to
    post, or no PMS connection is linked)."""
    pms = settings.get("pms_connection_id")
    if not pms or not settings.get("post_daily_revenue", True):
        return []
    lines, paid, skipped = day_revenue(events, settings, day)
    lines = {k: v for k, v in lines.items() if v}
    if not lines:
        return []
    total = sum(lines.values(), ZERO)
    payload = {"business_day": day.isoformat(), "reference": f"LS EOD {day.isoformat()}",
               "lines": [{"template": t, "amount": str(a), **({"tip": True} if tip else {})}
                         for (t, tip), a in sorted(lines.items())],
               "payments": [{"payment_type": t, "method": method or None, "amount": str(a)}
                            for (t, method), a in sorted(paid.items()) if a],
               "bills_skipped": skipped}
    return [PostingIntent(kind="end_of_day", target="end_of_day", amount=total,
                          payload=payload, idempotency_key=f"lightspeed:eod:{day.isoformat()}",
                          connection=pms)]
