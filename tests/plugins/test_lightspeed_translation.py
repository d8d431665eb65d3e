"""The pure translation of a Lightspeed K-Series charge body (plugins/lightspeed/translation.py).

Bodies follow /work/shared/reference/lightspeed-pms-charge.schema.json; money arrives as JSON
numbers (floats here, as a plain json.loads gives them) unless a test says otherwise.
"""
from __future__ import annotations

import copy
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from marshmallow import ValidationError

from fiscal.schemas import load_job
from hub.connectors import (MAX_KEY, FiscalJobIntent, PostingIntent, TranslationError,
                            check_intents)
from plugins.lightspeed.settings import LightspeedTranslationSettings
from plugins.lightspeed.translation import translate_charge

from lightspeed_bills import bill, pay, sale

D = Decimal


def run(body, settings=None):
    intents = check_intents(translate_charge(body, settings or {}))
    jobs = [i for i in intents if isinstance(i, FiscalJobIntent)]
    postings = [i for i in intents if isinstance(i, PostingIntent)]
    return jobs, postings


def receipt(job_intent):
    loaded = load_job(dict(job_intent.job, register="r1"))
    return loaded["receipt"]


def figures(r):
    return ([(i["name"], i["quantity"], i["price"], i["amount"], i["vat"]) for i in r["items"]],
            [(p["type"], p["amount"]) for p in r["payments"]], r["total"])


# -- the bills ---------------------------------------------------------------------------------

def test_cash_bill_with_tax_included_amounts():
    body = bill([sale("Borscht", 2, 700.0, tax=116.67), sale("Tea", 1, 150.5, rate=1.1, tax=13.68)],
                [pay("CASH", 850.5)])
    # tax-included: 700 + 150.50 = 850.50 = the cash paid
    body["transactions"][0]["taxLines"][0]["taxIncluded"] = True
    jobs, postings = run(body)
    assert postings == []
    assert jobs[0].idempotency_key == "lightspeed:xfe9ldKWSfW8VrAYUcnvGA==:sell"
    r = receipt(jobs[0])
    assert r["operation"] == "sell" and r["taxation"] == "osn"
    assert figures(r) == ([("Borscht", D("2.000"), D("350.00"), D("700.00"), "vat20"),
                           ("Tea", D("1.000"), D("150.50"), D("150.50"), "vat10")],
                          [("cash", D("850.50"))], D("850.50"))
    assert {i["payment_method"] for i in r["items"]} == {"full_payment"}
    assert jobs[0].job["cashier"] == {"name": "Ivanova"}
    assert isinstance(jobs[0].job["receipt"]["total"], str)


def test_card_bill_with_pre_tax_amounts():
    # the OpenAPI's reading: amount 20.00 pre-tax + 4.00 tax = 24.00 paid by card
    body = bill([sale("Burger", 2, 20.0, tax=4.0), sale("Water", 1, 8.33, tax=1.6667)],
                [pay("VISA", 34.0)])
    jobs, postings = run(body)
    r = receipt(jobs[0])
    assert figures(r) == ([("Burger", D("2.000"), D("12.00"), D("24.00"), "vat20"),
                           ("Water", D("1.000"), D("10.00"), D("10.00"), "vat20")],
                          [("electronic", D("34.00"))], D("34.00"))
    assert postings == []


def test_rounding_leftover_of_unrounded_taxes_goes_to_the_largest_line():
    # 2 × (8.33 + 1.6667) = 19.9934, paid 19.99: each line rounds to 10.00, one kopeck too many
    body = bill([sale("Water", 1, 8.33, tax=1.6667), sale("Juice", 1, 8.33, tax=1.6667)],
                [pay("CASH", 19.99)])
    r = receipt(run(body)[0][0])
    assert [i["amount"] for i in r["items"]] == [D("9.99"), D("10.00")]
    assert r["total"] == D("19.99")


def test_the_same_bill_in_both_conventions_gives_the_same_receipt():
    included = bill([sale("Steak", 1, 36.0, tax=6.0)], [pay("CARD", 36.0)])
    pretax = bill([sale("Steak", 1, 30.0, tax=6.0)], [pay("CARD", 36.0)])
    assert figures(receipt(run(included)[0][0])) == figures(receipt(run(pretax)[0][0]))


