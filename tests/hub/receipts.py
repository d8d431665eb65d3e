"""Canonical jobs used across the hub tests."""
import copy


def receipt_job(register_id: str, **receipt_overrides) -> dict:
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
