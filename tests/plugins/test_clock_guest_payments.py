"""The PURE translation of Clock payments and folio voids into receipts, the contract kit over
the connector and its golden files, settings, verify and parse."""
from __future__ import annotations

import json
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings as hsettings
from hypothesis import strategies as st
from marshmallow import ValidationError

from fiscal.schemas import load_job
from hub.connector_kit import check_connector, run_translate
from hub.connectors import (InboundRequest, SourceEvent, TranslationError, VerificationFailed,
                            check_intents)
from plugins.clock_pms.connector import ClockPmsConnector, shared_limiter

GOLDEN = Path(__file__).resolve().parents[2] / "plugins" / "clock_pms" / "golden"
SETTINGS = json.loads((GOLDEN / "settings.json").read_text())
BOOKING = {"id": 501, "checkin_status": "checked_out", "arrival": "2026-11-18",
           "departure": "2026-11-20", "first_name": "Anna", "last_name": "Ivanova"}
CHARGES = [
    {"id": 5001, "text": "Проживание", "price_cents": 600000, "qty": 1, "tax_rate": "0"},
    {"id": 5002, "text": "Проживание", "price_cents": 600000, "qty": 1, "tax_rate": "0"},
    {"id": 5003, "text": "Restaurant LS R51.3 fh:6ab9f1eb8f7d", "price_cents": 140000,
     "qty": 1, "tax_rate": "0.22"},
    {"id": 5004, "text": "Minibar", "price_cents": 30000, "qty": 1, "tax_rate": "0.22"},
    {"id": 5005, "text": "Minibar", "price_cents": 30000, "qty": -1, "tax_rate": "0.22"},
]
PREPAID = {"id": 9001, "value_cents": 700000, "payment_type": "card",
           "created_at": "2026-11-10T10:00:00+00:00"}
CHECKOUT = {"id": 9002, "value_cents": 640000, "payment_type": "Cash",
            "created_at": "2026-11-20T08:30:00+00:00"}


def connector(**overrides):
    return ClockPmsConnector.from_settings({**SETTINGS, **overrides})


def event(ci, booking=BOOKING, charges=CHARGES, items=(PREPAID, CHECKOUT), type_="payment"):
    return SourceEvent(f"{type_}:{ci['id'] if ci else 1001}", type_, {
        "subject": "payment_create", "message": {}, "credit_item": ci,
        "folio": {"id": 1001, "booking_id": 501}, "booking": booking, "charges": list(charges),
        "credit_items": list(items)})


def receipt(intent):
    load_job({**intent.job, "register": "r"})            # valid for the canonical schema
    return intent.job["receipt"]


# --- payments ----------------------------------------------------------------------------------
def test_a_payment_before_the_stay_is_a_full_prepayment_at_22_122():
    booking = {**BOOKING, "checkin_status": "confirmed"}
    [intent] = connector().translate(event(PREPAID, booking, charges=[], items=[PREPAID]))
    assert intent.idempotency_key == "clock:payment:9001"
    r = receipt(intent)
    assert r == {"operation": "sell", "taxation": "osn", "total": "7000.00",
                 "items": [{"name": "Предоплата за проживание, бронь 501", "price": "7000.00",
                            "quantity": "1", "amount": "7000.00", "vat": "vat122",
                            "payment_method": "full_prepayment", "payment_object": "service"}],
                 "payments": [{"type": "electronic", "amount": "7000.00"}]}


def test_a_payment_dated_before_arrival_is_a_prepayment_whatever_the_status_says():
    [intent] = connector().translate(event(PREPAID, charges=[], items=[PREPAID]))
    assert receipt(intent)["items"][0]["payment_method"] == "full_prepayment"


def test_the_check_out_payment_sells_the_folio_offsetting_the_prepayment():
    [intent] = connector().translate(event(CHECKOUT))
    r = receipt(intent)
    assert intent.idempotency_key == "clock:payment:9002"
    assert [(i["name"], i["price"], i["quantity"], i["amount"], i["vat"]) for i in r["items"]] \
        == [("Проживание", "6000.00", "2", "12000.00", "vat0"),
            ("Restaurant LS R51.3", "1400.00", "1", "1400.00", "vat22")]
    # the restaurant bill fiscalhub posted was fiscalized by the POS on credit: paid off now
    assert [(i["payment_method"], i["payment_object"]) for i in r["items"]] == [
        ("full_payment", "service"), ("credit_payment", "payment")]
    [posted] = connector(posted_charges="full_payment").translate(event(CHECKOUT))
    assert receipt(posted)["items"][1]["payment_method"] == "full_payment"
    assert r["total"] == "13400.00"
    assert r["payments"] == [{"type": "cash", "amount": "6400.00"},
                             {"type": "prepaid", "amount": "7000.00"}]


