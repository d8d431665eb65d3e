"""Money arithmetic of the canonical fiscal job: kopecks, quantities and VAT.

Money is :class:`~decimal.Decimal`, rounded ROUND_HALF_UP to kopecks (0.01); quantities are
rounded ROUND_HALF_UP to 3 decimals. The rounding is always passed explicitly: the default
decimal context rounds half-even (banker's rounding), which a register does not do, so
nothing here depends on whatever context the caller has set.

Floats are refused with :class:`TypeError`: the API parses JSON with ``parse_float=Decimal``, so
a float here is a programming error that would otherwise lose a kopeck somewhere.

VAT rounding, per item vs per receipt
-------------------------------------
Russian retail prices include VAT, so an item's VAT is ``amount × rate / (100 + rate)``
(``vat20`` → 20/120, ``vat10`` → 10/110, …; the calculated rates ``vat120``, ``vat110``, … are
the same fractions), rounded half-up to kopecks. The FFD carries one VAT sum per rate per
receipt (tags 1102, 1103, 1106, 1107, …). :func:`vat_breakdown` makes that sum **the sum of the
per-item rounded amounts**, which is what the register prints next to every item (tag 1200),
so the receipt adds up line by line. Computing the VAT once on the rate's total instead may
differ from that by at most 0.005 × (number of items at that rate): each item's rounding moves
its amount by at most half a kopeck.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from decimal import ROUND_HALF_UP, Context, Decimal, InvalidOperation

from fiscal.model import PaymentType, Vat

KOPECK = Decimal("0.01")
QUANTITY_STEP = Decimal("0.001")
ZERO = Decimal("0.00")

# Wide enough that quantizing or multiplying any amount the schemas accept is exact.
_CONTEXT = Context(prec=60, rounding=ROUND_HALF_UP)

# Tax-included VAT: the VAT in an amount is amount × rate / (100 + rate). ``none`` has no VAT.
VAT_PERCENT: dict[Vat, int] = {
    Vat.VAT0: 0,
    Vat.VAT5: 5, Vat.VAT7: 7, Vat.VAT10: 10, Vat.VAT20: 20, Vat.VAT22: 22,
    Vat.VAT105: 5, Vat.VAT107: 7, Vat.VAT110: 10, Vat.VAT120: 20, Vat.VAT122: 22,
}


def to_decimal(value: object) -> Decimal:
    """A finite Decimal from ``str``, ``int`` or ``Decimal``; floats and bools are refused."""
    if isinstance(value, bool) or isinstance(value, float):
        raise TypeError(f"{type(value).__name__} {value!r} is not accepted as money or "
                        "quantity: pass a str, int or Decimal")
    if isinstance(value, Decimal):
        number = value
    elif isinstance(value, int):
        number = Decimal(value)
    elif isinstance(value, str):
        try:
            number = Decimal(value.strip())
        except InvalidOperation:
            raise ValueError(f"{value!r} is not a number") from None
    else:
        raise TypeError(f"{type(value).__name__} is not accepted as money or quantity: "
                        "pass a str, int or Decimal")
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a finite number")
    return number


def rate_key(value: object) -> str:
    """A tax rate as a settings-table key, however it was written: ``1.20``, ``"1.2"`` and
    ``Decimal("1.200")`` are all ``"1.2"``; ``0.00`` is ``"0"``. Raises ValueError for
    anything that is not a finite number (booleans included)."""
    if isinstance(value, bool):
        raise ValueError(f"{value!r} is not a tax rate")
    try:
        number = Decimal(str(value).strip())
    except InvalidOperation:
        raise ValueError(f"{value!r} is not a tax rate") from None
    if not number.is_finite():
        raise ValueError(f"{value!r} is not a tax rate")
    return format(number.normalize(), "f") if number else "0"


def _quantize(value: object, step: Decimal) -> Decimal:
    try:
        number = to_decimal(value).quantize(step, rounding=ROUND_HALF_UP, context=_CONTEXT)
    except InvalidOperation:
        raise ValueError(f"{value!r} is too large") from None
    return number.copy_abs() if number.is_zero() else number   # never "-0.00"


def money(value: object) -> Decimal:
    """``value`` in roubles, rounded half-up to kopecks: ``money("1.005") == Decimal("1.01")``."""
    return _quantize(value, KOPECK)


def quantity(value: object) -> Decimal:
    """``value`` rounded half-up to 3 decimals: ``quantity("2") == Decimal("2.000")``."""
    return _quantize(value, QUANTITY_STEP)


def line_amount(price: object, qty: object) -> Decimal:
    """``price × quantity`` rounded half-up to kopecks."""
    return money(exact_line_amount(price, qty))


def exact_line_amount(price: object, qty: object) -> Decimal:
    """``price × quantity`` unrounded (price in kopecks, quantity to 3 decimals)."""
    return _CONTEXT.multiply(money(price), quantity(qty))


def amount_matches(amount: object, price: object, qty: object) -> bool:
    """Whether an item's amount is ``price × quantity`` within one kopeck."""
    difference = _CONTEXT.subtract(money(amount), exact_line_amount(price, qty))
    return difference.copy_abs() <= KOPECK


