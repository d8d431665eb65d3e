"""Lightspeed's /search and /charge through the real hub (Flask app, SQLite ledger, Redis), with
a small PMS connector in memory (desk_pms.py) standing in for the hotel system: the charge
rules — 200 only once the room part is on the folio, retries, attempts in progress, ambiguous
failures, nothing half-posted, messages at most 50 characters."""
from __future__ import annotations

import json
import threading
from decimal import Decimal

import pytest

from fiscal.ledger.models import Job, Posting, StoredEvent
from desk_pms import DESK, desk_and_lightspeed, desk_host
from lightspeed_bills import bill, pay, sale

D = Decimal
API_KEY = "lightspeed-test-api-key-0001"


@pytest.fixture
def hub(settings, redis, auth, register):
    return desk_and_lightspeed(settings, auth, register, API_KEY)


def charge(client, pos, body, key="LS1_0001", api_key=API_KEY):
    return client.post(f"/hooks/{pos}/charge?apiKey={api_key}", data=json.dumps(body),
                       headers={"X-Lightspeed-Idempotency-Key": key,
                                "Content-Type": "application/json"})


def room_bill(**extra):
    return bill([sale("Burger", 1, 30.0, groupName="Food"), sale("Beer", 2, 20.0)],
                [pay("IKPMS", 35.0, gratuity=5.0, reservationId="booking:501"),
                 pay("CARD", 20.0)], **extra)


def counts(app):
    ledger = app.extensions["fiscalhub.intake"].ledger
    with ledger.session(readonly=True) as s:
        return {"events": s.query(StoredEvent).count(), "jobs": s.query(Job).count(),
                "postings": s.query(Posting).count()}


def test_search_answers_lightspeeds_shape_from_the_linked_pms(hub):
    app, client, pos, _ = hub
    resp = client.get(f"/hooks/{pos}/search?term=ann&businessExternalReference=x&apiKey={API_KEY}")
    assert resp.status_code == 200
    assert resp.json == [{"roomId": "101", "roomDescription": "101 Deluxe",
                          "clientName": "Anna Ivanova", "reservationId": "booking:501",
                          "creditLimit": "5000.00", "blocked": False}]
    house = client.get(f"/hooks/{pos}/search?term=house&apiKey={API_KEY}").json
    assert house == [{"roomId": "House account", "roomDescription": "Company account",
                      "clientName": "House account", "reservationId": "folio:88",
                      "blocked": False}]
    assert client.get(f"/hooks/{pos}/search?term=&apiKey={API_KEY}").json == []
    assert client.get(f"/hooks/{pos}/search?term=ann&apiKey=wrong-key").status_code == 401
    DESK.search_fails = True
    down = client.get(f"/hooks/{pos}/search?term=ann&apiKey={API_KEY}")
    assert down.status_code == 503
    assert down.json["customerErrorMessage"] == "Hotel system not reachable. Use another payment"


def test_a_room_charge_lands_on_the_folio_then_the_receipt_is_queued(hub):
    app, client, pos, desk = hub
    resp = charge(client, pos, room_bill())
    assert resp.status_code == 200, resp.json
    [posted] = DESK.charges("booking:501")
    assert posted["amount"] == D("35.00")
    assert [(ln["template"], ln["amount"]) for ln in posted["lines"]] == [
        ("Restaurant", "30.00"), ("Tips", "5.00")]
    assert posted["key"] == f"{pos}:lightspeed:xfe9ldKWSfW8VrAYUcnvGA==:room:booking:501"
    ledger = app.extensions["fiscalhub.intake"].ledger
    with ledger.session(readonly=True) as s:
        [job] = s.query(Job).all()
        receipt = job.payload["receipt"]
        assert receipt["total"] == "50.00"
        assert sorted((p["type"], p["amount"]) for p in receipt["payments"]) == [
            ("credit", "30.00"), ("electronic", "20.00")]
        [p] = s.query(Posting).all()
        assert (p.connection_id, p.state, p.target) == (desk, "posted", "booking:501")
        types = sorted(e.type for e in s.query(StoredEvent).all())
        assert types == ["charge", "receipt"]


def test_five_retries_of_one_charge_post_once_and_answer_alike(hub):
    app, client, pos, _ = hub
    answers = [charge(client, pos, room_bill()) for _ in range(5)]
    assert {a.status_code for a in answers} == {200}
    assert len({json.dumps(a.json, sort_keys=True) for a in answers}) == 1
    assert len(DESK.charges("booking:501")) == 1 and DESK.calls == 1
    assert counts(app) == {"events": 2, "jobs": 1, "postings": 1}


