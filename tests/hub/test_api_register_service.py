"""Register service actions (open shift, X report, Z report, cash in/out, cancel receipt,
reprint, cut): each enqueued as a job, answered with it, and printed by the worker — and the
refusals: a suspended or removed register, a double click, the cashier rule, bad input, wrong
role, another account's register (404, nothing enqueued)."""
import json

import pytest
from sqlalchemy import func, select

from fiscal.ledger.models import AuditEntry, Job, Register
from fiscal.simulators.fiscal_memory import FiscalMemory

ACTIONS = {"open-shift": "open_shift", "x-report": "x_report", "close-shift": "close_shift",
           "cash-in": "cash_in", "cash-out": "cash_out", "cancel-receipt": "cancel_receipt",
           "reprint-last": "reprint_last", "cut": "cut"}
CASH = {"cash-in", "cash-out"}


def body_for(action: str, **extra) -> dict:
    return {**({"amount": "100.00"} if action in CASH else {}), **extra}


def act(client, auth, register_id, action, body=None, **headers):
    return client.post(f"/api/v1/registers/{register_id}/{action}", headers={**auth, **headers},
                       json=body if body is not None else body_for(action))


def jobs_count(ledger, register_id=None):
    with ledger.session(readonly=True) as s:
        q = select(func.count()).select_from(Job)
        if register_id:
            q = q.where(Job.register_id == register_id)
        return s.scalar(q)


def run(relay, run_worker, register_id):
    relay.dispatch()
    run_worker(register_id)


def job_of(client, auth, job_id):
    return client.get(f"/api/v1/jobs/{job_id}", headers=auth).json


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_is_enqueued_as_a_job_and_answered_with_it(client, auth, register, action):
    resp = act(client, auth, register["id"], action)
    assert resp.status_code == 201, resp.json
    job = resp.json
    assert (job["kind"], job["register"], job["state"]) == (ACTIONS[action], register["id"],
                                                            "received")
    assert resp.headers["Location"].endswith(f"/api/v1/jobs/{job['id']}")
    assert job["total"] == ("100.00" if action in CASH else None)
    assert client.get(resp.headers["Location"], headers=auth).json["kind"] == ACTIONS[action]


def test_a_shift_day_is_printed_on_the_register(client, auth, register, relay, run_worker):
    rid = register["id"]
    done = []
    for action in ("open-shift", "cash-in", "x-report", "cash-out", "reprint-last", "cut",
                   "cancel-receipt", "close-shift"):
        body = body_for(action, amount="300.00") if action == "cash-in" else body_for(action)
        done.append(act(client, auth, rid, action, body).json["id"])
        run(relay, run_worker, rid)
    states = [(job_of(client, auth, j)["kind"], job_of(client, auth, j)["state"]) for j in done]
    assert states == [(k, "printed") for k in ("open_shift", "cash_in", "x_report", "cash_out",
                                               "reprint_last", "cut", "cancel_receipt",
                                               "close_shift")]
    memory = FiscalMemory(register["memory"])
    assert len(memory.documents("open_shift")) == 1 and len(memory.documents("close_shift")) == 1
    assert [d.total for d in memory.documents("cash_in")] == [300]
    z = job_of(client, auth, done[-1])
    assert z["result"]["fd_number"] == memory.documents("close_shift")[0].fd_number
    live = client.get(f"/api/v1/registers/{rid}", headers=auth).json["live"]
    assert live["shift_open"] is False and live["cash_in_drawer"] == "200.00"


def test_a_service_action_takes_no_body_or_names_the_cashier(client, auth, register):
    rid = register["id"]
    bare = client.post(f"/api/v1/registers/{rid}/x-report", headers=auth)
    assert bare.status_code == 201 and "cashier" not in bare.json
    named = act(client, auth, rid, "x-report", {"cashier": {"name": "Иванова А."}})
    assert named.status_code == 201 and named.json["cashier"] == {"name": "Иванова А."}


