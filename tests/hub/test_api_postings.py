"""``/api/v1/postings``: the list with its filters and pages, the counts, a posting with its
history, and the operator's actions — repeat, cancel, mark posted — with their refusals:
states, bodies, roles, another account's postings."""
import json

import pytest
import responses

from fiscal.ledger.models import Connection
from hub.postings import PostingService
from posting_helpers import (CHARGES, LOOKUP, add_connection, add_posting, folio_host, row,
                             set_state)
from queue_helpers import audit_actions, post


@pytest.fixture
def postings(ledger, account, register, conn):
    """Five postings, oldest first, in every state an operator meets; a second connection has
    the tip."""
    bar = add_connection(ledger, account["id"], register["id"], name="Bar PMS")
    ids = {
        "posted": add_posting(ledger, account["id"], conn, key="k-1", amount="1500.00"),
        "failed": add_posting(ledger, account["id"], conn, key="k-2", amount="250.50"),
        "attention": add_posting(ledger, account["id"], conn, key="k-3", amount="99.90"),
        "tip": add_posting(ledger, account["id"], bar, key="k-4", amount="300.00",
                           kind="tip"),
        "pending": add_posting(ledger, account["id"], conn, key="k-5", amount="-120.00",
                               kind="void"),
    }
    set_state(ledger, ids["posted"], "pending", "sending", "posted", attempts=1,
              result={"reference": "TX-1"})
    set_state(ledger, ids["failed"], "pending", "sending", "failed", attempts=1,
              error={"code": "refused", "message": "folio 1204 is closed"})
    set_state(ledger, ids["attention"], "pending", "sending", "needs_attention", attempts=1,
              error={"code": "unconfirmed", "message": "no clear answer"})
    return {**ids, "connection": conn, "bar": bar}


def get(client, auth, url):
    return client.get(url, headers=auth)


def ids_of(resp):
    assert resp.status_code == 200, resp.json
    return [p["id"] for p in resp.json["items"]]


# reading -------------------------------------------------------------------------------------
def test_the_list_is_newest_first_with_money_as_strings(client, auth, postings):
    resp = get(client, auth, "/api/v1/postings")
    assert ids_of(resp) == [postings[k] for k in ("pending", "tip", "attention", "failed",
                                                  "posted")]
    assert resp.json["next_cursor"] is None
    first = resp.json["items"][0]
    assert first["amount"] == "-120.00" and first["kind"] == "void"
    assert first["state"] == "pending" and first["connection"] == postings["connection"]
    assert first["idempotency_key"] == "k-5" and first["attempts"] == 0
    assert [p["amount"] for p in resp.json["items"]] == ["-120.00", "300.00", "99.90",
                                                         "250.50", "1500.00"]


def test_the_list_filters_by_state_connection_and_kind(client, auth, postings):
    url = "/api/v1/postings"
    assert ids_of(get(client, auth, f"{url}?state=failed,needs_attention")) == [
        postings["attention"], postings["failed"]]
    assert ids_of(get(client, auth, f"{url}?state=posted&state=pending")) == [
        postings["pending"], postings["tip"], postings["posted"]]
    assert ids_of(get(client, auth, f"{url}?connection={postings['bar']}")) == [postings["tip"]]
    assert ids_of(get(client, auth, f"{url}?kind=void,tip")) == [postings["pending"],
                                                                 postings["tip"]]
    assert ids_of(get(client, auth, f"{url}?connection={postings['connection']}&kind=tip")) == []


def test_the_list_pages_by_cursor_without_repeats_or_gaps(client, auth, postings):
    seen, cursor, pages = [], None, 0
    while True:
        resp = get(client, auth, "/api/v1/postings?limit=2"
                   + (f"&cursor={cursor}" if cursor else ""))
        seen += ids_of(resp)
        pages += 1
        cursor = resp.json["next_cursor"]
        if cursor is None:
            break
    assert pages == 3 and len(seen) == 5
    assert seen == ids_of(get(client, auth, "/api/v1/postings"))


@pytest.mark.parametrize("query, field", [
    ("state=sent", "state"), ("limit=0", "limit"), ("limit=201", "limit"),
    ("cursor=not-a-cursor", "cursor"), ("kind=", "kind"), ("colour=red", "colour")])