def test_a_retry_while_the_first_attempt_is_still_posting_waits_for_it(hub):
    app, client, pos, _ = hub
    DESK.delay = 1.0
    answers = []

    def attempt():
        answers.append(charge(app.test_client(), pos, room_bill()))
    threads = [threading.Thread(target=attempt) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert [a.status_code for a in answers] == [200, 200, 200]
    assert len(DESK.charges("booking:501")) == 1 and DESK.calls == 1
    assert counts(app) == {"events": 2, "jobs": 1, "postings": 1}


def test_hotel_system_down_gives_a_short_message_and_nothing_half_posted(hub):
    app, client, pos, _ = hub
    DESK.mode = "down"
    resp = charge(client, pos, room_bill())
    assert resp.status_code == 503
    assert resp.json["customerErrorMessage"] == "Hotel system not reachable. Use another payment"
    assert DESK.charges("booking:501") == []
    ledger = app.extensions["fiscalhub.intake"].ledger
    with ledger.session(readonly=True) as s:
        assert s.query(Job).count() == 0                 # no receipt for an unpaid bill
        [p] = s.query(Posting).all()
        assert p.state == "failed" and p.not_before is None    # not retried behind its back
    DESK.mode = "ok"                                     # the hotel system is back: asked again
    again = charge(client, pos, room_bill())
    assert again.status_code == 200 and len(DESK.charges("booking:501")) == 1


def test_a_refused_charge_says_so_and_queues_no_receipt(hub):
    app, client, pos, _ = hub
    DESK.mode = "refuse"
    resp = charge(client, pos, room_bill())
    assert resp.status_code == 422
    assert resp.json["customerErrorMessage"] == "Hotel refused the charge. Check guest at desk"
    assert counts(app)["jobs"] == 0


def test_an_ambiguous_failure_is_settled_by_asking_the_pms(hub):
    app, client, pos, _ = hub
    DESK.mode = "ambiguous_after"                # stored, then no answer: found on the folio
    assert charge(client, pos, room_bill()).status_code == 200
    assert len(DESK.charges("booking:501")) == 1 and counts(app)["jobs"] == 1
    DESK.reset()
    DESK.mode = "ambiguous_before"               # not stored: surely not posted
    other = room_bill(uuid="second-bill", fiscId="A1234.6", receiptId="R51.4")
    resp = charge(client, pos, other, key="LS1_0002")
    assert resp.status_code == 503 and DESK.charges("booking:501") == []


def test_a_bill_split_over_two_rooms_stops_at_the_first_refusal(hub):
    app, client, pos, _ = hub
    DESK.refuse_targets = {"booking:502"}
    body = bill([sale("Dinner", 1, 100.0)],
                [pay("IKPMS", 50.0, reservationId="booking:502"),
                 pay("IKPMS", 50.0, reservationId="booking:501")])
    resp = charge(client, pos, body)
    assert resp.status_code == 422
    assert DESK.charges("booking:501") == [] and DESK.calls == 1     # the second never sent
    ledger = app.extensions["fiscalhub.intake"].ledger
    with ledger.session(readonly=True) as s:
        assert sorted(p.state for p in s.query(Posting).all()) == ["failed", "failed"]


def test_a_bill_without_a_room_payment_is_mirrored_as_a_receipt(hub):
    app, client, pos, _ = hub
    body = bill([sale("Tea", 1, 5.0)], [pay("CASH", 5.0)])
    resp = charge(client, pos, body)
    assert resp.status_code == 200 and DESK.calls == 0
    assert counts(app) == {"events": 2, "jobs": 1, "postings": 0}


@pytest.mark.parametrize("body, key, status, message", [
    (b"not json", "LS1_x", 422, "Bill could not be read. Tell the manager"),
    ({"transactions": []}, "LS1_x", 422, "Bill could not be read. Tell the manager"),
    ({"uuid": "u1", "transactions": [{"type": "Sale", "quantity": 1, "amount": 1}],
      "payments": [{"methodCode": "BITCOIN", "amount": 1}]}, "LS1_x", 422,
     "Bill could not be read. Tell the manager"),
    ({"uuid": "u1", "transactions": [], "payments": []}, "", 400,
     "Request without idempotency key. Tell support"),
])
def test_bad_bodies_get_a_4xx_with_a_short_message(hub, body, key, status, message):
    app, client, pos, _ = hub
    data = body if isinstance(body, bytes) else json.dumps(body)
    resp = client.post(f"/hooks/{pos}/charge?apiKey={API_KEY}", data=data,
                       headers={"X-Lightspeed-Idempotency-Key": key})
    assert resp.status_code == status
    assert resp.json["customerErrorMessage"] == message
    assert DESK.calls == 0 and counts(app)["jobs"] == 0


def test_a_wrong_api_key_is_refused_before_anything_is_stored(hub):
    app, client, pos, _ = hub
    assert charge(client, pos, room_bill(), api_key="x" * 28).status_code == 401
    body = dict(room_bill(), apiKey=API_KEY)          # the key in the body is accepted too
    resp = client.post(f"/hooks/{pos}/charge", data=json.dumps(body),
                       headers={"X-Lightspeed-Idempotency-Key": "LS1_b"})
    assert resp.status_code == 200
    assert counts(app)["events"] == 2


def test_a_posting_worker_leaves_a_charge_the_route_is_sending_alone(hub):
    # The relay hands every new posting to the PMS connection's worker too: finding it
    # ``sending`` by a route, the worker must not take it for an interrupted try and resend.
    import time
    from hub.postings import PostingService
    app, client, pos, _ = hub
    DESK.delay = 1.5
    answers = []
    first = threading.Thread(target=lambda: answers.append(charge(app.test_client(), pos,
                                                                  room_bill())))
    first.start()
    ledger = app.extensions["fiscalhub.intake"].ledger
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        with ledger.session(readonly=True) as s:
            sending = s.query(Posting).filter(Posting.state == "sending").first()
        if sending is not None:
            break
        time.sleep(0.05)
    out = PostingService(ledger, desk_host(), worker="pms-worker-1").run(sending.id)
    assert (out.state, out.detail) == ("sending", "another sender is trying it right now; "
                                                  "left to it")
    first.join(30)
    assert answers[0].status_code == 200
    assert len(DESK.charges("booking:501")) == 1 and DESK.calls == 1
