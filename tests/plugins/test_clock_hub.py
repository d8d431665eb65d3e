"""The Clock PMS+ connector inside the hub: Clock's SNS pushes through
``/hooks/<connection id>/push`` (subscription, secret, a payment → one event and one receipt job,
redelivery), and an ambiguous room charge through the real posting service."""
from __future__ import annotations

import json
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal

import pytest

import plugins.clock_pms.plugin
from fake_clock_pms import FakeClockPms
from fiscal.ledger import connections, postings
from fiscal.ledger.models import Job, Posting, StoredEvent
from hub.plugins import PluginHost, make_plugin_manager
from hub.postings import PostingService

TODAY = date(2026, 11, 20)
SUBSCRIBE = ("https://sns.eu-central-1.amazonaws.com/?Action=ConfirmSubscription"
             "&TopicArn=arn:aws:sns:eu-central-1:1:clock&Token=abc")


def clock_host() -> PluginHost:
    return PluginHost(make_plugin_manager(load_entrypoints=False,
                                          extra=[("clock_pms", plugins.clock_pms.plugin)]))


@pytest.fixture
def clock():
    c = FakeClockPms(today=TODAY)
    c.add_charge_template(id=367891, text="Restaurant", tax_rate=Decimal("0.22"))
    c.folio_501 = c.add_booking(id=501, room="101", first_name="Anna", last_name="Ivanova",
                                checked_in=False, arrival=date(2026, 11, 25),
                                departure=date(2026, 11, 27))
    c.add_company(id=77, name="House account")
    with c.mocked() as rsps:
        c.rsps = rsps
        yield c


@pytest.fixture
def hub_client(settings, redis):
    from hub.app import create_app
    return create_app(settings, host=clock_host()).test_client()


@pytest.fixture
def connection(hub_client, auth, register, clock):
    resp = hub_client.post("/api/v1/connections", headers=auth, json={
        "connector": "clock_pms", "name": "Clock front office", "register_id": register["id"],
        "settings": clock.settings()})
    assert resp.status_code == 201, resp.json
    return resp.json


def sns(type_="Notification", subject="payment_create", message=None, message_id="m-1",
        **extra) -> str:
    return json.dumps({"Type": type_, "MessageId": message_id, "TopicArn":
                       "arn:aws:sns:eu-central-1:1:clock", "Subject": subject,
                       "Message": json.dumps(message or {}),
                       "Timestamp": "2026-11-20T09:00:00.000Z", **extra})


def push(client, connection, body, secret="push-secret-0123456789"):
    return client.post(f"/hooks/{connection['id']}/push?secret={secret}", data=body,
                       content_type="text/plain; charset=UTF-8")


def test_a_subscription_is_confirmed_only_at_amazonaws(hub_client, connection, clock):
    fetched = clock.rsps.get(SUBSCRIBE, body="<ConfirmSubscriptionResponse/>")
    ok = push(hub_client, connection, sns("SubscriptionConfirmation", SubscribeURL=SUBSCRIBE))
    assert ok.status_code == 200 and ok.json["subscribed"] is True
    assert fetched.call_count == 1
    evil = push(hub_client, connection, sns("SubscriptionConfirmation",
                                            SubscribeURL="https://amazonaws.com.evil.test/x"))
    plain = push(hub_client, connection, sns("SubscriptionConfirmation",
                                             SubscribeURL="http://sns.us-east-1.amazonaws.com/"))
    assert evil.status_code == plain.status_code == 400 and fetched.call_count == 1
    assert push(hub_client, connection, sns("UnsubscribeConfirmation")).status_code == 200
    assert push(hub_client, connection, "not json").status_code == 400


def test_a_wrong_or_missing_secret_is_401_and_nothing_is_read(hub_client, connection, clock,
                                                             ledger):
    body = sns(message={"credit_item_id": 1, "folio_id": clock.folio_501})
    assert push(hub_client, connection, body, secret="wrong").status_code == 401
    resp = hub_client.post(f"/hooks/{connection['id']}/push", data=body)
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"
    assert clock.requests == []
    with ledger.session(readonly=True) as s:
        assert s.query(StoredEvent).count() == 0


def test_a_payment_push_stores_one_event_and_one_receipt_and_a_redelivery_nothing(
        hub_client, connection, clock, ledger):
    cid = clock.add_credit_item(clock.folio_501, Decimal("7000.00"), "card",
                                created_at=datetime(2026, 11, 20, 9, tzinfo=timezone.utc))
    body = sns(message={"credit_item_id": cid, "folio_id": clock.folio_501, "booking_id": 501})
    first = push(hub_client, connection, body)
    assert first.status_code == 200, first.json
    [event] = first.json["events"]
    assert (event["event_id"], event["state"], event["duplicate"]) == (
        f"payment:{cid}", "accepted", False)
    assert len(event["job_ids"]) == 1
    again = push(hub_client, connection, sns(message_id="m-2", message={
        "credit_item_id": cid, "folio_id": clock.folio_501, "booking_id": 501}))
    assert again.status_code == 200 and again.json["events"][0]["duplicate"] is True
    assert again.json["events"][0]["job_ids"] == event["job_ids"]
    with ledger.session(readonly=True) as s:
        assert s.query(StoredEvent).count() == 1
        [job] = s.query(Job).all()
        receipt = job.payload["receipt"]
        assert job.idempotency_key.endswith(f"clock:payment:{cid}")
    assert (receipt["operation"], receipt["total"]) == ("sell", "7000.00")
    [item] = receipt["items"]
    assert (item["name"], item["vat"], item["payment_method"], item["amount"]) == (
        "Предоплата за проживание, бронь 501", "vat122", "full_prepayment", "7000.00")
    assert receipt["payments"] == [{"type": "electronic", "amount": "7000.00"}]
    assert ignored_subject(hub_client, connection) == {"ignored": "booking_checked_in"}


