"""Postings onto Clock folios: room charges and tips (research §2.2 steps 1.2-3.2) and the
end-of-day company folio (steps 5.1-5.4), and whether a posting arrived after an unclear answer.

Clock documents no idempotency key, so every charge and credit item we write carries a marker
in its ``text``: ``fh:<first 12 hex of sha256(idempotency key)>``. ``posting_arrived`` reads the
charges back and looks for it.

Error mapping (what the hub's posting service relies on):

- a READ before the first write (default folio, folio, template lookup) that fails surely posted
  nothing: ``ClockRefused`` → :class:`PostingRefused` (an unknown booking or folio), any other
  Clock error → :class:`PostingNotDelivered`;
- the WRITE: ``ClockRefused`` → ``PostingRefused``, ``ClockUnavailable`` (also rate-limited) →
  ``PostingNotDelivered``; ``ClockUncertain``/``ClockBadAnswer``/anything else propagates
  (it may have arrived: the hub asks :func:`posting_arrived`).
- end of day writes four steps; once one of them went through, any later failure is raised as
  :class:`EndOfDayIncomplete` (ambiguous) and a resend RESUMES the folio carrying the marker
  instead of creating a second one (see :func:`end_of_day`).
"""
from __future__ import annotations

import hashlib
from contextlib import contextmanager
from datetime import date
from decimal import Decimal

from hub.connectors import PostingIntent, PostingNotDelivered, PostingRefused

from . import payload as body
from .errors import ClockError, ClockRefused, ClockUnavailable
from .guest_payments import amount_of, first, rows

ROOM_KINDS = ("room_charge", "tip")
RESUME_WINDOW = 5           # the company's newest folios searched for an end-of-day marker


class EndOfDayIncomplete(Exception):
    """Part of an end-of-day posting is on Clock (ambiguous for the hub; a resend resumes)."""


def marker(idempotency_key: str) -> str:
    return "fh:" + hashlib.sha256(idempotency_key.encode("utf-8")).hexdigest()[:12]


@contextmanager
def reading():
    """A read before any write: nothing can have been posted."""
    try:
        yield
    except ClockRefused as exc:
        raise PostingRefused(f"Clock PMS+ refused ({exc.status}): {exc.message}",
                             {"status": exc.status}) from exc
    except ClockError as exc:
        raise PostingNotDelivered(f"Clock PMS+ did not answer the read before posting: "
                                  f"{exc.message}", getattr(exc, "retry_after", None)) from exc


@contextmanager
def writing():
    """The first write: refused or surely not delivered are clear; anything else propagates."""
    try:
        yield
    except ClockRefused as exc:
        raise PostingRefused(f"Clock PMS+ refused the posting ({exc.status}): {exc.message}",
                             {"status": exc.status}) from exc
    except ClockUnavailable as exc:
        raise PostingNotDelivered(f"Clock PMS+ is unavailable: {exc.message}",
                                  exc.retry_after) from exc


def parse_target(target: str) -> tuple[str, str]:
    """``booking:<id>`` / ``folio:<id>`` (a bare number is a booking id)."""
    kind, _, ident = str(target).partition(":")
    if not ident and kind.isdigit():
        return "booking", kind
    if kind not in ("booking", "folio") or not ident.isdigit():
        raise PostingRefused(f"target {target!r} is not 'booking:<id>' or 'folio:<id>'")
    return kind, ident


def posting_lines(posting: PostingIntent, same_sign: bool = True) -> list[tuple[str, Decimal]]:
    """``(template name, amount)`` per line; they must add up to the posting's amount."""
    data = posting.payload or {}
    raw = data.get("lines")
    if not raw and posting.kind == "tip" and data.get("template"):
        raw = [{"template": data["template"], "amount": str(posting.amount)}]
    if not isinstance(raw, list) or not raw:
        raise PostingRefused("the posting has no lines to charge")
    out = []
    for n, line in enumerate(raw):
        name = str((line or {}).get("template") or "").strip() if isinstance(line, dict) else ""
        try:
            amount = amount_of(line.get("amount")) if name else None
        except ValueError:
            amount = None
        if amount is None:
            raise PostingRefused(f"line {n} needs a template name and an amount: {line!r}")
        if same_sign and amount and (amount > 0) != (posting.amount > 0):
            raise PostingRefused(f"line {n} ({name} {amount}) has not the posting's sign")
        if amount:
            out.append((name, amount))
    total = sum((a for _, a in out), Decimal("0.00"))
    if not out:
        raise PostingRefused("nothing to charge: every line is zero")
    if total != posting.amount:
        raise PostingRefused(f"the lines add up to {total}, not the posting's {posting.amount}")
    return out


