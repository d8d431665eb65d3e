"""GET /api/v1/jobs: filters and keyset pages; GET /api/v1/health."""
import json
from datetime import datetime, timedelta, timezone

import pytest

from fiscal.ledger.models import Job
from receipts import receipt_job


def post(client, auth, body):
    resp = client.post("/api/v1/jobs", data=json.dumps(body), headers=auth,
                       content_type="application/json")
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


@pytest.fixture
def queue(client, auth, register, ledger):
    """Five receipts of 100, 200, … 500 and two service jobs, created a day apart."""
    ids = []
    for i in range(1, 6):
        amount = f"{i * 100}.00"
        body = receipt_job(register["id"], total=amount,
                           items=[{"name": f"Room {i}", "price": amount, "quantity": "1",
                                   "amount": amount, "vat": "vat20"}],
                           payments=[{"type": "electronic", "amount": amount}])
        ids.append(post(client, auth, body))
    ids.append(post(client, auth, {"kind": "x_report", "register": register["id"]}))
    ids.append(post(client, auth, {"kind": "close_shift", "register": register["id"]}))
    base = datetime(2026, 11, 1, 12, tzinfo=timezone.utc)
    with ledger.session() as s:
        for n, job_id in enumerate(ids):
            s.get(Job, job_id).created_at = base + timedelta(days=n)
    return ids


def listing(client, auth, **params):
    resp = client.get("/api/v1/jobs", query_string=params, headers=auth)
    assert resp.status_code == 200, resp.json
    return resp.json


def test_newest_first_with_keyset_pages(client, auth, queue):
    seen, cursor = [], None
    while True:
        page = listing(client, auth, limit=3, **({"cursor": cursor} if cursor else {}))
        seen += [j["id"] for j in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == list(reversed(queue))


def test_filters(client, auth, queue, register):
    def ids(**params):
        return [j["id"] for j in listing(client, auth, **params)["items"]]
    assert ids(kind="receipt") == list(reversed(queue[:5]))
    assert ids(kind="x_report,close_shift") == list(reversed(queue[5:]))
    assert ids(amount_min="200", amount_max="400.00") == [queue[3], queue[2], queue[1]]
    assert ids(created_from="2026-11-02", created_to="2026-11-03") == [queue[2], queue[1]]
    assert ids(created_from="2026-11-04T00:00:00+00:00", kind="receipt") == [queue[4], queue[3]]
    assert ids(state="received", register=register["id"]) == list(reversed(queue))
    assert ids(state="printed") == []


@pytest.mark.parametrize("params,field", [
    ({"state": "lost"}, "state"),
    ({"kind": "receipt,nonsense"}, "kind"),
    ({"limit": "0"}, "limit"),
    ({"limit": "many"}, "limit"),
    ({"amount_min": "abc"}, "amount_min"),
    ({"amount_min": "5", "amount_max": "1"}, "amount_min"),
    ({"created_from": "yesterday"}, "created_from"),
    ({"cursor": "%%%"}, "cursor"),
    ({"colour": "red"}, "colour"),
])
def test_bad_filters_are_422_naming_the_field(client, auth, queue, params, field):
    resp = client.get("/api/v1/jobs", query_string=params, headers=auth)
    assert resp.status_code == 422
    assert field in resp.json["errors"]


def test_health_without_a_key_answers_counts_only(client, register):
    body = client.get("/api/v1/health").json
    assert body["status"] == "ok"
    assert body["database"]["ok"] and body["redis"]["ok"]
    assert body["registers"]["total"] == 1 and "items" not in body["registers"]


def test_health_with_a_key_lists_the_accounts_registers_and_workers(client, auth, register,
                                                                    relay, run_worker, redis):
    post(client, auth, {"kind": "open_shift", "register": register["id"]})
    relay.dispatch()
    run_worker(register["id"])
    body = client.get("/api/v1/health", headers=auth).json
    (reg,) = body["registers"]["items"]
    assert reg["id"] == register["id"] and reg["online"] is True
    assert reg["state"]["shift_open"] is True
    assert body["database"]["jobs_pending"] == 0


def test_health_reports_redis_down_as_503(settings, ledger, register):
    from hub.app import create_app
    settings.redis_url = "redis://127.0.0.1:1/0"
    resp = create_app(settings).test_client().get("/api/v1/health")
    assert resp.status_code == 503
    assert resp.json["redis"]["ok"] is False and resp.json["database"]["ok"] is True
