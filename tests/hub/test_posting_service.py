"""The posting service against a PMS answered by ``responses``: posted, refused, not delivered
and retried with backoff, ambiguous failures (idempotent target; posting_arrived True, False,
None, raising), a worker that died mid-send, tries running out — and, as a property, that no
script of answers ever posts a charge twice."""
import itertools
import json
from datetime import timedelta

import pytest
import requests
import responses
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.postings import (BACKOFF, MAX_DELAY, MAX_TRIES, PostingService, after_failed_try,
                          backoff, in_words)
from posting_helpers import (CHARGES, LOOKUP, Clock, add_connection, add_posting, folio_host,
                             row, set_state)


@pytest.fixture
def clock():
    return Clock()


@pytest.fixture
def host():
    return folio_host()


@pytest.fixture
def service(ledger, host, clock):
    return PostingService(ledger, host, clock=clock, worker="test")


@pytest.fixture
def idem_conn(ledger, account, register):
    return add_connection(ledger, account["id"], register["id"], "idemfolio", "Idempotent PMS")


def posts(pms) -> list[dict]:
    return [json.loads(c.request.body) for c in pms.calls if c.request.method == "POST"]


def lookups(pms) -> int:
    return sum(1 for c in pms.calls if c.request.method == "GET")


def transitions(r) -> list[tuple]:
    return [(a, b) for a, b, _ in r["history"]]


# posted and refused ------------------------------------------------------------------------
def test_a_posting_the_pms_accepts_is_posted_with_its_reference(service, posting, pms, ledger):
    pms.post(CHARGES, status=201, json={"id": "TX-77"})
    out = service.run(posting)
    assert (out.state, out.detail) == ("posted", "posted")
    r = row(ledger, posting)
    assert r["state"] == "posted" and r["result"] == {"reference": "TX-77"}
    assert r["attempts"] == 1 and r["error"] is None and r["not_before"] is None
    assert transitions(r) == [(None, "pending"), ("pending", "sending"), ("sending", "posted")]
    assert r["history"][1][2] == "sending to Front office PMS (try 1 of 10)"
    assert posts(pms) == [{"kind": "room_charge", "amount": "1500.00", "key": "chk-1042",
                           "outlet": "Restaurant"}]
    # A second delivery of the same posting sends nothing.
    assert service.run(posting).detail == "already settled; nothing to do"
    assert len(pms.calls) == 1


def test_a_refusal_fails_the_posting_with_the_reason_and_it_is_not_retried(
        service, posting, pms, ledger, clock):
    pms.post(CHARGES, status=422, json={"error": "folio 1204 is closed"})
    out = service.run(posting)
    assert out.state == "failed"
    r = row(ledger, posting)
    assert r["state"] == "failed" and r["not_before"] is None
    assert r["error"]["code"] == "refused" and r["error"]["message"] == "folio 1204 is closed"
    assert r["error"]["retryable"] is False and r["error"]["details"] == {
        "error": "folio 1204 is closed"}
    assert r["history"][-1][2] == "refused by the target: folio 1204 is closed"
    clock.advance(24 * 3600)
    assert service.run(posting).state == "failed" and len(pms.calls) == 1


