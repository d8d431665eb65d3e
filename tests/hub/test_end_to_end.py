"""API → outbox relay → RQ (real redis-server) → register worker → virtual register → ledger."""
import json

import pytest

from fiscal import printing
from fiscal.simulators.fiscal_memory import FiscalMemory
from hub.queues import enqueue_print
from receipts import receipt_job


def post(client, auth, body, **headers):
    return client.post("/api/v1/jobs", data=json.dumps(body), headers={**auth, **headers},
                       content_type="application/json")


def receipts_on(memory_path):
    return FiscalMemory(memory_path).documents("receipt")


@pytest.fixture(autouse=True)
def immediate_retries(monkeypatch):
    monkeypatch.setattr(printing, "RETRY_DELAYS", (0, 0, 0, 0, 0))


@pytest.fixture
def submit_and_print(client, auth, register, relay, run_worker):
    """Post the sample receipt, relay it, run the register's worker; the job as it ends."""
    def go():
        job_id = post(client, auth, receipt_job(register["id"])).json["id"]
        relay.dispatch()
        run_worker(register["id"])
        return client.get(f"/api/v1/jobs/{job_id}", headers=auth).json
    return go


def test_receipt_is_printed_once_and_the_retry_prints_nothing(client, auth, register, relay,
                                                              run_worker):
    first = post(client, auth, receipt_job(register["id"]), **{"Idempotency-Key": "bill-1"})
    assert first.status_code == 201
    assert relay.dispatch() == 1
    run_worker(register["id"])
    job = client.get(f"/api/v1/jobs/{first.json['id']}", headers=auth).json
    assert job["state"] == "printed", job
    (doc,) = receipts_on(register["memory"])
    assert job["result"]["fd_number"] == doc.fd_number
    assert job["result"]["fiscal_sign"] == doc.fiscal_sign
    assert str(doc.total) == "850.50"
    # the shift was opened automatically first: received, queued, sending, printed
    assert [h["to"] for h in job["history"]] == ["received", "queued", "sending", "printed"]
    assert len(FiscalMemory(register["memory"]).documents("open_shift")) == 1

    again = post(client, auth, receipt_job(register["id"]), **{"Idempotency-Key": "bill-1"})
    assert again.status_code == 200 and again.json["id"] == job["id"]
    assert relay.dispatch() == 0
    run_worker(register["id"])
    assert len(receipts_on(register["memory"])) == 1


def test_a_duplicate_delivery_by_redis_prints_nothing(client, auth, register, relay, redis,
                                                      run_worker):
    job_id = post(client, auth, receipt_job(register["id"])).json["id"]
    relay.dispatch()
    run_worker(register["id"])
    enqueue_print(redis, f"register.{register['id']}", job_id)
    enqueue_print(redis, f"register.{register['id']}", job_id)
    run_worker(register["id"])
    assert len(receipts_on(register["memory"])) == 1


def test_lost_answer_after_printing_is_found_on_the_register(submit_and_print, client, auth,
                                                             register, relay, run_worker):
    FiscalMemory(register["memory"]).arm_fault("fail_after_printing", on="receipt")
    job = submit_and_print()
    (doc,) = receipts_on(register["memory"])
    assert job["state"] == "printed" and job["result"]["fd_number"] == doc.fd_number
    assert "found on the register" in job["history"][-1]["cause"]


def test_refusal_before_sending_is_retried_and_printed_once(submit_and_print, client, auth,
                                                            register, relay, run_worker):
    FiscalMemory(register["memory"]).arm_fault("fail_before_sending", on="receipt")
    job = submit_and_print()
    assert job["state"] == "printed"
    assert [h["to"] for h in job["history"]] == [
        "received", "queued", "sending", "failed", "queued", "sending", "printed"]
    assert len(receipts_on(register["memory"])) == 1


def test_paper_out_mid_receipt_fails_with_the_operator_action(submit_and_print, client, auth,
                                                              register, relay, run_worker):
    memory = FiscalMemory(register["memory"])
    memory.arm_fault("paper_out", on="receipt")
    job = submit_and_print()
    assert job["state"] == "failed"
    assert job["error"]["code"] == "paper_out"
    assert "paper" in job["error"]["action"].lower()
    assert job["error"]["retryable"] is False
    assert receipts_on(register["memory"]) == []