def test_fully_charged_to_the_room_with_a_tip():
    # the tip is inside the payment's amount (the glossary: "tips are part of the payment")
    body = bill([sale("Burger", 1, 30.0, groupId=7, groupName="Food"),
                 sale("Beer", 2, 20.0, groupName="Drinks")],
                [pay("IKPMS", 55.0, gratuity=5.0, reservationId="001")])
    settings = {"group_templates": {"7": "Kitchen", "Drinks": "Bar"}}
    jobs, postings = run(body, settings)
    r = receipt(jobs[0])
    assert figures(r)[1:] == ([("credit", D("50.00"))], D("50.00"))
    assert {i["payment_method"] for i in r["items"]} == {"credit"}
    [room] = postings       # the tip rides with the charge: both land or neither
    assert (room.kind, room.target, room.amount) == ("room_charge", "001", D("55.00"))
    assert room.payload["lines"] == [{"template": "Kitchen", "amount": D("30.00")},
                                     {"template": "Bar", "amount": D("20.00")},
                                     {"template": "Tips", "amount": D("5.00"), "tip": True}]
    assert room.payload["tip"] == D("5.00")
    assert room.payload["receipt_id"] == "R51.3"
    assert room.payload["reference"] == "LS R51.3"
    assert room.payload["receipt_key"] == jobs[0].idempotency_key
    assert room.payload["reservation_id"] == "001"
    assert room.connection is None          # no pms_connection_id in the settings
    assert room.idempotency_key == "lightspeed:xfe9ldKWSfW8VrAYUcnvGA==:room:001"
    [linked] = run(body, {**settings, "pms_connection_id": "clock-1"})[1]
    assert linked.connection == "clock-1"


def test_tip_on_top_of_the_payment_amount_is_detected():
    body = bill([sale("Burger", 1, 30.0)],
                [pay("IKPMS", 30.0, gratuity=3.0, reservationId="001")])
    jobs, postings = run(body)
    assert receipt(jobs[0])["total"] == D("30.00")
    assert [(p.kind, p.amount, p.payload["tip"]) for p in postings] == [
        ("room_charge", D("33.00"), D("3.00"))]


def issue_bill():
    return bill([sale("Soup", 2, 60.0, groupName="Food"),
                 sale("Wine", 1, 40.0, rate=1.1, groupName="Drinks")],
                [pay("IKPMS", 70.0, reservationId="4711"), pay("CARD", 30.0)])


def test_partly_to_the_room_partly_by_card():
    settings = {"group_templates": {"Food": "Kitchen", "Drinks": "Bar"}}
    jobs, postings = run(issue_bill(), settings)
    r = receipt(jobs[0])
    assert figures(r) == ([("Soup", D("2.000"), D("30.00"), D("60.00"), "vat20"),
                           ("Wine", D("1.000"), D("40.00"), D("40.00"), "vat10")],
                          [("credit", D("70.00")), ("electronic", D("30.00"))], D("100.00"))
    assert {i["payment_method"] for i in r["items"]} == {"partial_payment"}
    [room] = postings
    assert (room.target, room.amount) == ("4711", D("70.00"))
    assert room.payload["lines"] == [{"template": "Kitchen", "amount": D("42.00")},
                                     {"template": "Bar", "amount": D("28.00")}]


def test_room_part_left_to_the_pms():
    jobs, postings = run(issue_bill(), {"room_charge": "none"})
    r = receipt(jobs[0])
    assert figures(r) == ([("Soup", D("2.000"), D("9.00"), D("18.00"), "vat20"),
                           ("Wine", D("1.000"), D("12.00"), D("12.00"), "vat10")],
                          [("electronic", D("30.00"))], D("30.00"))
    assert [(p.kind, p.amount) for p in postings] == [("room_charge", D("70.00"))]
    assert postings[0].payload["receipt_key"] is None


def test_all_to_the_room_left_to_the_pms_gives_no_receipt():
    body = bill([sale("Soup", 1, 10.0)], [pay("IKPMS", 10.0, reservationId="9")])
    jobs, postings = run(body, {"room_charge": "none"})
    assert jobs == [] and [p.amount for p in postings] == [D("10.00")]


