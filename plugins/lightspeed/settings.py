"""Settings of a Lightspeed connection that the charge translation reads, with their defaults.

- ``payment_types``: Lightspeed payment method code (``payments[].methodCode``, defined by the
  venue in the Back Office) → ``room`` (charged to the guest's folio: the Back Office's
  "Charge to room" method, whose code must be ``IKPMS``) or a canonical payment type (``cash``,
  ``electronic``, ``prepaid``, ``credit``, ``other``). Default: ``IKPMS`` → room, ``CASH`` →
  cash, the usual card codes → electronic. A code not in the table is refused (the bill is
  rejected, naming the code) rather than fiscalized as a guess.
- ``vat_rates``: a tax line's ``taxRate`` multiplier (``1.2`` = 20 %) → VAT code. Default
  1.2 → vat20, 1.1 → vat10, 1.22 → vat22, 1.05 → vat5, 1.07 → vat7, 1 → vat0. ``untaxed_vat``
  (default ``none``) is the VAT of a line without tax lines and of an UNTAXED service charge.
- ``group_templates`` / ``revenue_center_templates``: accounting group (``groupId`` or
  ``groupName``) / revenue centre (``revenueCenterId`` or ``revenueCenterName``) → PMS charge
  template name; a line takes its group's template, else its revenue centre's, else
  ``default_template`` (``Restaurant``). ``service_charge_template`` (``Service charge``) and
  ``tip_template`` (``Tips``) name the templates of the service charge and of tips.
- ``taxation``: the venue's taxation system (default ``osn``).
- ``room_charge``: the fiscal treatment of the part charged to the room. ``credit`` (default):
  the receipt covers the whole bill and that part is paid "on credit" (payment type
  ``credit``; the items' payment method ``credit`` when all of it is, ``partial_payment``
  when part is) — the hotel settles it later on the folio. ``none``: the hub does not
  fiscalize it (the PMS fiscalizes the folio payment); the receipt covers only the part paid
  by cash/card, its items being the bill's items scaled down to that part.
- ``tips``: ``none`` (default): tips are not fiscalized — Lightspeed shows them tax-free, not as
  an item nor in an accounting group; a tip on a room charge is posted to the folio as a
  ``tip`` posting. ``item``: the fiscalized payments' tips are added to the receipt as one item
  (VAT ``untaxed_vat``, payment object ``service``).
- ``service_charge_name`` / ``tip_name``: the item names on the receipt.
"""
from __future__ import annotations


from marshmallow import Schema, ValidationError, fields, post_load, validate

from fiscal import money
from fiscal.model import PaymentType, Taxation, Vat

ROOM = "room"
PAYMENT_TARGETS = [ROOM] + [t.value for t in PaymentType]

DEFAULT_PAYMENT_TYPES = {
    "IKPMS": ROOM, "CASH": "cash",
    "CARD": "electronic", "CREDITCARD": "electronic", "DEBITCARD": "electronic",
    "VISA": "electronic", "MASTERCARD": "electronic", "MAESTRO": "electronic",
    "AMEX": "electronic", "MIR": "electronic", "LSPAY": "electronic",
}
DEFAULT_VAT_RATES = {"1.2": "vat20", "1.1": "vat10", "1.22": "vat22", "1.05": "vat5",
                     "1.07": "vat7", "1": "vat0"}

DEFAULTS = {
    "payment_types": DEFAULT_PAYMENT_TYPES,
    "vat_rates": DEFAULT_VAT_RATES,
    "untaxed_vat": "none",
    "group_templates": {},
    "revenue_center_templates": {},
    "default_template": "Restaurant",
    "service_charge_template": "Service charge",
    "tip_template": "Tips",
    "taxation": "osn",
    "room_charge": "credit",
    "tips": "none",
    "service_charge_name": "Сервисный сбор",
    "tip_name": "Чаевые",
}


# one reading of tax-rate keys for every connector
rate_key = money.rate_key


def _name(**kwargs):
    return fields.String(validate=validate.Length(min=1, max=128), **kwargs)


def _table(values):
    return fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=128)),
                       values=values)


class LightspeedTranslationSettings(Schema):
    """The translation's part of a Lightspeed connection's settings (see the module docstring)."""

    payment_types = _table(fields.String(validate=validate.OneOf(PAYMENT_TARGETS)))
    vat_rates = _table(fields.String(validate=validate.OneOf([v.value for v in Vat])))
    untaxed_vat = fields.String(validate=validate.OneOf([v.value for v in Vat]))
    group_templates = _table(_name())
    revenue_center_templates = _table(_name())
    default_template = _name()
    service_charge_template = _name()
    tip_template = _name()
    taxation = fields.String(validate=validate.OneOf([t.value for t in Taxation]))
    room_charge = fields.String(validate=validate.OneOf(["credit", "none"]))
    tips = fields.String(validate=validate.OneOf(["none", "item"]))
    service_charge_name = _name()
    tip_name = _name()

    @post_load
    def _defaults(self, data, **kwargs):
        return with_defaults(data)


def with_defaults(settings: dict | None) -> dict:
    """``settings`` with every missing key at its default and the tables' keys normalised
    (payment codes upper-case, tax rates as :func:`rate_key`)."""
    out = {k: (dict(v) if isinstance(v, dict) else v) for k, v in DEFAULTS.items()}
    out.update({k: v for k, v in (settings or {}).items() if v is not None})
    out["payment_types"] = {str(k).strip().upper(): v for k, v in out["payment_types"].items()}
    try:
        out["vat_rates"] = {rate_key(k): v for k, v in out["vat_rates"].items()}
    except ValueError as exc:
        raise ValidationError({"vat_rates": [str(exc)]}) from None
    return out