def template_ids(names, settings: dict, client) -> dict[str, int]:
    """Lower-cased name → Clock ``charge_template_id``: from ``charge_templates``, else looked
    up once by ``text`` among ``GET charge_templates`` (case-insensitive)."""
    mapped = settings["charge_templates"]
    out = {n.lower(): mapped[n.lower()] for n in names if n.lower() in mapped}
    missing = [n for n in names if n.lower() not in out]
    if missing:
        with reading():
            known = {str(t.get("text") or "").strip().lower(): t.get("id")
                     for t in rows(client.charge_templates())}
        for name in missing:
            if known.get(name.lower()) is None:
                raise PostingRefused(f"Clock has no charge template named {name!r}: add it to "
                                     "the charge_templates setting or create it in Clock")
            out[name.lower()] = known[name.lower()]
    return out


def charges(lines, ids: dict, service_date, reference: str, mark: str,
            currency: str) -> list[dict]:
    """One charge per line: qty 1 at the amount, or a negative line as a positive price with
    qty -1 (Clock's documented void pattern); the marker ends the text."""
    out = []
    for name, amount in lines:
        text = " ".join(p for p in (name[:40], reference[:60], mark) if p)
        out.append(body.charge(charge_template_id=ids[name.lower()], service_date=service_date,
                               qty=1 if amount > 0 else -1, price=abs(amount), text=text,
                               currency=currency))
    return out


def _service_date(posting: PostingIntent, folio) -> str | None:
    """The payload's ``service_date``; else the folio's revenue date if Clock's answer carries
    one (assumed names); else None: the charge goes without one and Clock applies its own
    revenue date (or refuses it — a clear refusal, nothing posted)."""
    given = (posting.payload or {}).get("service_date")
    if given:
        try:
            return date.fromisoformat(str(given)).isoformat()
        except ValueError:
            raise PostingRefused(f"service_date {given!r} is not YYYY-MM-DD") from None
    found = first(folio, "revenue_date", "current_revenue_date", "business_date")
    return str(found)[:10] if found else None


def _closed(folio) -> bool:
    return bool(first(folio, "closed", "is_closed", "closed_at"))


def room_charge(posting: PostingIntent, client, settings: dict) -> dict:
    kind, ident = parse_target(posting.target)
    lines = posting_lines(posting)
    with reading():
        folio = (client.booking_default_folio(ident) if kind == "booking"
                 else client.folio(ident))
    folio_id = first(folio, "id", "folio_id") if kind == "booking" else ident
    if folio_id is None:
        raise PostingNotDelivered(f"Clock gave no default folio for booking {ident}")
    if _closed(folio):
        raise PostingRefused(f"folio {folio_id} is closed")
    ids = template_ids([n for n, _ in lines], settings, client)
    mark = marker(posting.idempotency_key)
    reference = str((posting.payload or {}).get("reference") or "")
    batch = charges(lines, ids, _service_date(posting, folio), reference, mark,
                    settings["currency"])
    with writing():
        client.post_folio_charges(folio_id, batch)
    return {"folio_id": int(folio_id), "charges": len(batch), "marker": mark}


def _carries(items, mark: str) -> bool:
    return any(mark in str(r.get("text") or "") or mark in str(r.get("print_text") or "")
               for r in items)


def arrived(posting: PostingIntent, client, settings: dict) -> bool | None:
    mark = marker(posting.idempotency_key)
    try:
        if posting.kind in ROOM_KINDS:
            kind, ident = parse_target(posting.target)
            found = (client.booking_charges(ident) if kind == "booking"
                     else client.folio_charges(ident))
            return _carries(rows(found), mark)
        if posting.kind == "end_of_day":
            folio, _ = _eod_folio(client, settings, mark)
            if folio is None:
                return False
            return _eod_done(client, folio, mark, posting)
    except (ClockError, PostingRefused, ValueError):
        return None
    return None


# --- end of day -------------------------------------------------------------------------------