# not delivered: backoff ----------------------------------------------------------------------
def test_a_posting_that_did_not_arrive_is_retried_after_a_backoff_then_posted(
        service, posting, pms, ledger, clock):
    start = clock.now
    pms.post(CHARGES, status=503)
    out = service.run(posting)
    assert out.state == "pending" and out.detail.endswith("next try in 10 s")
    r = row(ledger, posting)
    assert r["not_before"] == start + timedelta(seconds=10) and r["attempts"] == 1
    assert r["error"] == {"code": "not_delivered", "retryable": True, "may_have_arrived": False,
                          "message": "did not arrive: the PMS is busy (503)"}
    assert r["history"][-1][2] == "did not arrive: the PMS is busy (503); trying again in 10 s"

    clock.advance(9)                    # not due yet: nothing is sent
    assert service.run(posting).state == "pending" and len(pms.calls) == 1
    clock.advance(1)
    assert service.run(posting).state == "pending"
    assert row(ledger, posting)["not_before"] == clock.now + timedelta(seconds=30)
    clock.advance(30)
    pms.replace(responses.POST, CHARGES, status=201, json={"id": "TX-78"})
    assert service.run(posting).state == "posted"
    r = row(ledger, posting)
    assert r["attempts"] == 3 and r["result"] == {"reference": "TX-78"} and r["error"] is None
    assert [c for _, _, c in r["history"] if "trying again" in c] == [
        "did not arrive: the PMS is busy (503); trying again in 10 s",
        "did not arrive: the PMS is busy (503); trying again in 30 s"]
    assert len(posts(pms)) == 3


def test_the_targets_retry_after_wins_over_the_backoff(service, posting, pms, ledger, clock):
    pms.post(CHARGES, status=429, headers={"Retry-After": "45"})
    service.run(posting)
    r = row(ledger, posting)
    assert r["not_before"] == clock.now + timedelta(seconds=45)
    assert r["history"][-1][2].endswith("trying again in 45 s")


def test_after_the_last_try_a_posting_that_never_arrived_fails(ledger, host, clock, posting,
                                                               pms):
    service = PostingService(ledger, host, clock=clock, worker="test", max_tries=3)
    pms.post(CHARGES, status=503)
    states = []
    for _ in range(3):
        states.append(service.run(posting).state)
        clock.advance(3600)
    assert states == ["pending", "pending", "failed"]
    r = row(ledger, posting)
    assert r["attempts"] == 3 and r["not_before"] is None
    assert r["history"][-1][2] == "gave up after 3 tries: did not arrive: the PMS is busy (503)"
    assert r["error"]["code"] == "not_delivered" and r["error"]["retryable"] is False
    assert len(posts(pms)) == 3
    assert service.run(posting).state == "failed" and len(posts(pms)) == 3


# ambiguous failures --------------------------------------------------------------------------
def test_an_ambiguous_failure_is_simply_retried_when_the_target_is_idempotent(
        ledger, account, idem_conn, service, pms, clock):
    posting = add_posting(ledger, account["id"], idem_conn)
    pms.post(CHARGES, body=requests.ConnectionError("connection reset by peer"))
    out = service.run(posting)
    assert out.state == "pending" and lookups(pms) == 0     # nobody is asked: resending is safe
    r = row(ledger, posting)
    assert r["error"]["code"] == "unconfirmed"
    assert r["history"][-1][2] == ("no clear answer (ConnectionError: connection reset by "
                                   "peer); the target ignores duplicates; trying again in 10 s")
    clock.advance(10)
    pms.replace(responses.POST, CHARGES, status=201, json={"id": "TX-80"})
    assert service.run(posting).state == "posted"
    assert len(posts(pms)) == 2 and posts(pms)[0]["key"] == posts(pms)[1]["key"] == "chk-1042"


def test_an_ambiguous_idempotent_posting_needs_attention_when_the_tries_run_out(
        ledger, account, idem_conn, host, clock, pms):
    posting = add_posting(ledger, account["id"], idem_conn)
    service = PostingService(ledger, host, clock=clock, worker="test", max_tries=2)
    pms.post(CHARGES, status=502)
    assert service.run(posting).state == "pending"
    clock.advance(60)
    assert service.run(posting).state == "needs_attention"     # the last one may be there
    r = row(ledger, posting)
    assert r["history"][-1][2].startswith("gave up after 2 tries, and one may have "
                                          "arrived: no clear answer (HTTPError: 502")


@pytest.mark.parametrize("later", [{"status": 503}, {"status": 422,
                                                    "json": {"error": "folio closed"}}],
                         ids=["then not delivered", "then refused"])
