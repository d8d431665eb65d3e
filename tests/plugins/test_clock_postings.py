"""The Clock PMS+ connector against the fake Clock server: search, room charges and tips onto
folios, their error mapping and posting_arrived, the end-of-day company folio, health."""
from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
import requests
from requests.exceptions import ReadTimeout

from fake_clock_pms import FakeClockPms
from hub.connectors import PostingIntent, PostingNotDelivered, PostingRefused
from plugins.clock_pms.connector import ClockPmsConnector
from plugins.clock_pms.errors import ClockUncertain
from plugins.clock_pms.folio_postings import EndOfDayIncomplete, marker
from plugins.clock_pms.search import in_stay

TODAY = date(2026, 11, 20)


@pytest.fixture
def clock():
    c = FakeClockPms(today=TODAY)
    c.add_charge_template(id=367891, text="Restaurant", tax_rate=Decimal("0.22"))
    c.add_charge_template(id=367892, text="Tips", tax_rate=Decimal("0"))
    c.add_charge_template(id=367893, text="Minibar", tax_rate=Decimal("0.22"))
    c.folio_501 = c.add_booking(id=501, room="101", first_name="Anna", last_name="Ivanova",
                                arrival=date(2026, 11, 18), departure=date(2026, 11, 22))
    c.folio_502 = c.add_booking(id=502, room="12B", first_name="Boris", last_name="Ivanov",
                                arrival=TODAY, departure=date(2026, 11, 21),
                                credit_limit=Decimal("20000.00"))
    c.add_booking(id=503, room="203", first_name="Ivana", last_name="Gone", checked_in=False,
                  status="checked_out", arrival=date(2026, 11, 15), departure=TODAY)
    c.add_booking(id=504, room="204", first_name="Ivan", last_name="Nocharge",
                  charge_transfer=False, arrival=TODAY, departure=date(2026, 11, 23))
    c.company = c.add_company(id=77, name="House account")
    c.event = c.add_event(id=9, name="Wedding Petrov")
    with c.mocked():
        yield c


@pytest.fixture
def conn(clock):
    return ClockPmsConnector.from_settings(clock.settings(charge_templates={
        "Restaurant": 367891, "Tips": 367892}))


@pytest.fixture
def http():
    return requests.Session()


def posting(amount="1500.00", target="booking:501", key="ls:R51:room", kind="room_charge",
            lines=None, **payload):
    lines = lines if lines is not None else [
        {"template": "Restaurant", "amount": "1400.00"}, {"template": "Tips", "amount": "100.00"}]
    return PostingIntent(kind=kind, target=target, amount=Decimal(amount),
                         payload={"lines": lines, "reference": "LS R51.3", **payload},
                         idempotency_key=key)


def writes(clock):
    return [r for r in clock.requests if r[0] != "GET"]


# --- search ------------------------------------------------------------------------------------
def targets(results):
    return [r["target"] for r in results]


def test_search_finds_guests_by_names_partially_and_rooms_alphanumerically(conn, http):
    anna = conn.search("IVANOVA", http)
    assert anna == [{"target": "booking:501", "kind": "guest", "room": "101",
                     "room_description": "Standard Double", "name": "Anna Ivanova",
                     "credit_limit": None, "blocked": False}]
    # "ivan" matches Ivanova and Ivanov, not the checked-out Ivana nor Ivan without transfer
    assert targets(conn.search("ivan", http)) == ["booking:501", "booking:502"]
    assert targets(conn.search("bor", http)) == ["booking:502"]
    assert targets(conn.search("Boris Ivanov", http)) == ["booking:502"]
    [boris] = conn.search("12b", http)
    assert boris["room"] == "12B" and boris["credit_limit"] == Decimal("20000.00")
    assert targets(conn.search("12-B", http)) == ["booking:502"]
    assert targets(conn.search("10", http)) == ["booking:501"]


