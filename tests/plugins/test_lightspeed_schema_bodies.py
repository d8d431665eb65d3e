"""Charge bodies drawn from Lightspeed's published schema (a verbatim copy in
plugins/lightspeed/golden/lightspeed-pms-charge.schema.json), half of them realistic bills built
from lightspeed_bills' helpers, POSTed to ``/hooks/<id>/charge`` of one app with the desk PMS in
normal mode: never a 5xx, every refusal printable at the POS (``customerErrorMessage`` of at most
50 characters), every 200 a bill whose receipt event, jobs and postings exist.

hypothesis-jsonschema 0.23.1 cannot draw an OBJECT with this Hypothesis (6.170: its private
``cu.many`` lost ``more()``), so :func:`schema_bodies` walks the schema's objects and arrays
itself and asks ``from_schema`` for every leaf (numbers, int64s, enums, date-times, booleans);
each body is checked with ``jsonschema.validate`` all the same."""
from __future__ import annotations

import itertools
import json
from pathlib import Path

import jsonschema
import pytest
from hypothesis import HealthCheck, given, settings as hsettings, strategies as st
from hypothesis_jsonschema import from_schema

import plugins.lightspeed
from desk_pms import DESK, desk_and_lightspeed, desk_host
from fiscal.ledger.models import Job, Posting, StoredEvent
from lightspeed_bills import bill, pay, sale
from plugins.lightspeed.messages import LANGUAGES, LIMIT, MESSAGES

SCHEMA = json.loads((Path(plugins.lightspeed.__file__).parent / "golden"
                     / "lightspeed-pms-charge.schema.json").read_text())
API_KEY = "lightspeed-schema-api-key-0001"
LIMIT_CHARS = 50


# -- realistic bills ----------------------------------------------------------------------------

def _money(kopecks: int) -> float:
    return round(kopecks / 100, 2)


@st.composite
def realistic_bodies(draw):
    """A bill that adds up: 1-4 lines (tax-included or pre-tax, 20/10/22 % or untaxed, maybe a
    line discount), maybe an UNTAXED service charge, paid by 1-3 of room/card/cash with tips;
    sometimes its void (negative figures, ``initialAccountId``)."""
    pretax = draw(st.booleans())
    lines, total = [], 0
    for n in range(draw(st.integers(1, 4))):
        qty = draw(st.integers(1, 4))
        unit = draw(st.integers(1, 300_000))
        rate = draw(st.sampled_from([1.2, 1.1, 1.22, None]))
        amount = qty * unit
        group = draw(st.sampled_from(["Food", "Drinks", "Other"]))
        if pretax and rate is not None:
            tax = round(amount * (rate - 1))
            lines.append(sale(f"Item {n}", qty, _money(amount), rate=rate, tax=_money(tax),
                              groupName=group))
            lines[-1]["taxLines"][0]["taxIncluded"] = False
        else:
            tax = 0
            lines.append(sale(f"Item {n}", qty, _money(amount), rate=rate, groupName=group))
        total += amount + tax
        if amount > 1 and draw(st.integers(0, 4)) == 0:     # a line discount under its item
            off = draw(st.integers(1, amount - 1))
            off_tax = round(off * (rate - 1)) if pretax and rate is not None else 0
            discount = {"type": "LineDiscount", "description": "Discount", "quantity": 1,
                        "amount": -_money(off)}
            if rate is not None:
                discount["taxLines"] = [{"taxId": "1", "taxName": "VAT", "taxRate": rate,
                                         "taxAmount": -_money(off_tax),
                                         "taxIncluded": not pretax}]
            lines.append(discount)
            total -= off + off_tax
    extra = {}
    if draw(st.integers(0, 3)) == 0:
        service = draw(st.integers(1, 50_000))
        extra["serviceCharge"] = {"type": "UNTAXED", "amount": _money(service)}
        total += service
    parts = draw(st.integers(1, 3))
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=parts - 1,
                                max_size=parts - 1)))
    shares = [b - a for a, b in zip([0] + cuts, cuts + [total])]
    payments = []
    for share in shares:
        code = draw(st.sampled_from(["IKPMS", "CARD", "CASH", "VISA"]))
        tip = draw(st.sampled_from([0, 0, 5_000, 15_000]))
        more = {"gratuity": _money(tip)} if tip else {}
        if code == "IKPMS":
            more["reservationId"] = draw(st.sampled_from(["booking:501", "folio:88"]))
        if share or tip:
            payments.append(pay(code, _money(share + tip), **more))
    body = bill(lines, payments, closeDate="2026-11-20T19:42:10Z", **extra)
    if draw(st.integers(0, 4)) == 0:                        # its void
        for t in body["transactions"]:
            t["amount"] = -t["amount"]
            if t["type"] == "Sale":
                t["quantity"] = -t["quantity"]
            for tl in t.get("taxLines", []):
                tl["taxAmount"] = -tl["taxAmount"]
        for p in body["payments"]:
            p["amount"] = -p["amount"]
            if "gratuity" in p:
                p["gratuity"] = -p["gratuity"]
        body["initialAccountId"] = "ORIGINAL"               # filled in by the test
    return body


def schema_bodies(node: dict = SCHEMA):
    """Any value valid under ``node`` of the published schema: each property optional, arrays
    of up to 4, the odd property Lightspeed may add later; leaves from ``from_schema``."""
    if "$ref" in node:
        return schema_bodies(SCHEMA["$defs"][node["$ref"].rsplit("/", 1)[-1]])
    if node.get("type") == "object":
        optional = {k: schema_bodies(v) for k, v in node["properties"].items()}
        optional["addedLater"] = st.one_of(st.text(max_size=5), st.integers(), st.none())
        return st.fixed_dictionaries({}, optional=optional)
    if node.get("type") == "array":
        return st.lists(schema_bodies(node["items"]), max_size=4)
    return from_schema(node)


