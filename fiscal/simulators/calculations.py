"""The simulated register's arithmetic: kopecks, item lines, payments and the fiscal sign.

Pure functions (no memory access); bad input is refused the way the register refuses it, with
Shtrih-M result codes. Money and quantities are rounded by fiscal.money (half-up to kopecks, 3 decimals).
"""
from __future__ import annotations

import hashlib
import hmac
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping, NamedTuple

from fiscal import money as m
from fiscal.model import PaymentMethod, PaymentObject, PaymentType, Vat
from fiscal.simulators import refusals as R
from fiscal.simulators.refusals import RegisterRefusal

KOPECK = Decimal("0.01")
ZERO = Decimal("0.00")
VAT_RATES = frozenset(Vat)
_PAYMENT_METHODS = frozenset(PaymentMethod)
_PAYMENT_OBJECTS = frozenset(PaymentObject)
_PAYMENT_TYPES = frozenset(PaymentType)


def money(value: Any) -> Decimal:
    """Kopecks, rounded half-up (refused as bad parameters when not a number)."""
    return _register_number(m.money, value)


def quantity(value: Any) -> Decimal:
    return _register_number(m.quantity, value)


def _register_number(round_it, value: Any) -> Decimal:
    """The hub's rounding (fiscal.money), refused the way the register refuses bad input."""
    try:
        return round_it(Decimal(str(value)))
    except (InvalidOperation, ValueError, TypeError):
        raise RegisterRefusal(R.BAD_PARAMETERS) from None


def fiscal_sign(key: str, fn_number: str, fd_number: int, total: Decimal | None,
                issued_at: datetime) -> str:
    """A deterministic 10-digit fiscal sign (fits the 4-byte ФП of Shtrih answers)."""
    msg = f"{fn_number}|{fd_number}|{total}|{issued_at.isoformat()}".encode()
    digest = hmac.new(key.encode(), msg, hashlib.sha256).digest()
    return f"{int.from_bytes(digest[:4], 'big'):010d}"


def item_line(name: Any, price: Any, qty: Any, amount: Any = None, vat: str = "none",
              payment_method: str = "full_payment", payment_object: str = "commodity",
              measure: str | None = None, agent: Mapping | None = None,
              supplier: Mapping | None = None, sku: str | None = None) -> dict[str, Any]:
    """A checked item line as the fiscal memory stores it (amounts as strings). The amount
    defaults to price × quantity and may differ from it by one kopeck at most."""
    if price is None or qty is None:
        raise RegisterRefusal(R.BAD_PARAMETERS)
    price, qty = money(price), quantity(qty)
    computed = m.line_amount(price, qty)
    amount = computed if amount is None else money(amount)
    if (price < 0 or qty <= 0 or amount < 0 or abs(amount - computed) > KOPECK
            or vat not in VAT_RATES or payment_method not in _PAYMENT_METHODS
            or payment_object not in _PAYMENT_OBJECTS):
        raise RegisterRefusal(R.BAD_PARAMETERS)
    vat_amount = m.vat_amount(amount, vat)
    return {"name": str(name), "price": str(price), "quantity": str(qty),
            "amount": str(amount), "measure": measure, "vat": vat,
            "vat_amount": str(vat_amount) if vat_amount is not None else None,
            "payment_method": payment_method, "payment_object": payment_object,
            "agent": plain(agent), "supplier": plain(supplier), "sku": sku}


def lines_total(items: list[Mapping[str, Any]]) -> Decimal:
    return sum((Decimal(i["amount"]) for i in items), ZERO)


class Settlement(NamedTuple):
    paid: dict[str, Decimal]     # payment type → amount (zero amounts left out)
    change: Decimal
    net_cash: Decimal            # cash that changes hands: cash paid minus the change


def settle(total: Decimal, payments: Mapping[str, Any]) -> Settlement:
    """Check payments against a total: only cash may exceed it (the change comes out of it)."""
    if total <= 0:
        raise RegisterRefusal(R.ZERO_TOTAL)
    paid: dict[str, Decimal] = {}
    for kind, amount in payments.items():
        amount = money(amount)
        if kind not in _PAYMENT_TYPES or amount < 0:
            raise RegisterRefusal(R.BAD_PARAMETERS)
        if amount:
            paid[kind] = paid.get(kind, ZERO) + amount
    cash = paid.get("cash", ZERO)
    noncash = sum(paid.values(), ZERO) - cash
    if noncash > total:
        raise RegisterRefusal(R.NONCASH_EXCEEDS_TOTAL)
    if cash + noncash < total:
        raise RegisterRefusal(R.PAYMENTS_LESS_THAN_TOTAL)
    change = cash + noncash - total
    return Settlement(paid, change, cash - change)


def plain(value: Any) -> Any:
    """JSON-friendly copy of a mapping (Decimals and dates as strings)."""
    if value is None:
        return None
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return value
