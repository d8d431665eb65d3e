"""Request bodies for Clock PMS+, and their exact JSON.

Clock's published examples write ``price``, ``qty`` and ``tax_rate`` as JSON *numbers*
(``"price": 1``, ``"qty": 2``, ``"tax_rate": 0.2``, research §2.3), so money goes out as a
number — written digit for digit from the ``Decimal`` by :func:`dumps`, never through a float.
A credit item's ``value`` is sent the same way (the research names the field, not its type).
Pure: no I/O.
"""
from __future__ import annotations

import json
from datetime import date
from decimal import Decimal


def dumps(value) -> str:
    """JSON for dicts, lists, str, int, bool, None and ``Decimal`` (written as a plain number:
    ``Decimal("12.30")`` → ``12.30``). Floats are refused: money never passes through one."""
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {value}")
        return format(value, "f")
    if isinstance(value, float):
        raise TypeError("floats are not sent to Clock: use Decimal")
    if value is None or isinstance(value, (bool, int, str)):
        return json.dumps(value)
    if isinstance(value, dict):
        return "{" + ", ".join(f"{json.dumps(str(k))}: {dumps(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(dumps(v) for v in value) + "]"
    raise TypeError(f"cannot send {type(value).__name__} to Clock")


def _number(name: str, value) -> int | Decimal:
    if isinstance(value, bool) or not isinstance(value, (int, Decimal)):
        raise TypeError(f"{name} must be an int or a Decimal, not {type(value).__name__}")
    return value


def charge(*, charge_template_id: int | None = None, service_date: date | str | None = None,
           qty: int | Decimal | None = None, price: Decimal | None = None,
           text: str | None = None, revenue_group: str | None = None,
           revenue_category: str | None = None, currency: str | None = None,
           tax_rate: Decimal | None = None, print_text: str | None = None) -> dict:
    """One charge for ``folios/:id/charges`` (single or bulk) or ``charges_by_source``.

    Clock's rule (research §2.3): with a ``charge_template_id`` only ``service_date`` is needed
    when the template provides the rest; without one, ``revenue_group``, ``price`` and ``text``
    are required. A void or refund is a positive ``price`` with a negative ``qty`` (§2.2 1.4).
    """
    if charge_template_id is None and (revenue_group is None or price is None or text is None):
        raise ValueError("a charge without charge_template_id needs revenue_group, price and text")
    out: dict = {}
    if charge_template_id is not None:
        out["charge_template_id"] = _number("charge_template_id", charge_template_id)
    if revenue_group is not None:
        out["revenue_group"] = revenue_group
    if revenue_category is not None:
        out["revenue_category"] = revenue_category
    if text is not None:
        out["text"] = text
    if price is not None:
        out["price"] = _number("price", price)
    if currency is not None:
        out["currency"] = currency
    if qty is not None:
        out["qty"] = _number("qty", qty)
    if tax_rate is not None:
        out["tax_rate"] = _number("tax_rate", tax_rate)
    if service_date is not None:
        out["service_date"] = (service_date.isoformat() if isinstance(service_date, date)
                               else str(service_date))
    if print_text is not None:
        out["print_text"] = print_text
    return out


def credit_item(*, value: Decimal, currency: str, text: str | None = None,
                payment_type: str | None = None, payment_sub_type: str | None = None,
                reference: str | None = None) -> dict:
    """A payment on a folio (research §2.2 5.3, §2.3); a negative ``value`` is a refund."""
    out: dict = {"value": _number("value", value), "currency": currency}
    for key, item in (("text", text), ("payment_type", payment_type),
                      ("payment_sub_type", payment_sub_type), ("reference", reference)):
        if item is not None:
            out[key] = item
    return out
