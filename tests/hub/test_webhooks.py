"""POST /hooks/<connection id>: verify, store, translate, and write events, jobs, postings and
the outbox in one transaction; redeliveries (concurrent ones too) create nothing; a connector
that raises, returns an invalid job or is slow loses nothing: the event is kept as rejected."""
import json
import threading
import time

import pytest
import requests
from werkzeug.serving import make_server

from fiscal.ledger.models import Job, Outbox, Posting, StoredEvent
from sample_connectors import LAB_SECRET

C = "/api/v1/connections"


def deliver(client, conn_id, body, secret=LAB_SECRET, **headers):
    return client.post(f"/hooks/{conn_id}", data=json.dumps(body) if not isinstance(
        body, (bytes, str)) else body, headers={"X-Lab-Secret": secret,
                                                "Content-Type": "application/json", **headers})


def counts(ledger):
    with ledger.session(readonly=True) as s:
        return {"events": s.query(StoredEvent).count(), "jobs": s.query(Job).count(),
                "postings": s.query(Posting).count(), "outbox": s.query(Outbox).count()}


def set_mode(client, auth, conn, mode):
    resp = client.patch(f"{C}/{conn['id']}", headers=auth, json={"settings": {"mode": mode}})
    assert resp.status_code == 200, resp.json


def test_an_event_becomes_a_job_and_a_posting_in_one_go(lab_client, auth, lab_connection,
                                                        ledger, register):
    conn = lab_connection()
    resp = deliver(lab_client, conn["id"], {"id": "bill-1", "items": 3, "tip": "50.00"})
    assert resp.status_code == 202, resp.json
    (event,) = resp.json["events"]
    assert (event["event_id"], event["state"], event["duplicate"]) == ("bill-1", "accepted",
                                                                       False)
    assert len(event["job_ids"]) == 1 and len(event["posting_ids"]) == 1
    job = lab_client.get(f"/api/v1/jobs/{event['job_ids'][0]}", headers=auth).json
    assert job["register"] == register["id"] and job["total"] == "300.00"
    assert job["idempotency_key"] == f"{conn['id']}:lab:bill-1"
    assert job["source"] == {"connection_id": conn["id"], "connector": "lab",
                             "event_id": "bill-1", "source_event": event["id"]}
    assert counts(ledger) == {"events": 1, "jobs": 1, "postings": 1, "outbox": 2}
    with ledger.session(readonly=True) as s:
        posting = s.get(Posting, event["posting_ids"][0])
        assert (posting.kind, posting.target, str(posting.amount), posting.state) == (
            "tip", "house", "50.00", "pending")
        topics = sorted(r.topic for r in s.query(Outbox))
        assert topics == ["posting", "print"]
    conn_now = lab_client.get(f"{C}/{conn['id']}", headers=auth).json
    assert conn_now["last_event_at"] is not None


def test_a_redelivery_gets_the_first_answer_and_creates_nothing(lab_client, lab_connection,
                                                               ledger):
    conn = lab_connection()
    first = deliver(lab_client, conn["id"], {"id": "bill-2", "tip": "5.00"})
    again = deliver(lab_client, conn["id"], {"id": "bill-2", "tip": "5.00"})
    assert again.status_code == first.status_code == 202
    assert again.json["events"] == [{**first.json["events"][0], "duplicate": True}]
    assert counts(ledger) == {"events": 1, "jobs": 1, "postings": 1, "outbox": 2}


def test_two_connections_may_send_the_same_ids(lab_client, lab_connection, ledger):
    one, two = lab_connection(), lab_connection(name="Second till")
    assert deliver(lab_client, one["id"], {"id": "bill-7"}).status_code == 202
    assert deliver(lab_client, two["id"], {"id": "bill-7"}).status_code == 202
    assert counts(ledger)["jobs"] == 2


