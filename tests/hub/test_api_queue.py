"""The print queue: the filters added to GET /api/v1/jobs (job or document ID, source connection,
FD number), GET /api/v1/jobs/counts, and the details of GET /api/v1/jobs/{id}."""
import pytest

from fiscal.ledger.models import Job
from queue_helpers import (failed_job, mixed_sale, post, post_job, print_all, printed_job,
                           set_state)
from receipts import receipt_job

STATES = ["received", "queued", "sending", "printed", "failed", "needs_attention", "held",
          "cancelled"]


def ids(client, auth, **params):
    resp = client.get("/api/v1/jobs", query_string=params, headers=auth)
    assert resp.status_code == 200, resp.json
    return [j["id"] for j in resp.json["items"]]


def counts(client, auth, **params):
    resp = client.get("/api/v1/jobs/counts", query_string=params, headers=auth)
    assert resp.status_code == 200, resp.json
    return resp.json


def test_job_id_filter_matches_the_id_or_the_document_id(client, auth, register):
    by_key = post_job(client, auth, receipt_job(register["id"]) | {"idempotency_key": "folio-7"})
    other = post_job(client, auth, receipt_job(register["id"]))
    assert ids(client, auth, job_id="folio-7") == [by_key["id"]]
    assert ids(client, auth, job_id=other["id"]) == [other["id"]]
    assert ids(client, auth, job_id="folio-8") == []
    assert counts(client, auth, job_id="folio-7")["total"] == 1


def test_connection_filter(client, auth, register, ledger):
    a = post_job(client, auth, receipt_job(register["id"]))["id"]
    b = post_job(client, auth, receipt_job(register["id"]))["id"]
    with ledger.session() as s:
        s.get(Job, a).connection_id = "conn-pms"
        s.get(Job, b).connection_id = "conn-pos"
    assert ids(client, auth, connection="conn-pms") == [a]
    assert counts(client, auth, connection="conn-pos")["by_state"]["received"] == 1


def test_fd_number_filter_finds_the_printed_document(client, auth, register, relay, run_worker):
    first = printed_job(client, auth, register, relay, run_worker)
    second = printed_job(client, auth, register, relay, run_worker)
    fd = second["result"]["fd_number"]
    assert fd == first["result"]["fd_number"] + 1
    assert ids(client, auth, fd_number=fd) == [second["id"]]
    assert ids(client, auth, fd_number=fd, register=register["id"], kind="receipt") == [
        second["id"]]
    assert ids(client, auth, fd_number=fd + 100) == []


@pytest.mark.parametrize("params,field", [
    ({"fd_number": "0"}, "fd_number"),
    ({"fd_number": "x"}, "fd_number"),
    ({"fd_number": str(2**40)}, "fd_number"),
    ({"job_id": ""}, "job_id"),
])
def test_bad_new_filters_are_422(client, auth, params, field):
    for url in ("/api/v1/jobs", "/api/v1/jobs/counts"):
        resp = client.get(url, query_string=params, headers=auth)
        assert resp.status_code == 422 and field in resp.json["errors"], resp.json


def test_counts_per_state_with_every_state_present(client, auth, register, ledger):
    jobs = [post_job(client, auth, receipt_job(register["id"]))["id"] for _ in range(5)]
    post_job(client, auth, {"kind": "x_report", "register": register["id"]})
    set_state(ledger, jobs[0], "received", "queued")
    set_state(ledger, jobs[1], "received", "queued", "sending", "printed")
    set_state(ledger, jobs[2], "received", "cancelled")
    body = counts(client, auth)
    assert list(body["by_state"]) == STATES
    assert body["by_state"] == {"received": 3, "queued": 1, "sending": 0, "printed": 1,
                                "failed": 0, "needs_attention": 0, "held": 0, "cancelled": 1}
    assert body["total"] == 6
    assert counts(client, auth, kind="receipt")["total"] == 5
    assert counts(client, auth, kind="x_report")["by_state"]["received"] == 1
    assert counts(client, auth, amount_min="900")["total"] == 0