def test_the_idempotency_key_makes_a_double_click_print_one_z_report(
        client, auth, register, relay, run_worker):
    rid = register["id"]
    act(client, auth, rid, "open-shift")
    run(relay, run_worker, rid)
    first = act(client, auth, rid, "close-shift", **{"Idempotency-Key": "z-2026-11-22"})
    again = act(client, auth, rid, "close-shift", **{"Idempotency-Key": "z-2026-11-22"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    run(relay, run_worker, rid)
    later = act(client, auth, rid, "close-shift", **{"Idempotency-Key": "z-2026-11-22"})
    assert later.status_code == 200 and later.json["state"] == "printed"
    other = act(client, auth, rid, "x-report", **{"Idempotency-Key": "z-2026-11-22"})
    assert other.status_code == 409 and other.json["code"] == "idempotency_conflict"
    assert len(FiscalMemory(register["memory"]).documents("close_shift")) == 1


@pytest.mark.parametrize("action", ["open-shift", "close-shift"])
def test_a_second_shift_action_while_one_waits_is_refused(client, auth, ledger, register,
                                                          action):
    assert act(client, auth, register["id"], action).status_code == 201
    again = act(client, auth, register["id"], action)
    assert again.status_code == 409 and again.json["code"] == "already_pending"
    assert jobs_count(ledger, register["id"]) == 1
    assert act(client, auth, register["id"], "x-report").status_code == 201  # others: fine


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_suspended_register_refuses_service(client, auth, ledger, register, action):
    client.post(f"/api/v1/registers/{register['id']}/suspend", headers=auth)
    resp = act(client, auth, register["id"], action)
    assert resp.status_code == 409 and resp.json["code"] == "register_suspended"
    assert "activate" in resp.json["message"]
    assert jobs_count(ledger) == 0


@pytest.mark.parametrize("action", list(ACTIONS))
def test_a_removed_register_refuses_service(client, auth, ledger, register, action):
    client.delete(f"/api/v1/registers/{register['id']}", headers=auth)
    resp = act(client, auth, register["id"], action)
    assert resp.status_code == 409 and resp.json["code"] == "register_removed"
    assert jobs_count(ledger) == 0


def test_with_the_universal_cashier_off_the_action_names_one_of_the_accounts_cashiers(
        client, auth, ledger, register, other_account):
    client.patch(f"/api/v1/registers/{register['id']}",
                 json={"settings": {"universal_cashier": False}}, headers=auth)
    cashier = client.post("/api/v1/cashiers", json={"name": "Петрова Е."}, headers=auth).json
    refused = act(client, auth, register["id"], "open-shift")
    assert refused.status_code == 422 and "cashier_id" in refused.json["errors"]
    with ledger.session() as s:                  # another account's cashier is unknown here
        from fiscal.ledger.cashiers import create_cashier
        theirs = create_cashier(s, other_account["id"], name="Чужой", actor="test").id
    refused = act(client, auth, register["id"], "open-shift", {"cashier_id": theirs})
    assert refused.status_code == 422 and "cashier_id" in refused.json["errors"]
    assert jobs_count(ledger) == 0
    ok = act(client, auth, register["id"], "open-shift", {"cashier_id": cashier["id"]})
    assert ok.status_code == 201 and ok.json["cashier"] == {"name": "Петрова Е."}
    with ledger.session(readonly=True) as s:
        assert s.get(Job, ok.json["id"]).cashier_id == cashier["id"]


@pytest.mark.parametrize("action,body,field", [
    ("cash-in", {}, "amount"), ("cash-in", {"amount": "0"}, "amount"),
    ("cash-out", {"amount": "-5.00"}, "amount"), ("cash-in", {"amount": "abc"}, "amount"),
    ("cash-in", {"amount": "100.00", "total": "1"}, "total"),
    ("x-report", {"amount": "100.00"}, "amount"), ("cut", {"kind": "receipt"}, "kind"),
    ("open-shift", {"cashier_id": "c1", "cashier": {"name": "A"}}, "cashier_id"),
    ("open-shift", {"cashier": {"name": ""}}, "cashier"),
    ("open-shift", {"cashier": {"name": "A", "inn": "12"}}, "cashier"),
])
def test_bad_input_is_422_naming_the_field(client, auth, ledger, register, action, body, field):
    resp = act(client, auth, register["id"], action, body)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"], resp.json
    assert jobs_count(ledger) == 0


def test_a_body_that_is_not_an_object_is_400_and_a_bad_key_header_422(client, auth, register):
    url = f"/api/v1/registers/{register['id']}/x-report"
    for data in ("[]", "not json", "null"):
        resp = client.post(url, data=data, headers=auth, content_type="application/json")
        assert resp.status_code == 400 and resp.json["code"] == "malformed_json"
    resp = client.post(url, data=" ", headers=auth, content_type="application/json")
    assert resp.status_code == 400 and resp.json["code"] == "empty_body"
    resp = client.post(url, headers={**auth, "Idempotency-Key": "x" * 129})
    assert resp.status_code == 422 and "Idempotency-Key" in resp.json["errors"]


def test_cash_amounts_are_exact_decimals(client, auth, register):
    resp = client.post(f"/api/v1/registers/{register['id']}/cash-in", headers=auth,
                       data='{"amount": 2.675}', content_type="application/json")
    assert resp.status_code == 201 and resp.json["amount"] == "2.68"


# --- who may -------------------------------------------------------------------------------

def test_a_viewer_may_not_service_a_register(as_user, ledger, register):
    viewer = as_user("viewer")
    for action in ACTIONS:
        resp = viewer.post(f"/api/v1/registers/{register['id']}/{action}",
                           json=body_for(action))
        assert resp.status_code == 403 and resp.json["code"] == "forbidden"
    assert jobs_count(ledger) == 0


@pytest.mark.parametrize("role", ["operator", "admin", "owner"])
def test_operators_and_up_service_registers(as_user, ledger, register, role):
    user = as_user(role)
    resp = user.post(f"/api/v1/registers/{register['id']}/cash-in", json={"amount": "50"})
    assert resp.status_code == 201
    with ledger.session(readonly=True) as s:
        assert s.get(Job, resp.json["id"]).created_by == f"user:{role}"


def test_a_session_without_its_csrf_token_may_not_service(as_user, register):
    user = as_user("operator")
    resp = user.client.post(f"/api/v1/registers/{register['id']}/x-report")
    assert resp.status_code == 403 and resp.json["code"] == "csrf_failed"


# --- tenant isolation -----------------------------------------------------------------------

def test_another_accounts_register_is_404_for_every_action_and_nothing_is_enqueued(
        client, auth, ledger, other_account):
    theirs = other_account["register_id"]
    with ledger.session(readonly=True) as s:
        reg = s.get(Register, theirs)
        before = {c.name: getattr(reg, c.name) for c in Register.__table__.columns}
        audit_before = s.scalar(select(func.count()).select_from(AuditEntry))
    for action in ACTIONS:
        resp = act(client, auth, theirs, action, **{"Idempotency-Key": f"k-{action}"})
        assert resp.status_code == 404 and resp.json["code"] == "not_found", action
    assert client.post("/api/v1/registers/no-such-register/cut", headers=auth).status_code == 404
    assert jobs_count(ledger) == 0
    with ledger.session(readonly=True) as s:
        reg = s.get(Register, theirs)
        assert {c.name: getattr(reg, c.name) for c in Register.__table__.columns} == before
        assert s.scalar(select(func.count()).select_from(AuditEntry)) == audit_before


def test_an_idempotency_key_is_per_account(client, auth, ledger, register, other_account):
    mine = act(client, auth, register["id"], "x-report", **{"Idempotency-Key": "same"})
    theirs = act(client, other_account["auth"], other_account["register_id"], "x-report",
                 **{"Idempotency-Key": "same"})
    assert (mine.status_code, theirs.status_code) == (201, 201)
    assert mine.json["id"] != theirs.json["id"]
    assert json.dumps(theirs.json).count(register["id"]) == 0