def test_search_finds_company_and_event_folios_and_nothing_for_an_empty_term(conn, clock,
                                                                             http):
    [house] = conn.search("house", http)
    assert house == {"target": f"folio:{clock.company}", "kind": "company", "room": None,
                     "room_description": None, "name": "House account / House account folio",
                     "credit_limit": None, "blocked": False}
    [wedding] = conn.search("petrov", http)
    assert (wedding["target"], wedding["kind"]) == (f"folio:{clock.event}", "event")
    assert conn.search("", http) == [] and conn.search("   ", http) == []
    assert conn.search("gone", http) == [] and conn.search("nocharge", http) == []


def test_search_filters_again_when_clock_answers_every_booking(conn, clock, http):
    clock.strict_find_in_hotel = False          # the answer carries the checked-out and
    clock.add_booking(id=505, room="305", first_name="Ivo", last_name="Future",   # future too
                      arrival=date(2026, 11, 25), departure=date(2026, 11, 27))
    assert targets(conn.search("iv", http)) == ["booking:501", "booking:502"]
    assert in_stay({"status": "checked_in", "arrival": "2026-11-18",
                    "departure": "2026-11-20"}, TODAY)          # the departure day counts
    assert not in_stay({"checkin_status": "expected"}, TODAY)


# --- room charges and tips ---------------------------------------------------------------------
def test_a_room_charge_goes_onto_the_default_folio_in_one_bulk_request(conn, clock, http):
    p = posting()
    answer = conn.send_posting(p, http)
    mark = marker("ls:R51:room")
    assert answer == {"folio_id": clock.folio_501, "charges": 2, "marker": mark}
    assert len(mark) == 15 and mark.startswith("fh:")
    [(method, path, body)] = writes(clock)
    assert (method, path) == ("POST", f"folios/{clock.folio_501}/charges/bulk")
    assert body == {"charges": [
        {"charge_template_id": 367891, "text": f"Restaurant LS R51.3 {mark}",
         "price": Decimal("1400.00"), "currency": "RUB", "qty": 1, "service_date": "2026-11-20"},
        {"charge_template_id": 367892, "text": f"Tips LS R51.3 {mark}",
         "price": Decimal("100.00"), "currency": "RUB", "qty": 1, "service_date": "2026-11-20"}]}
    assert sum(c["price"] * c["qty"] for c in clock.folio_charges(clock.folio_501)) == \
        Decimal("1500.00")
    assert conn.posting_arrived(p, http) is True
    assert conn.posting_arrived(posting(key="another"), http) is False


def test_a_tip_posting_with_a_template_a_service_date_and_a_folio_target(conn, clock, http):
    tip = PostingIntent(kind="tip", target=f"folio:{clock.event}", amount=Decimal("250.00"),
                        payload={"template": "tips", "reference": "LS R52",
                                 "service_date": "2026-11-19", "waiter": "ignored"},
                        idempotency_key="ls:R52:tip")
    assert conn.send_posting(tip, http)["folio_id"] == clock.event
    [charge] = clock.folio_charges(clock.event)
    assert (charge["charge_template_id"], charge["price"], charge["qty"]) == (
        367892, Decimal("250.00"), 1)
    assert charge["service_date"] == date(2026, 11, 19)
    assert conn.posting_arrived(tip, http) is True


def test_a_negative_posting_is_a_positive_price_with_qty_minus_one(conn, clock, http):
    void = posting(amount="-1500.00", key="ls:R51:void", lines=[
        {"template": "Restaurant", "amount": "-1400.00"}, {"template": "Tips", "amount": "-100"}])
    conn.send_posting(void, http)
    charges = clock.folio_charges(clock.folio_501)
    assert [(c["price"], c["qty"]) for c in charges] == [
        (Decimal("1400.00"), -1), (Decimal("100.00"), -1)]