def test_revenue_centre_and_default_templates():
    body = issue_bill()
    _, [room] = run(body, {"revenue_center_templates": {"101": "Terrace"}})
    assert room.payload["lines"] == [{"template": "Terrace", "amount": D("70.00")}]
    _, [room] = run(body)
    assert room.payload["lines"] == [{"template": "Restaurant", "amount": D("70.00")}]


def test_tips_as_an_item():
    body = bill([sale("Burger", 1, 30.0)], [pay("CASH", 33.0, gratuity=3.0)])
    jobs, postings = run(body, {"tips": "item"})
    assert postings == []
    assert figures(receipt(jobs[0])) == ([("Burger", D("1.000"), D("30.00"), D("30.00"), "vat20"),
                                          ("Чаевые", D("1.000"), D("3.00"), D("3.00"), "none")],
                                         [("cash", D("33.00"))], D("33.00"))
    jobs, _ = run(body)
    assert figures(receipt(jobs[0]))[2] == D("30.00")


def test_line_and_account_discounts_are_folded_into_the_items():
    body = bill([sale("Pizza", 2, 30.0),
                 {"type": "LineDiscount", "description": "-5", "quantity": 1, "amount": -5.0,
                  "taxLines": [{"taxRate": 1.2, "taxAmount": -0.83}]},
                 sale("Juice", 1, 20.0, rate=1.1),
                 {"type": "AccountDiscount", "description": "Staff", "quantity": 1,
                  "amount": -4.5}],
                [pay("CASH", 40.5)])
    r = receipt(run(body)[0][0])
    assert figures(r) == ([("Pizza", D("2.000"), D("11.25"), D("22.50"), "vat20"),
                           ("Juice", D("1.000"), D("18.00"), D("18.00"), "vat10")],
                          [("cash", D("40.50"))], D("40.50"))


def test_account_discount_with_a_tax_line_stays_in_its_vat():
    body = bill([sale("Pizza", 1, 30.0), sale("Juice", 1, 20.0, rate=1.1),
                 {"type": "AccountDiscount", "amount": -10.0,
                  "taxLines": [{"taxRate": 1.1, "taxAmount": -0.91}]}],
                [pay("CASH", 40.0)])
    r = receipt(run(body)[0][0])
    assert [(i["name"], i["amount"]) for i in r["items"]] == [("Pizza", D("30.00")),
                                                              ("Juice", D("10.00"))]


def test_a_price_that_cannot_be_exact_splits_the_item():
    body = bill([sale("Cola", 5, 12.0), {"type": "LineDiscount", "amount": -1.97}],
                [pay("CASH", 10.03)])
    r = receipt(run(body)[0][0])
    assert figures(r)[0] == [("Cola", D("4.000"), D("2.01"), D("8.04"), "vat20"),
                             ("Cola", D("1.000"), D("1.99"), D("1.99"), "vat20")]


def test_untaxed_service_charge_is_its_own_item():
    body = bill([sale("Soup", 1, 100.0)], [pay("CARD", 110.0)],
                serviceCharge={"amount": 10.0, "type": "UNTAXED"})
    r = receipt(run(body)[0][0])
    assert figures(r)[0][1] == ("Сервисный сбор", D("1.000"), D("10.00"), D("10.00"), "none")
    assert r["items"][1]["payment_object"] == "service"
    assert r["total"] == D("110.00")


def test_apportioned_service_charge_bears_the_lines_vat():
    body = bill([sale("Soup", 1, 60.0, serviceChargeContribution=6.0),
                 sale("Wine", 1, 40.0, rate=1.1, serviceChargeContribution=4.0)],
                [pay("IKPMS", 110.0, reservationId="12")],
                serviceCharge={"amount": 10.0, "type": "APPORTIONED"})
    jobs, [room] = run(body, {"group_templates": {}, "default_template": "Food"})
    r = receipt(jobs[0])
    assert [(i["name"], i["amount"], i["vat"]) for i in r["items"]] == [
        ("Soup", D("60.00"), "vat20"), ("Wine", D("40.00"), "vat10"),
        ("Сервисный сбор", D("6.00"), "vat20"), ("Сервисный сбор", D("4.00"), "vat10")]
    assert room.payload["lines"] == [{"template": "Food", "amount": D("100.00")},
                                     {"template": "Service charge", "amount": D("10.00")}]


