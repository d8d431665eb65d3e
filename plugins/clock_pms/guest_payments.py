"""PURE translation of Clock payments (credit items) and folio voids into receipt jobs — no I/O,
no clock: everything comes from the event the push route enriched from Clock.

An event ``payment:<credit item id>`` carries ``{"subject", "message", "credit_item",
"folio", "booking", "charges", "credit_items"}`` (the folio's charges and credit items as Clock
answered them). The rules (settings in :mod:`plugins.clock_pms.settings`):

- **before the stay** — the booking is not checked in yet (``expected``, ``confirmed``,
  ``canceled``, …) or the payment's date is before the arrival: a ``sell`` of one item
  ``prepayment_item_name`` (+ ", бронь <id>"), ``full_prepayment``, VAT ``prepayment_vat``
  (22/122 by default), payment object ``service``; a negative credit item is its ``sell_refund``.
- **during the stay / at check-out** (checked in or out, or a folio without a booking): a
  ``sell`` ``full_payment`` of the folio's charges (items: the charge's ``print_text``/``text``,
  price, qty, VAT from ``tax_rate`` via ``vat_rates``; voids — negative ``qty`` or ``price`` —
  net against the charge of the same name and price; a charge fiscalhub posted from a POS —
  its text ends with the ``fh:`` marker — was fiscalized by the POS already, sold on credit:
  it is an item ``credit_payment``, payment object ``payment``, by ``posted_charges``, or
  ``full_payment`` when the POS does not fiscalize room charges), paid by this payment's type
  plus every EARLIER credit item of the folio as ``prepaid`` (offsetting the advances fiscalized before).
  It must add up: charges = this payment + earlier payments. A payment that leaves a balance or
  pays ahead of the charges is rejected for an operator, naming the figures
  (``partial_payments: refuse``, default) or fiscalized as an advance (``prepayment``). A
  negative credit item during/after the stay is a ``sell_refund`` ``full_payment`` of one item
  ``refund_item_name`` at the VAT of the folio's charges (refused when they have several).
- ``payment_types`` maps Clock's ``payment_type`` (case-insensitive) to a canonical type;
  ``none`` means "not fiscalized by the hub" (e.g. a company's bank transfer); an unknown type
  is refused naming it. ``fiscalize_payments: false`` → nothing.
- **folio_void** — see :func:`void_intents`.

Keys: ``clock:payment:<credit item id>``; a void's refund ``clock:payment:<id>:void``.
Clock's field names are assumed (README): money is read from ``<name>`` (a number or string)
or ``<name>_cents`` (an int); dates from ``created_at``/``date``/``revenue_date``.
"""
from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from fiscal import money as m
from hub.connectors import FiscalJobIntent, TranslationError

from .settings import NOT_FISCALIZED, rate_key

ZERO = Decimal("0.00")
# the marker folio_postings writes into the charges fiscalhub posts (" fh:<12 hex>")
MARKER = re.compile(r"\s*\bfh:[0-9a-f]{12}(/p\d+)?\s*$")
BEFORE_STAY = {"expected", "confirmed", "booked", "tentative", "option", "new", "reserved",
               "not_checked_in", "waiting_list", "canceled", "cancelled", "no_show"}
IN_STAY = {"checked_in", "checkedin", "in_house", "checked_out", "checkedout", "departed"}


# --- defensive readers (shared with search and postings) --------------------------------------

def first(data, *keys):
    """The first of ``keys`` present (not None) in ``data``."""
    if not isinstance(data, dict):
        return None
    for key in keys:
        if data.get(key) is not None:
            return data[key]
    return None


def rows(answer) -> list[dict]:
    """A list answer, or the list an object answer holds under a usual key."""
    if isinstance(answer, list):
        return [r for r in answer if isinstance(r, dict)]
    if isinstance(answer, dict):
        for key in ("bookings", "folios", "charges", "credit_items", "charge_templates",
                    "data", "items", "results"):
            if isinstance(answer.get(key), list):
                return [r for r in answer[key] if isinstance(r, dict)]
    return []