@pytest.fixture
def served(lab_app):
    """The app on a real HTTP server on 127.0.0.1 (threaded, as in production)."""
    server = make_server("127.0.0.1", 0, lab_app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def test_concurrent_deliveries_of_one_event_create_one_set_of_jobs(served, lab_connection,
                                                                  ledger):
    conn = lab_connection()
    barrier = threading.Barrier(8)
    answers = []

    def send():
        body = json.dumps({"id": "bill-race", "items": 2, "tip": "20.00"})
        barrier.wait()
        resp = requests.post(f"{served}/hooks/{conn['id']}", data=body, timeout=30,
                             headers={"X-Lab-Secret": LAB_SECRET})
        answers.append((resp.status_code, resp.json()))
    threads = [threading.Thread(target=send) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert [status for status, _ in answers] == [202] * 8
    events = [body["events"][0] for _, body in answers]
    assert sorted(e["duplicate"] for e in events) == [False] + [True] * 7
    assert len({(tuple(e["job_ids"]), tuple(e["posting_ids"])) for e in events}) == 1
    assert counts(ledger) == {"events": 1, "jobs": 1, "postings": 1, "outbox": 2}


def test_a_request_that_is_not_authentic_stores_nothing(lab_client, lab_connection, ledger):
    conn = lab_connection()
    for headers in ({"X-Lab-Secret": "wrong-secret"}, {}):
        resp = lab_client.post(f"/hooks/{conn['id']}", data=b'{"id": "x"}', headers=headers)
        assert resp.status_code == 401 and resp.json["code"] == "unauthorized"
    assert "X-Lab-Secret" in resp.json["message"]
    assert counts(ledger) == {"events": 0, "jobs": 0, "postings": 0, "outbox": 0}


def test_an_unknown_connection_answers_404(lab_client):
    resp = lab_client.post("/hooks/no-such-connection", data=b"{}")
    assert resp.status_code == 404 and resp.json["code"] == "not_found"


@pytest.mark.parametrize("mode, reason", [
    ("raise", "lab failed inside translate: RuntimeError: lab connector bug"),
    ("refuse", "lab refuses this event"),
    ("invalid", "intent 0: the job is not valid: receipt"),
])
def test_a_failing_translation_keeps_the_event_rejected(lab_client, auth, lab_connection,
                                                        ledger, mode, reason):
    conn = lab_connection(settings={"secret": LAB_SECRET, "mode": mode})
    resp = deliver(lab_client, conn["id"], {"id": f"bill-{mode}", "tip": "1.00"})
    assert resp.status_code == 422, resp.json
    assert resp.json["code"] == "event_rejected"
    (event,) = resp.json["events"]
    assert event["state"] == "rejected" and reason in event["reason"]
    assert resp.json["errors"] == {f"bill-{mode}": [event["reason"]]}
    assert counts(ledger) == {"events": 1, "jobs": 0, "postings": 0, "outbox": 0}
    if mode == "invalid":
        assert "total" in json.dumps(event["errors"])
    # the redelivery is answered the same, and still creates nothing
    assert deliver(lab_client, conn["id"], {"id": f"bill-{mode}", "tip": "1.00"}).json[
        "events"][0]["reason"] == event["reason"]
    assert counts(ledger)["events"] == 1


def test_a_slow_connector_is_cut_off_and_the_hub_keeps_answering(settings, redis, auth,
                                                                register):
    from hub.app import create_app
    from sample_connectors import lab_host
    settings.translate_timeout = 0.5
    client = create_app(settings, host=lab_host()).test_client()
    resp = client.post(C, headers=auth, json={
        "connector": "lab", "name": "Slow till", "register_id": register["id"],
        "settings": {"secret": LAB_SECRET, "mode": "slow"}})
    conn = resp.json
    started = time.monotonic()
    answer = deliver(client, conn["id"], {"id": "bill-slow"})
    assert time.monotonic() - started < 2.5
    assert answer.status_code == 422
    assert "did not translate the event within 0.5 s" in answer.json["events"][0]["reason"]
    assert client.get("/api/v1/health").status_code == 200
    set_mode(client, auth, conn, "ok")
    assert deliver(client, conn["id"], {"id": "bill-fast"}).status_code == 202


def test_a_rejected_event_is_replayed_once_the_settings_are_fixed(lab_client, auth,
                                                                  lab_connection, ledger):
    conn = lab_connection(settings={"secret": LAB_SECRET, "mode": "raise"})
    event = deliver(lab_client, conn["id"], {"id": "bill-fix", "tip": "7.00"}).json["events"][0]
    replay = f"{C}/{conn['id']}/events/{event['id']}/replay"
    still = lab_client.post(replay, headers=auth)
    assert still.status_code == 200 and still.json["state"] == "rejected"
    assert still.json["replays"] == 1
    set_mode(lab_client, auth, conn, "ok")
    done = lab_client.post(replay, headers=auth)
    assert done.status_code == 200, done.json
    assert done.json["state"] == "accepted" and done.json["replays"] == 2
    assert len(done.json["job_ids"]) == 1 and len(done.json["posting_ids"]) == 1
    assert counts(ledger) == {"events": 1, "jobs": 1, "postings": 1, "outbox": 2}
    again = lab_client.post(replay, headers=auth)
    assert again.status_code == 409 and again.json["code"] == "not_rejected"
    # a redelivery now answers the accepted outcome
    redelivered = deliver(lab_client, conn["id"], {"id": "bill-fix", "tip": "7.00"})
    assert redelivered.status_code == 202
    assert redelivered.json["events"][0]["job_ids"] == done.json["job_ids"]


def test_replay_needs_the_jobs_act_role(lab_app, lab_connection, people, auth):
    from conftest import PASSWORDS, UserClient
    conn = lab_connection(settings={"secret": LAB_SECRET, "mode": "raise"})
    client = lab_app.test_client()
    event = deliver(client, conn["id"], {"id": "bill-role"}).json["events"][0]
    replay = f"{C}/{conn['id']}/events/{event['id']}/replay"
    viewer = UserClient(lab_app, "viewer", PASSWORDS["viewer"])
    assert viewer.post(replay).status_code == 403
    operator = UserClient(lab_app, "operator", PASSWORDS["operator"])
    assert operator.post(replay).status_code == 200


def test_a_body_the_connector_cannot_parse_is_kept_and_not_replayable(lab_client, auth,
                                                                      lab_connection, ledger):
    conn = lab_connection()
    resp = deliver(lab_client, conn["id"], b"this is not json")
    assert resp.status_code == 400 and resp.json["code"] == "malformed_request"
    (event,) = resp.json["events"]
    assert event["type"] == "unparsed" and event["event_id"].startswith("unparsed:")
    assert "JSONDecodeError" in event["reason"]
    again = deliver(lab_client, conn["id"], b"this is not json")
    assert again.json["events"][0]["id"] == event["id"]
    assert counts(ledger)["events"] == 1
    stored = lab_client.get(f"{C}/{conn['id']}/events/{event['id']}", headers=auth).json
    assert stored["request"]["body"] == "this is not json"
    replay = lab_client.post(f"{C}/{conn['id']}/events/{event['id']}/replay", headers=auth)
    assert replay.status_code == 409 and replay.json["code"] == "not_replayable"


def test_jobs_the_ledger_refuses_keep_the_event_rejected(lab_client, auth, lab_connection,
                                                        ledger, register):
    conn = lab_connection()
    lab_client.delete(f"/api/v1/registers/{register['id']}", headers=auth)
    resp = deliver(lab_client, conn["id"], {"id": "bill-removed", "tip": "3.00"})
    assert resp.status_code == 422
    assert "was removed" in resp.json["events"][0]["reason"]
    # the savepoint took the posting back too: an event is all or nothing
    assert counts(ledger) == {"events": 1, "jobs": 0, "postings": 0, "outbox": 0}


def test_a_connection_whose_connector_is_gone_answers_503(settings, redis, auth, register,
                                                         lab_connection, ledger):
    from hub.app import create_app
    from hub.plugins import PluginHost, make_plugin_manager
    conn = lab_connection()
    bare = create_app(settings, host=PluginHost(make_plugin_manager(
        load_entrypoints=False, disabled=[]))).test_client()
    resp = deliver(bare, conn["id"], {"id": "bill-gone"})
    assert resp.status_code == 503 and resp.json["code"] == "connector_unavailable"
    assert resp.headers["Retry-After"] == "60"
    shown = bare.get(f"{C}/{conn['id']}", headers=auth).json
    assert shown["connector_installed"] is False and shown["settings"] == {"secret": "********"}
    assert counts(ledger)["events"] == 0


def test_a_body_over_one_megabyte_is_refused(lab_client, lab_connection, ledger):
    conn = lab_connection()
    resp = deliver(lab_client, conn["id"], b"x" * (1024 * 1024 + 1))
    assert resp.status_code == 413
    assert counts(ledger)["events"] == 0


def test_events_are_listed_newest_first_with_filters_and_pages(lab_client, auth,
                                                               lab_connection):
    conn = lab_connection()
    for n in range(5):
        deliver(lab_client, conn["id"], {"id": f"e{n}"})
    set_mode(lab_client, auth, conn, "refuse")
    deliver(lab_client, conn["id"], {"id": "bad"})
    url = f"{C}/{conn['id']}/events"
    page = lab_client.get(f"{url}?limit=4", headers=auth).json
    assert [e["event_id"] for e in page["items"]] == ["bad", "e4", "e3", "e2"]
    rest = lab_client.get(f"{url}?limit=4&cursor={page['next_cursor']}", headers=auth).json
    assert [e["event_id"] for e in rest["items"]] == ["e1", "e0"] and rest["next_cursor"] is None
    rejected = lab_client.get(f"{url}?state=rejected", headers=auth).json["items"]
    assert [e["event_id"] for e in rejected] == ["bad"]
    for query in ("state=lost", "limit=0", "cursor=garbage", "colour=red"):
        resp = lab_client.get(f"{url}?{query}", headers=auth)
        assert resp.status_code == 422, (query, resp.json)


def test_event_details_mask_credentials(lab_client, auth, lab_connection):
    conn = lab_connection()
    body = {"id": "e-mask", "note": f"the secret is {LAB_SECRET}"}
    event = deliver(lab_client, conn["id"], body, Authorization="Bearer abc").json["events"][0]
    shown = lab_client.get(f"{C}/{conn['id']}/events/{event['id']}", headers=auth).json
    assert shown["request"]["headers"]["X-Lab-Secret"] == "********"
    assert shown["request"]["headers"]["Authorization"] == "********"
    assert LAB_SECRET not in json.dumps(shown)
    assert shown["payload"]["event_id"] == "e-mask"
    missing = lab_client.get(f"{C}/{conn['id']}/events/nope", headers=auth)
    assert missing.status_code == 404


def test_job_state_observers_are_told_after_the_commit_only(settings, redis, auth, register,
                                                           ledger):
    from hub.app import create_app
    from hub.hookspecs import hookimpl
    from sample_connectors import lab_host
    seen = []

    class Observer:
        @hookimpl
        def fiscalhub_job_state_changed(self, job_id, old_state, new_state):
            with ledger.session(readonly=True) as s:       # committed: visible elsewhere
                seen.append((job_id, old_state, new_state, s.get(Job, job_id).state))

    class Broken:
        @hookimpl
        def fiscalhub_job_state_changed(self, job_id):
            raise RuntimeError("an observer's bug")

    client = create_app(settings, host=lab_host(("observer", Observer()),
                                                ("broken", Broken()))).test_client()
    conn = client.post(C, headers=auth, json={
        "connector": "lab", "name": "Till", "register_id": register["id"],
        "settings": {"secret": LAB_SECRET}}).json
    event = deliver(client, conn["id"], {"id": "seen"}).json["events"][0]
    assert seen == [(event["job_ids"][0], None, "received", "received")]
    client.patch(f"{C}/{conn['id']}", headers=auth, json={"settings": {"mode": "invalid"}})
    assert deliver(client, conn["id"], {"id": "unseen"}).status_code == 422
    assert client.post("/api/v1/jobs/cancel", headers=auth,
                       json={"reason": "closing early"}).json == {"cancelled": 1}
    assert seen[1:] == [(event["job_ids"][0], "received", "cancelled", "cancelled")]


def test_a_rejected_end_of_day_is_replayed_by_asking_the_connector_again(
        lab_app, lab_client, auth, lab_connection, ledger):
    from datetime import date

    from fiscal.ledger.models import Connection
    from hub.connection_runtime import load_connector
    from hub.connectors import SourceEvent
    conn = lab_connection(settings={"secret": LAB_SECRET, "mode": "invalid"})
    intake = lab_app.extensions["fiscalhub.intake"]
    with ledger.session(readonly=True) as s:
        row = s.get(Connection, conn["id"])
    day = date(2026, 11, 21)
    intents = load_connector(intake.host, row).end_of_day(day, None)
    event = SourceEvent(event_id=f"end_of_day:{day}", type="end_of_day",
                        payload={"business_day": day.isoformat()})
    outcome = intake.accept_intents(row, event, intents, actor="scheduler")
    assert outcome.state == "rejected" and "finite Decimal" in outcome.reason
    set_mode(lab_client, auth, conn, "ok")
    done = lab_client.post(f"{C}/{conn['id']}/events/{outcome.id}/replay", headers=auth)
    assert done.status_code == 200 and done.json["state"] == "accepted", done.json
    with ledger.session(readonly=True) as s:
        (posting,) = s.query(Posting).all()
        assert (posting.kind, str(posting.amount)) == ("revenue", "1500.00")