def test_a_refund_before_the_stay_and_after_it_are_sell_refunds():
    refund = {"id": 9003, "value": "-7000.00", "payment_type": "card",
              "created_at": "2026-11-12T10:00:00+00:00"}
    [before] = connector().translate(event(refund, {**BOOKING, "checkin_status": "canceled"}))
    r = receipt(before)
    assert (r["operation"], r["total"], r["items"][0]["payment_method"]) == (
        "sell_refund", "7000.00", "full_prepayment")
    late = {**refund, "value": "-500", "created_at": "2026-11-21T10:00:00+00:00"}
    [after] = connector().translate(event(late, charges=CHARGES[:2]))
    r = receipt(after)
    assert (r["operation"], r["total"]) == ("sell_refund", "500.00")
    assert (r["items"][0]["name"], r["items"][0]["vat"], r["items"][0]["payment_method"]) == (
        "Услуги проживания", "vat0", "full_payment")
    with pytest.raises(TranslationError) as mixed:         # two VAT rates: which one?
        connector().translate(event(late))
    assert "credit_item.value" in mixed.value.errors


def test_an_unknown_payment_type_is_refused_naming_it_and_none_is_not_fiscalized():
    with pytest.raises(TranslationError) as exc:
        connector().translate(event({**PREPAID, "payment_type": "Barter"}))
    assert "'Barter' is not in payment_types" in exc.value.reason
    assert list(exc.value.errors) == ["credit_item.payment_type"]
    c = connector(payment_types={"bank_transfer": "none", "card": "electronic"})
    assert c.translate(event({**PREPAID, "payment_type": "BANK_TRANSFER"})) == []
    assert connector(fiscalize_payments=False).translate(event(PREPAID)) == []


def test_a_payment_that_does_not_settle_the_folio_is_refused_or_an_advance():
    deposit = {**CHECKOUT, "value_cents": 100000}
    with pytest.raises(TranslationError) as exc:
        connector().translate(event(deposit))
    assert exc.value.errors.keys() == {"credit_item.value"}
    assert "1000.00 plus earlier payments 7000.00 = 8000.00 do not settle its charges " \
           "13400.00" in exc.value.reason
    [advance] = connector(partial_payments="prepayment").translate(event(deposit))
    assert receipt(advance)["items"][0]["payment_method"] == "full_prepayment"


def test_unknown_tax_rates_and_missing_fields_name_the_field():
    with pytest.raises(TranslationError) as exc:
        connector().translate(event(CHECKOUT, charges=[{**CHARGES[0], "tax_rate": "0.18"}]))
    assert exc.value.errors.keys() == {"charges[0].tax_rate"}
    with pytest.raises(TranslationError) as exc:
        connector().translate(event({"id": 9, "payment_type": "cash"}))
    assert exc.value.errors.keys() == {"credit_item.value"}
    with pytest.raises(TranslationError) as exc:
        connector().translate(event(None))
    assert exc.value.errors.keys() == {"credit_item"}
    with pytest.raises(TranslationError) as exc:
        connector().translate(SourceEvent("x", "booking_new", {}))
    assert exc.value.errors.keys() == {"type"}


cents = st.integers(min_value=1, max_value=5_000_000)


@hsettings(max_examples=150, deadline=None)
@given(charges=st.lists(st.tuples(cents, st.integers(1, 5), st.sampled_from(["0", "0.22",
                                                                             "0.1"])),
                        min_size=1, max_size=8),
       prepaid=st.lists(cents, max_size=3), split=st.floats(0, 1))
def test_a_check_out_receipts_payments_always_add_up_to_its_total(charges, prepaid, split):
    rows = [{"id": n, "text": f"Service {n}", "price_cents": p, "qty": q, "tax_rate": r}
            for n, (p, q, r) in enumerate(charges)]
    total = sum(p * q for p, q, _ in charges)
    earlier = [{"id": 100 + n, "value_cents": v, "payment_type": "card",
                "created_at": "2026-11-10T10:00:00+00:00"} for n, v in enumerate(prepaid)]
    paid_before = sum(prepaid)
    if paid_before >= total:
        paid_before, earlier = 0, []
    now = {"id": 999, "value_cents": total - paid_before, "payment_type": "cash",
           "created_at": "2026-11-20T10:00:00+00:00"}
    [intent] = check_intents(connector().translate(event(now, charges=rows,
                                                         items=earlier + [now])))
    r = receipt(intent)
    assert sum(Decimal(p["amount"]) for p in r["payments"]) == Decimal(r["total"]) == \
        Decimal(total).scaleb(-2)
    assert sum(Decimal(i["amount"]) for i in r["items"]) == Decimal(r["total"])
    assert Decimal(next((p["amount"] for p in r["payments"] if p["type"] == "prepaid"),
                        "0")) == Decimal(paid_before).scaleb(-2)


