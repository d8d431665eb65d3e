"""The Clock PMS+ API client: URL pattern, Digest auth, pacing, 429 handling, error sorting,
and each documented endpoint's request and answer — against ``responses``, no network."""
from __future__ import annotations

import json
import socket
from datetime import date, datetime, timezone
from decimal import Decimal

import pytest
import requests
import responses
from responses import matchers
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from plugins.clock_pms import payload
from plugins.clock_pms.client import ClockClient, base_url, cents
from plugins.clock_pms.errors import (ClockBadAnswer, ClockError, ClockRateLimited,
                                      ClockRefused, ClockUncertain, ClockUnavailable,
                                      clock_message)
from plugins.clock_pms.ratelimit import (TokenBucket, backoff_seconds, retry_after_seconds,
                                         wait_after_429)

BASE = "https://sky-eu1.clock-software.com/base_api/172528/16307"
PMS = "https://sky-eu1.clock-software.com/pms_api/172528/16307"
SETTINGS = {"region": "sky-eu1", "api_type": "pms_api", "subscription_id": 172528,
            "account_id": 16307, "api_user": "fiscalhub", "api_key": "s3cret"}


class FakeClock:
    def __init__(self):
        self.now, self.slept = 100.0, []

    def __call__(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


@pytest.fixture
def clock():
    return FakeClock()


@pytest.fixture
def client(clock):
    limiter = TokenBucket(clock=clock, sleep=clock.sleep)
    return ClockClient.from_settings(SETTINGS, requests.Session(), limiter=limiter,
                                     sleep=clock.sleep)


# --- base URL --------------------------------------------------------------------------------

def test_base_url_follows_the_documented_pattern():
    assert base_url("sky-eu1", "pms_api", 172528, 16307) == PMS
    assert base_url("sky-eu1", "base_api", "172528", "16307") == BASE
    assert (base_url("sky-us1", "yield_management_api", 1, 2)
            == "https://sky-us1.clock-software.com/yield_management_api/1/2")


@pytest.mark.parametrize("args", [
    ("sky eu1", "pms_api", 1, 2), ("evil.com/x", "pms_api", 1, 2), ("", "pms_api", 1, 2),
    ("sky-eu1", "admin_api", 1, 2), ("sky-eu1", "pms_api", "1/2", 3), ("sky-eu1", "pms_api", 1, "x"),
])
def test_base_url_refuses_what_is_not_a_region_api_type_or_id(args):
    with pytest.raises(ValueError):
        base_url(*args)


def test_client_url_uses_the_endpoint_api_type(client):
    assert client.url("folios/5", "base_api") == BASE + "/folios/5"
    assert client.url("bookings/find_in_hotel") == PMS + "/bookings/find_in_hotel"


# --- rate limiter ----------------------------------------------------------------------------

def test_six_calls_in_a_second_the_sixth_waits_a_fifth_of_a_second(clock):
    bucket = TokenBucket(rate=5, clock=clock, sleep=clock.sleep)
    waits = [bucket.acquire() for _ in range(6)]
    assert waits[:5] == [0.0] * 5
    assert waits[5] == pytest.approx(0.2)
    assert clock.now == pytest.approx(100.2)


def test_bucket_refills_with_time_and_never_beyond_capacity(clock):
    bucket = TokenBucket(rate=5, clock=clock, sleep=clock.sleep)
    for _ in range(5):
        bucket.acquire()
    clock.now += 0.4                       # two tokens back
    assert [bucket.acquire() for _ in range(3)] == [0.0, 0.0, pytest.approx(0.2)]
    clock.now += 60                        # a long pause refills 5, not 300
    assert [bucket.acquire() for _ in range(5)] == [0.0] * 5
    assert bucket.acquire() == pytest.approx(0.2)


def test_ten_calls_at_once_take_one_second(clock):
    bucket = TokenBucket(rate=5, clock=clock, sleep=clock.sleep)
    for _ in range(10):
        bucket.acquire()
    assert clock.now - 100 == pytest.approx(1.0)


def test_retry_after_and_backoff_figures():
    now = datetime(2026, 11, 22, 12, 0, 0, tzinfo=timezone.utc)
    assert retry_after_seconds("3") == 3.0
    assert retry_after_seconds("0.5") == 0.5
    assert retry_after_seconds("Sun, 22 Nov 2026 12:00:07 GMT", now) == 7.0
    assert retry_after_seconds("Sun, 22 Nov 2026 11:00:00 GMT", now) == 0.0
    assert retry_after_seconds(None) is None and retry_after_seconds("soon") is None
    assert [backoff_seconds(n) for n in (1, 2, 3, 4, 10)] == [1, 2, 4, 8, 30]
    assert wait_after_429(1, "2") == 2.0
    assert wait_after_429(3, None) == 4.0
    assert wait_after_429(1, "3600") == 60.0      # capped


# --- payloads --------------------------------------------------------------------------------

def test_money_goes_out_as_exact_json_numbers():
    body = {"charge": payload.charge(charge_template_id=367891, price=Decimal("12.30"),
                                     qty=2, tax_rate=Decimal("0.2"),
                                     service_date=date(2019, 11, 22))}
    text = payload.dumps(body)
    assert text == ('{"charge": {"charge_template_id": 367891, "price": 12.30, "qty": 2, '
                    '"tax_rate": 0.2, "service_date": "2019-11-22"}}')
    assert json.loads(text, parse_float=Decimal)["charge"]["price"] == Decimal("12.30")
    assert payload.dumps(Decimal("0.1") + Decimal("0.2")) == "0.3"
    assert payload.dumps(Decimal("1E+2")) == "100"
    assert payload.dumps({"t": "Tea \"x\" ü", "n": None, "b": True}) == \
        '{"t": "Tea \\"x\\" \\u00fc", "n": null, "b": true}'


def test_floats_and_non_finite_amounts_are_refused():
    with pytest.raises(TypeError):
        payload.dumps({"price": 1.5})
    with pytest.raises(ValueError):
        payload.dumps(Decimal("NaN"))
    with pytest.raises(TypeError):
        payload.charge(charge_template_id=1, price=1.5)


def test_a_charge_without_template_needs_revenue_group_price_and_text():
    with pytest.raises(ValueError):
        payload.charge(price=Decimal("5"), text="Tip")
    assert payload.charge(revenue_group="discount", text="Discount", price=Decimal("-3.50")) == \
        {"revenue_group": "discount", "text": "Discount", "price": Decimal("-3.50")}
    assert payload.charge(charge_template_id=7, service_date="2026-11-22") == \
        {"charge_template_id": 7, "service_date": "2026-11-22"}


def test_cents_fields_read_as_decimal():
    assert cents(1250) == Decimal("12.50") and str(cents(1250)) == "12.50"
    assert cents(-5) == Decimal("-0.05") and cents(None) is None


# --- HTTP: auth, 429, errors -----------------------------------------------------------------

def _digest_fields(header: str) -> dict:
    assert header.startswith("Digest ")
    return {k: v.strip('"') for k, v in
            (part.strip().split("=", 1) for part in header[len("Digest "):].split(","))}


def _md5(text: str) -> str:
    import hashlib
    return hashlib.md5(text.encode()).hexdigest()


@responses.activate
def test_digest_auth_is_negotiated_and_the_retry_carries_a_valid_answer(client):
    seen = []

    def clock_server(request):
        seen.append(request.headers.get("Authorization"))
        if "Authorization" not in request.headers:
            return 401, {"WWW-Authenticate": 'Digest realm="Clock PMS", nonce="n0nce", '
                                             'qop="auth", algorithm=MD5'}, ""
        return 200, {}, json.dumps([{"id": 1, "text": "Tea"}])

    responses.add_callback(responses.GET, BASE + "/charge_templates", callback=clock_server)
    assert client.charge_templates() == [{"id": 1, "text": "Tea"}]
    assert seen[0] is None and len(seen) == 2
    f = _digest_fields(seen[1])
    assert f["username"] == "fiscalhub" and f["realm"] == "Clock PMS" and f["nonce"] == "n0nce"
    assert f["uri"] == "/base_api/172528/16307/charge_templates" and f["qop"] == "auth"
    ha1 = _md5("fiscalhub:Clock PMS:s3cret")
    ha2 = _md5("GET:/base_api/172528/16307/charge_templates")
    assert f["response"] == _md5(f"{ha1}:n0nce:{f['nc']}:{f['cnonce']}:auth:{ha2}")


@responses.activate
def test_429_then_200_waits_per_retry_after_and_retries_once(client, clock):
    url = PMS + "/events/chargeable_folios"
    responses.add(responses.GET, url, status=429, headers={"Retry-After": "2"})
    responses.add(responses.GET, url, json=[{"folio_id": 9}])
    assert client.event_chargeable_folios() == [{"folio_id": 9}]
    assert len(responses.calls) == 2
    assert clock.slept == [2.0]


@responses.activate
def test_429_without_retry_after_backs_off_1_2_4_then_gives_up(client, clock):
    url = BASE + "/folios/77/charges/bulk"
    responses.add(responses.POST, url, status=429, body='{"message": "Too many requests"}')
    with pytest.raises(ClockRateLimited) as err:
        client.post_folio_charges(77, [payload.charge(charge_template_id=1, qty=1)])
    assert len(responses.calls) == 4                      # the first try + 3 retries
    assert clock.slept == [1.0, 2.0, 4.0]
    assert err.value.status == 429 and "Too many requests" in err.value.message
    assert isinstance(err.value, ClockUnavailable)


@responses.activate
def test_4xx_is_refused_with_clock_message_and_not_retried(client):
    responses.add(responses.POST, BASE + "/folios/5/charges/bulk", status=422,
                  json={"errors": {"folio": ["is closed"]}})
    with pytest.raises(ClockRefused) as err:
        client.post_folio_charges(5, [payload.charge(charge_template_id=1, qty=1)])
    assert err.value.status == 422 and err.value.message == "folio: is closed"
    assert "is closed" in err.value.body and len(responses.calls) == 1


@pytest.mark.parametrize("status", [500, 502, 504])
@responses.activate
def test_5xx_is_uncertain_and_sent_exactly_once(client, status):
    responses.add(responses.POST, BASE + "/folios/5/charges/bulk", status=status, body="boom")
    with pytest.raises(ClockUncertain) as err:
        client.post_folio_charges(5, [payload.charge(charge_template_id=1, qty=1)])
    assert err.value.status == status and err.value.message == "boom"
    assert len(responses.calls) == 1


@responses.activate
def test_503_is_unavailable_with_its_retry_after(client):
    responses.add(responses.GET, PMS + "/bookings/find_in_hotel", status=503,
                  headers={"Retry-After": "30"})
    with pytest.raises(ClockUnavailable) as err:
        client.bookings_in_hotel()
    assert err.value.status == 503 and err.value.retry_after == 30.0
    assert len(responses.calls) == 1


@responses.activate
def test_read_timeout_and_dropped_connection_are_uncertain_and_not_retried(client):
    url = BASE + "/folios/5/charges/bulk"
    responses.add(responses.POST, url, body=requests.exceptions.ReadTimeout("read timed out"))
    with pytest.raises(ClockUncertain):
        client.post_folio_charges(5, [])
    assert len(responses.calls) == 1
    responses.replace(responses.POST, url, body=requests.exceptions.ConnectionError(
        ProtocolError("Connection aborted.", ConnectionResetError())))
    with pytest.raises(ClockUncertain):
        client.post_folio_charges(5, [])
    assert len(responses.calls) == 2


@responses.activate
def test_connection_refused_is_unavailable(client):
    refused = NewConnectionError(None, "Failed to establish a new connection: refused")
    responses.add(responses.GET, BASE + "/folios/5", body=requests.exceptions.ConnectionError(
        MaxRetryError(None, BASE + "/folios/5", refused)))
    with pytest.raises(ClockUnavailable) as err:
        client.folio(5)
    assert err.value.status is None and "refused" in err.value.message
    responses.replace(responses.GET, BASE + "/folios/5",
                      body=requests.exceptions.ConnectTimeout("connect timed out"))
    with pytest.raises(ClockUnavailable):
        client.folio(5)


def test_a_real_refused_connection_is_unavailable(clock, monkeypatch):
    """requests' own exception for a closed local port (no network needed)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    c = ClockClient.from_settings(SETTINGS, requests.Session(),
                                  limiter=TokenBucket(clock=clock, sleep=clock.sleep))
    monkeypatch.setattr(c, "url", lambda path, api_type=None: f"http://127.0.0.1:{port}/{path}")
    with pytest.raises(ClockUnavailable):
        c.folio(1)


@responses.activate
def test_a_2xx_that_is_not_json_is_a_bad_answer(client):
    responses.add(responses.POST, BASE + "/folios/5/charges/", body="<html>ok</html>")
    with pytest.raises(ClockBadAnswer) as err:
        client.post_folio_charge(5, payload.charge(charge_template_id=1, qty=1))
    assert isinstance(err.value, ClockError) and err.value.status == 200


def test_clock_message_reading():
    assert clock_message('{"message": "Booking not found"}') == "Booking not found"
    assert clock_message('{"error": "Unauthorized"}') == "Unauthorized"
    assert clock_message('{"errors": ["a", "b"]}') == "a; b"
    assert clock_message("") == "no message"
    assert len(clock_message("x" * 1000)) == 300


def test_the_session_passed_in_is_the_one_used(clock):
    class Recording(requests.Session):
        def request(self, method, url, **kwargs):
            kwargs.setdefault("timeout", (5, 30))
            self.seen = (method, url, kwargs["timeout"])
            return super().request(method, url, **kwargs)

    session = Recording()
    c = ClockClient.from_settings(SETTINGS, session,
                                  limiter=TokenBucket(clock=clock, sleep=clock.sleep))
    with responses.RequestsMock() as rsps:
        rsps.add(responses.GET, BASE + "/payment_sub_types", json=[{"id": 3}])
        assert c.payment_sub_types() == [{"id": 3}]
    assert session.seen == ("GET", BASE + "/payment_sub_types", (5, 30))


# --- each documented endpoint: request and answer --------------------------------------------

def _sent(call) -> tuple:
    req = call.request
    body = req.body.decode() if isinstance(req.body, bytes) else req.body
    return req.method, req.url, body


GET_ENDPOINTS = [
    ("charge_templates", (), BASE + "/charge_templates",
     [{"id": 367891, "text": "Tea", "revenue_group": "f&b", "plain_price_cents": 100}]),
    ("payment_sub_types", (), BASE + "/payment_sub_types", [{"id": 4, "name": "Visa"}]),
    ("booking_default_folio", (812,), PMS + "/bookings/812/folios/default",
     {"id": 31, "closed": False}),
    ("booking_folios", (812,), PMS + "/bookings/812/folios/", [{"id": 31}, {"id": 32}]),
    ("booking_charges", (812,), PMS + "/bookings/812/charges_by_source",
     [{"id": 5, "folio_id": 31, "price_cents": 1250, "qty": 2}]),
    ("event_chargeable_folios", (), PMS + "/events/chargeable_folios",
     [{"event_name": "Wedding", "folio_id": 40, "folio_name": "Main"}]),
    ("company_chargeable_folios", (), BASE + "/companies/chargeable_folios",
     [{"company_name": "House account", "folio_name": "Paymaster", "folio_id": 41}]),
    ("folio", (31,), BASE + "/folios/31", {"id": 31, "balance_cents": 0}),
]


@pytest.mark.parametrize("method, args, url, answer", GET_ENDPOINTS,
                         ids=[e[0] for e in GET_ENDPOINTS])
@responses.activate
def test_documented_reads(client, method, args, url, answer):
    responses.add(responses.GET, url, json=answer)
    assert getattr(client, method)(*args) == answer
    assert len(responses.calls) == 1
    assert _sent(responses.calls[0]) == ("GET", url, None)
    assert responses.calls[0].request.headers["Accept"] == "application/json"


@responses.activate
def test_bookings_in_hotel_passes_the_query_through(client):
    answer = [{"id": 812, "room": "101", "guest_name": "Ivanov"}]
    responses.add(responses.GET, PMS + "/bookings/find_in_hotel", json=answer,
                  match=[matchers.query_param_matcher({"term": "101"})])
    assert client.bookings_in_hotel({"term": "101"}) == answer
    responses.add(responses.GET, PMS + "/bookings/find_in_hotel", json=[],
                  match=[matchers.query_param_matcher({})])
    assert client.bookings_in_hotel() == []


@responses.activate
def test_post_folio_charges_bulk_with_templates_qty_price_and_text(client):
    url = BASE + "/folios/31/charges/bulk"
    responses.add(responses.POST, url, body="")            # Clock answers an empty body
    charges = [
        payload.charge(charge_template_id=367891, service_date=date(2026, 11, 22), qty=2,
                       price=Decimal("4.50"), text="Tea #LS-ACC-1"),
        # a void: positive price, negative qty
        payload.charge(charge_template_id=367891, service_date="2026-11-22", qty=-1,
                       price=Decimal("4.50"), text="Void tea #LS-ACC-1"),
    ]
    assert client.post_folio_charges(31, charges) is None
    method, sent_url, body = _sent(responses.calls[0])
    assert (method, sent_url) == ("POST", url)
    assert responses.calls[0].request.headers["Content-Type"] == "application/json"
    assert body == ('{"charges": [{"charge_template_id": 367891, "text": "Tea #LS-ACC-1", '
                    '"price": 4.50, "qty": 2, "service_date": "2026-11-22"}, '
                    '{"charge_template_id": 367891, "text": "Void tea #LS-ACC-1", '
                    '"price": 4.50, "qty": -1, "service_date": "2026-11-22"}]}')


@responses.activate
def test_post_single_folio_charge_a_discount_returns_the_charge(client):
    url = BASE + "/folios/31/charges/"
    created = {"id": 901, "folio_id": 31, "price_cents": -350, "revenue_group": "discount"}
    responses.add(responses.POST, url, json=created, status=201)
    charge = payload.charge(revenue_group="discount", text="Discount", price=Decimal("-3.50"))
    assert client.post_folio_charge(31, charge) == created
    assert json.loads(_sent(responses.calls[0])[2], parse_float=Decimal) == \
        {"charge": {"revenue_group": "discount", "text": "Discount", "price": Decimal("-3.50")}}
    assert cents(created["price_cents"]) == Decimal("-3.50")


@responses.activate
def test_post_booking_charge_by_source_single_and_bulk(client):
    responses.add(responses.POST, PMS + "/bookings/812/charges_by_source", status=201,
                  json={"id": 902, "folio_id": 31, "price_cents": 100, "qty": 2})
    responses.add(responses.POST, PMS + "/bookings/812/charges_by_source/bulk", body="")
    one = payload.charge(charge_template_id=367891, revenue_group="f&b", revenue_category="test",
                         text="Tea", price=Decimal("1"), currency="USD", qty=2,
                         tax_rate=Decimal("0.2"), service_date="2019-11-22")
    assert client.post_booking_charge(812, one)["id"] == 902
    assert _sent(responses.calls[0])[2] == (
        '{"charge": {"charge_template_id": 367891, "revenue_group": "f&b", '
        '"revenue_category": "test", "text": "Tea", "price": 1, "currency": "USD", "qty": 2, '
        '"tax_rate": 0.2, "service_date": "2019-11-22"}}')
    assert client.post_booking_charges(812, [payload.charge(
        charge_template_id=367891, service_date="2022-01-08", qty=2)]) is None
    assert _sent(responses.calls[1])[2] == \
        '{"charges": [{"charge_template_id": 367891, "qty": 2, "service_date": "2022-01-08"}]}'


@responses.activate
def test_void_folio_charge_sends_delete_with_reason(client):
    url = BASE + "/folios/31/charges/901"
    responses.add(responses.DELETE, url, json={"id": 901, "archived_at": "2026-11-23T08:00:00Z"})
    assert client.void_folio_charge(31, 901, "guest complaint")["id"] == 901
    assert _sent(responses.calls[0]) == ("DELETE", url, '{"void_reason": "guest complaint"}')


@responses.activate
def test_end_of_day_folio_credit_item_and_close(client):
    responses.add(responses.POST, BASE + "/companies/12/folios", status=201, json={"id": 55})
    responses.add(responses.POST, BASE + "/folios/55/credit_items", status=201,
                  json={"id": 71, "value_cents": 12345})
    responses.add(responses.POST, BASE + "/folios/55/close", json={"id": 55, "closed": True})
    assert client.create_company_folio(12, "EUR") == {"id": 55}
    item = payload.credit_item(value=Decimal("123.45"), currency="EUR", text="Card payments",
                               payment_type="credit_card", payment_sub_type="Visa",
                               reference="eod-2026-11-22")
    assert client.post_credit_item(55, item)["id"] == 71
    assert client.close_folio(55, 3) == {"id": 55, "closed": True}
    bodies = [_sent(c)[2] for c in responses.calls]
    assert bodies == [
        '{"company_folio": {"currency": "EUR"}}',
        '{"credit_item": {"value": 123.45, "currency": "EUR", "text": "Card payments", '
        '"payment_type": "credit_card", "payment_sub_type": "Visa", "reference": "eod-2026-11-22"}}',
        '{"document_type_id": 3}',
    ]


def test_a_refund_is_a_negative_credit_item():
    assert payload.dumps(payload.credit_item(value=Decimal("-20.00"), currency="EUR")) == \
        '{"value": -20.00, "currency": "EUR"}'


def test_ids_in_paths_must_be_numbers(client):
    with pytest.raises(ValueError):
        client.folio("31/../../x")
    with pytest.raises(ValueError):
        client.booking_folios(True)