def test_a_bad_filter_is_a_422_naming_it(client, auth, postings, query, field):
    resp = get(client, auth, f"/api/v1/postings?{query}")
    assert resp.status_code == 422 and resp.json["code"] == "validation_failed"
    assert list(resp.json["errors"]) == [field]


def test_the_counts_per_state(client, auth, postings):
    resp = get(client, auth, "/api/v1/postings/counts")
    assert resp.status_code == 200
    assert resp.json == {"by_state": {"pending": 2, "sending": 0, "posted": 1, "failed": 1,
                                      "needs_attention": 1, "cancelled": 0}, "total": 5}
    only_tips = get(client, auth, "/api/v1/postings/counts?kind=tip").json
    assert only_tips["total"] == 1 and only_tips["by_state"]["pending"] == 1


def test_a_posting_with_its_history(client, auth, postings):
    resp = get(client, auth, f"/api/v1/postings/{postings['failed']}")
    assert resp.status_code == 200
    body = resp.json
    assert body["state"] == "failed" and body["amount"] == "250.50"
    assert body["error"] == {"code": "refused", "message": "folio 1204 is closed"}
    assert [(h["from"], h["to"]) for h in body["history"]] == [
        (None, "pending"), ("pending", "sending"), ("sending", "failed")]
    assert body["history"][0]["by"] == "test" and body["history"][0]["cause"] == "accepted"


def test_another_accounts_postings_are_not_there(client, auth, postings, other_account):
    theirs = other_account["auth"]
    assert ids_of(get(client, theirs, "/api/v1/postings")) == []
    assert get(client, theirs, "/api/v1/postings/counts").json["total"] == 0
    for url in (f"/api/v1/postings/{postings['failed']}", "/api/v1/postings/no-such-id"):
        resp = get(client, theirs if "no-such" not in url else auth, url)
        assert resp.status_code == 404 and resp.json["code"] == "not_found"
    for action, body in (("repeat", None), ("cancel", {"reason": "x"}), ("mark-posted", None)):
        resp = post(client, theirs, f"/api/v1/postings/{postings['attention']}/{action}", body)
        assert resp.status_code == 404, action
    assert get(client, auth, f"/api/v1/postings/{postings['attention']}").json[
        "state"] == "needs_attention"


# repeat --------------------------------------------------------------------------------------
def test_a_failed_posting_is_repeated_and_then_posted(client, auth, postings, relay, redis,
                                                      ledger, account):
    pid = postings["failed"]
    relay.dispatch()                                      # the postings' first deliveries
    resp = post(client, auth, f"/api/v1/postings/{pid}/repeat", {"reason": "folio reopened"})
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["state"] == "pending" and body["attempts"] == 0 and body["error"] is None
    last = body["history"][-1]
    assert (last["from"], last["to"]) == ("failed", "pending")
    assert last["cause"].startswith("repeated by api_key:") and last["cause"].endswith(
        ": folio reopened")
    assert last["details"]["previous_error"]["message"] == "folio 1204 is closed"
    assert ("posting.repeat", pid) in audit_actions(ledger, account["id"])
    assert relay.dispatch() == 1                          # its new outbox row
    with responses.RequestsMock() as pms:
        pms.post(CHARGES, status=201, json={"id": "TX-9"})
        assert PostingService(ledger, folio_host()).run(pid).state == "posted"


def test_a_needs_attention_posting_is_repeated_only_when_stated_not_posted(client, auth,
                                                                          postings):
    url = f"/api/v1/postings/{postings['attention']}/repeat"
    for body in (None, {"not_posted": False}):
        resp = post(client, auth, url, body)
        assert resp.status_code == 422 and list(resp.json["errors"]) == ["not_posted"]
        assert "folio-1204" in resp.json["errors"]["not_posted"][0]
    resp = post(client, auth, url, {"not_posted": "yes"})
    assert resp.status_code == 422 and list(resp.json["errors"]) == ["not_posted"]
    resp = post(client, auth, url, {"not_posted": True})
    assert resp.status_code == 200
    assert [(h["from"], h["to"]) for h in resp.json["history"][-2:]] == [
        ("needs_attention", "failed"), ("failed", "pending")]