def test_after_an_unanswered_try_to_an_idempotent_target_it_never_counts_as_not_posted(
        ledger, account, idem_conn, host, clock, pms, later):
    """The first try may be on the folio: later tries that surely did not arrive prove nothing
    about it, so the posting ends needing attention, never failed (which would invite a
    second charge by hand)."""
    posting = add_posting(ledger, account["id"], idem_conn)
    service = PostingService(ledger, host, clock=clock, worker="test", max_tries=3)
    pms.post(CHARGES, status=504)
    assert service.run(posting).state == "pending"
    pms.replace(responses.POST, CHARGES, **later)
    states = []
    while not states or states[-1] == "pending":
        clock.advance(3600)
        states.append(service.run(posting).state)
    r = row(ledger, posting)
    assert states[-1] == "needs_attention" and r["attempts"] <= 3
    assert r["history"][-1][2].endswith(
        "; an earlier try may have arrived" if later["status"] == 422 else
        "did not arrive: the PMS is busy (503)")


def test_an_ambiguous_failure_the_target_confirms_arrived_is_posted(service, posting, pms,
                                                                   ledger):
    pms.post(CHARGES, status=500)
    pms.get(LOOKUP, json={"charges": [{"id": "TX-81"}]})
    assert service.run(posting).state == "posted"
    r = row(ledger, posting)
    assert r["result"] == {"confirmed": "posting_arrived"} and r["attempts"] == 1
    assert "but the target confirms the posting arrived" in r["history"][-1][2]
    assert len(posts(pms)) == 1                                # never sent a second time
    lookup = [c.request for c in pms.calls if c.request.method == "GET"][0]
    assert lookup.url == f"{LOOKUP}?key=chk-1042"


def test_an_ambiguous_failure_the_target_confirms_did_not_arrive_is_retried(
        service, posting, pms, ledger, clock):
    pms.post(CHARGES, status=500)
    pms.get(LOOKUP, json={"charges": []})
    assert service.run(posting).state == "pending"
    r = row(ledger, posting)
    assert r["not_before"] == clock.now + timedelta(seconds=10)
    assert r["history"][-1][2].endswith("the target confirms it did not arrive; "
                                        "trying again in 10 s")
    clock.advance(10)
    pms.replace(responses.POST, CHARGES, status=201, json={"id": "TX-82"})
    assert service.run(posting).state == "posted"
    assert len(posts(pms)) == 2 and lookups(pms) == 1


@pytest.mark.parametrize("lookup", [{"status": 500},
                                    {"body": requests.ConnectTimeout("timed out")}],
                         ids=["cannot tell", "lookup raises"])
def test_an_ambiguous_failure_nobody_can_settle_needs_attention(service, posting, pms, ledger,
                                                               clock, lookup):
    pms.post(CHARGES, body=requests.ReadTimeout("read timed out"))
    pms.get(LOOKUP, **lookup)
    out = service.run(posting)
    assert out.state == "needs_attention"
    r = row(ledger, posting)
    assert r["error"]["code"] == "unconfirmed" and r["error"]["retryable"] is False
    assert r["error"]["action"].startswith("look for it on the target")
    assert r["history"][-1][2].startswith("no clear answer (ReadTimeout: read timed out), and ")
    clock.advance(24 * 3600)
    assert service.run(posting).state == "needs_attention" and len(posts(pms)) == 1


# a worker that died mid-send -----------------------------------------------------------------
def test_a_worker_that_died_mid_send_leaves_sending_and_the_next_run_settles_it(
        service, posting, pms, ledger):
    def killed(request):
        raise SystemExit("the worker process was killed")
    pms.add_callback(responses.POST, CHARGES, callback=killed)
    with pytest.raises(SystemExit):
        service.run(posting)
    r = row(ledger, posting)
    assert r["state"] == "sending" and r["attempts"] == 1     # committed before the call
    # The next delivery asks the PMS first; it says the charge is not there: sent again.
    pms.replace(responses.POST, CHARGES, status=201, json={"id": "TX-90"})
    pms.get(LOOKUP, json={"charges": []})
    assert service.run(posting).state == "posted"
    r = row(ledger, posting)
    assert r["attempts"] == 2 and r["result"] == {"reference": "TX-90"}
    assert transitions(r)[-3:] == [("sending", "pending"), ("pending", "sending"),
                                   ("sending", "posted")]
    assert r["history"][-3][2] == ("an earlier attempt was interrupted; the target confirms "
                                   "it did not arrive: sending again")