@st.composite
def schema_bills(draw):
    """A schema body with what gets a real bill past the first checks: an id, and payments by
    the venue's methods (a room charge naming a reservation)."""
    body = draw(schema_bodies())
    body["uuid"] = draw(st.sampled_from(["", "x"])) + "bill"
    for p in body.get("payments") or []:
        p["methodCode"] = draw(st.sampled_from(["IKPMS", "CARD", "CASH", "cash", "BITCOIN"]))
        if p["methodCode"] == "IKPMS" and draw(st.booleans()):
            p["reservationId"] = "booking:501"
    return body


BODIES = st.one_of(schema_bodies().map(lambda b: ("schema", b)),
                   schema_bills().map(lambda b: ("schema", b)),
                   realistic_bodies().map(lambda b: ("realistic", b)))


def test_messages_fit_the_pos_in_every_language():
    assert LIMIT == LIMIT_CHARS
    too_long = {(situation, language): len(texts[language])
                for situation, (_, texts) in MESSAGES.items() for language in LANGUAGES
                if len(texts.get(language) or "") > LIMIT_CHARS}
    assert too_long == {}
    missing = [(s, lang) for s, (_, texts) in MESSAGES.items() for lang in LANGUAGES
               if not texts.get(lang)]
    assert missing == []


def test_schema_bodies_get_a_clear_answer(settings, redis, auth, register):
    app, client, pos, _ = desk_and_lightspeed(settings, auth, register, API_KEY, "ru")
    ledger = app.extensions["fiscalhub.intake"].ledger
    numbers = itertools.count(1)
    sold: list[str] = []                                   # fiscIds of realistic bills seen
    seen = {"200": 0, "4xx": 0, "posted": 0}

    @hsettings(max_examples=150, deadline=None,
               suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(drawn=BODIES)
    def post(drawn):
        origin, body = drawn
        n = next(numbers)
        if origin == "realistic":                          # a bill of its own
            body = dict(body, uuid=f"uuid-{n}", receiptId=f"R{n}.1", fiscId=f"A{n}.1")
            if "initialAccountId" in body:
                body["initialAccountId"] = sold[-1] if sold else f"A{n}.0"
            else:
                sold.append(body["fiscId"])
        elif body.get("uuid") in ("bill", "xbill"):          # schema_bills: its own ids too
            body = dict(body, uuid=f"{body['uuid']}-{n}")
        jsonschema.validate(body, SCHEMA)
        resp = client.post(f"/hooks/{pos}/charge?apiKey={API_KEY}", data=json.dumps(body),
                           headers={"X-Lightspeed-Idempotency-Key": f"LS1_schema_{n}",
                                    "Content-Type": "application/json"})
        assert resp.status_code < 500, (resp.status_code, resp.get_data(as_text=True), body)
        answer = resp.get_json(silent=True)
        if resp.status_code >= 400:
            seen["4xx"] += 1
            assert isinstance(answer, dict), (resp.status_code, resp.get_data(as_text=True))
            message = answer.get("customerErrorMessage")
            assert isinstance(message, str) and 0 < len(message) <= LIMIT_CHARS, answer
            return
        assert resp.status_code == 200, (resp.status_code, answer)
        seen["200"] += 1
        seen["posted"] += len(answer["postings"])
        assert answer["status"] == "posted"
        with ledger.session(readonly=True) as s:
            receipt = s.get(StoredEvent, answer["receipt_event"])
            assert receipt is not None and receipt.type == "receipt"
            for job_id in answer["receipt_jobs"]:
                assert s.get(Job, job_id) is not None
            for posting_id in answer["postings"]:
                posting = s.get(Posting, posting_id)
                assert posting is not None and posting.state == "posted"
            if origin == "realistic":                      # its own, fiscalized bill
                assert receipt.state == "accepted", receipt.reason
                assert len(answer["receipt_jobs"]) == 1
                rooms = {p["reservationId"] for p in body["payments"]
                         if p["methodCode"] == "IKPMS"}
                assert len(answer["postings"]) == len(rooms)

    post()
    assert seen["200"] > 0 and seen["4xx"] > 0 and seen["posted"] > 0, seen


@pytest.mark.parametrize("close_date", ["9999-12-31T23:00:00Z", "0001-01-01T00:00:00Z"])
def test_a_close_date_at_the_edge_of_the_calendar_is_not_a_500(settings, redis, auth, register,
                                                               close_date):
    from hub.app import create_app
    DESK.reset()
    app = create_app(settings, host=desk_host())
    client = app.test_client()
    resp = client.post("/api/v1/connections", headers=auth, json={
        "connector": "lightspeed", "name": "lightspeed one", "register_id": register["id"],
        "settings": {"api_key": API_KEY, "language": "en"}})
    pos = resp.json["id"]
    body = bill([sale("Tea", 1, 5.0)], [pay("CASH", 5.0)], closeDate=close_date)
    jsonschema.validate(body, SCHEMA)
    resp = client.post(f"/hooks/{pos}/charge?apiKey={API_KEY}", data=json.dumps(body),
                       headers={"X-Lightspeed-Idempotency-Key": "LS1_edge",
                                "Content-Type": "application/json"})
    # the close date cannot be placed in the zone: the bill counts on the day it arrived
    assert resp.status_code == 200, resp.json
    assert len(resp.json["receipt_jobs"]) == 1