def ignored_subject(client, connection):
    return push(client, connection, sns(subject="booking_checked_in", message_id="m-3",
                                        message={"booking_id": 501})).json


def test_a_payment_of_an_unknown_type_is_stored_rejected_but_answered_200(
        hub_client, connection, clock, ledger):
    cid = clock.add_credit_item(clock.folio_501, Decimal("500.00"), "barter")
    resp = push(hub_client, connection, sns(message={"credit_item_id": cid,
                                                     "folio_id": clock.folio_501}))
    assert resp.status_code == 200
    assert resp.json["events"][0]["state"] == "rejected"
    assert "'barter' is not in payment_types" in resp.json["note"]
    assert "operator" in resp.json["note"]


def test_clock_failing_while_reading_the_payment_is_503_for_sns_to_retry(
        hub_client, connection, clock, ledger):
    cid = clock.add_credit_item(clock.folio_501, Decimal("500.00"), "card")
    clock.down = True
    resp = push(hub_client, connection, sns(message={"credit_item_id": cid,
                                                     "folio_id": clock.folio_501}))
    assert resp.status_code == 503 and resp.json["code"] == "clock_unavailable"
    with ledger.session(readonly=True) as s:
        assert s.query(StoredEvent).count() == 0


# --- the posting service -------------------------------------------------------------------------
class Now:
    def __init__(self):
        self.now = datetime(2026, 11, 20, 21, 0, tzinfo=timezone.utc)

    def __call__(self):
        return self.now


@pytest.mark.parametrize("applied", [True, False])
def test_an_ambiguous_room_charge_through_the_posting_service_is_posted_once(
        ledger, account, register, clock, applied):
    with ledger.session() as s:
        conn_id = connections.create_connection(
            s, account["id"], connector="clock_pms", name="Clock", settings=clock.settings(),
            actor="test", register_id=register["id"]).id
        posting, _ = postings.create_posting(
            s, account_id=account["id"], connection_id=conn_id, kind="room_charge",
            target="booking:501", amount=Decimal("1500.00"),
            payload={"lines": [{"template": "Restaurant", "amount": "1500.00"}],
                     "reference": "LS R51.3"}, idempotency_key="ls:R51:room", actor="test")
        posting_id = posting.id
    now = Now()
    service = PostingService(ledger, clock_host(), clock=now, worker="test")
    clock.fail_next("POST", "charges/bulk", status=500, applied=applied)
    first = service.run(posting_id)
    if applied:                                  # Clock stored it: posting_arrived says so
        assert first.state == "posted"
    else:                                        # it did not: sent again after the backoff
        assert first.state == "pending"
        now.now += timedelta(minutes=5)
        assert service.run(posting_id).state == "posted"
    with ledger.session(readonly=True) as s:
        row = s.get(Posting, posting_id)
        assert row.state == "posted"
        if applied:
            assert row.result == {"confirmed": "posting_arrived"}
    [charge] = clock.folio_charges(clock.folio_501)
    assert (charge["price"], charge["qty"], charge["charge_template_id"]) == (
        Decimal("1500.00"), 1, 367891)
    assert len([r for r in clock.requests if r[0] == "POST"]) == (1 if applied else 2)


def test_a_folio_void_push_is_read_from_clock_and_kept_for_an_operator(
        hub_client, connection, clock, ledger):
    clock.add_credit_item(clock.folio_501, Decimal("7000.00"), "card")
    resp = push(hub_client, connection, sns(subject="folio_void", message_id="m-9", message={
        "folio_id": clock.folio_501, "closed": False}))
    assert resp.status_code == 200
    [event] = resp.json["events"]
    assert (event["event_id"], event["state"]) == (f"folio_void:{clock.folio_501}", "rejected")
    assert "was voided" in resp.json["note"] and "7000.00" in resp.json["note"]
    reads = [path for method, path, _ in clock.requests if method == "GET"]
    assert reads == [f"folios/{clock.folio_501}", f"folios/{clock.folio_501}/charges",
                     f"folios/{clock.folio_501}/credit_items", "bookings/501"]


def test_a_refused_read_keeps_the_payment_rejected_for_an_operator(hub_client, connection,
                                                                   clock, ledger):
    cid = clock.add_credit_item(clock.folio_501, Decimal("500.00"), "card")
    clock.fail_next("GET", "bookings/501", status=403)
    resp = push(hub_client, connection, sns(message={"credit_item_id": cid,
                                                     "folio_id": clock.folio_501}))
    assert resp.status_code == 200
    [event] = resp.json["events"]
    assert (event["event_id"], event["state"]) == (f"payment:{cid}", "rejected")
    assert "Clock refused to give what the receipt needs" in resp.json["note"]
    assert "403" in resp.json["note"]