def test_an_unmapped_template_is_looked_up_once_by_text_and_an_unknown_one_refused(
        conn, clock, http):
    p = posting(amount="300.00", lines=[{"template": "MINIBAR", "amount": "300.00"}])
    conn.send_posting(p, http)
    assert clock.folio_charges(clock.folio_501)[0]["charge_template_id"] == 367893
    assert [r[1] for r in clock.requests].count("charge_templates") == 1
    with pytest.raises(PostingRefused, match="no charge template named 'Spa'"):
        conn.send_posting(posting(amount="10", lines=[{"template": "Spa", "amount": "10"}]),
                          http)


def test_lines_that_do_not_add_up_an_unknown_kind_and_a_bad_target_are_refused(conn, http):
    with pytest.raises(PostingRefused, match="add up to 1500.00, not the posting's 1600.00"):
        conn.send_posting(posting(amount="1600.00"), http)
    with pytest.raises(PostingRefused, match="not 'transfer'"):
        conn.send_posting(posting(kind="transfer"), http)
    with pytest.raises(PostingRefused, match="is not 'booking:<id>'"):
        conn.send_posting(posting(target="room:101"), http)


def test_a_500_after_storing_propagates_and_posting_arrived_prevents_a_second_charge(
        conn, clock, http):
    clock.fail_next("POST", "charges/bulk", status=500, applied=True)
    p = posting()
    with pytest.raises(ClockUncertain):
        conn.send_posting(p, http)
    assert len(clock.folio_charges(clock.folio_501)) == 2
    assert conn.posting_arrived(p, http) is True


def test_a_500_before_storing_is_not_arrived_and_a_read_timeout_is_ambiguous(
        conn, clock, http):
    clock.fail_next("POST", "charges/bulk", status=500, applied=False)
    p = posting()
    with pytest.raises(ClockUncertain):
        conn.send_posting(p, http)
    assert conn.posting_arrived(p, http) is False
    clock.fail_next("POST", "charges/bulk", applied=True, error=ReadTimeout("slow"))
    with pytest.raises(ClockUncertain):
        conn.send_posting(p, http)
    assert conn.posting_arrived(p, http) is True
    clock.fail_next("GET", "charges_by_source", status=500)
    assert conn.posting_arrived(p, http) is None


def test_clock_down_or_busy_is_not_delivered_and_a_4xx_refused(conn, clock, http):
    clock.down = True
    with pytest.raises(PostingNotDelivered, match="could not connect"):
        conn.send_posting(posting(), http)
    assert conn.posting_arrived(posting(), http) is None
    clock.down = False
    clock.fail_next("POST", "charges/bulk", status=503, applied=False)
    with pytest.raises(PostingNotDelivered):
        conn.send_posting(posting(), http)
    clock.fail_next("GET", "folios/default", status=500)          # a read before the write
    with pytest.raises(PostingNotDelivered):
        conn.send_posting(posting(), http)
    with pytest.raises(PostingRefused, match="404"):               # an unknown booking
        conn.send_posting(posting(target="booking:999"), http)
    clock.fail_next("POST", "charges/bulk", status=422, applied=False)
    with pytest.raises(PostingRefused, match="refused the posting"):
        conn.send_posting(posting(), http)
    clock.folios[clock.company]["closed"] = True
    with pytest.raises(PostingRefused, match="is closed"):
        conn.send_posting(posting(target=f"folio:{clock.company}"), http)
    assert clock.folio_charges(clock.folio_501) == []


# --- end of day --------------------------------------------------------------------------------
def eod(key="ls:eod:2026-11-19"):
    return PostingIntent(kind="end_of_day", target="end_of_day", amount=Decimal("12500.00"),
                         payload={"business_day": "2026-11-19", "reference": "LS EOD 19.11",
                                  "lines": [{"template": "Restaurant", "amount": "12000.00"},
                                            {"template": "Minibar", "amount": "800.00"},
                                            {"template": "Restaurant", "amount": "-300.00"}],
                                  "payments": [
                                      {"payment_type": "cash", "method": None, "amount": "2500.00"},
                                      {"payment_type": "electronic", "method": "VISA",
                                       "amount": "10000.00"}]},
                         idempotency_key=key)


