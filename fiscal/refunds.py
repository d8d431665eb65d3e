"""What is left to refund of a receipt (pure: the caller reads the receipts from the ledger).

"A refund may name the job it refunds and may not exceed what is left to refund of it."
(DESIGN.md). All receipts here are loaded receipt dicts, as :func:`fiscal.schemas.load_job`
returns them under ``"receipt"``.

Items are matched by their **key**: the ``sku`` when the item has one, else ``(name, price)``.
Lines of the original with the same key are added together, and so are the lines of a refund:
a refund cannot get past a limit by splitting a line in two. Each key has a quantity and an
amount left; the receipt has a total left. A refund is accepted when none of the three is
exceeded, so a refund of exactly what is left is accepted and nothing is ever refunded twice.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

from marshmallow import ValidationError

from fiscal.model import REFUND_OF, Operation
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