def test_apportioned_service_charge_pre_tax():
    body = bill([sale("Soup", 1, 50.0, tax=10.0, serviceChargeContribution=5.0)],
                [pay("CASH", 66.0)], serviceCharge={"amount": 5.0, "type": "APPORTIONED"})
    r = receipt(run(body)[0][0])
    assert [(i["amount"], i["vat"]) for i in r["items"]] == [(D("60.00"), "vat20"),
                                                             (D("6.00"), "vat20")]


def test_apportioned_without_contributions_is_spread_by_amount():
    body = bill([sale("Soup", 1, 60.0), sale("Wine", 1, 40.0, rate=1.1)],
                [pay("CASH", 105.0)], serviceCharge={"amount": 5.0, "type": "APPORTIONED"})
    r = receipt(run(body)[0][0])
    assert [(i["amount"], i["vat"]) for i in r["items"][2:]] == [(D("3.00"), "vat20"),
                                                                 (D("2.00"), "vat10")]


def test_void_with_negative_quantities():
    body = bill([sale("Soup", -2, -60.0, groupName="Food"),
                 sale("Wine", -1, -40.0, rate=1.1, groupName="Drinks")],
                [pay("IKPMS", -70.0, reservationId="4711"), pay("CARD", -30.0)],
                uuid="void-uuid", initialAccountId="A1234.1")
    settings = {"group_templates": {"Food": "Kitchen", "Drinks": "Bar"}}
    jobs, [room] = run(body, settings)
    assert jobs[0].idempotency_key == "lightspeed:void-uuid:sell_refund:A1234.1"
    r = receipt(jobs[0])
    assert r["operation"] == "sell_refund"
    assert figures(r) == ([("Soup", D("2.000"), D("30.00"), D("60.00"), "vat20"),
                           ("Wine", D("1.000"), D("40.00"), D("40.00"), "vat10")],
                          [("credit", D("70.00")), ("electronic", D("30.00"))], D("100.00"))
    assert (room.kind, room.target, room.amount) == ("room_charge", "4711", D("-70.00"))
    assert room.payload["lines"] == [{"template": "Kitchen", "amount": D("-42.00")},
                                     {"template": "Bar", "amount": D("-28.00")}]
    assert room.payload["initial_account_id"] == "A1234.1"
    assert room.idempotency_key == "lightspeed:void-uuid:room:4711"


def test_refund_with_pms_fiscalizing_refunds_only_the_card_part():
    body = bill([sale("Soup", -1, -50.0)],
                [pay("IKPMS", -20.0, gratuity=-2.0, reservationId="9"), pay("CASH", -32.0)],
                initialAccountId="A1.1")
    jobs, postings = run(body, {"room_charge": "none"})
    # tips inside the payments: 18 + 32 = 50
    assert figures(receipt(jobs[0]))[1:] == ([("cash", D("32.00"))], D("32.00"))
    [room] = postings
    assert (room.kind, room.amount, room.payload["tip"]) == ("room_charge", D("-20.00"),
                                                             D("-2.00"))
    assert [line["amount"] for line in room.payload["lines"]] == [D("-18.00"), D("-2.00")]


def test_json_floats_are_read_as_their_decimal_text():
    body = bill([sale("A", 1, 0.1), sale("B", 1, 0.2)], [pay("CASH", 0.3)])
    assert receipt(run(body)[0][0])["total"] == D("0.30")
    strings = bill([sale("A", 1, 1)], [pay("CASH", "1.00")])
    strings["transactions"][0]["amount"] = "1.00"
    assert receipt(run(strings)[0][0])["total"] == D("1.00")


def test_long_ids_give_keys_within_the_limit():
    body = bill([sale("A", 1, 5.0)], [pay("IKPMS", 5.0, reservationId="R" * 80)], uuid="u" * 100)
    jobs, postings = run(body)
    keys = [i.idempotency_key for i in jobs + postings]
    assert all(len(k) <= MAX_KEY for k in keys) and len(set(keys)) == 2
    assert keys == [i.idempotency_key for i in translate_charge(copy.deepcopy(body), {})]


def test_receipt_id_is_the_key_without_uuid():
    body = bill([sale("A", 1, 5.0)], [pay("CASH", 5.0)])
    del body["uuid"]
    assert run(body)[0][0].idempotency_key == "lightspeed:R51.3:sell"


# -- malformed bodies --------------------------------------------------------------------------

def good():
    return issue_bill()


def broken(change):
    body = good()
    change(body)
    return body


