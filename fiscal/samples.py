"""A sample canonical job: the one the docs, the tests and the benchmarks post."""
from __future__ import annotations

import copy


def sample_receipt(register_id: str, **receipt_overrides) -> dict:
    """A restaurant bill of 850.50: two items at VAT 20 %, paid 1000.00 in cash."""
    job = {
        "kind": "receipt",
        "register": register_id,
        "cashier": {"name": "Иванова А.", "inn": "500100732259"},
        "receipt": {
            "operation": "sell",
            "taxation": "osn",
            "items": [
                {"name": "Борщ", "price": "350.00", "quantity": "2", "amount": "700.00",
                 "vat": "vat20", "payment_method": "full_payment", "payment_object": "commodity"},
                {"name": "Чай", "price": "150.50", "quantity": "1", "amount": "150.50",
                 "vat": "vat20"},
            ],
            "payments": [{"type": "cash", "amount": "1000.00"}],
            "total": "850.50",
        },
    }
    job["receipt"].update(copy.deepcopy(receipt_overrides))
    return job