def test_expired_shift_needs_a_z_report(submit_and_print, client, auth, register, relay,
                                        run_worker):
    memory = FiscalMemory(register["memory"])
    post(client, auth, {"kind": "open_shift", "register": register["id"]})
    relay.dispatch()
    run_worker(register["id"])
    memory.advance_clock(25 * 3600)
    job = submit_and_print()
    assert job["state"] == "failed" and job["error"]["code"] == "shift_expired"
    z = post(client, auth, {"kind": "close_shift", "register": register["id"]}).json["id"]
    relay.dispatch()
    run_worker(register["id"])
    assert client.get(f"/api/v1/jobs/{z}", headers=auth).json["state"] == "printed"


def test_suspended_register_holds_jobs(client, auth, register, relay, run_worker, ledger):
    from fiscal.ledger.models import Register
    with ledger.session() as s:
        s.get(Register, register["id"]).suspended = True
    job_id = post(client, auth, receipt_job(register["id"])).json["id"]
    relay.dispatch()
    run_worker(register["id"])
    assert client.get(f"/api/v1/jobs/{job_id}", headers=auth).json["state"] == "held"
    assert receipts_on(register["memory"]) == []


def test_offline_register_holds_then_goes_on_by_itself(submit_and_print, client, auth, register,
                                                       relay, run_worker):
    memory = FiscalMemory(register["memory"])
    memory.arm_fault("offline", on="any")
    job = submit_and_print()
    assert job["state"] == "held" and job["error"]["kind"] == "offline"
    assert relay.sweep()["held"] == 1
    relay.dispatch()
    run_worker(register["id"])
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=auth).json["state"] == "printed"
    assert len(receipts_on(register["memory"])) == 1


def test_cash_in_and_out_move_the_drawer(client, auth, register, relay, run_worker):
    post(client, auth, {"kind": "cash_in", "register": register["id"], "amount": "5000.00"})
    post(client, auth, {"kind": "cash_out", "register": register["id"], "amount": "1200.00"})
    relay.dispatch()
    run_worker(register["id"])
    items = client.get("/api/v1/jobs", headers=auth).json["items"]
    assert {j["state"] for j in items} == {"printed"}
    status = FiscalMemory(register["memory"]).state()
    assert str(status["cash_in_drawer"]) in ("3800.00", "3800")


def test_a_hung_register_times_out_and_the_job_is_reconciled(client, auth, register, ledger,
                                                             redis, run_worker):
    """RQ's job timeout stops a register that hangs after printing; the print service then
    finds the document on the register instead of printing it again."""
    from hub.relay import Relay
    memory = FiscalMemory(register["memory"])
    memory.arm_fault("hang", on="receipt", point="after", seconds=60)
    job_id = post(client, auth, receipt_job(register["id"])).json["id"]
    Relay(ledger, redis, job_timeout=1).dispatch()
    run_worker(register["id"])
    job = client.get(f"/api/v1/jobs/{job_id}", headers=auth).json
    (doc,) = receipts_on(register["memory"])
    assert job["state"] == "printed" and job["result"]["fd_number"] == doc.fd_number
    assert "found on the register" in job["history"][-1]["cause"]


def test_without_auto_open_shift_a_receipt_waits_for_the_operator(submit_and_print, client,
                                                                  auth, register, relay,
                                                                  run_worker, ledger):
    from fiscal.ledger.models import Register
    with ledger.session() as s:
        reg = s.get(Register, register["id"])
        reg.settings = {**reg.settings, "auto_open_shift": False}
    job = submit_and_print()
    assert job["state"] == "failed" and job["error"]["code"] == "shift_closed"
    assert "Open the shift" in job["error"]["action"]
    assert FiscalMemory(register["memory"]).documents() == []


def test_an_open_receipt_left_on_the_register_is_cancelled_first(submit_and_print, client, auth,
                                                                 register, relay, run_worker):
    from fiscal.simulators.register import SimulatedRegister
    memory = FiscalMemory(register["memory"])
    sim = SimulatedRegister(memory)
    sim.open_shift(None)
    sim.open_receipt("sell")        # somebody else's half-finished receipt
    job = submit_and_print()
    assert job["state"] == "printed"
    (doc,) = receipts_on(register["memory"])
    assert str(doc.total) == "850.50"
