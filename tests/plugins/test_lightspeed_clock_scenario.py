"""The venue's story end to end: a hotel on Clock PMS+ (a fake Clock server: tests/plugins/
fake_clock_pms.py, on ``responses``), its restaurant on Lightspeed K-Series calling the hub over
real HTTP on 127.0.0.1, and a Shtrih-M register emulator on a pty printing the receipts.

Search from the POS; a bill charged partly to the room with a tip and partly by card, retried
five times; the folio charges with their templates and amounts; the receipt's payment types and
VAT as printed; a void the next morning; the day's non-room revenue posted at 05:30 in the
connection's zone; Clock answering 500 after storing a charge; Clock down."""
from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta, timezone
from decimal import Decimal

import pytest
import requests
from werkzeug.serving import make_server

import plugins.clock_pms.plugin
import plugins.lightspeed.plugin
from fake_clock_pms import FakeClockPms
from fiscal.ledger.models import Job, Posting
from fiscalhub.testkit import Settler, shtrih_register
from hub.intake import Intake
from hub.periodic import BusinessDay
from hub.plugins import PluginHost, make_plugin_manager
from hub.postings import PostingService
from hub.scheduler import Scheduler
from lightspeed_bills import bill, pay, sale

D = Decimal
UTC = timezone.utc
API_KEY = "restaurant-lightspeed-key-42"
ZONE, CLOSING = "Europe/Moscow", "05:30"
DAYS = BusinessDay.of(CLOSING, ZONE)
RESTAURANT, BAR, TIPS = 367891, 367892, 367893


def host() -> PluginHost:
    return PluginHost(make_plugin_manager(load_entrypoints=False, disabled=[], extra=[
        ("lightspeed", plugins.lightspeed.plugin), ("clock_pms", plugins.clock_pms.plugin)]))


@pytest.fixture
def venue(settings, redis, ledger, account, auth, data_dir):
    """The hub on 127.0.0.1, a Shtrih-M register, the fake Clock and both connections."""
    from hub.app import create_app
    the_host = host()
    app = create_app(settings, host=the_host)
    clock = FakeClockPms(currency="RUB", today=datetime.now(UTC).date())
    clock.add_charge_template(id=RESTAURANT, text="Restaurant", tax_rate=D("0.2"))
    clock.add_charge_template(id=BAR, text="Bar", tax_rate=D("0.1"))
    clock.add_charge_template(id=TIPS, text="Tips", tax_rate=D("0"))
    clock.folio = clock.add_booking(id=501, room="101", first_name="Anna", last_name="Ivanova")
    clock.add_booking(id=502, room="12B", first_name="Boris", last_name="Petrov")
    clock.add_company(id=77, name="Restaurant revenue")
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    with shtrih_register(ledger, account["id"], data_dir, name="Restaurant bar") as register, \
            clock.mocked():
        client = app.test_client()

        def connect(connector, name, settings):
            resp = client.post("/api/v1/connections", headers=auth, json={
                "connector": connector, "name": name, "register_id": register.id,
                "settings": settings, "time_zone": ZONE, "closing_time": CLOSING})
            assert resp.status_code == 201, resp.json
            return resp.json["id"]
        pms = connect("clock_pms", "Clock front office", clock.settings())
        pos = connect("lightspeed", "Lightspeed restaurant", {
            "api_key": API_KEY, "pms_connection_id": pms, "language": "ru",
            "group_templates": {"Food": "Restaurant", "Drinks": "Bar"}})
        yield {"app": app, "host": the_host, "clock": clock, "register": register,
               "pms": pms, "pos": pos, "ledger": ledger, "redis": redis,
               "url": f"http://127.0.0.1:{server.server_port}/hooks/{pos}"}
    server.shutdown()


def charge(venue, body, key):
    return requests.post(f"{venue['url']}/charge", params={"apiKey": API_KEY},
                         data=json.dumps(body), timeout=60,
                         headers={"X-Lightspeed-Idempotency-Key": key,
                                  "Content-Type": "application/json", "Accept": "application/json"})


def dinner(closed: datetime, **extra) -> dict:
    # 1 600.00 with VAT: soup 2 × 600 at 20 %, wine 400 at 10 %; 1 100 to room 101 with a
    # 100 tip on top (inside the payment's amount), 500 by card
    return bill([sale("Борщ", 2, 1200.0, rate=1.2, groupName="Food"),
                 sale("Вино", 1, 400.0, rate=1.1, groupName="Drinks")],
                [pay("IKPMS", 1200.0, gratuity=100.0, reservationId="booking:501"),
                 pay("CARD", 500.0)],
                closeDate=closed.isoformat().replace("+00:00", "Z"), **extra)


def print_all(venue) -> list:
    with venue["ledger"].session(readonly=True) as s:
        ids = [j.id for j in s.query(Job).order_by(Job.created_at)]
    Settler(venue["ledger"], venue["redis"]).settle(ids)
    return venue["register"].receipts()


def items(doc) -> list:
    return [(i["name"], D(i["amount"]), i["vat"], i["payment_method"])
            for i in doc.details["items"]]


def payments(doc) -> list:
    return sorted((p["type"], D(p["amount"])) for p in doc.details["payments"])


