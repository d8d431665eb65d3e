"""The pure translation of a Lightspeed K-Series charge body (``POST …/charge``, the published
``transactionDetails`` schema) into a fiscal receipt job and PMS postings. No I/O, no clock.

Numbers. Lightspeed sends JSON numbers. Each is read with ``Decimal(str(x))`` (so a float
from a plain ``json.loads`` becomes its shortest decimal form, e.g. ``0.1`` → ``Decimal("0.1")``);
ints, Decimals and numeric strings are taken as they are; booleans, junk, NaN and infinity are
refused. Money is then rounded half-up to kopecks (:mod:`fiscal.money`) and goes into the job
as strings.

Pre-tax or tax-included ``transactions[].amount``. The OpenAPI says "total pre-tax amount", an
older guide "including tax". The figures decide: the bill's gross is the lines' amounts (each
plus its tax lines' ``taxAmount`` in the pre-tax reading) plus the service charge, and it must
equal the payments. Tips may or may not be inside ``payments[].amount`` (the glossary says
"tips are part of the payment"), so the readings are tried in this order and the first that
adds up wins: tax-included with tips inside the payment, pre-tax with tips inside, tax-included
with tips on top, pre-tax with tips on top. "Adds up" means equal within half a kopeck per
figure that has more than 2 decimals (Lightspeed's tax amounts may carry 4); the leftover
kopecks of that rounding go to the bill's largest line. Nothing adds up → TranslationError.
Without tax both readings are the same bill.

Lines. ``Sale`` and ``PercentItem`` lines are items (a PercentItem with a negative amount is an
account discount); the VAT code comes from the tax lines' ``taxRate`` multiplier (the deprecated
line-level ``taxRate`` if there are no tax lines; none at all → ``untaxed_vat``); a line with two
different rates is refused. Discounts are folded into the items so the receipt adds up and each
item keeps its VAT: a ``LineDiscount`` reduces the nearest ``Sale`` line before it (the webhook
does not link them; the POS lists a discount under its item), an ``AccountDiscount`` is spread
over the lines of its VAT code (all lines when it has none) in proportion to their amounts,
largest remainder to the kopeck. A discount's sign is ignored: it always reduces. A line whose
amount after discounts is zero is left off the receipt. An item's price is its amount divided
by its quantity, half-up; when that price × quantity misses the amount by more than a kopeck
(quantities above 2) the item is split into quantity − 1 at that price and 1 at the rest.

Service charge. ``UNTAXED``: one item of ``serviceCharge.amount`` at ``untaxed_vat``, payment
object ``service``. ``APPORTIONED``: the charge is spread over the lines
(``transactions[].serviceChargeContribution``) and bears each line's VAT: one service item per
VAT code, the sum of the contributions (times the line's multiplier in the pre-tax reading); if
no line carries a contribution, ``serviceCharge.amount`` is spread over the lines by amount.
Postings carry the service charge under ``service_charge_template``.

Payments. Each ``methodCode`` is looked up in ``payment_types`` (unknown → refused). Cash and
card parts are fiscalized as paid (net of tips, see :mod:`plugins.lightspeed.settings` ``tips``);
the room part (``room``, i.e. ``IKPMS``) per ``room_charge``: ``credit`` (default) fiscalizes it
as payment type ``credit`` and posts it; ``none`` only posts it. Per reservation there is one
``room_charge`` posting (target: ``reservationId``, to the connection ``pms_connection_id``;
payload: the reservation, the room when the payment carries a ``roomId`` — the published body
does not — the bill's ids, a ``reference`` for the folio (``LS <receiptId>``), the
``service_date`` (the settings' ``business_day`` when given), and ``lines``: the amount split by
charge template, plus the payments' ``gratuity`` as one line of ``tip_template`` marked
``"tip": true``). The tip rides in the same posting so the charge and its tip land on the folio
together or not at all.

Voids and refunds. Negative quantities mark a refund/void: it needs ``initialAccountId``
(refused without), every figure is read with its sign turned, and it becomes a ``sell_refund``
receipt for what is fiscalized and negative postings on the same reservations. The refund
receipt's key names the original account (``…:sell_refund:<initialAccountId>``); Lightspeed's
"same or next business day" rule and a correction on a later day are left to the connector. A
bill mixing sold and returned lines is refused.

Keys: ``lightspeed:<uuid>:sell`` (``receiptId`` when there is no ``uuid``), ``…:room:<reservation>``; a key longer than 90 characters is replaced by a SHA-256 digest.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from decimal import Decimal

from fiscal import money as m
from fiscal.money import allocate
from hub.connectors import MAX_KEY, FiscalJobIntent, Intent, PostingIntent
from plugins.lightspeed.body import _dict, _fail, _list, _num, _opt_num, _text
from plugins.lightspeed.settings import ROOM, rate_key, with_defaults

__all__ = ["Bill", "read_bill", "translate_charge"]

ZERO = m.ZERO
HALF_KOPECK = Decimal("0.005")


@dataclass
class _Line:
    where: str
    kind: str                     # sale | line_discount | account_discount
    name: str
    qty: Decimal
    amount: Decimal               # transactions[].amount, sign-normalised
    tax: Decimal
    mult: Decimal | None
    vat: str
    template: str
    contribution: Decimal
    sku: str = ""
    final: Decimal = ZERO         # kopecks, after discounts
    children: list = field(default_factory=list)

    def gross(self, pretax: bool) -> Decimal:
        return self.amount + self.tax if pretax else self.amount


def translate_charge(body: dict, settings: dict) -> list[Intent]:
    """The intents of one charge body (see the module docstring)."""
    bill = read_bill(body, settings)
    return _intents(body, bill.base, bill.initial, bill.sign, bill.entries, bill.payments,
                    bill.total, bill.opts)


@dataclass
class Bill:
    """A charge body read and added up: its items at full value (``entries``: name, qty, vat,
    amount, template …, discounts folded in), its payments (type, amount, gratuity, net,
    reservation), the bill's ``total`` (the payments net of tips) and ``sign`` (-1: a
    refund/void, every figure turned positive)."""

    opts: dict
    base: str
    initial: str
    sign: int
    entries: list[dict]
    payments: list[dict]
    total: Decimal


def read_bill(body: dict, settings: dict) -> Bill:
    """Read and check a charge body; raises TranslationError naming the field."""
    opts = with_defaults(settings)
    body = _dict(body, "body")
    base = _text(body.get("uuid")) or _text(body.get("receiptId"))
    if not base:
        _fail("uuid", "uuid or receiptId is required")
    raw_lines = _list(body.get("transactions"), "transactions")
    sign = _sign(raw_lines)
    initial = _text(body.get("initialAccountId"))
    if sign < 0 and not initial:
        _fail("initialAccountId", "required on a refund/void (negative quantities)")
    lines = [_line(t, n, sign, body, opts) for n, t in enumerate(raw_lines)]
    service = _dict({} if body.get("serviceCharge") is None else body["serviceCharge"],
                    "serviceCharge")
    payments = [p for p in (_payment(p, n, sign, opts) for n, p in
                            enumerate(_list(body.get("payments"), "payments"))) if p]
    pretax, tips_inside = _reading(lines, service, payments)
    for p in payments:
        p["net"] = p["amount"] - p["gratuity"] if tips_inside else p["amount"]
        if p["net"] < 0:
            _fail(f"{p['where']}.gratuity", "the tip is larger than the payment")
    bill_total = sum((p["net"] for p in payments), ZERO)
    entries = _entries(lines, service, pretax, bill_total, opts)
    return Bill(opts, base, initial, sign, entries, payments, bill_total)


def _sign(raw_lines: list) -> int:
    signs = set()
    for n, t in enumerate(raw_lines):
        t = _dict(t, f"transactions[{n}]")
        if t.get("type", "Sale") == "Sale":
            qty = _num(t.get("quantity"), f"transactions[{n}].quantity")
            if qty == 0:
                _fail(f"transactions[{n}].quantity", "must not be 0")
            signs.add(qty > 0)
    if not signs:
        _fail("transactions", "the bill has no Sale line")
    if len(signs) > 1:
        _fail("transactions", "the bill mixes sold and returned (negative quantity) lines")
    return 1 if signs == {True} else -1


def _line(t: dict, n: int, sign: int, body: dict, opts: dict) -> _Line:
    where = f"transactions[{n}]"
    kind = t.get("type", "Sale")
    if kind not in ("Sale", "PercentItem", "LineDiscount", "AccountDiscount"):
        _fail(f"{where}.type", f"unknown line type {kind!r}")
    amount = _num(t.get("amount"), f"{where}.amount") * sign
    mult, tax, vat = None, ZERO, opts["untaxed_vat"]
    tax_lines = _list([] if t.get("taxLines") is None else t["taxLines"], f"{where}.taxLines")
    rates = set()
    for k, tl in enumerate(tax_lines):
        tw = f"{where}.taxLines[{k}]"
        tl = _dict(tl, tw)
        rates.add(_num(tl.get("taxRate"), f"{tw}.taxRate"))
        tax += _opt_num(tl, "taxAmount", tw) * sign
    if len(rates) > 1:
        _fail(f"{where}.taxLines", "more than one tax rate on a line is not supported")
    if not rates and t.get("taxRate") is not None:
        rates.add(_num(t["taxRate"], f"{where}.taxRate"))
        tax = amount * (min(rates) - 1)
    if rates:
        mult = rates.pop()
        vat = opts["vat_rates"].get(rate_key(mult))
        if vat is None:
            _fail(f"{where}.taxLines", f"no VAT code for tax rate {rate_key(mult)} "
                  "(settings vat_rates)")
    if kind == "PercentItem" and amount < 0:
        kind = "AccountDiscount"
    if kind in ("LineDiscount", "AccountDiscount"):
        amount, tax = -abs(amount), -abs(tax)
        qty = Decimal(1)
    else:
        qty = abs(_num(t.get("quantity", 1), f"{where}.quantity"))
        if amount < 0:
            _fail(f"{where}.amount", "the amount's sign does not match the quantity's")
        if m.quantity(qty) <= 0:
            _fail(f"{where}.quantity", "must not round to 0")
    group = opts["group_templates"]
    centre = opts["revenue_center_templates"]
    template = (group.get(_text(t.get("groupId"))) or group.get(_text(t.get("groupName")))
                or centre.get(_text(body.get("revenueCenterId")))
                or centre.get(_text(body.get("revenueCenterName"))) or opts["default_template"])
    name = (_text(t.get("description")) or _text(t.get("sku")) or "Item")[:128]
    return _Line(where, {"Sale": "sale", "PercentItem": "sale", "LineDiscount": "line_discount",
                         "AccountDiscount": "account_discount"}[kind], name, qty, amount, tax,
                 mult, vat, template, _opt_num(t, "serviceChargeContribution", where) * sign,
                 _text(t.get("sku"))[:64])


def _payment(p, n: int, sign: int, opts: dict) -> dict | None:
    where = f"payments[{n}]"
    p = _dict(p, where)
    code = _text(p.get("methodCode")).upper()
    if not code:
        _fail(f"{where}.methodCode", "required")
    amount = m.money(_num(p.get("amount"), f"{where}.amount") * sign)
    gratuity = m.money(_opt_num(p, "gratuity", where) * sign)
    if amount < 0 or gratuity < 0:
        _fail(f"{where}.amount", "a sale's payments are positive and a refund's negative")
    if amount == 0 and gratuity == 0:
        return None
    kind = opts["payment_types"].get(code)
    if kind is None:
        _fail(f"{where}.methodCode", f"unknown payment method {code!r} (settings payment_types)")
    reservation = _text(p.get("reservationId"))
    if kind == ROOM and not reservation:
        _fail(f"{where}.reservationId", "required on a room charge")
    return {"where": where, "type": kind, "method": code, "amount": amount, "gratuity": gratuity,
            "reservation": reservation, "room": _text(p.get("roomId")) or None}


def _service_parts(lines, service, pretax) -> list[tuple[str, str | None, Decimal]]:
    """(vat or None for untaxed, template-less) exact service-charge parts of a reading."""
    kind = service.get("type")
    amount = _opt_num(service, "amount", "serviceCharge")
    if kind is None and amount == 0:
        return []
    if kind == "UNTAXED":
        return [("untaxed", None, abs(amount))] if amount else []
    if kind != "APPORTIONED":
        _fail("serviceCharge.type", f"unknown service charge type {kind!r}")
    sales = [ln for ln in lines if ln.kind == "sale"]
    if any(ln.contribution for ln in lines):
        return [("vat", ln.vat, ln.contribution * (ln.mult if pretax and ln.mult else 1))
                for ln in lines if ln.contribution]
    shares = allocate(m.money(abs(amount)), [ln.gross(pretax) for ln in sales])
    return [("vat", ln.vat, share) for ln, share in zip(sales, shares)]


def _reading(lines, service, payments) -> tuple[bool, bool]:
    gratuity = sum((p["gratuity"] for p in payments), ZERO)
    for tips_inside in ((True, False) if gratuity else (True,)):
        target = sum((p["amount"] - (p["gratuity"] if tips_inside else 0) for p in payments),
                     ZERO)
        for pretax in (False, True):
            figures = [ln.gross(pretax) for ln in lines]
            figures += [part[2] for part in _service_parts(lines, service, pretax)]
            slack = HALF_KOPECK * sum(1 for f in figures if f != m.money(f))
            if abs(sum(figures, ZERO) - target) <= slack:
                return pretax, tips_inside
    _fail("transactions", "the lines' amounts (with or without their tax) and the service "
          "charge do not add up to the payments")


def _entries(lines, service, pretax, bill_total, opts) -> list[dict]:
    """The bill's items at full value, discounts folded in, adding up to ``bill_total``."""
    sales = [ln for ln in lines if ln.kind == "sale"]
    for ln in lines:
        ln.final = m.money(ln.gross(pretax))
    parts = _service_parts(lines, service, pretax)
    by_vat: dict[str, Decimal] = {}
    for kind, vat, amount in parts:
        key = opts["untaxed_vat"] if kind == "untaxed" else vat
        by_vat[key] = by_vat.get(key, ZERO) + amount
    service_entries = [{"name": opts["service_charge_name"], "qty": Decimal(1), "vat": vat,
                        "amount": m.money(a), "template": opts["service_charge_template"],
                        "object": "service", "sku": ""} for vat, a in by_vat.items() if a]
    residual = bill_total - sum((ln.final for ln in lines), ZERO) - sum(
        (e["amount"] for e in service_entries), ZERO)
    if residual:
        max(sales, key=lambda ln: ln.final).final += residual
    last_sale = None
    for ln in lines:
        if ln.kind == "sale":
            last_sale = ln
        elif ln.kind == "line_discount" and last_sale is not None:
            last_sale.final += ln.final
        else:
            pool = [s for s in sales if s.vat == ln.vat and ln.mult is not None] or sales
            for s, share in zip(pool, allocate(ln.final, [s.final for s in pool])):
                s.final += share
    for ln in sales:
        if ln.final < 0:
            _fail(ln.where, "the discounts exceed the line's amount")
    return [{"name": ln.name, "qty": ln.qty, "vat": ln.vat, "amount": ln.final,
             "template": ln.template, "object": "commodity", "sku": ln.sku}
            for ln in sales] + service_entries


