"""What is left to refund of a receipt (pure: the caller reads the receipts from the ledger).

"A refund may name the job it refunds and may not exceed what is left to refund of it."
(DESIGN.md). All receipts here are loaded receipt dicts, as :func:`fiscal.schemas.load_job`
returns them under ``"receipt"``.

Items are matched by their **key**: the ``sku`` when the item has one, else ``(name, price)``.
Lines of the original with the same key are added together, and so are the lines of a refund:
a refund cannot get past a limit by splitting a line in two. Each key has a quantity and an
amount left; the receipt has a total left. A refund is accepted when none of the three is
exceeded, so a refund of exactly what is left is accepted and nothing is ever refunded twice.

:func:`build_refund` makes the refund receipt of an operator's choice (lines and quantities,
or everything left) — what ``POST /api/v1/jobs/{id}/refund`` prints; :func:`lines_left` and
:func:`payments_left` are what the refund screen shows.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from marshmallow import ValidationError

from fiscal import money as m
from fiscal.model import REFUND_OF, Operation, PaymentType
from fiscal.money import ZERO, money, quantity

ItemKey = str | tuple[str, Decimal]
NO_QUANTITY = Decimal("0.000")


def item_key(item: Mapping) -> ItemKey:
    """The sku of an item if it has one, else ``(name, price)``."""
    sku = item.get("sku")
    return sku if sku else (item["name"], money(item["price"]))


def describe(key: ItemKey) -> str:
    """An item key as an operator reads it: ``sku 'B-12'`` or ``'Борщ' at 350.00``."""
    if isinstance(key, str):
        return f"sku {key!r}"
    name, price = key
    return f"{name!r} at {price}"


@dataclass(frozen=True)
class ItemLeft:
    """Quantity and amount of one item key still refundable."""

    quantity: Decimal
    amount: Decimal


@dataclass(frozen=True)
class RefundLeft:
    """What is left to refund of a receipt: the total, and per item key."""

    total: Decimal
    items: dict[ItemKey, ItemLeft] = field(default_factory=dict)


def _sum_by_key(items: Iterable[Mapping]) -> dict[ItemKey, ItemLeft]:
    sums: dict[ItemKey, ItemLeft] = {}
    for item in items:
        key = item_key(item)
        before = sums.get(key, ItemLeft(NO_QUANTITY, ZERO))
        sums[key] = ItemLeft(before.quantity + quantity(item["quantity"]),
                             before.amount + money(item["amount"]))
    return sums


def refund_left(original_receipt: Mapping, earlier_refunds: list[Mapping]) -> RefundLeft:
    """What is left to refund of ``original_receipt`` after ``earlier_refunds``.

    Never negative: an earlier refund that went over (it could only have been printed
    without this check) leaves zero, and its items that are not in the original are ignored.
    """
    left = _sum_by_key(original_receipt["items"])
    refunded = _sum_by_key(item for refund in earlier_refunds for item in refund["items"])
    for key, done in refunded.items():
        if key in left:
            have = left[key]
            left[key] = ItemLeft(max(have.quantity - done.quantity, NO_QUANTITY),
                                 max(have.amount - done.amount, ZERO))
    total = money(original_receipt["total"]) - sum(
        (money(refund["total"]) for refund in earlier_refunds), ZERO)
    return RefundLeft(total=max(total, ZERO), items=left)


def check_refund(original_receipt: Mapping, earlier_refunds: list[Mapping],
                 refund: Mapping) -> None:
    """Raise :class:`marshmallow.ValidationError` unless ``refund`` may refund
    ``original_receipt`` after ``earlier_refunds``.

    Errors are at the paths of the job the refund is posted in: ``receipt.operation`` (a
    ``sell`` is refunded by ``sell_refund``, a ``buy`` by ``buy_refund``), ``receipt.total``,
    and ``receipt.items.<i>.quantity`` / ``.amount`` for an item that is not in the original
    or exceeds what is left of it.
    """
    of_job = f"job {refund['refund_of']}" if refund.get("refund_of") else "the original receipt"
    errors: dict = {}

    original_operation = original_receipt["operation"]
    if original_operation in REFUND_OF:
        errors["operation"] = [f"{of_job} is a {original_operation} receipt, "
                               "which cannot be refunded"]
    elif REFUND_OF.get(refund["operation"]) != original_operation:
        wanted = {v: k for k, v in REFUND_OF.items()}[Operation(original_operation)]
        errors["operation"] = [f"{of_job} is a {original_operation} receipt: it is refunded "
                               f"with {wanted}, not {refund['operation']}"]

    left = refund_left(original_receipt, earlier_refunds)
    total = money(refund["total"])
    if total > left.total:
        errors["total"] = [f"refund {total} exceeds what is left to refund of {of_job}: "
                           f"{left.total}"]

    item_errors: dict[int, dict[str, list[str]]] = {}
    used: dict[ItemKey, ItemLeft] = {}           # taken by the earlier lines of this refund
    for index, item in enumerate(refund["items"]):
        key = item_key(item)
        if key not in left.items:
            item_errors[index] = {"quantity": [f"item {describe(key)} is not in {of_job}"]}
            continue
        have, before = left.items[key], used.get(key, ItemLeft(NO_QUANTITY, ZERO))
        qty_left, amount_left = have.quantity - before.quantity, have.amount - before.amount
        qty, amount = quantity(item["quantity"]), money(item["amount"])
        used[key] = ItemLeft(before.quantity + qty, before.amount + amount)
        problems = {}
        if qty > qty_left:
            problems["quantity"] = [
                f"refund quantity {qty} of {describe(key)} exceeds what is left to refund of "
                f"{of_job}: {max(qty_left, NO_QUANTITY)}"]
        if amount > amount_left:
            problems["amount"] = [
                f"refund amount {amount} of {describe(key)} exceeds what is left to refund of "
                f"{of_job}: {max(amount_left, ZERO)}"]
        if problems:
            item_errors[index] = problems
    if item_errors:
        errors["items"] = item_errors

    if errors:
        raise ValidationError({"receipt": errors})


# Building a refund receipt from an operator's choice -----------------------------------------
#
# The refund screen works on the original's *lines* (``index`` = position in its items).
# What is left of a line: the refunded quantity and amount of its key are taken from the
# key's lines in order, first line first, so the lines of a key add up to what the key has
# left and a line never shows more than it had.

ITEM_FIELDS = ("name", "price", "measure", "vat", "payment_method", "payment_object", "agent",
               "supplier", "sku")


@dataclass(frozen=True)
class LineLeft:
    """What is left to refund of one line of the original receipt."""

    index: int
    quantity: Decimal
    amount: Decimal


def lines_left(original_receipt: Mapping, earlier_refunds: list[Mapping]) -> list[LineLeft]:
    """What is left to refund of each line of ``original_receipt``, in its order."""
    taken = _sum_by_key(item for refund in earlier_refunds for item in refund["items"])
    out = []
    for index, item in enumerate(original_receipt["items"]):
        key = item_key(item)
        qty, amount = quantity(item["quantity"]), money(item["amount"])
        done = taken.get(key, ItemLeft(NO_QUANTITY, ZERO))
        done_qty, done_amount = min(done.quantity, qty), min(done.amount, amount)
        taken[key] = ItemLeft(done.quantity - done_qty, done.amount - done_amount)
        out.append(LineLeft(index, qty - done_qty, amount - done_amount))
    return out


def _line_amount(item: Mapping, qty: Decimal, left: LineLeft) -> Decimal:
    """The amount of refunding ``qty`` of a line that has ``left``.

    It must be price × quantity within a kopeck (the item rule), and so must what stays of
    the line (so that a later refund can take exactly what is left): the kopecks in both
    ranges, of which the whole amount left when the whole quantity left goes, else the one
    nearest price × quantity. A line that was already refunded out of step (by hand) gets
    price × quantity, never more than its amount left — or None when even that breaks the
    item rule (the amount left is kopecks short of price × quantity: no refund receipt can
    take that quantity).
    """
    price = item["price"]
    part, rest = m.exact_line_amount(price, qty), m.exact_line_amount(price, left.quantity - qty)
    low = max(part, left.amount - rest, ZERO + m.KOPECK) - m.KOPECK
    high = min(part, left.amount - rest, left.amount - m.KOPECK) + m.KOPECK
    low = low.quantize(m.KOPECK, rounding=ROUND_CEILING)
    high = high.quantize(m.KOPECK, rounding=ROUND_FLOOR)
    preferred = left.amount if qty == left.quantity else m.line_amount(price, qty)
    if low <= high:
        return min(max(preferred, low), high)
    amount = min(m.line_amount(price, qty), left.amount)
    return amount if m.amount_matches(amount, price, qty) else None


def _net_payments(receipt: Mapping) -> dict[str, Decimal]:
    """What a receipt's payments moved by type: cash is what stayed after the change
    (total − non-cash, never below zero)."""
    by_type = m.payments_by_type(receipt.get("payments") or [])
    non_cash = sum((v for t, v in by_type.items() if t != PaymentType.CASH), ZERO)
    if PaymentType.CASH in by_type:
        by_type[PaymentType.CASH] = max(money(receipt["total"]) - non_cash, ZERO)
    return by_type


def payments_left(original_receipt: Mapping, earlier_refunds: list[Mapping]) -> dict[str, Decimal]:
    """What is left to pay back of each payment type of the original (never negative), in the
    order the original names them."""
    left = _net_payments(original_receipt)
    for refund in earlier_refunds:
        for kind, amount in _net_payments(refund).items():
            if kind in left:
                left[kind] = max(left[kind] - amount, ZERO)
    return left


def refund_payments(original_receipt: Mapping, earlier_refunds: list[Mapping],
                    total: Decimal) -> list[dict]:
    """How a refund of ``total`` is paid back: the original's non-cash types first, in its
    order, each up to what is left of it; cash last, taking the rest. The last type takes
    whatever remains (cash when the original had any), so the payments add up to ``total``
    exactly and no amount is split by a ratio (no kopeck to round)."""
    left = payments_left(original_receipt, earlier_refunds)
    order = [t for t in left if t != PaymentType.CASH]
    if PaymentType.CASH in left or not order:
        order.append(PaymentType.CASH.value)
    out, rest = [], money(total)
    for n, kind in enumerate(order):
        last = n == len(order) - 1
        amount = rest if last else min(rest, left.get(kind, ZERO))
        if amount > ZERO:
            out.append({"type": str(kind), "amount": amount})
        rest -= amount
    return out


def build_refund(original_receipt: Mapping, earlier_refunds: list[Mapping],
                 chosen: list[Mapping] | None = None) -> dict:
    """The ``*_refund`` receipt (loaded form: Decimals) refunding ``chosen`` lines of
    ``original_receipt`` — ``[{"index": n, "quantity": Decimal}]`` — or, with ``chosen``
    None or empty, everything that is left.

    Items keep the original's price, VAT, payment method and object, measure, agent,
    supplier and sku; amounts follow :func:`_line_amount`; the total is their sum; payments
    follow :func:`refund_payments`; taxation, customer and paperless are the original's.
    Raises :class:`marshmallow.ValidationError` at ``items.<position in chosen>.index`` /
    ``.quantity`` (a line that does not exist or is given twice; more than is left of it),
    or at ``items`` when nothing is left at all.
    """
    if original_receipt["operation"] in REFUND_OF:
        raise ValidationError({"operation": [
            f"a {original_receipt['operation']} receipt cannot be refunded"]})
    left = lines_left(original_receipt, earlier_refunds)
    originals = original_receipt["items"]
    if chosen:
        picks, errors = [], {}
        seen: set[int] = set()
        for pos, choice in enumerate(chosen):
            index, qty = choice["index"], quantity(choice["quantity"])
            if not 0 <= index < len(originals):
                errors[pos] = {"index": [f"the receipt has lines 0 to {len(originals) - 1}; "
                                         f"there is no line {index}"]}
            elif index in seen:
                errors[pos] = {"index": [f"line {index} is given twice"]}
            elif qty > left[index].quantity:
                what = describe(item_key(originals[index]))
                errors[pos] = {"quantity": [
                    f"refund quantity {qty} of line {index} ({what}) exceeds what is left to "
                    f"refund of it: {left[index].quantity}"]}
            else:
                picks.append((index, qty))
            seen.add(index)
        if errors:
            raise ValidationError({"items": errors})
    else:
        picks = [(line.index, line.quantity) for line in left if line.quantity > NO_QUANTITY]
        if not picks:
            raise ValidationError({"items": ["nothing is left to refund of this receipt"]})
    items, short = [], {}
    for pos, (index, qty) in enumerate(picks):
        item = originals[index]
        amount = _line_amount(item, qty, left[index])
        if amount is None:
            short[pos] = {"quantity": [
                f"line {index} ({describe(item_key(item))}) has {left[index].amount} of its "
                f"amount left, which is not price × {qty}: refund a smaller quantity, and the "
                "rest with a correction receipt"]}
            continue
        line = {k: item[k] for k in ITEM_FIELDS if k in item}
        line.update(quantity=qty, amount=amount)
        items.append(line)
    if short:
        raise ValidationError({"items": short})
    total = sum((i["amount"] for i in items), ZERO)
    if total == ZERO:       # e.g. 0.001 of a 0.01 item: no receipt can pay back nothing
        raise ValidationError({"items": [
            "what is chosen comes to 0.00: there is no money to pay back"]})
    refund = {"operation": {v: k for k, v in REFUND_OF.items()}[
                  Operation(original_receipt["operation"])].value,
              "taxation": original_receipt["taxation"], "items": items, "total": total,
              "payments": refund_payments(original_receipt, earlier_refunds, total)}
    for key in ("customer", "paperless"):
        if original_receipt.get(key) is not None:
            refund[key] = original_receipt[key]
    return refund
