"""A Clock PMS+ connection's settings (marshmallow), with their documented defaults.

Access to Clock: ``region`` (e.g. ``sky-eu1``), ``subscription_id``, ``account_id``,
``api_user``, ``api_key`` (HTTP Digest), ``api_type`` (default ``pms_api``; each endpoint is
called under the API type Clock documents for it anyway). ``push_secret`` (16+ characters) is
the ``secret`` query parameter of the push URL ``https://<hub>/hooks/<connection id>/push``.

Postings: ``currency`` (ISO 4217, default ``RUB``); ``charge_templates`` — template NAME (as
the POS connector writes it, e.g. ``Restaurant``) → Clock ``charge_template_id``; a name not in
the map is looked up by ``text`` among ``GET charge_templates`` (case-insensitive).
End of day: ``eod_company_id`` (the company record that holds the day's revenue),
``eod_document_type_id`` (the document type the EOD folio is closed with), ``eod_payment_types``
(canonical payment type or POS method code → Clock ``payment_type`` of the credit items;
default ``cash`` → ``cash``, ``electronic`` → ``card``, ``prepaid`` → ``prepaid``, ``credit``
→ ``credit``, ``other`` → ``other``).

Guest payments (:mod:`plugins.clock_pms.guest_payments`): ``fiscalize_payments`` (default
true), ``payment_types`` (Clock ``payment_type`` → ``cash``/``electronic``/``prepaid``/
``credit``/``other``, or ``none`` = not fiscalized by the hub; keys case-insensitive; defaults
in :data:`DEFAULT_PAYMENT_TYPES`), ``taxation`` (``osn``), ``prepayment_vat`` (``vat122``),
``vat_rates`` (a charge's ``tax_rate`` fraction → VAT; ``0.22`` → vat22, ``0.2`` → vat20,
``0.1`` → vat10, ``0.07`` → vat7, ``0.05`` → vat5, ``0`` → vat0), ``untaxed_vat`` (``none``:
a charge without a ``tax_rate``), ``prepayment_item_name``, ``refund_item_name``,
``posted_charges`` (``credit_payment``: a charge fiscalhub posted from a POS, which
fiscalized it on credit, is settled as ``credit_payment``; ``full_payment``: when the POS does
not fiscalize room charges), ``partial_payments`` (``refuse``: a payment during the stay
that does not settle the folio is rejected for an operator; ``prepayment``: it is fiscalized as an advance) and ``folio_void``
(``refuse``: a voided folio with payments is rejected for an operator; ``refund``: one
``sell_refund`` per payment; ``ignore``).
"""
from __future__ import annotations

import re

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from fiscal import money
from fiscal.model import PaymentType, Taxation, Vat

from .client import API_TYPES, PMS_API

NOT_FISCALIZED = "none"
DEFAULT_PAYMENT_TYPES = {
    "cash": "cash", "card": "electronic", "credit_card": "electronic",
    "debit_card": "electronic", "on-line": "electronic", "online": "electronic",
    "sbp": "electronic", "voucher": "prepaid", "gift_card": "prepaid",
}
DEFAULT_EOD_PAYMENT_TYPES = {"cash": "cash", "electronic": "card", "prepaid": "prepaid",
                             "credit": "credit", "other": "other"}
DEFAULT_VAT_RATES = {"0.22": "vat22", "0.2": "vat20", "0.1": "vat10", "0.07": "vat7",
                     "0.05": "vat5", "0": "vat0"}
_REGION = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_CURRENCY = re.compile(r"^[A-Z]{3}$")
VATS = [v.value for v in Vat]


# one reading of tax-rate keys for every connector
rate_key = money.rate_key


def _text(min_len=1, max_len=128, **kw):
    return fields.String(validate=validate.Length(
        min=min_len, max=max_len, error=f"must be {min_len}-{max_len} characters"), **kw)


def _id(**kw):
    return fields.Integer(strict=False, validate=validate.Range(
        min=1, error="must be a positive Clock id"), **kw)