@pytest.mark.parametrize("body, field", [
    ([], "body"),
    (broken(lambda b: b.pop("transactions")), "transactions"),
    (broken(lambda b: b.update(transactions={})), "transactions"),
    (broken(lambda b: b.update(transactions=[])), "transactions"),
    (broken(lambda b: b["transactions"].append("x")), "transactions[2]"),
    (broken(lambda b: b["transactions"][0].pop("amount")), "transactions[0].amount"),
    (broken(lambda b: b["transactions"][0].update(amount="abc")), "transactions[0].amount"),
    (broken(lambda b: b["transactions"][0].update(amount=True)), "transactions[0].amount"),
    (broken(lambda b: b["transactions"][0].update(amount=float("nan"))),
     "transactions[0].amount"),
    (broken(lambda b: b["transactions"][0].update(amount=[1])), "transactions[0].amount"),
    (broken(lambda b: b["transactions"][0].update(quantity=0)), "transactions[0].quantity"),
    (broken(lambda b: b["transactions"][0].update(quantity=None)), "transactions[0].quantity"),
    (broken(lambda b: b["transactions"][0].update(amount=-60.0)), "transactions[0].amount"),
    (broken(lambda b: b["transactions"][0].update(type="Gift")), "transactions[0].type"),
    (broken(lambda b: b["transactions"][0].update(taxLines={})), "transactions[0].taxLines"),
    (broken(lambda b: b["transactions"][0]["taxLines"].__setitem__(0, 5)),
     "transactions[0].taxLines[0]"),
    (broken(lambda b: b["transactions"][0]["taxLines"][0].update(taxRate=1.18)),
     "transactions[0].taxLines"),
    (broken(lambda b: b["transactions"][0]["taxLines"][0].pop("taxRate")),
     "transactions[0].taxLines[0].taxRate"),
    (broken(lambda b: b["transactions"][0]["taxLines"].append({"taxRate": 1.1})),
     "transactions[0].taxLines"),
    (broken(lambda b: b["transactions"][1].update(quantity=-1, amount=-40.0)), "transactions"),
    (broken(lambda b: b.pop("payments")), "payments"),
    (broken(lambda b: b["payments"].append(None)), "payments[2]"),
    (broken(lambda b: b["payments"][1].update(methodCode="BITCOIN")), "payments[1].methodCode"),
    (broken(lambda b: b["payments"][1].pop("methodCode")), "payments[1].methodCode"),
    (broken(lambda b: b["payments"][0].pop("reservationId")), "payments[0].reservationId"),
    (broken(lambda b: b["payments"][1].update(amount=-30.0)), "payments[1].amount"),
    (broken(lambda b: b["payments"][1].update(amount=31.0)), "transactions"),
    (broken(lambda b: b["payments"][1].update(gratuity="x")), "payments[1].gratuity"),
    (broken(lambda b: b.update(serviceCharge={"amount": 1, "type": "WEIRD"})),
     "serviceCharge.type"),
    (broken(lambda b: b.update(serviceCharge=[1])), "serviceCharge"),
    (broken(lambda b: b.update(serviceCharge={"amount": "x", "type": "UNTAXED"})),
     "serviceCharge.amount"),
    (broken(lambda b: [b.pop("uuid"), b.pop("receiptId")]), "uuid"),
    (broken(lambda b: [t.update(quantity=-t["quantity"], amount=-t["amount"])
                       for t in b["transactions"]]), "initialAccountId"),
    (broken(lambda b: [b["transactions"].insert(1, {"type": "LineDiscount", "amount": -70.0}),
                       b.update(payments=[pay("CARD", 30.0)])]), "transactions[0]"),
])
def test_malformed_bodies_name_the_field(body, field):
    with pytest.raises(TranslationError) as caught:
        translate_charge(body, {})
    assert field in caught.value.errors, caught.value.reason
    assert caught.value.reason.startswith(field)


# -- settings ----------------------------------------------------------------------------------