@pytest.mark.parametrize("state", ["posted", "pending"])
def test_only_failed_or_needs_attention_postings_are_repeated(client, auth, postings, state):
    resp = post(client, auth, f"/api/v1/postings/{postings[state]}/repeat")
    assert resp.status_code == 409 and resp.json["code"] == "not_repeatable"
    assert f"is {state}" in resp.json["message"]


def test_a_posting_of_a_deleted_connection_is_not_repeated(client, auth, postings, ledger):
    from fiscal.ledger import connections
    with ledger.session() as s:
        connections.delete_connection(s, s.get(Connection, postings["connection"]),
                                      actor="test")
    resp = post(client, auth, f"/api/v1/postings/{postings['failed']}/repeat")
    assert resp.status_code == 409 and resp.json["code"] == "connection_deleted"
    assert row(ledger, postings["failed"])["state"] == "failed"


# cancel --------------------------------------------------------------------------------------
@pytest.mark.parametrize("state", ["pending", "failed", "attention"])
def test_a_posting_not_yet_on_the_target_is_cancelled_and_never_sent(
        client, auth, postings, state, ledger, account):
    pid = postings[state]
    resp = post(client, auth, f"/api/v1/postings/{pid}/cancel",
                {"reason": "posted by hand on folio 1204"})
    assert resp.status_code == 200, resp.json
    assert resp.json["state"] == "cancelled"
    assert resp.json["history"][-1]["cause"].endswith(": posted by hand on folio 1204")
    assert ("posting.cancel", pid) in audit_actions(ledger, account["id"])
    with responses.RequestsMock() as pms:                 # any HTTP call would fail the test
        assert PostingService(ledger, folio_host()).run(pid).state == "cancelled"
        assert len(pms.calls) == 0


def test_cancel_needs_a_reason_and_a_json_object(client, auth, postings):
    url = f"/api/v1/postings/{postings['pending']}/cancel"
    for body in (None, {}, {"reason": ""}):
        resp = post(client, auth, url, body)
        assert resp.status_code == 422 and list(resp.json["errors"]) == ["reason"], body
    resp = client.post(url, data="{not json", headers=auth, content_type="application/json")
    assert resp.status_code == 400 and resp.json["code"] == "malformed_json"
    resp = post(client, auth, url, ["reason"])
    assert resp.status_code == 400
    resp = post(client, auth, url, {"reason": "x", "refund": True})
    assert resp.status_code == 422 and list(resp.json["errors"]) == ["refund"]


@pytest.mark.parametrize("state", ["posted", "sending", "cancelled"])
def test_a_posting_on_its_way_or_settled_is_not_cancelled(client, auth, postings, ledger,
                                                          state):
    pid = postings["pending"]
    if state == "posted":
        pid = postings["posted"]
    elif state == "sending":
        set_state(ledger, pid, "pending", "sending")
    else:
        set_state(ledger, pid, "pending", "cancelled")
    resp = post(client, auth, f"/api/v1/postings/{pid}/cancel", {"reason": "no"})
    assert resp.status_code == 409 and resp.json["code"] == "not_cancellable"
    assert row(ledger, pid)["state"] == state


# mark posted ---------------------------------------------------------------------------------
def test_a_posting_found_on_the_target_is_marked_posted(client, auth, postings, ledger,
                                                       account):
    pid = postings["attention"]
    resp = post(client, auth, f"/api/v1/postings/{pid}/mark-posted",
                {"reference": "folio 1204 line 7", "reason": "seen on the folio"})
    assert resp.status_code == 200, resp.json
    body = resp.json
    assert body["state"] == "posted"
    assert body["result"] == {"marked_posted_by": body["history"][-1]["by"],
                              "reference": "folio 1204 line 7"}
    assert body["history"][-1]["cause"].startswith("found on the target as folio 1204 line 7 "
                                                   "by api_key:")
    assert ("posting.mark_posted", pid) in audit_actions(ledger, account["id"])