# --- folio voids -------------------------------------------------------------------------------
def void_event(items=(PREPAID,)):
    return SourceEvent("folio_void:1001", "folio_void", {
        "subject": "folio_void", "message": {"folio_id": 1001, "closed": False},
        "folio": {"id": 1001}, "booking": {**BOOKING, "checkin_status": "canceled"},
        "charges": [], "credit_items": list(items)})


def test_a_voided_folio_with_payments_is_refused_for_an_operator_or_refunded():
    with pytest.raises(TranslationError) as exc:
        connector().translate(void_event())
    assert "folio 1001 was voided" in exc.value.reason and "9001" in exc.value.reason
    assert connector().translate(void_event(items=[])) == []
    assert connector(folio_void="ignore").translate(void_event()) == []
    [refund] = connector(folio_void="refund").translate(void_event())
    assert refund.idempotency_key == "clock:payment:9001:void"
    r = receipt(refund)
    assert (r["operation"], r["total"], r["items"][0]["payment_method"]) == (
        "sell_refund", "7000.00", "full_prepayment")


# --- settings, verify, parse, the contract kit ---------------------------------------------------
def test_settings_have_clear_messages_and_defaults():
    with pytest.raises(ValidationError) as exc:
        ClockPmsConnector.load_settings({**SETTINGS, "push_secret": "short", "currency": "rub",
                                         "payment_types": {"card": "plastic"}})
    assert set(exc.value.messages) == {"push_secret", "currency", "payment_types"}
    loaded = ClockPmsConnector.load_settings(ClockPmsConnector.settings_example)
    assert (loaded["api_type"], loaded["currency"], loaded["taxation"],
            loaded["prepayment_vat"], loaded["fiscalize_payments"]) == (
        "pms_api", "RUB", "osn", "vat122", True)
    assert ClockPmsConnector.masked_settings(loaded)["api_key"] == "********"
    assert shared_limiter(loaded) is shared_limiter(dict(loaded))
    assert shared_limiter(loaded) is not shared_limiter({**loaded, "account_id": 1})


def request(query, body="{}"):
    return InboundRequest("POST", "/hooks/c", {}, query, body.encode(),
                          datetime(2026, 11, 20, tzinfo=timezone.utc))


def test_verify_checks_the_secret_in_the_query_and_parse_reads_enriched_notifications():
    c = connector()
    c.verify(request({"secret": SETTINGS["push_secret"]}))
    for query in ({}, {"secret": "wrong"}, {"secret": SETTINGS["push_secret"] + "x"}):
        with pytest.raises(VerificationFailed):
            c.verify(request(query))
    doc = json.loads((GOLDEN / "prepayment.request.json").read_text())
    [parsed] = c.parse(InboundRequest.from_json(doc))
    assert parsed.event_id == "payment:9001" and parsed.payload["credit_item"]["id"] == 9001
    plain = {"Type": "Notification", "Subject": "payment_create",
             "Message": json.dumps({"credit_item_id": 1, "folio_id": 2})}
    with pytest.raises(VerificationFailed, match="/push"):
        c.parse(request({}, json.dumps(plain)))
    assert c.parse(request({}, json.dumps({**plain, "Subject": "booking_new"}))) == []
    with pytest.raises(VerificationFailed):
        c.parse(request({}, "[1]"))


def test_the_connector_passes_the_contract_kit_with_its_golden_cases():
    assert len(list(GOLDEN.glob("*.request.json"))) >= 2
    assert check_connector(ClockPmsConnector, entry_point="clock_pms", golden_dir=GOLDEN) == []
    out = run_translate(ClockPmsConnector, SETTINGS,
                        json.loads((GOLDEN / "checkout.request.json").read_text()))
    [ev] = out["events"]
    assert ev["intents"][0]["job"]["receipt"]["payments"] == [
        {"type": "cash", "amount": "6400.00"}, {"type": "prepaid", "amount": "7000.00"}]