def test_settings_defaults_and_normalisation():
    loaded = LightspeedTranslationSettings().load({"vat_rates": {"1.20": "vat20", "1.00": "none"},
                                                   "payment_types": {"ikpms": "room"}})
    assert loaded["vat_rates"] == {"1.2": "vat20", "1": "none"}
    assert loaded["payment_types"] == {"IKPMS": "room"}
    assert loaded["room_charge"] == "credit" and loaded["tips"] == "none"
    assert loaded["taxation"] == "osn" and loaded["default_template"] == "Restaurant"
    defaults = LightspeedTranslationSettings().load({})
    assert defaults["payment_types"]["IKPMS"] == "room"
    assert defaults["payment_types"]["CASH"] == "cash"
    assert defaults["vat_rates"]["1.2"] == "vat20"
    # the loaded settings drive the translation as given
    body = bill([sale("A", 1, 10.0, rate=1.0)], [pay("ikpms", 10.0, reservationId="1")])
    jobs, _ = run(body, loaded)
    assert receipt(jobs[0])["items"][0]["vat"] == "none"


@pytest.mark.parametrize("data", [{"room_charge": "fiscalize"}, {"tips": "yes"},
                                  {"payment_types": {"X": "bitcoin"}},
                                  {"vat_rates": {"abc": "vat20"}},
                                  {"vat_rates": {"1.2": "vat18"}}, {"taxation": "flat"}])
def test_settings_refuse_bad_values(data):
    with pytest.raises(ValidationError):
        LightspeedTranslationSettings().load(data)


# -- property ----------------------------------------------------------------------------------

kopecks = st.integers(min_value=1, max_value=200_000)


@st.composite
def bills(draw):
    pretax = draw(st.booleans())
    lines, gross_total = [], 0
    for _ in range(draw(st.integers(1, 5))):
        qty = draw(st.integers(1, 7))
        gross = qty * draw(st.integers(1, 20_000))
        rate = draw(st.sampled_from([D("1.2"), D("1.1"), D("1")]))
        tax = int(gross - gross / rate)            # some kopecks of tax, exact enough
        amount = gross - tax if pretax else gross
        lines.append({"type": "Sale", "description": "x", "quantity": qty,
                      "amount": str(D(amount) / 100),
                      "taxLines": [{"taxRate": str(rate), "taxAmount": str(D(tax) / 100)}]})
        gross_total += gross
        off = draw(st.integers(0, gross // 3))
        if off:
            lines.append({"type": "LineDiscount", "amount": str(D(-off) / 100)})
            gross_total -= off
    off = draw(st.integers(0, gross_total // 3))
    if off:
        lines.append({"type": "AccountDiscount", "amount": str(D(-off) / 100)})
        gross_total -= off
    body = bill(lines, [])
    if draw(st.booleans()):
        service = draw(st.integers(1, 5_000))
        body["serviceCharge"] = {"amount": str(D(service) / 100), "type": "UNTAXED"}
        gross_total += service
    room = draw(st.integers(0, gross_total))
    card = draw(st.integers(0, gross_total - room))
    cash = gross_total - room - card
    tip = draw(st.integers(0, 1_000)) if room else 0
    for code, part, extra in (("IKPMS", room, {"reservationId": "77", "gratuity": str(D(tip) / 100)}),
                              ("CARD", card, {}), ("CASH", cash, {})):
        if part:
            body["payments"].append(pay(code, str(D(part + (tip if code == "IKPMS" else 0)) / 100),
                                        **extra))
    return body, D(gross_total) / 100, D(room) / 100, D(tip) / 100


@hsettings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(bills(), st.sampled_from(["credit", "none"]))
def test_receipts_add_up_and_the_room_part_is_posted(case, treatment):
    body, total, room, tip = case
    jobs, postings = run(body, {"room_charge": treatment})
    tips = sum((p.payload["tip"] for p in postings), D(0))
    assert tips == tip
    assert sum((p.amount for p in postings if p.kind == "room_charge"), D(0)) == room + tip
    for p in postings:
        if p.kind == "room_charge":
            assert sum((line["amount"] for line in p.payload["lines"]), D(0)) == p.amount
    fiscal_non_room = D(0)
    for job in jobs:
        r = receipt(job)
        assert sum((i["amount"] for i in r["items"]), D(0)) == r["total"]
        assert sum((p["amount"] for p in r["payments"]), D(0)) == r["total"]
        fiscal_non_room = r["total"] - (room if treatment == "credit" else 0)
        if treatment == "credit":
            assert r["total"] == total
    if not jobs:
        assert treatment == "none" and room == total
    assert (room + tip) + fiscal_non_room == total + tips