@pytest.mark.parametrize("state", ["failed", "pending", "posted"])
def test_only_a_needs_attention_posting_is_marked_posted(client, auth, postings, state):
    resp = post(client, auth, f"/api/v1/postings/{postings[state]}/mark-posted")
    assert resp.status_code == 409 and resp.json["code"] == "not_needs_attention"


def test_mark_posted_refuses_a_bad_reference(client, auth, postings):
    resp = post(client, auth, f"/api/v1/postings/{postings['attention']}/mark-posted",
                {"reference": ""})
    assert resp.status_code == 422 and list(resp.json["errors"]) == ["reference"]


# the whole way: an unclear answer, settled by the night manager ----------------------------
def test_an_unclear_posting_is_settled_by_an_operator(client, as_user, ledger, account, conn):
    pid = add_posting(ledger, account["id"], conn, key="chk-2201")
    with responses.RequestsMock() as pms:
        pms.post(CHARGES, status=504)
        pms.get(LOOKUP, status=500)
        assert PostingService(ledger, folio_host()).run(pid).state == "needs_attention"
    operator = as_user("operator")
    seen = operator.get("/api/v1/postings?state=needs_attention").json["items"]
    assert [p["id"] for p in seen] == [pid]
    assert seen[0]["error"]["action"].startswith("look for it on the target")
    resp = operator.post(f"/api/v1/postings/{pid}/mark-posted", data=json.dumps({}),
                         content_type="application/json")
    assert resp.status_code == 200 and resp.json["state"] == "posted"
    assert resp.json["history"][-1]["by"] == "user:operator"


# roles ---------------------------------------------------------------------------------------
def test_a_viewer_reads_postings_but_cannot_act(as_user, postings, ledger):
    viewer = as_user("viewer")
    assert len(viewer.get("/api/v1/postings").json["items"]) == 5
    assert viewer.get(f"/api/v1/postings/{postings['failed']}").status_code == 200
    for action, body in (("repeat", {}), ("cancel", {"reason": "x"}), ("mark-posted", {})):
        resp = viewer.post(f"/api/v1/postings/{postings['attention']}/{action}",
                           data=json.dumps(body), content_type="application/json")
        assert resp.status_code == 403 and resp.json["code"] == "forbidden", action
    assert row(ledger, postings["attention"])["state"] == "needs_attention"


def test_an_operator_cancels_a_posting(as_user, postings):
    resp = as_user("operator").post(f"/api/v1/postings/{postings['failed']}/cancel",
                                    data=json.dumps({"reason": "guest paid at the bar"}),
                                    content_type="application/json")
    assert resp.status_code == 200 and resp.json["state"] == "cancelled"


def test_postings_need_a_key_or_a_session(client, postings):
    resp = client.get("/api/v1/postings")
    assert resp.status_code == 401 and resp.json["code"] == "unauthorized"


# the spec ------------------------------------------------------------------------------------
def test_the_answers_are_as_the_spec_says(app, auth, postings):
    import schemathesis
    from schemathesis.specs.openapi.checks import (response_schema_conformance,
                                                   status_code_conformance)
    spec = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    checks = [response_schema_conformance, status_code_conformance]

    def call(method, path, status, **case):
        resp = spec[path][method].Case(**case).call_and_validate(headers=auth, checks=checks)
        assert resp.status_code == status, resp.text
        return resp.json()
    one = "/api/v1/postings/{posting_id}"
    assert len(call("GET", "/api/v1/postings", 200, query={"limit": 3})["items"]) == 3
    assert call("GET", "/api/v1/postings/counts", 200)["total"] == 5
    for key in ("posted", "failed", "attention", "pending"):
        call("GET", one, 200, path_parameters={"posting_id": postings[key]})
    call("POST", one + "/mark-posted", 200, path_parameters={"posting_id": postings["attention"]},
         body={"reference": "line 7"})
    call("POST", one + "/repeat", 200, path_parameters={"posting_id": postings["failed"]},
         body={})
    call("POST", one + "/repeat", 409, path_parameters={"posting_id": postings["posted"]},
         body={})
    call("POST", one + "/cancel", 200, path_parameters={"posting_id": postings["pending"]},
         body={"reason": "posted by hand"})