def amount_of(value) -> Decimal:
    """Money from an int, a Decimal, a numeric string or a float (through its shortest text),
    half-up to kopecks. Raises ValueError for anything else."""
    if isinstance(value, bool) or value is None:
        raise ValueError(f"{value!r} is not an amount")
    try:
        return m.money(Decimal(str(value).strip()))
    except (InvalidOperation, TypeError):
        raise ValueError(f"{value!r} is not an amount") from None


def money_field(data: dict, name: str) -> Decimal | None:
    """``data[name]`` or ``data[name + '_cents']`` / 100; None when neither is there."""
    if data.get(name) is not None:
        return amount_of(data[name])
    cents = data.get(f"{name}_cents")
    if cents is not None:
        if isinstance(cents, bool) or not isinstance(cents, int):
            raise ValueError(f"{name}_cents {cents!r} is not an integer")
        return m.money(Decimal(cents).scaleb(-2))
    return None


def _day(value) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _refuse(reason: str, field: str) -> TranslationError:
    return TranslationError(reason, errors={field: [reason]})


def _voided(row: dict) -> bool:
    return bool(first(row, "voided", "void", "archived_at", "voided_at"))


# --- the rules -----------------------------------------------------------------------------

def payment_value(ci: dict, where: str = "credit_item") -> Decimal:
    try:
        value = money_field(ci, "value")
    except ValueError as exc:
        raise _refuse(f"the payment's value is not an amount: {exc}", f"{where}.value") from None
    if value is None:
        raise _refuse("the payment has no value (value / value_cents)", f"{where}.value")
    return value


def payment_type(ci: dict, settings: dict, where: str = "credit_item") -> str:
    raw = ci.get("payment_type")
    mapped = settings["payment_types"].get(str(raw or "").strip().lower())
    if mapped is None:
        raise _refuse(f"Clock payment type {raw!r} is not in payment_types (map it to cash, "
                      f"electronic, prepaid, credit, other, or none)", f"{where}.payment_type")
    return mapped


def stay_phase(booking, ci: dict) -> str:
    """``before`` (a prepayment) or ``stay`` (during the stay / at check-out)."""
    if not isinstance(booking, dict) or not booking:
        return "stay"                           # a company or event folio: settle its charges
    status = str(first(booking, "checkin_status", "check_in_status", "status") or "")
    status = status.strip().lower().replace(" ", "_").replace("-", "_")
    paid_on = _day(first(ci, "created_at", "date", "revenue_date", "service_date"))
    arrival = _day(first(booking, "arrival", "arrival_date"))
    if paid_on and arrival and paid_on < arrival:
        return "before"
    if status in BEFORE_STAY:
        return "before"
    if status in IN_STAY or (not status and arrival and paid_on):
        return "stay"
    raise _refuse(f"cannot tell whether the payment was made before the stay: booking status "
                  f"{status or None!r}, arrival {arrival}, payment date {paid_on}",
                  "booking.checkin_status")


def _job(operation: str, items: list[dict], payments: list[dict], settings: dict) -> dict:
    total = sum((Decimal(i["amount"]) for i in items), ZERO)
    return {"kind": "receipt", "receipt": {
        "operation": operation, "taxation": settings["taxation"], "items": items,
        "payments": [p for p in payments if Decimal(p["amount"]) > 0], "total": str(total)}}


def _item(name: str, price: Decimal, qty: Decimal, vat: str, method: str) -> dict:
    # paying off a credit is, for the FFD, the subject "payment" (платёж), not the service
    return {"name": name[:128], "price": str(price), "quantity": str(qty),
            "amount": str(m.line_amount(price, qty)), "vat": vat, "payment_method": method,
            "payment_object": "payment" if method == "credit_payment" else "service"}


def prepayment_job(value: Decimal, kind: str, booking, settings: dict) -> dict:
    name = settings["prepayment_item_name"]
    booking_id = first(booking, "id", "booking_id")
    if booking_id is not None:
        name = f"{name}, бронь {booking_id}"
    amount = abs(value)
    return _job("sell" if value > 0 else "sell_refund",
                [_item(name, amount, Decimal(1), settings["prepayment_vat"], "full_prepayment")],
                [{"type": kind, "amount": str(amount)}], settings)


