"""Lightspeed K-Series charge bodies for tests, shaped as the published schema
(/work/shared/reference/lightspeed-pms-charge.schema.json): money as JSON numbers (floats, as
a plain json.loads gives them) unless a test says otherwise."""
from __future__ import annotations


def sale(desc, qty, amount, rate=1.2, tax=None, **extra):
    line = {"type": "Sale", "description": desc, "quantity": qty, "amount": amount,
            "unitAmount": amount / qty if qty else 0, **extra}
    if rate is not None:
        line["taxLines"] = [{"taxId": "1", "taxName": "VAT", "taxRate": rate,
                             "taxAmount": tax if tax is not None else 0.0,
                             "taxIncluded": tax is None}]
    return line


def bill(transactions, payments, **extra):
    return {"name": "Table 4", "uuid": "xfe9ldKWSfW8VrAYUcnvGA==", "receiptId": "R51.3",
            "fiscId": "A1234.5", "ownerName": "Ivanova", "revenueCenterId": 101,
            "revenueCenterName": "Fixed POS", "transactions": transactions,
            "payments": payments, **extra}


def pay(code, amount, **extra):
    return {"methodCode": code, "methodName": code.title(), "amount": amount, **extra}
