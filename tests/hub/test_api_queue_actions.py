"""Print-queue actions: repeat (as it is, with corrected content, after needs_attention), the
refund receipt of a printed sale, cancel tasks — and their refusals: roles, states, invalid
content, more than is left, another account's IDs."""
import pytest

from fiscal.ledger.models import Job
from queue_helpers import (audit_actions, failed_job, job_count, job_row, mixed_sale,
                           needs_attention_job, post, post_job, print_all, printed_job,
                           set_state)
from receipts import receipt_job


def details(client, auth, job_id):
    return client.get(f"/api/v1/jobs/{job_id}", headers=auth).json


# repeat --------------------------------------------------------------------------------------
def test_a_failed_job_is_repeated_and_printed_once(client, auth, register, relay, run_worker,
                                                   ledger, account):
    job = failed_job(client, auth, register, relay, run_worker)
    resp = post(client, auth, f"/api/v1/jobs/{job['id']}/repeat")
    assert resp.status_code == 200, resp.json
    assert resp.json["state"] == "queued" and resp.json["error"] is None
    last = resp.json["history"][-1]
    assert (last["from"], last["to"]) == ("failed", "queued")
    assert last["cause"].startswith("repeated by api_key:")
    assert last["details"]["previous_error"]["code"] == job["error"]["code"]
    print_all(relay, run_worker, register["id"])
    got = details(client, auth, job["id"])
    assert got["state"] == "printed" and got["idempotency_key"] == job["idempotency_key"]
    assert got["result"]["fd_number"]
    assert ("job.repeat", job["id"]) in audit_actions(ledger, account["id"])


def test_repeat_with_corrected_content_keeps_the_id_and_the_original_in_history(
        client, auth, register, relay, run_worker):
    job = failed_job(client, auth, register, relay, run_worker,
                     receipt_job(register["id"]) | {"idempotency_key": "bill-17"})
    content = receipt_job(register["id"], total="700.00", customer={"phone": "+79991234567"},
                          items=[{"name": "Борщ", "price": "350.00", "quantity": "2",
                                  "amount": "700.00", "vat": "vat10"}])
    del content["register"]                 # left out: the job's register
    resp = post(client, auth, f"/api/v1/jobs/{job['id']}/repeat", {"content": content,
                                                                    "reason": "wrong VAT"})
    assert resp.status_code == 200, resp.json
    got = resp.json
    assert got["id"] == job["id"] and got["idempotency_key"] == "bill-17"
    assert got["total"] == "700.00" and got["receipt"]["items"][0]["vat"] == "vat10"
    event = got["history"][-1]
    assert event["cause"].endswith("with corrected content: wrong VAT")
    assert event["details"]["previous_content"]["receipt"]["total"] == "850.50"
    print_all(relay, run_worker, register["id"])
    printed = details(client, auth, job["id"])
    assert printed["state"] == "printed" and printed["result"]["total"] == "700.00"
    # The source's retry of its document still finds this job (exactly once per document).
    again = post_job(client, auth, receipt_job(register["id"]) | {"idempotency_key": "bill-17"},
                     status=200)
    assert again["id"] == job["id"]


def test_repeat_with_a_corrected_cashier_prints_with_that_cashier(
        client, auth, register, relay, run_worker, ledger, account):
    from fiscal.ledger import cashiers
    with ledger.session() as s:
        anna = cashiers.create_cashier(s, account["id"], name="Анна", actor="test").id
    job = failed_job(client, auth, register, relay, run_worker)
    content = receipt_job(register["id"])
    del content["cashier"]
    content["cashier_id"] = anna
    resp = post(client, auth, f"/api/v1/jobs/{job['id']}/repeat", {"content": content})
    assert resp.status_code == 200, resp.json
    assert resp.json["cashier_id"] == anna and resp.json["cashier"] == {"name": "Анна"}
    print_all(relay, run_worker, register["id"])
    assert details(client, auth, job["id"])["state"] == "printed"


def test_a_job_of_a_removed_register_is_not_repeated(client, auth, register, ledger):
    from fiscal.ledger.models import Register, utcnow
    job = post_job(client, auth, receipt_job(register["id"]))
    set_state(ledger, job["id"], "received", "queued", "sending", "failed")
    with ledger.session() as s:
        s.get(Register, register["id"]).removed_at = utcnow()
    resp = post(client, auth, f"/api/v1/jobs/{job['id']}/repeat")
    assert resp.status_code == 409 and resp.json["code"] == "register_removed"
    assert job_row(ledger, job["id"])["state"] == "failed"