def test_counts_refuse_what_they_do_not_take(client, auth):
    for params in ({"state": "queued"}, {"limit": "5"}, {"cursor": "x"}, {"colour": "red"}):
        resp = client.get("/api/v1/jobs/counts", query_string=params, headers=auth)
        assert resp.status_code == 422 and list(resp.json["errors"]) == list(params)


def test_counts_and_filters_see_only_the_account(client, auth, register, other_account):
    post_job(client, auth, receipt_job(register["id"]) | {"idempotency_key": "doc-1"})
    theirs = post_job(client, other_account["auth"],
                      receipt_job(other_account["register_id"]) | {"idempotency_key": "doc-1"})
    assert counts(client, other_account["auth"])["total"] == 1
    assert ids(client, auth, job_id=theirs["id"]) == []
    assert ids(client, auth, register=other_account["register_id"]) == []
    assert counts(client, auth, register=other_account["register_id"])["total"] == 0


def test_viewer_may_read_counts_and_details(as_user, client, auth, register):
    job = post_job(client, auth, receipt_job(register["id"]))
    viewer = as_user("viewer")
    assert viewer.get("/api/v1/jobs/counts").json["total"] == 1
    assert viewer.get(f"/api/v1/jobs/{job['id']}").json["id"] == job["id"]
    assert client.get("/api/v1/jobs/counts").status_code == 401


def test_details_of_a_posted_job(client, auth, register):
    job = post_job(client, auth, receipt_job(register["id"]))
    got = client.get(f"/api/v1/jobs/{job['id']}", headers=auth).json
    assert got["connection_id"] is None and got["cashier_id"] is None
    assert got["refund_of"] is None and got["refunds"] == [] and got["refund_left"] is None
    assert got["source"] is None and got["history"][0]["to"] == "received"


def test_details_of_a_printed_sale_show_its_refunds_and_what_is_left(
        client, auth, register, relay, run_worker):
    sale = printed_job(client, auth, register, relay, run_worker)
    assert sale["result"]["fd_number"] and sale["attempt_log"][0]["outcome"] == "printed"
    assert sale["refund_left"] == {
        "total": "850.50",
        "items": [{"index": 0, "name": "Борщ", "sku": None, "price": "350.00",
                   "quantity": "2.000", "amount": "700.00"},
                  {"index": 1, "name": "Чай", "sku": None, "price": "150.50",
                   "quantity": "1.000", "amount": "150.50"}],
        "payments": [{"type": "electronic", "amount": "500.00"},
                     {"type": "cash", "amount": "350.50"}]}
    resp = post(client, auth, f"/api/v1/jobs/{sale['id']}/refund",
                {"items": [{"index": 0, "quantity": "1"}]})
    assert resp.status_code == 201, resp.json
    refund = resp.json
    print_all(relay, run_worker, register["id"])
    got = client.get(f"/api/v1/jobs/{sale['id']}", headers=auth).json
    assert got["refunds"] == [{"id": refund["id"], "state": "printed", "total": "350.00",
                               "created_at": refund["created_at"]}]
    assert got["refund_left"]["total"] == "500.50"
    assert got["refund_left"]["items"][0]["quantity"] == "1.000"
    assert got["refund_left"]["payments"] == [{"type": "electronic", "amount": "150.00"},
                                              {"type": "cash", "amount": "350.50"}]
    of_refund = client.get(f"/api/v1/jobs/{refund['id']}", headers=auth).json
    assert of_refund["refund_of"] == sale["id"] and of_refund["refund_left"] is None


def test_details_of_a_failed_job_name_the_error(client, auth, register, relay, run_worker):
    job = failed_job(client, auth, register, relay, run_worker)
    assert job["error"]["code"] and job["history"][-1]["to"] == "failed"
    assert job["refund_left"] is None


def test_details_of_another_accounts_job_are_not_found(client, auth, register, other_account):
    theirs = post_job(client, other_account["auth"], mixed_sale(other_account["register_id"]))
    resp = client.get(f"/api/v1/jobs/{theirs['id']}", headers=auth)
    assert resp.status_code == 404 and resp.json["code"] == "not_found"