def folio_items(charges, settings: dict) -> list[dict]:
    """The folio's charges as ``full_payment`` items, voids netted against their charge."""
    lines: dict[tuple, Decimal] = {}
    for n, ch in enumerate(charges if isinstance(charges, list) else []):
        if not isinstance(ch, dict) or _voided(ch):
            continue
        where = f"charges[{n}]"
        try:
            qty = Decimal(str(first(ch, "qty", "quantity") or 1))
            price = money_field(ch, "price")
            if price is None:
                gross = money_field(ch, "gross_value")
                price = None if gross is None or not qty else m.money(gross / qty)
        except (ValueError, InvalidOperation) as exc:
            raise _refuse(f"charge {ch.get('id')}: {exc}", f"{where}.price") from None
        if price is None:
            raise _refuse(f"charge {ch.get('id')} has no price", f"{where}.price")
        rate = ch.get("tax_rate")
        try:
            vat = settings["untaxed_vat"] if rate is None else settings["vat_rates"].get(
                rate_key(rate))
        except ValueError:
            vat = None
        if vat is None:
            raise _refuse(f"charge {ch.get('id')}: tax rate {rate!r} is not in vat_rates",
                          f"{where}.tax_rate")
        if price < 0:                           # a negative price is a void of qty units too
            price, qty = -price, -qty
        name = str(first(ch, "print_text", "text", "revenue_group") or "Услуга").strip()
        method = "full_payment"
        if MARKER.search(name) or MARKER.search(str(ch.get("text") or "")):
            # posted by fiscalhub from a POS: already fiscalized there (sold on credit)
            name, method = MARKER.sub("", name).strip() or "Услуга", settings["posted_charges"]
        key = (name, price, vat, method)
        lines[key] = lines.get(key, Decimal(0)) + qty
    items = []
    for (name, price, vat, method), qty in lines.items():
        if qty < 0:
            raise _refuse(f"the folio voids more of {name!r} at {price} than it charges (a "
                          f"discount or a refund line): fiscalize it by hand", "charges")
        if qty and price:
            items.append(_item(name, price, qty, vat, method))
    return items


def _earlier(ci: dict, others) -> list[dict]:
    """The folio's credit items made before ``ci`` (by created_at, then id), voids left out."""
    def order(row):
        ident = first(row, "id", "credit_item_id")
        return (str(first(row, "created_at", "date") or ""),
                int(ident) if str(ident).isdigit() else 0)
    me, mine = order(ci), first(ci, "id", "credit_item_id")
    return [r for r in (others if isinstance(others, list) else [])
            if isinstance(r, dict) and not _voided(r)
            and first(r, "id", "credit_item_id") != mine and order(r) < me]


def _single_vat(charges, settings: dict) -> str:
    vats = {i["vat"] for i in folio_items(charges, settings)}
    if len(vats) != 1:
        raise _refuse(f"a refund during or after the stay needs the folio's charges to have one "
                      f"VAT rate, they have {sorted(vats) or 'none'}: fiscalize it by hand",
                      "credit_item.value")
    return vats.pop()


def _read_error(payload: dict) -> None:
    if payload.get("read_error"):
        raise _refuse(f"Clock refused to give what the receipt needs: {payload['read_error']} "
                      "(fiscalize it by hand)", "read_error")