@pytest.mark.parametrize("change,field", [
    (lambda c: c["receipt"].update(total="1.00"), ("content", "receipt", "total")),
    (lambda c: c["receipt"]["items"][0].update(quantity="-1"), ("content", "receipt", "items")),
    (lambda c: c.update(kind="x_report", receipt=None) or c.pop("receipt"), ("content", "kind")),
    (lambda c: c["receipt"].update(operation="buy"), ("content", "receipt", "operation")),
    (lambda c: c.update(register="another"), ("content", "register")),
    (lambda c: c.update(idempotency_key="other-key"), ("content", "idempotency_key")),
    (lambda c: c.update(colour="red"), ("content", "colour")),
    (lambda c: c.update(cashier_id="nobody"), ("content", "cashier_id")),
])
def test_invalid_corrected_content_is_422_and_the_job_unchanged(
        client, auth, register, relay, run_worker, ledger, change, field):
    job = failed_job(client, auth, register, relay, run_worker)
    before = job_row(ledger, job["id"])
    content = receipt_job(register["id"])
    change(content)
    resp = post(client, auth, f"/api/v1/jobs/{job['id']}/repeat", {"content": content})
    assert resp.status_code == 422, resp.json
    errors = resp.json["errors"]
    for key in field:
        assert key in errors, resp.json
        errors = errors[key]
    assert job_row(ledger, job["id"]) == before


def test_a_needs_attention_job_needs_the_operators_word_that_it_was_not_printed(
        client, auth, register, ledger):
    job = post_job(client, auth, receipt_job(register["id"]))
    needs_attention_job(ledger, job["id"])
    before = job_row(ledger, job["id"])
    refused = post(client, auth, f"/api/v1/jobs/{job['id']}/repeat")
    assert refused.status_code == 422 and "not_printed" in refused.json["errors"]
    assert job_row(ledger, job["id"]) == before
    resp = post(client, auth, f"/api/v1/jobs/{job['id']}/repeat",
                {"not_printed": True, "reason": "checked the last document"})
    assert resp.status_code == 200, resp.json
    na_to_failed, failed_to_queued = resp.json["history"][-2:]
    assert (na_to_failed["from"], na_to_failed["to"]) == ("needs_attention", "failed")
    assert "states the register did not print it: checked the last document" in \
        na_to_failed["cause"]
    assert na_to_failed["by"].startswith("api_key:")
    assert (failed_to_queued["from"], failed_to_queued["to"]) == ("failed", "queued")


@pytest.mark.parametrize("path,state", [
    (("received",), "received"),
    (("received", "queued"), "queued"),
    (("received", "queued", "sending"), "sending"),
    (("received", "queued", "held"), "held"),
    (("received", "cancelled"), "cancelled"),
    (("received", "queued", "sending", "printed"), "printed"),
])
def test_only_failed_or_needs_attention_jobs_are_repeated(client, auth, register, ledger,
                                                          path, state):
    job = post_job(client, auth, receipt_job(register["id"]))
    set_state(ledger, job["id"], *path)
    before = job_row(ledger, job["id"])
    resp = post(client, auth, f"/api/v1/jobs/{job['id']}/repeat")
    assert resp.status_code == 409 and resp.json["code"] == "not_repeatable"
    assert f"is {state}" in resp.json["message"]
    assert job_row(ledger, job["id"]) == before


def test_repeat_of_a_printed_job_is_409(client, auth, register, relay, run_worker):
    job = printed_job(client, auth, register, relay, run_worker)
    resp = post(client, auth, f"/api/v1/jobs/{job['id']}/repeat")
    assert resp.status_code == 409 and "refund" in resp.json["message"]


def test_repeat_loses_the_race_to_a_worker_with_409(client, auth, register, ledger,
                                                    monkeypatch):
    from fiscal.ledger import jobs as ledger_jobs
    job = post_job(client, auth, receipt_job(register["id"]))
    set_state(ledger, job["id"], "received", "queued", "sending", "failed")
    real = ledger_jobs.transition

    def worker_first(s, job_id, expected, new, **kw):     # automatic retry got there first
        s.execute(Job.__table__.update().where(Job.id == job_id).values(state="queued"))
        monkeypatch.setattr(ledger_jobs, "transition", real)
        return real(s, job_id, expected, new, **kw)
    monkeypatch.setattr(ledger_jobs, "transition", worker_first)
    resp = post(client, auth, f"/api/v1/jobs/{job['id']}/repeat")
    assert resp.status_code == 409 and "queued now" in resp.json["message"]
    assert job_count(ledger) == 1