@pytest.mark.parametrize("answer, state, sent", [
    ({"json": {"charges": [{"id": "TX-5"}]}}, "posted", 0),
    ({"status": 503}, "needs_attention", 0),
    ({"body": requests.ConnectionError("refused")}, "needs_attention", 0),
], ids=["arrived", "cannot tell", "lookup raises"])
def test_an_interrupted_posting_is_settled_by_asking_the_target(service, posting, pms, ledger,
                                                                answer, state, sent):
    set_state(ledger, posting, "pending", "sending", attempts=1)
    pms.get(LOOKUP, **answer)
    assert service.run(posting).state == state
    r = row(ledger, posting)
    assert len(posts(pms)) == sent and r["attempts"] == 1
    if state == "needs_attention":
        assert r["history"][-1][2].startswith("an earlier attempt was interrupted; cannot tell "
                                              "whether it arrived (")
        assert r["error"]["code"] == "interrupted"
    else:
        assert r["history"][-1][2] == ("an earlier attempt was interrupted; the target "
                                       "confirms the posting arrived")


def test_an_interrupted_posting_to_an_idempotent_target_is_sent_again(
        ledger, account, idem_conn, service, pms):
    posting = add_posting(ledger, account["id"], idem_conn)
    set_state(ledger, posting, "pending", "sending", attempts=1)
    pms.post(CHARGES, status=201, json={"id": "TX-6"})
    assert service.run(posting).state == "posted"
    assert lookups(pms) == 0 and len(posts(pms)) == 1
    assert row(ledger, posting)["attempts"] == 2


# connectors that cannot send ----------------------------------------------------------------
def test_a_connector_without_postings_fails_the_posting(ledger, account, register, service,
                                                       pms):
    conn = add_connection(ledger, account["id"], register["id"], "nopostings", "POS")
    posting = add_posting(ledger, account["id"], conn)
    assert service.run(posting).state == "failed"
    r = row(ledger, posting)
    assert r["error"]["code"] == "not_supported" and len(pms.calls) == 0
    assert r["history"][-1][2] == ("the connector cannot send postings: nopostings does not "
                                   "send postings")


def test_a_connector_that_is_not_installed_sends_nothing_and_is_tried_later(
        ledger, account, register, service, pms, clock):
    conn = add_connection(ledger, account["id"], register["id"], "uninstalled", "Old PMS")
    posting = add_posting(ledger, account["id"], conn)
    assert service.run(posting).state == "pending"
    r = row(ledger, posting)
    assert r["error"]["code"] == "connector_unavailable" and len(pms.calls) == 0
    assert r["not_before"] == clock.now + timedelta(seconds=10)
    assert r["history"][-1][2] == ("not sent: connector 'uninstalled' is not installed (or is "
                                   "disabled); trying again in 10 s")


def test_a_posting_that_is_not_in_the_ledger_is_answered_unknown(service):
    assert service.run("no-such-posting").state == "unknown"


# pure decisions ------------------------------------------------------------------------------
def test_the_backoff_schedule_in_figures():
    assert [backoff(n) for n in range(1, 9)] == [10, 30, 120, 600, 1800, 3600, 3600, 3600]
    assert sum(backoff(n) for n in range(1, MAX_TRIES)) == 16960     # 4 h 42 min 40 s of waiting
    assert [in_words(s) for s in (10, 120, 3600, 5400)] == ["10 s", "2 min", "1 h",
                                                            "1 h 30 min"]
    assert after_failed_try(9, may_have_arrived=False) == ("pending", 3600.0)
    assert after_failed_try(10, may_have_arrived=False) == ("failed", None)
    assert after_failed_try(10, may_have_arrived=True) == ("needs_attention", None)


