"""The exactly-once pipeline through the Shtrih-M driver and the emulator on a pty:
API → relay → RQ → worker → driver → bytes on a pty → emulator → fiscal memory."""
import json
import os
import random

import pytest

from fiscal import printing
from fiscal.ledger import registers
from fiscal.simulators.fiscal_memory import FiscalMemory
from fiscal.simulators.shtrih import ShtrihEmulator
from fiscal.simulators.shtrih_faults import arm_wire_fault
from receipts import receipt_job

# Short vendor timeouts: the emulator answers at once, and a fault must not cost 30 s.
SETTINGS = {"timeout_scale": 0.05}


@pytest.fixture(autouse=True)
def immediate_retries(monkeypatch):
    monkeypatch.setattr(printing, "RETRY_DELAYS", (0, 0, 0, 0, 0))


@pytest.fixture
def shtrih(ledger, account, data_dir):
    memory_path = data_dir / "shtrih.sqlite"
    with ShtrihEmulator(memory_path) as emulator:
        pty = emulator.start_pty()
        with ledger.session() as s:
            reg_id = registers.add_register(s, account["id"], name="Bar", driver="shtrih",
                                            url=pty, settings=SETTINGS).id
        yield {"id": reg_id, "memory": FiscalMemory(memory_path), "emulator": emulator}


def post(client, auth, body):
    resp = client.post("/api/v1/jobs", data=json.dumps(body), headers=auth,
                       content_type="application/json")
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


def get(client, auth, job_id):
    return client.get(f"/api/v1/jobs/{job_id}", headers=auth).json


@pytest.fixture
def settle(client, auth, relay, run_worker):
    def run(register_id, job_ids, rounds=30):
        for _ in range(rounds):
            relay.dispatch()
            run_worker(register_id)
            relay.sweep()
            relay.dispatch()
            run_worker(register_id)
            jobs = [get(client, auth, j) for j in job_ids]
            if all(j["state"] in ("printed", "needs_attention", "failed") for j in jobs):
                return jobs
        raise AssertionError([j["state"] for j in jobs])
    return run


def test_receipt_refund_and_correction_print_once(client, auth, shtrih, settle):
    mixed = receipt_job(shtrih["id"], payments=[{"type": "cash", "amount": "500.50"},
                                                {"type": "electronic", "amount": "350.00"}],
                        customer={"email": "guest@example.com"})
    sale = post(client, auth, mixed)
    (job,) = settle(shtrih["id"], [sale])
    assert job["state"] == "printed", job
    refund = receipt_job(shtrih["id"], operation="sell_refund", refund_of=sale,
                         items=[{"name": "Чай", "price": "150.50", "quantity": "1",
                                 "amount": "150.50", "vat": "vat20"}],
                         payments=[{"type": "cash", "amount": "150.50"}], total="150.50")
    correction = {"kind": "correction", "register": shtrih["id"], "correction": {
        "operation": "sell", "correction_type": "self", "base": {"date": "2026-11-20"},
        "taxation": "osn", "vat": "vat20", "payments": [{"type": "cash", "amount": "99.00"}],
        "total": "99.00"}}
    jobs = settle(shtrih["id"], [post(client, auth, refund), post(client, auth, correction)])
    assert [j["state"] for j in jobs] == ["printed", "printed"]
    memory = shtrih["memory"]
    receipts = memory.documents("receipt")
    assert [(d.operation, str(d.total)) for d in receipts] == [("sell", "850.50"),
                                                              ("sell_refund", "150.50")]
    assert [str(d.total) for d in memory.documents("correction")] == ["99.00"]
    assert job["result"]["fd_number"] == receipts[0].fd_number
    assert job["result"]["fiscal_sign"] == receipts[0].fiscal_sign


def test_shift_over_24_hours_is_a_clear_operator_error(client, auth, shtrih, settle):
    settle(shtrih["id"], [post(client, auth, {"kind": "open_shift", "register": shtrih["id"]})])
    shtrih["memory"].advance_clock(25 * 3600)
    (job,) = settle(shtrih["id"], [post(client, auth, receipt_job(shtrih["id"]))])
    assert job["state"] == "failed" and job["error"]["code"] == "shift_expired"
    assert "Z report" in job["error"]["action"]
    assert "24" in job["error"]["message"]
    (z,) = settle(shtrih["id"], [post(client, auth, {"kind": "close_shift",
                                                     "register": shtrih["id"]})])
    assert z["state"] == "printed" and z["result"]["doc_type"] == "close_shift"


def test_paper_out_mid_receipt_then_recovery(client, auth, shtrih, settle, ledger):
    memory = shtrih["memory"]
    settle(shtrih["id"], [post(client, auth, {"kind": "open_shift", "register": shtrih["id"]})])
    arm_wire_fault(memory, "paper_runs_out", 0xFF46, point="after")
    (job,) = settle(shtrih["id"], [post(client, auth, receipt_job(shtrih["id"]))])
    assert job["state"] == "failed" and job["error"]["code"] == "paper_out"
    assert memory.documents("receipt") == []
    memory.set_paper(True)              # the operator loads paper …
    from fiscal.ledger import jobs as ledger_jobs
    from fiscal.ledger.models import Job
    with ledger.session() as s:         # … and repeats the job
        ledger_jobs.enqueue_again(s, s.get(Job, job["id"]), actor="operator", cause="repeat")
    (job,) = settle(shtrih["id"], [job["id"]])
    assert job["state"] == "printed"
    assert len(memory.documents("receipt")) == 1


FAULTS = ["nak_frame", "lose_ack", "drop_answer_byte", "corrupt_answer_byte",
          "stop_answering", "disconnect", "delay_answer"]
COMMANDS = [0xFF46, 0xFF0C, 0xFF45, 0x11, 0xFF01, 0xFF0A, 0x88, None]


def test_hundreds_of_receipts_with_random_wire_faults_print_exactly_once(client, auth, shtrih,
                                                                         settle):
    """Every receipt gets a random fault on a random command of its flow; afterwards every
    job is printed (or needs attention) and the fiscal memory holds exactly one receipt per
    printed job, with the FD number the ledger recorded."""
    n = int(os.environ.get("FISCALHUB_SOAK_RECEIPTS", "200"))
    rng = random.Random(20261122)
    memory = shtrih["memory"]
    ids = []
    for i in range(n):
        fault = rng.choice(FAULTS)
        point = rng.choice(["before", "after"])
        arm_wire_fault(memory, fault, rng.choice(COMMANDS), point=point,
                       seconds=0.3 if fault in ("stop_answering", "disconnect",
                                                "delay_answer") else None)
        ids.append(post(client, auth, receipt_job(shtrih["id"])))
        settle(shtrih["id"], ids[-1:])
        memory.clear_faults()
    jobs = settle(shtrih["id"], ids)
    states = [j["state"] for j in jobs]
    printed = [j for j in jobs if j["state"] == "printed"]
    assert set(states) <= {"printed", "needs_attention"}, states
    docs = memory.documents("receipt")
    assert len(docs) == len(printed)
    assert sorted(d.fd_number for d in docs) == sorted(j["result"]["fd_number"]
                                                       for j in printed)
    assert len(printed) >= n * 0.95, f"{n - len(printed)} jobs need attention"