def test_viewer_may_not_repeat_and_operator_may(as_user, client, auth, register, ledger):
    job = post_job(client, auth, receipt_job(register["id"]))
    set_state(ledger, job["id"], "received", "queued", "sending", "failed")
    resp = as_user("viewer").post(f"/api/v1/jobs/{job['id']}/repeat")
    assert resp.status_code == 403 and resp.json["code"] == "forbidden"
    assert job_row(ledger, job["id"])["state"] == "failed"
    operator = as_user("operator")
    resp = operator.post(f"/api/v1/jobs/{job['id']}/repeat")
    assert resp.status_code == 200 and resp.json["history"][-1]["by"] == "user:operator"


def test_another_accounts_job_cannot_be_repeated(client, auth, register, ledger, other_account):
    theirs = post_job(client, other_account["auth"], receipt_job(other_account["register_id"]))
    set_state(ledger, theirs["id"], "received", "queued", "sending", "failed")
    before = job_row(ledger, theirs["id"])
    for url in (f"/api/v1/jobs/{theirs['id']}/repeat", "/api/v1/jobs/nope/repeat"):
        resp = post(client, auth, url)
        assert resp.status_code == 404 and resp.json["code"] == "not_found"
    assert job_row(ledger, theirs["id"]) == before


def test_repeat_refuses_a_body_that_is_not_an_object(client, auth, register):
    resp = client.post("/api/v1/jobs/x/repeat", data="[1]", headers=auth,
                       content_type="application/json")
    assert resp.status_code == 400 and resp.json["code"] == "malformed_json"


# refund --------------------------------------------------------------------------------------
def test_refund_of_everything_left(client, auth, register, relay, run_worker, ledger, account):
    sale = printed_job(client, auth, register, relay, run_worker)
    resp = post(client, auth, f"/api/v1/jobs/{sale['id']}/refund")
    assert resp.status_code == 201, resp.json
    refund = resp.json
    assert resp.headers["Location"] == f"/api/v1/jobs/{refund['id']}"
    receipt = refund["receipt"]
    assert receipt["operation"] == "sell_refund" and receipt["refund_of"] == sale["id"]
    assert refund["register"] == register["id"] and refund["total"] == "850.50"
    assert [(i["name"], i["quantity"], i["amount"], i["vat"]) for i in receipt["items"]] == [
        ("Борщ", "2.000", "700.00", "vat20"), ("Чай", "1.000", "150.50", "vat20")]
    assert receipt["payments"] == [{"type": "electronic", "amount": "500.00"},
                                   {"type": "cash", "amount": "350.50"}]
    assert receipt["customer"] == {"email": "guest@example.com"}
    assert refund["cashier"] == sale["cashier"]
    assert ("job.refund", sale["id"]) in audit_actions(ledger, account["id"])
    print_all(relay, run_worker, register["id"])
    assert details(client, auth, refund["id"])["state"] == "printed"
    again = post(client, auth, f"/api/v1/jobs/{sale['id']}/refund")
    assert again.status_code == 422 and "nothing is left" in str(again.json["errors"])


def test_partial_refunds_pay_back_card_first_and_never_more_than_left(
        client, auth, register, relay, run_worker, ledger):
    sale = printed_job(client, auth, register, relay, run_worker)
    url = f"/api/v1/jobs/{sale['id']}/refund"
    first = post(client, auth, url, {"items": [{"index": 0, "quantity": "1"},
                                               {"index": 1, "quantity": "1"}]})
    assert first.status_code == 201, first.json
    assert first.json["total"] == "500.50"
    assert first.json["receipt"]["payments"] == [{"type": "electronic", "amount": "500.00"},
                                                 {"type": "cash", "amount": "0.50"}]
    jobs_before = job_count(ledger)
    too_much = post(client, auth, url, {"items": [{"index": 0, "quantity": "2"}]})
    assert too_much.status_code == 422, too_much.json
    (message,) = too_much.json["errors"]["items"]["0"]["quantity"]
    assert "'Борщ'" in message and "1.000" in message
    gone = post(client, auth, url, {"items": [{"index": 1, "quantity": "0.5"}]})
    assert gone.status_code == 422 and "items" in gone.json["errors"]
    no_line = post(client, auth, url, {"items": [{"index": 5, "quantity": "1"}]})
    assert no_line.status_code == 422 and "index" in no_line.json["errors"]["items"]["0"]
    assert job_count(ledger) == jobs_before
    rest = post(client, auth, url)
    assert rest.status_code == 201 and rest.json["total"] == "350.00"
    assert rest.json["receipt"]["payments"] == [{"type": "cash", "amount": "350.00"}]


