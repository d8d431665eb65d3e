"""A fiscalhub connector for TinyPOS, a made-up restaurant POS (the example of
docs/writing-a-connector.md).

TinyPOS posts a JSON webhook with its shared secret in ``X-TinyPOS-Secret``::

    {"event_id": "evt_1", "type": "bill.closed", "occurred_at": "2026-11-20T21:14:03+03:00",
     "bill": {"id": "B-1042", "waiter": "Иванова А.",
              "lines": [{"name": "Борщ", "qty": "2", "price": "350.00", "vat": "vat20"}],
              "payments": [{"method": "cash", "amount": "1000.00"}], "tip": "50.00"}}

A closed bill becomes one sell receipt (routed by the connection) and, when there is a tip, a
tip posting for the waiter; ``bill.opened`` needs nothing; any other type is refused.

Tips go back to TinyPOS's ``tips_url`` (``POST {"bill", "waiter", "amount"}`` with an
``Idempotency-Key`` header, which TinyPOS honours: a tip sent twice is booked once).
"""
from __future__ import annotations

import json
from datetime import datetime
from decimal import Decimal, InvalidOperation

from marshmallow import Schema, fields, validate

import requests

from hub.connectors import (Connector, FiscalJobIntent, InboundRequest, PostingIntent,
                            PostingNotDelivered, PostingRefused, SourceEvent, TranslationError,
                            VerificationFailed, verify_shared_secret)
from hub.hookspecs import hookimpl

__version__ = "0.1.0"

SECRET_HEADER = "X-TinyPOS-Secret"
PAYMENT_TYPES = {"cash": "cash", "card": "electronic", "voucher": "prepaid"}
CENT = Decimal("0.01")


def _when(text):
    return datetime.fromisoformat(text) if text else None


class TinyPosSettings(Schema):
    secret = fields.String(required=True, validate=validate.Length(min=8))
    taxation = fields.String(load_default="osn", validate=validate.OneOf(
        ["osn", "usn_income", "usn_income_outcome", "esn", "patent"]))
    default_vat = fields.String(load_default="vat20")
    tips_url = fields.Url(load_default=None, allow_none=True)


class ExampleConnector(Connector):
    name = "example"
    title = "TinyPOS (example)"
    version = __version__
    settings_schema = TinyPosSettings
    secret_settings = ("secret",)
    settings_example = {"secret": "tinypos-example-secret", "taxation": "osn"}
    idempotent_postings = True          # TinyPOS books a tip once per Idempotency-Key

    def verify(self, request: InboundRequest) -> None:
        verify_shared_secret(request, SECRET_HEADER, self.settings["secret"])

    def parse(self, request: InboundRequest) -> list[SourceEvent]:
        try:
            doc = json.loads(request.body)
            return [SourceEvent(event_id=str(doc["event_id"]), type=str(doc["type"]),
                                payload=doc.get("bill") or {},
                                occurred_at=_when(doc.get("occurred_at")))]
        except (ValueError, KeyError, TypeError) as exc:
            raise VerificationFailed(f"not a TinyPOS webhook: {exc!r}") from None

    def translate(self, event: SourceEvent) -> list:
        if event.type == "bill.opened":
            return []
        if event.type != "bill.closed":
            raise TranslationError(f"TinyPOS event type {event.type!r} is not supported")
        bill = event.payload
        try:
            return self._closed_bill(bill)
        except (KeyError, TypeError, InvalidOperation) as exc:
            raise TranslationError(f"bill {bill.get('id')!r} is malformed: {exc!r}") from None

    def _closed_bill(self, bill: dict) -> list:
        items = []
        for line in bill["lines"]:
            price, qty = Decimal(str(line["price"])), Decimal(str(line["qty"]))
            items.append({"name": line["name"], "price": str(price), "quantity": str(qty),
                          "amount": str((price * qty).quantize(CENT)),
                          "vat": line.get("vat") or self.settings["default_vat"]})
        total = sum((Decimal(i["amount"]) for i in items), Decimal("0.00"))
        payments = []
        for p in bill["payments"]:
            if p["method"] not in PAYMENT_TYPES:
                raise TranslationError(f"unknown TinyPOS payment method {p['method']!r}")
            payments.append({"type": PAYMENT_TYPES[p["method"]],
                             "amount": str(Decimal(str(p["amount"])))})
        job = {"kind": "receipt", "receipt": {
            "operation": "sell", "taxation": self.settings["taxation"], "items": items,
            "payments": payments, "total": str(total)}}
        if bill.get("waiter"):
            job["cashier"] = {"name": bill["waiter"]}
        intents: list = [FiscalJobIntent(job=job, idempotency_key=f"tinypos:{bill['id']}:sell")]
        tip = Decimal(str(bill.get("tip") or "0"))
        if tip > 0:
            intents.append(PostingIntent(kind="tip", target=bill.get("waiter") or "house",
                                         amount=tip, payload={"bill": bill["id"]},
                                         idempotency_key=f"tinypos:{bill['id']}:tip"))
        return intents


    def send_posting(self, posting: PostingIntent, http) -> dict:
        url = self.settings.get("tips_url")
        if not url:
            raise PostingRefused("tips_url is not set: TinyPOS cannot receive the tip")
        try:
            resp = http.post(url, json={"bill": posting.payload.get("bill"),
                                        "waiter": posting.target, "amount": str(posting.amount)},
                             headers={"Idempotency-Key": posting.idempotency_key})
        except requests.ConnectionError as exc:
            if isinstance(exc, requests.ConnectTimeout) or "refused" in str(exc).lower():
                raise PostingNotDelivered(f"TinyPOS is not reachable: {exc}") from None
            raise                       # it may have arrived: the hub resends (idempotent)
        if resp.status_code in (429, 502, 503, 504):
            raise PostingNotDelivered(f"TinyPOS answered {resp.status_code}",
                                      retry_after=_seconds(resp.headers.get("Retry-After")))
        if 400 <= resp.status_code < 500:
            raise PostingRefused(f"TinyPOS refused the tip: {resp.status_code} {resp.text[:200]}")
        resp.raise_for_status()         # another 5xx: it may have arrived
        return resp.json() if resp.content else {}


def _seconds(value):
    try:
        return float(value) if value else None
    except ValueError:
        return None


@hookimpl
def fiscalhub_register_connectors():
    return [ExampleConnector]