def _items(entry: dict, amount: Decimal, method: str) -> list[dict]:
    qty = m.quantity(entry["qty"])
    price = m.money(amount / qty)
    common = {"name": entry["name"], "vat": entry["vat"], "payment_method": method,
              "payment_object": entry["object"]}
    if entry["sku"]:
        common["sku"] = entry["sku"]
    if m.amount_matches(amount, price, qty) or qty <= 1:
        return [dict(common, price=str(price), quantity=str(qty), amount=str(amount))]
    first = m.line_amount(price, qty - 1)
    rest = amount - first
    if rest < 0:
        return [dict(common, price=str(amount), quantity="1.000", amount=str(amount))]
    return [dict(common, price=str(price), quantity=str(m.quantity(qty - 1)), amount=str(first)),
            dict(common, price=str(rest), quantity="1.000", amount=str(rest))]


def _key(*parts: str) -> str:
    key = ":".join(("lightspeed",) + parts)
    if len(key) <= MAX_KEY:
        return key
    return "lightspeed:sha256:" + hashlib.sha256(key.encode()).hexdigest()


def _intents(body, base, initial, sign, entries, payments, bill_total, opts) -> list[Intent]:
    intents: list[Intent] = []
    room = [p for p in payments if p["type"] == ROOM]
    fiscal_room = opts["room_charge"] == "credit"
    fiscal = [p for p in payments if p["type"] != ROOM or fiscal_room]
    fiscal_total = sum((p["net"] for p in fiscal), ZERO)
    operation = "sell" if sign > 0 else "sell_refund"
    receipt_key = _key(base, "sell") if sign > 0 else _key(base, "sell_refund", initial)
    amounts = [e["amount"] for e in entries]
    if fiscal_total != bill_total:
        amounts = allocate(fiscal_total, amounts)
    tips = sum((p["gratuity"] for p in fiscal), ZERO) if opts["tips"] == "item" else ZERO
    paid: dict[str, Decimal] = {}
    for p in fiscal:
        kind = "credit" if p["type"] == ROOM else p["type"]
        paid[kind] = paid.get(kind, ZERO) + p["net"] + (p["gratuity"] if tips else ZERO)
    total = fiscal_total + tips
    credit = paid.get("credit", ZERO)
    method = "full_payment" if not credit else "credit" if credit == total else "partial_payment"
    if total > 0:
        items = [i for e, a in zip(entries, amounts) if a > 0 for i in _items(e, a, method)]
        if tips:
            items += _items({"name": opts["tip_name"], "qty": Decimal(1), "sku": "",
                             "vat": opts["untaxed_vat"], "object": "service"}, tips, method)
        job = {"kind": "receipt", "receipt": {
            "operation": operation, "taxation": opts["taxation"], "items": items,
            "payments": [{"type": k, "amount": str(v)} for k, v in paid.items() if v],
            "total": str(total)}}
        owner = _text(body.get("ownerName"))[:64]
        if owner:
            job["cashier"] = {"name": owner}
        intents.append(FiscalJobIntent(job=job, idempotency_key=receipt_key))
    by_template: dict[str, Decimal] = {}
    for e in entries:
        by_template[e["template"]] = by_template.get(e["template"], ZERO) + e["amount"]
    reservations = list(dict.fromkeys(p["reservation"] for p in room))
    reference = "LS " + (_text(body.get("receiptId")) or _text(body.get("fiscId")) or base)[:40]
    common = {"receipt_id": _text(body.get("receiptId")) or None,
              "fisc_id": _text(body.get("fiscId")) or None, "uuid": _text(body.get("uuid")) or None,
              "initial_account_id": initial or None,
              "revenue_center": _text(body.get("revenueCenterName")) or None,
              "receipt_key": receipt_key if total > 0 and fiscal_room else None,
              "reference": reference, "service_date": opts.get("business_day")}
    for res in reservations:
        mine = [p for p in room if p["reservation"] == res]
        charge = sum((p["net"] for p in mine), ZERO)
        tip = sum((p["gratuity"] for p in mine), ZERO)
        if not charge and not tip:
            continue
        shares = allocate(charge, list(by_template.values())) if charge else []
        lines = [{"template": t, "amount": s * sign} for t, s in zip(by_template, shares) if s]
        if tip:     # one posting per folio: the charge and its tip land together or not at all
            lines.append({"template": opts["tip_template"], "amount": tip * sign, "tip": True})
        payload = dict(common, reservation_id=res, lines=lines, tip=tip * sign,
                       room=next((p["room"] for p in mine if p["room"]), None))
        intents.append(PostingIntent(kind="room_charge", target=res,
                                     amount=(charge + tip) * sign, payload=payload,
                                     idempotency_key=_key(base, "room", res),
                                     connection=opts.get("pms_connection_id") or None))
    return intents