@pytest.fixture
def anna(ledger, account):
    from fiscal.ledger import cashiers
    with ledger.session() as s:
        return cashiers.create_cashier(s, account["id"], name="Анна", actor="test").id


def test_refund_with_chosen_payments_and_cashier(client, auth, register, relay, run_worker,
                                                 anna):
    sale = printed_job(client, auth, register, relay, run_worker)
    url = f"/api/v1/jobs/{sale['id']}/refund"
    short = post(client, auth, url, {"payments": [{"type": "electronic", "amount": "1.00"}]})
    assert short.status_code == 422 and "payments" in short.json["errors"]
    unknown = post(client, auth, url, {"cashier_id": "nobody"})
    assert unknown.status_code == 422 and "cashier_id" in unknown.json["errors"]
    resp = post(client, auth, url, {"items": [{"index": 1, "quantity": "1"}], "cashier_id": anna,
                                    "payments": [{"type": "cash", "amount": "200.00"}]})
    assert resp.status_code == 201, resp.json
    assert resp.json["cashier"]["name"] == "Анна"
    assert resp.json["receipt"]["payments"] == [{"type": "cash", "amount": "200.00"}]
    got = details(client, auth, resp.json["id"])
    assert got["cashier_id"] == anna


def test_a_refund_made_with_a_cashier_id_is_printed_and_counted(client, auth, register, relay,
                                                                run_worker, anna):
    sale = printed_job(client, auth, register, relay, run_worker)
    url = f"/api/v1/jobs/{sale['id']}/refund"
    first = post(client, auth, url, {"items": [{"index": 1, "quantity": "1"}], "cashier_id": anna})
    assert first.status_code == 201, first.json
    print_all(relay, run_worker, register["id"])
    assert details(client, auth, first.json["id"])["state"] == "printed"
    rest = post(client, auth, url)
    assert rest.status_code == 201 and rest.json["total"] == "700.00", rest.json