def _table(values, **kw):
    return fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=128)),
                       values=values, **kw)


class ClockSettings(Schema):
    region = fields.String(required=True)
    subscription_id = _id(required=True)
    account_id = _id(required=True)
    api_user = _text(required=True)
    api_key = _text(required=True, max_len=256)
    api_type = fields.String(load_default=PMS_API, validate=validate.OneOf(
        API_TYPES, error="must be one of {choices}"))
    push_secret = fields.String(required=True, validate=validate.Length(
        min=16, max=256, error="must be 16-256 characters (it authenticates Clock's pushes)"))
    currency = fields.String(load_default="RUB")
    charge_templates = _table(_id(), load_default=dict)
    eod_company_id = _id(load_default=None, allow_none=True)
    eod_document_type_id = _id(load_default=None, allow_none=True)
    eod_payment_types = _table(_text(max_len=64), load_default=None, allow_none=True)
    fiscalize_payments = fields.Boolean(load_default=True)
    payment_types = _table(fields.String(validate=validate.OneOf(
        [t.value for t in PaymentType] + [NOT_FISCALIZED],
        error="must be one of {choices}")), load_default=None, allow_none=True)
    taxation = fields.String(load_default="osn", validate=validate.OneOf(
        [t.value for t in Taxation], error="must be one of {choices}"))
    prepayment_vat = fields.String(load_default="vat122", validate=validate.OneOf(
        VATS, error="must be one of {choices}"))
    vat_rates = _table(fields.String(validate=validate.OneOf(
        VATS, error="must be one of {choices}")), load_default=None, allow_none=True)
    untaxed_vat = fields.String(load_default="none", validate=validate.OneOf(
        VATS, error="must be one of {choices}"))
    prepayment_item_name = _text(max_len=100, load_default="Предоплата за проживание")
    refund_item_name = _text(max_len=100, load_default="Услуги проживания")
    partial_payments = fields.String(load_default="refuse", validate=validate.OneOf(
        ["refuse", "prepayment"], error="must be one of {choices}"))
    posted_charges = fields.String(load_default="credit_payment", validate=validate.OneOf(
        ["credit_payment", "full_payment"], error="must be one of {choices}"))
    folio_void = fields.String(load_default="refuse", validate=validate.OneOf(
        ["refuse", "refund", "ignore"], error="must be one of {choices}"))

    @validates("region")
    def _region(self, value, **kwargs):
        if not _REGION.match(str(value).strip().lower()):
            raise ValidationError("not a Clock region (the host's first label, e.g. 'sky-eu1')")

    @validates("currency")
    def _currency(self, value, **kwargs):
        if not _CURRENCY.match(value):
            raise ValidationError("must be an ISO 4217 code in capitals, e.g. 'RUB'")

    @post_load
    def _defaults(self, data, **kwargs):
        data["region"] = data["region"].strip().lower()
        data["eod_payment_types"] = {
            str(k).strip().lower(): v
            for k, v in (data.get("eod_payment_types") or DEFAULT_EOD_PAYMENT_TYPES).items()}
        data["payment_types"] = {
            str(k).strip().lower(): v
            for k, v in (data.get("payment_types") or DEFAULT_PAYMENT_TYPES).items()}
        try:
            data["vat_rates"] = {rate_key(k): v for k, v in
                                 (data.get("vat_rates") or DEFAULT_VAT_RATES).items()}
        except ValueError as exc:
            raise ValidationError({"vat_rates": [str(exc)]}) from None
        # names are matched case-insensitively, as the template lookup by text is
        data["charge_templates"] = {str(k).strip().lower(): v
                                    for k, v in data["charge_templates"].items()}
        return data


EXAMPLE = {"region": "sky-eu1", "subscription_id": 172528, "account_id": 16307,
           "api_user": "fiscalhub", "api_key": "clock-api-key",
           "push_secret": "change-me-to-a-long-random-secret",
           "charge_templates": {"Restaurant": 367891, "Tips": 367892},
           "eod_company_id": 77, "eod_document_type_id": 5}