@pytest.fixture
def eod_conn(clock):
    return ClockPmsConnector.from_settings(clock.settings(
        eod_company_id=77, eod_document_type_id=5,
        eod_payment_types={"cash": "cash", "electronic": "card", "VISA": "visa"}))


def test_end_of_day_creates_a_company_folio_posts_revenue_and_payments_and_closes_it(
        eod_conn, clock, http):
    answer = eod_conn.send_posting(eod(), http)
    folio_id = answer["folio_id"]
    assert folio_id not in (clock.company,) and clock.folios[folio_id]["company_id"] == 77
    assert answer == {"folio_id": folio_id, "charges": 3, "credit_items": 2,
                      "marker": marker("ls:eod:2026-11-19"), "closed": True, "resumed": False}
    charges = clock.folio_charges(folio_id)
    assert [(c["charge_template_id"], c["price"], c["qty"], c["service_date"])
            for c in charges] == [(367891, Decimal("12000.00"), 1, date(2026, 11, 19)),
                                  (367893, Decimal("800.00"), 1, date(2026, 11, 19)),
                                  (367891, Decimal("300.00"), -1, date(2026, 11, 19))]
    items = clock.credit_items(folio_id)
    assert [(i["payment_type"], i["value"]) for i in items] == [
        ("cash", Decimal("2500.00")), ("visa", Decimal("10000.00"))]
    assert all(answer["marker"] in i["text"] for i in items)
    assert clock.folios[folio_id]["closed"] and clock.folios[folio_id]["document_type_id"] == 5
    assert eod_conn.posting_arrived(eod(), http) is True


def test_end_of_day_resumes_after_a_failure_half_way(eod_conn, clock, http):
    clock.fail_next("POST", "credit_items", status=500, applied=True)
    with pytest.raises(EndOfDayIncomplete):
        eod_conn.send_posting(eod(), http)
    assert eod_conn.posting_arrived(eod(), http) is False       # partly there: resend resumes
    answer = eod_conn.send_posting(eod(), http)
    assert answer["resumed"] is True
    folios = [fid for fid, f in clock.folios.items()
              if f.get("company_id") == 77 and fid != clock.company]
    assert folios == [answer["folio_id"]]                        # one EOD folio, not two
    assert len(clock.folio_charges(answer["folio_id"])) == 3
    assert len(clock.credit_items(answer["folio_id"])) == 2
    assert eod_conn.posting_arrived(eod(), http) is True


def test_end_of_day_needs_its_settings_and_known_payment_types(conn, eod_conn, http):
    with pytest.raises(PostingRefused, match="no eod_payment_types entry"):
        eod_conn.send_posting(PostingIntent(
            "end_of_day", "end_of_day", Decimal("1"), {
                "business_day": "2026-11-19", "lines": [{"template": "Tips", "amount": "1"}],
                "payments": [{"payment_type": "barter", "method": "GOATS", "amount": "1"}]},
            "k"), http)
    bare = ClockPmsConnector.from_settings({**conn.settings, "eod_company_id": None,
                                            "charge_templates": {}})
    with pytest.raises(PostingRefused, match="eod_company_id"):
        bare.send_posting(eod(), http)


def test_health_says_in_plain_words_whether_clock_answers(conn, clock, http):
    assert conn.health(http) == {"ok": True, "detail": "Clock PMS+ answered; 3 charge templates"}
    bad = ClockPmsConnector.from_settings({**clock.settings(), "api_key": "wrong-key"})
    assert bad.health(http)["ok"] is False
    clock.down = True
    health = conn.health(http)
    assert health["ok"] is False and "not answering" in health["detail"]


def test_search_lets_clock_errors_raise(conn, clock, http):
    from plugins.clock_pms.errors import ClockUnavailable
    clock.down = True
    with pytest.raises(ClockUnavailable):
        conn.search("anna", http)


def test_an_all_zero_posting_is_refused(conn, http):
    with pytest.raises(PostingRefused, match="every line is zero"):
        conn.send_posting(posting(amount="0", lines=[{"template": "Tips", "amount": "0"}]),
                          http)