def payment_intents(event_id: str, payload: dict, settings: dict) -> list[FiscalJobIntent]:
    if not settings["fiscalize_payments"]:
        return []
    _read_error(payload)
    ci = payload.get("credit_item")
    if not isinstance(ci, dict) or first(ci, "id", "credit_item_id") is None:
        raise _refuse("the notification carries no credit item read from Clock (deliver it "
                      "to /hooks/<connection id>/push)", "credit_item")
    if _voided(ci):
        raise _refuse("the credit item is voided in Clock: if it was fiscalized, refund it by "
                      "hand", "credit_item.voided")
    cid = first(ci, "id", "credit_item_id")
    value, kind = payment_value(ci), payment_type(ci, settings)
    if kind == NOT_FISCALIZED or value == 0:
        return []
    booking, key = payload.get("booking"), f"clock:payment:{cid}"
    if stay_phase(booking, ci) == "before":
        return [FiscalJobIntent(prepayment_job(value, kind, booking, settings), key)]
    charges = payload.get("charges")
    if value < 0:
        item = _item(settings["refund_item_name"], -value, Decimal(1),
                     _single_vat(charges, settings), "full_payment")
        return [FiscalJobIntent(_job("sell_refund", [item], [
            {"type": kind, "amount": str(-value)}], settings), key)]
    items = folio_items(charges, settings)
    total = sum((Decimal(i["amount"]) for i in items), ZERO)
    prepaid = sum((payment_value(r, "credit_items") for r in
                   _earlier(ci, payload.get("credit_items"))), ZERO)
    if prepaid < 0:
        raise _refuse(f"the folio's earlier payments add up to {prepaid} (more refunded than "
                      f"paid)", "credit_items")
    if value + prepaid != total:
        if settings["partial_payments"] == "prepayment":
            return [FiscalJobIntent(prepayment_job(value, kind, booking, settings), key)]
        folio_id = first(payload.get("folio"), "id", "folio_id")
        raise _refuse(f"folio {folio_id}: this payment {value} plus earlier payments {prepaid} "
                      f"= {value + prepaid} do not settle its charges {total} (a deposit or a "
                      f"part payment during the stay; set partial_payments to 'prepayment' to "
                      f"fiscalize such payments as advances)", "credit_item.value")
    return [FiscalJobIntent(_job("sell", items, [{"type": kind, "amount": str(value)},
                                                 {"type": "prepaid", "amount": str(prepaid)}],
                                 settings), key)]


def void_intents(payload: dict, settings: dict) -> list[FiscalJobIntent]:
    """A voided folio. Payments fiscalized on it are not silently refunded: a void does not
    say whether the money went back to the guest (it may have moved to another folio). With
    ``folio_void: refuse`` (default) a void with fiscalized payments is rejected for an
    operator naming them; ``refund`` makes one ``sell_refund`` per payment (a prepayment's or
    a ``refund_item_name`` one, as it was fiscalized), key ``clock:payment:<id>:void``;
    ``ignore`` does nothing. A folio without fiscalized payments needs nothing."""
    if not settings["fiscalize_payments"] or settings["folio_void"] == "ignore":
        return []
    _read_error(payload)
    items = [r for r in (payload.get("credit_items") or []) if isinstance(r, dict)]
    paid = []
    for n, ci in enumerate(items):
        value, kind = payment_value(ci, f"credit_items[{n}]"), payment_type(
            ci, settings, f"credit_items[{n}]")
        if kind != NOT_FISCALIZED and value:
            paid.append((ci, value, kind))
    if not paid:
        return []
    folio_id = first(payload.get("folio"), "id", "folio_id") or first(
        payload.get("message"), "folio_id")
    total = sum((v for _, v, _ in paid), ZERO)
    ids = ", ".join(str(first(ci, "id", "credit_item_id")) for ci, _, _ in paid)
    if settings["folio_void"] == "refuse" or any(v < 0 for _, v, _ in paid):
        closed = first(payload.get("message"), "closed")
        raise _refuse(f"folio {folio_id} was voided (closed: {closed}) "
                      f"with fiscalized payments of {total} (credit items {ids}): refund them "
                      f"by hand, or set folio_void to 'refund' and replay (refused as well when "
                      f"the folio holds a refund already)", "folio_void")
    booking, out = payload.get("booking"), []
    for ci, value, kind in paid:
        if stay_phase(booking, ci) == "before":
            job = prepayment_job(-value, kind, booking, settings)
        else:
            job = _job("sell_refund", [_item(settings["refund_item_name"], value, Decimal(1),
                                             _single_vat(payload.get("charges"), settings),
                                             "full_payment")],
                       [{"type": kind, "amount": str(value)}], settings)
        out.append(FiscalJobIntent(job, f"clock:payment:{first(ci, 'id', 'credit_item_id')}:void"))
    return out