@given(tries=st.integers(1, 50), retry_after=st.none() | st.floats(0, 10**7),
       may_have_arrived=st.booleans(), max_tries=st.integers(1, 20))
def test_decisions_always_end_and_never_fail_a_posting_that_may_have_arrived(
        tries, retry_after, may_have_arrived, max_tries):
    state, delay = after_failed_try(tries, may_have_arrived=may_have_arrived,
                                    retry_after=retry_after, max_tries=max_tries)
    if tries < max_tries:
        assert state == "pending" and 0 <= delay <= MAX_DELAY
        if retry_after is None:
            assert delay in BACKOFF and delay >= backoff(tries - 1 if tries > 1 else 1)
        else:
            assert delay == min(retry_after, MAX_DELAY)
    else:
        assert delay is None
        assert state == ("needs_attention" if may_have_arrived else "failed")


# the property: whatever the PMS answers, a charge is never posted twice -----------------------
class FakePMS:
    """A PMS that keeps the charges it took. Each POST plays the next step of a script:
    ``ok`` posts it; ``refused``; ``busy`` (503, not read); ``lost_reply`` posts it but the
    answer is lost (500); ``crash`` (500) does not post it. Lookups answer truthfully or, per
    ``lookup_script``, ``unknown`` (500)."""

    def __init__(self, script, lookup_script, dedups: bool):
        self.script, self.lookup_script, self.dedups = list(script), list(lookup_script), dedups
        self.charges: list[str] = []

    def post(self, request):
        key = json.loads(request.body)["key"]
        step = self.script.pop(0) if self.script else "ok"
        if step in ("ok", "lost_reply") and not (self.dedups and key in self.charges):
            self.charges.append(key)
        return {"ok": (201, {}, json.dumps({"id": f"TX-{len(self.charges)}"})),
                "refused": (422, {}, json.dumps({"error": "folio closed"})),
                "busy": (503, {}, ""), "lost_reply": (500, {}, ""),
                "crash": (500, {}, "")}[step]

    def lookup(self, request):
        if self.lookup_script and self.lookup_script.pop(0) == "unknown":
            return 500, {}, ""
        return 200, {}, json.dumps({"charges": [{"key": k} for k in self.charges]})


EXAMPLES = itertools.count(1)
STEPS = st.sampled_from(["ok", "refused", "busy", "lost_reply", "crash"])


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(script=st.lists(STEPS, max_size=6),
       lookup_script=st.lists(st.sampled_from(["truth", "unknown"]), max_size=6),
       idempotent=st.booleans())
def test_no_script_of_answers_posts_a_charge_twice(ledger, account, conn, idem_conn, host,
                                                  script, lookup_script, idempotent):
    clock = Clock()
    service = PostingService(ledger, host, clock=clock, worker="test", max_tries=4)
    key = f"chk-{next(EXAMPLES)}"          # a fresh posting for each example
    posting = add_posting(ledger, account["id"], idem_conn if idempotent else conn, key=key)
    pms = FakePMS(script, lookup_script, dedups=idempotent)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, CHARGES, callback=pms.post)
        mock.add_callback(responses.GET, LOOKUP, callback=pms.lookup)
        for _ in range(10):
            state = service.run(posting).state
            if state != "pending":
                break
            clock.advance(2 * 3600)
    r = row(ledger, posting)
    assert r["state"] in ("posted", "failed", "needs_attention")
    assert pms.charges.count(key) <= 1                     # never twice
    if r["state"] == "posted":
        assert pms.charges == [key]
    if r["state"] == "failed":
        assert pms.charges == []                            # failed: surely not on the target
    assert r["attempts"] <= 4