def test_search_charge_void_and_the_day_closing(venue):
    clock, now = venue["clock"], datetime.now(UTC)
    day = DAYS.open_day(now)

    found = requests.get(f"{venue['url']}/search", timeout=30, params={
        "term": "iva", "businessExternalReference": "client-1", "apiKey": API_KEY}).json()
    assert [(g["roomId"], g["clientName"], g["reservationId"], g["blocked"]) for g in found] \
        == [("101", "Anna Ivanova", "booking:501", False)]
    assert [g["roomId"] for g in requests.get(f"{venue['url']}/search", timeout=30, params={
        "term": "12b", "apiKey": API_KEY}).json()] == ["12B"]

    # Lightspeed sends the charge five times (a slow network): one set of folio charges
    answers = [charge(venue, dinner(now), "LS1_dinner") for _ in range(5)]
    assert [a.status_code for a in answers] == [200] * 5
    assert len({a.text for a in answers}) == 1
    posted = [(c["charge_template_id"], c["price"], c["qty"]) for c in
              clock.folio_charges(clock.folio)]
    # 1 100 split over the templates by the bill's items (1 200 : 400), the tip on its own
    assert posted == [(RESTAURANT, D("825.00"), 1), (BAR, D("275.00"), 1), (TIPS, D("100.00"), 1)]
    assert all("LS R51.3" in c["text"] for c in clock.folio_charges(clock.folio))

    [sold] = print_all(venue)
    assert (sold.operation, sold.total) == ("sell", D("1600.00"))
    assert payments(sold) == [("credit", D("1100.00")), ("electronic", D("500.00"))]
    assert items(sold) == [("Борщ", D("1200.00"), "vat20", "partial_payment"),
                           ("Вино", D("400.00"), "vat10", "partial_payment")]

    # the next morning the bill is voided: negative charges on the same folio, a refund receipt
    morning = DAYS.closes_at(day) + timedelta(hours=4)
    void = dinner(morning, uuid="void-uuid", fiscId="A1234.9", receiptId="R52.1",
                  initialAccountId="A1234.5")
    for line in void["transactions"]:
        line["quantity"], line["amount"] = -line["quantity"], -line["amount"]
    for p in void["payments"]:
        p["amount"] = -p["amount"]
        if "gratuity" in p:
            p["gratuity"] = -p["gratuity"]
    assert charge(venue, void, "LS1_void").status_code == 200
    charges = clock.folio_charges(clock.folio)
    assert sum((c["price"] * c["qty"] for c in charges), D(0)) == 0       # nets to zero
    assert [c["qty"] for c in charges[3:]] == [-1, -1, -1]
    receipts = print_all(venue)
    refund = receipts[-1]
    assert (refund.operation, refund.total) == ("sell_refund", D("1600.00"))
    assert payments(refund) == payments(sold)

    # 05:30 in Moscow: the day's non-room revenue (the card part) onto the revenue folio
    at = DAYS.closes_at(day)
    scheduler = Scheduler(venue["ledger"], venue["host"], Intake(venue["ledger"], venue["host"]),
                          lambda: at - timedelta(minutes=1))
    scheduler.tick()
    with venue["ledger"].session(readonly=True) as s:
        assert s.query(Posting).filter(Posting.kind == "end_of_day").count() == 0
    scheduler.clock = lambda: at
    scheduler.tick()
    with venue["ledger"].session(readonly=True) as s:
        [eod] = s.query(Posting).filter(Posting.kind == "end_of_day").all()
        assert (eod.connection_id, eod.amount, eod.payload["business_day"]) == (
            venue["pms"], D("500.00"), day.isoformat())
    assert PostingService(venue["ledger"], venue["host"]).run(eod.id).state == "posted"
    [folio] = [f for f, v in clock.folios.items() if v.get("company_id") == 77 and v["closed"]]
    assert sorted((c["charge_template_id"], c["price"]) for c in clock.folio_charges(folio)) == [
        (RESTAURANT, D("375.00")), (BAR, D("125.00"))]
    assert [i["value"] for i in clock.credit_items(folio)] == [D("500.00")]


def test_clock_answering_500_after_storing_the_charge_is_found_on_the_folio(venue):
    clock = venue["clock"]
    clock.fail_next("POST", "charges/bulk", status=500, applied=True)
    resp = charge(venue, dinner(datetime.now(UTC)), "LS1_500")
    assert resp.status_code == 200, resp.text
    assert len(clock.folio_charges(clock.folio)) == 3           # stored once, not resent
    assert [r.operation for r in print_all(venue)] == ["sell"]


def test_clock_down_gives_the_waiter_a_short_message_and_nothing_half_done(venue):
    clock = venue["clock"]
    clock.down = True
    resp = charge(venue, dinner(datetime.now(UTC)), "LS1_down")
    assert resp.status_code == 503
    message = resp.json()["customerErrorMessage"]
    assert message == "Нет связи с отелем. Выберите другую оплату" and len(message) <= 50
    assert clock.folio_charges(clock.folio) == []
    with venue["ledger"].session(readonly=True) as s:
        assert s.query(Job).count() == 0
        assert [p.state for p in s.query(Posting)] == ["failed"]
    clock.down = False
    assert charge(venue, dinner(datetime.now(UTC)), "LS1_down").status_code == 200
    assert len(clock.folio_charges(clock.folio)) == 3