def vat_amount(amount: object, vat: str) -> Decimal | None:
    """The VAT included in ``amount`` at rate ``vat``, half-up to kopecks; None for ``none``.

    Computed in whole kopecks with integer arithmetic, so it is exact: ``vat20`` of 700.00 is
    70000 × 20 / 120 = 11666.67 kopecks → 116.67.
    """
    rate = Vat(vat)
    if rate is Vat.NONE:
        return None
    percent = VAT_PERCENT[rate]
    kopecks = int(money(amount).scaleb(2, context=_CONTEXT))
    numerator, denominator = abs(kopecks) * percent, 100 + percent
    whole, remainder = divmod(numerator, denominator)
    if 2 * remainder >= denominator:                           # half-up: half a kopeck goes up
        whole += 1
    return money(Decimal(-whole if kopecks < 0 else whole).scaleb(-2, context=_CONTEXT))


def net_amount(amount: object, vat: str) -> Decimal:
    """``amount`` without the VAT it includes (``amount`` itself for ``none``)."""
    tax = vat_amount(amount, vat)
    return money(amount) - (tax or ZERO)


def vat_breakdown(items: Iterable[Mapping]) -> dict[str, Decimal]:
    """VAT per rate of a receipt: the sum of the per-item rounded VAT amounts.

    Keys are the rates (plain str) in the order they first appear among the items; items at
    ``none`` carry no VAT and are left out (see :func:`amounts_by_vat` for the amount without
    VAT, tag 1105). See the module docstring for why the sum of per-item amounts.
    """
    breakdown: dict[str, Decimal] = {}
    for item in items:
        tax = vat_amount(item["amount"], item["vat"])
        if tax is not None:
            key = str(Vat(item["vat"]).value)
            breakdown[key] = breakdown.get(key, ZERO) + tax
    return breakdown


def amounts_by_vat(items: Iterable[Mapping]) -> dict[str, Decimal]:
    """Sum of item amounts per rate (``none`` included), in the order rates first appear."""
    sums: dict[str, Decimal] = {}
    for item in items:
        key = str(Vat(item["vat"]).value)
        sums[key] = sums.get(key, ZERO) + money(item["amount"])
    return sums


def payments_total(payments: Iterable[Mapping]) -> Decimal:
    """Σ payment amounts, in kopecks."""
    return sum((money(p["amount"]) for p in payments), ZERO)


def payments_by_type(payments: Iterable[Mapping] | None) -> dict[str, Decimal]:
    """Σ amount per payment type (the same type given twice is added up), in the order the
    types first appear — what a register's close command takes."""
    out: dict[str, Decimal] = {}
    for p in payments or []:
        key = str(PaymentType(p["type"]).value)
        out[key] = out.get(key, ZERO) + money(p["amount"])
    return out


def cash_total(payments: Iterable[Mapping]) -> Decimal:
    """Σ of the cash payments."""
    return payments_total(p for p in payments if p["type"] == PaymentType.CASH)


def change(total: object, payments: Iterable[Mapping]) -> Decimal:
    """The cash change: Σ payments − total.

    Raises :class:`ValueError` when the payments do not cover the total, or when the change
    would be more than the cash given (only cash may exceed the total) — a receipt the
    schemas accept never does either.
    """
    payments = list(payments)
    total = money(total)
    paid = payments_total(payments)
    if paid < total:
        raise ValueError(f"payments {paid} do not cover the total {total}")
    result = paid - total
    cash = cash_total(payments)
    if result > cash:
        raise ValueError(f"change {result} exceeds the cash given {cash}: "
                         "only cash may exceed the total")
    return money(result)


def allocate(total: Decimal, weights: list[Decimal]) -> list[Decimal]:
    """``total`` (in kopecks) split in proportion to ``weights``, the leftover kopecks to the
    largest remainders (ties to the first): the parts add up to ``total`` exactly. Equal
    parts when the weights sum to zero."""
    if not weights:
        return []
    weight = sum(weights, ZERO)
    if weight == 0:
        weights, weight = [Decimal(1)] * len(weights), Decimal(len(weights))
    kopecks = int(total * 100)
    exact = [Decimal(kopecks) * w / weight for w in weights]
    whole = [int(e) if e >= 0 else -int(-e) for e in exact]
    order = sorted(range(len(exact)), key=lambda i: (-(exact[i] - whole[i]), i))
    step = 1 if kopecks >= sum(whole) else -1
    for i in order[:abs(kopecks - sum(whole))]:
        whole[i] += step
    return [money(Decimal(k).scaleb(-2)) for k in whole]