def _eod_folio(client, settings: dict, mark: str):
    """The company folio whose charges carry ``mark`` among the newest ones, and its charges;
    ``(None, [])`` when none does. Raises ClockError when the folios cannot be listed."""
    company = settings["eod_company_id"]
    listed = rows(client.company_folios(company))
    newest = sorted(listed, key=lambda f: int(first(f, "id", "folio_id") or 0), reverse=True)
    for folio in newest[:RESUME_WINDOW]:
        found = rows(client.folio_charges(first(folio, "id", "folio_id")))
        if _carries(found, mark):
            return folio, found
    return None, []


def _payment_type(payment: dict, settings: dict) -> str:
    table = settings["eod_payment_types"]
    for key in (payment.get("method"), payment.get("payment_type")):
        if key and str(key).strip().lower() in table:
            return table[str(key).strip().lower()]
    raise PostingRefused(f"no eod_payment_types entry for payment method "
                         f"{payment.get('method')!r} / type {payment.get('payment_type')!r}")


def _eod_done(client, folio, mark: str, posting: PostingIntent) -> bool:
    folio_id = first(folio, "id", "folio_id")
    wanted = len((posting.payload or {}).get("payments") or [])
    items = rows(client.folio_credit_items(folio_id))
    paid = all(_carries(items, f"{mark}/p{n}") for n in range(wanted))
    return paid and _closed(client.folio(folio_id))


def end_of_day(posting: PostingIntent, client, settings: dict) -> dict:
    """Create the EOD company folio, bulk-post the revenue lines, post each payment as a credit
    item, close the folio. Resumes a folio of ``eod_company_id`` already carrying this posting's
    marker (among its newest :data:`RESUME_WINDOW`); when the company's folios cannot be listed
    (``GET companies/:id/folios`` is assumed) it starts afresh. A folio created without its
    charges (an unclear answer to the creation) carries no marker: it is left empty and open."""
    data = posting.payload or {}
    company, doc_type = settings["eod_company_id"], settings["eod_document_type_id"]
    if not company or not doc_type:
        raise PostingRefused("set eod_company_id and eod_document_type_id to post the end of day")
    try:
        day = date.fromisoformat(str(data.get("business_day"))).isoformat()
    except ValueError:
        raise PostingRefused(f"business_day {data.get('business_day')!r} is not YYYY-MM-DD") \
            from None
    lines = posting_lines(posting, same_sign=False)
    payments = data.get("payments") or []
    kinds = [_payment_type(p, settings) for p in payments]
    try:
        amounts = [amount_of(p.get("amount")) for p in payments]
    except ValueError as exc:
        raise PostingRefused(f"a payment's amount is not an amount: {exc}") from None
    ids = template_ids([n for n, _ in lines], settings, client)
    mark, reference = marker(posting.idempotency_key), str(data.get("reference") or "")
    currency = settings["currency"]
    try:
        with reading():
            folio, found = _eod_folio(client, settings, mark)
    except PostingRefused:
        folio, found = None, []             # the listing is not there: no resume
    resumed = folio is not None
    done = 0
    try:
        if folio is None:
            with writing():
                folio = client.create_company_folio(company, currency)
            done += 1
        folio_id = first(folio, "id", "folio_id")
        if not found:
            client.post_folio_charges(folio_id, charges(lines, ids, day, reference, mark,
                                                        currency))
            done += 1
        items = rows(client.folio_credit_items(folio_id)) if resumed else []
        for n, (kind, amount, p) in enumerate(zip(kinds, amounts, payments)):
            tag = f"{mark}/p{n}"
            if not _carries(items, tag):
                text = " ".join(x for x in (str(p.get("method") or p.get("payment_type")),
                                            reference[:60], tag) if x)
                client.post_credit_item(folio_id, body.credit_item(
                    value=amount, currency=currency, text=text, payment_type=kind))
                done += 1
        if not (resumed and _closed(client.folio(folio_id))):
            client.close_folio(folio_id, doc_type)
    except (PostingRefused, PostingNotDelivered):
        if done or resumed:
            raise EndOfDayIncomplete("the end-of-day folio is partly on Clock") from None
        raise
    except Exception as exc:
        if done or resumed:
            raise EndOfDayIncomplete(f"the end-of-day folio is partly on Clock: {exc}") from exc
        raise
    return {"folio_id": int(folio_id), "charges": len(lines), "credit_items": len(payments),
            "marker": mark, "closed": True, "resumed": resumed}