def test_refund_with_an_idempotency_key_is_safe_to_retry(client, auth, register, relay,
                                                         run_worker, ledger):
    sale = printed_job(client, auth, register, relay, run_worker)
    body = {"items": [{"index": 0, "quantity": "1"}], "idempotency_key": "refund-1"}
    first = post(client, auth, f"/api/v1/jobs/{sale['id']}/refund", body)
    again = post(client, auth, f"/api/v1/jobs/{sale['id']}/refund", body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    other = printed_job(client, auth, register, relay, run_worker)
    clash = post(client, auth, f"/api/v1/jobs/{other['id']}/refund", body)
    assert clash.status_code == 409 and clash.json["code"] == "idempotency_conflict"
    assert job_count(ledger, refund_of=sale["id"]) == 1
    assert job_count(ledger, refund_of=other["id"]) == 0


@pytest.mark.parametrize("setup", ["received", "failed", "refund", "x_report"])
def test_only_a_printed_sale_is_refunded(client, auth, register, relay, run_worker, ledger,
                                         setup):
    if setup == "refund":
        sale = printed_job(client, auth, register, relay, run_worker)
        job = post(client, auth, f"/api/v1/jobs/{sale['id']}/refund").json
        print_all(relay, run_worker, register["id"])
    elif setup == "x_report":
        job = post_job(client, auth, {"kind": "x_report", "register": register["id"]})
        print_all(relay, run_worker, register["id"])
    else:
        job = post_job(client, auth, mixed_sale(register["id"]))
        if setup == "failed":
            set_state(ledger, job["id"], "received", "queued", "sending", "failed")
    count = job_count(ledger)
    resp = post(client, auth, f"/api/v1/jobs/{job['id']}/refund")
    assert resp.status_code == 409 and resp.json["code"] == "not_refundable", resp.json
    assert job_count(ledger) == count


def test_refund_refusals_by_role_and_account(as_user, client, auth, register, relay,
                                             run_worker, ledger, other_account):
    sale = printed_job(client, auth, register, relay, run_worker)
    resp = as_user("viewer").post(f"/api/v1/jobs/{sale['id']}/refund")
    assert resp.status_code == 403
    resp = post(client, other_account["auth"], f"/api/v1/jobs/{sale['id']}/refund")
    assert resp.status_code == 404
    assert job_count(ledger, refund_of=sale["id"]) == 0
    assert as_user("operator").post(f"/api/v1/jobs/{sale['id']}/refund").status_code == 201


def test_refund_refuses_unknown_fields_and_bad_lines(client, auth, register):
    for body in ({"colour": "red"}, {"items": []}, {"items": [{"index": 0, "quantity": "0"}]}):
        resp = post(client, auth, "/api/v1/jobs/x/refund", body)
        assert resp.status_code == 422, (body, resp.json)


# cancel tasks --------------------------------------------------------------------------------
@pytest.fixture
def second_register(ledger, account, data_dir):
    from fiscal.ledger import registers
    with ledger.session() as s:
        return registers.add_register(s, account["id"], name="Bar", driver="virtual",
                                      url=f"virtual://{data_dir / 'bar.sqlite'}").id


def _queue_of_every_state(client, auth, ledger, register_id):
    paths = {"received": ("received",), "queued": ("received", "queued"),
             "held": ("received", "queued", "held"),
             "sending": ("received", "queued", "sending"),
             "printed": ("received", "queued", "sending", "printed"),
             "failed": ("received", "queued", "sending", "failed"),
             "needs_attention": ("received", "queued", "sending", "needs_attention"),
             "cancelled": ("received", "cancelled")}
    out = {}
    for state, path in paths.items():
        job = post_job(client, auth, receipt_job(register_id))["id"]
        set_state(ledger, job, *path)
        out[state] = job
    return out


def test_cancel_tasks_of_a_register(client, auth, register, second_register, ledger, account):
    mine = _queue_of_every_state(client, auth, ledger, register["id"])
    theirs = _queue_of_every_state(client, auth, ledger, second_register)
    resp = post(client, auth, "/api/v1/jobs/cancel",
                {"register": register["id"], "reason": "the venue closed early"})
    assert resp.status_code == 200 and resp.json == {"cancelled": 3}
    states = {s: job_row(ledger, j)["state"] for s, j in mine.items()}
    assert states == {"received": "cancelled", "queued": "cancelled", "held": "cancelled",
                      "sending": "sending", "printed": "printed", "failed": "failed",
                      "needs_attention": "needs_attention", "cancelled": "cancelled"}
    assert all(job_row(ledger, j)["state"] == s for s, j in theirs.items())
    event = details(client, auth, mine["held"])["history"][-1]
    assert (event["from"], event["to"]) == ("held", "cancelled")
    assert event["cause"] == (f"cancelled by {event['by']}: the venue closed early")
    assert ("jobs.cancel", register["id"]) in audit_actions(ledger, account["id"])
    again = post(client, auth, "/api/v1/jobs/cancel",
                 {"register": register["id"], "reason": "again"})
    assert again.json == {"cancelled": 0}


def test_cancel_tasks_of_the_whole_account(client, auth, register, second_register, ledger,
                                           other_account):
    _queue_of_every_state(client, auth, ledger, register["id"])
    _queue_of_every_state(client, auth, ledger, second_register)
    foreign = post_job(client, other_account["auth"], receipt_job(other_account["register_id"]))
    resp = post(client, auth, "/api/v1/jobs/cancel", {"reason": "end of season"})
    assert resp.json == {"cancelled": 6}
    counts = client.get("/api/v1/jobs/counts", headers=auth).json["by_state"]
    assert counts["cancelled"] == 8 and counts["received"] == counts["queued"] == 0
    assert counts["sending"] == 2 and counts["printed"] == 2
    assert job_row(ledger, foreign["id"])["state"] == "received"


def test_cancel_chosen_jobs_only_including_a_failed_one(client, auth, register, ledger,
                                                        account):
    jobs = _queue_of_every_state(client, auth, ledger, register["id"])
    chosen = [jobs[s] for s in ("queued", "failed", "printed", "sending", "needs_attention")]
    resp = post(client, auth, "/api/v1/jobs/cancel", {"jobs": chosen, "reason": "duplicates"})
    assert resp.status_code == 200 and resp.json == {"cancelled": 2}
    states = {s: job_row(ledger, j)["state"] for s, j in jobs.items()}
    assert states == {"received": "received", "queued": "cancelled", "held": "held",
                      "sending": "sending", "printed": "printed", "failed": "cancelled",
                      "needs_attention": "needs_attention", "cancelled": "cancelled"}
    event = details(client, auth, jobs["failed"])["history"][-1]
    assert (event["from"], event["to"]) == ("failed", "cancelled")
    assert "duplicates" in event["cause"]


def test_cancel_chosen_jobs_refuses_what_is_not_the_accounts(client, auth, register, ledger,
                                                             other_account):
    mine = post_job(client, auth, receipt_job(register["id"]))["id"]
    theirs = post_job(client, other_account["auth"],
                      receipt_job(other_account["register_id"]))["id"]
    resp = post(client, auth, "/api/v1/jobs/cancel",
                {"jobs": [mine, theirs, "no-such-job"], "reason": "x"})
    assert resp.status_code == 422
    assert resp.json["errors"] == {"jobs": {
        "1": [f"No job {theirs!r} in this account"], "2": ["No job 'no-such-job' in this account"]}}
    assert job_row(ledger, mine)["state"] == job_row(ledger, theirs)["state"] == "received"
    empty = post(client, auth, "/api/v1/jobs/cancel", {"jobs": [], "reason": "x"})
    assert empty.status_code == 422 and "jobs" in empty.json["errors"]


def test_cancelled_jobs_are_not_printed(client, auth, register, relay, run_worker):
    job = post_job(client, auth, receipt_job(register["id"]))
    relay.dispatch()                             # queued, and in Redis already
    assert post(client, auth, "/api/v1/jobs/cancel", {"reason": "mistake"}).json == {
        "cancelled": 1}
    run_worker(register["id"])
    got = details(client, auth, job["id"])
    assert got["state"] == "cancelled" and got["result"] is None and got["attempts"] == 0


def test_cancel_refusals(as_user, client, auth, register, ledger, other_account):
    job = post_job(client, auth, receipt_job(register["id"]))
    theirs = post_job(client, other_account["auth"], receipt_job(other_account["register_id"]))
    resp = post(client, auth, "/api/v1/jobs/cancel",
                {"register": other_account["register_id"], "reason": "x"})
    assert resp.status_code == 404 and resp.json["code"] == "not_found"
    assert job_row(ledger, theirs["id"])["state"] == "received"
    assert post(client, auth, "/api/v1/jobs/cancel", {"register": "nope", "reason": "x"}
                ).status_code == 404
    missing = post(client, auth, "/api/v1/jobs/cancel", {"register": register["id"]})
    assert missing.status_code == 422 and "reason" in missing.json["errors"]
    assert post(client, auth, "/api/v1/jobs/cancel").status_code == 422
    assert as_user("viewer").post("/api/v1/jobs/cancel", json={"reason": "x"}).status_code == 403
    assert job_row(ledger, job["id"])["state"] == "received"
    assert as_user("operator").post("/api/v1/jobs/cancel", json={"reason": "x"}).json == {
        "cancelled": 1}


def test_a_refund_posted_to_jobs_retried_with_its_key_is_the_same_job(client, auth, register,
                                                                       relay, run_worker,
                                                                       ledger):
    """The refund of everything: a retry must not be counted against itself (422 'more than
    is left'); it answers 200 with the first refund and creates nothing."""
    sale = printed_job(client, auth, register, relay, run_worker)
    refund = receipt_job(register["id"])
    refund["receipt"] |= {"operation": "sell_refund", "refund_of": sale["id"]}
    refund["idempotency_key"] = "refund-of-bill-1"
    first = client.post("/api/v1/jobs", json=refund, headers=auth)
    again = client.post("/api/v1/jobs", json=refund, headers=auth)
    assert (first.status_code, again.status_code) == (201, 200), again.json
    assert again.json["id"] == first.json["id"]
    assert job_count(ledger, refund_of=sale["id"]) == 1
    more = dict(refund, idempotency_key="refund-of-bill-1-again")
    over = client.post("/api/v1/jobs", json=more, headers=auth)
    assert over.status_code == 422                     # nothing is left to refund
