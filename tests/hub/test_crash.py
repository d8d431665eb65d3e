"""Crash tests with real processes: ``kill -9`` of a register's worker at each step of a job,
and of the Redis server in the middle of a run. After a restart every job ends ``printed`` (or
``needs_attention``) and the register's fiscal memory holds exactly one document per printed
job."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from sqlalchemy import select

from fiscal.ledger.models import Job
from fiscal.simulators.fiscal_memory import FiscalMemory
from receipts import receipt_job

pytestmark = pytest.mark.slow


def post(client, auth, body):
    resp = client.post("/api/v1/jobs", data=json.dumps(body), headers=auth,
                       content_type="application/json")
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


class WorkerProcess:
    def __init__(self, register_id, env):
        self.proc = subprocess.Popen([sys.executable, "-m", "hub.worker", register_id],
                                     env=env)

    def kill9(self):
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(10)

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


@pytest.fixture
def workers(settings, monkeypatch):
    env = {**os.environ, "FISCALHUB_LOCK_TTL": "2", "PYTHONPATH": os.getcwd()}
    started = []

    def start(register_id):
        w = WorkerProcess(register_id, env)
        started.append(w)
        return w
    yield start
    for w in started:
        w.stop()


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def states(ledger):
    with ledger.session() as s:
        return {j.id: j.state for j in s.scalars(select(Job))}


def settle(relay, ledger, job_ids, timeout=60.0):
    """Run the relay and the sweeper until every job is settled."""
    last = {}

    def done():
        relay.dispatch()
        relay.sweep()
        last.update(states(ledger))
        return all(last[j] in ("printed", "needs_attention") for j in job_ids) and last
    try:
        return wait_for(done, timeout, "jobs to settle")
    except AssertionError:
        from collections import Counter
        stuck = [j for j in job_ids if last.get(j) not in ("printed", "needs_attention")]
        with ledger.session() as s:
            from fiscal.ledger import jobs as ledger_jobs
            tails = {j: [(e.to_state, e.cause) for e in ledger_jobs.history(s, j)][-4:]
                     for j in stuck[:3]}
        raise AssertionError(f"jobs did not settle: {Counter(last[j] for j in job_ids)}; "
                             f"last steps of the stuck ones: {tails}")


@pytest.mark.parametrize("step,method,point,printed_before_kill", [
    ("before sending", "status", "before", False),
    ("while sending", "receipt", "before", False),
    ("after the register printed, before the ledger knew", "receipt", "after", True),
])
def test_kill_9_of_the_worker_at_each_step(step, method, point, printed_before_kill, client,
                                           auth, register, relay, ledger, workers):
    memory = FiscalMemory(register["memory"])
    warmup = post(client, auth, receipt_job(register["id"]))   # opens the shift, binds
    relay.dispatch()
    first = workers(register["id"])
    settle(relay, ledger, [warmup])
    memory.arm_fault("hang", on=method, point=point, seconds=120)
    job_id = post(client, auth, receipt_job(register["id"]))
    relay.dispatch()
    wait_for(memory.hanging, what=f"the worker to hang {point} {method}")
    assert len(memory.documents("receipt")) == (2 if printed_before_kill else 1)
    first.kill9()
    memory.clear_faults()
    workers(register["id"])
    final = settle(relay, ledger, [warmup, job_id])
    assert final[job_id] == "printed", step
    docs = memory.documents("receipt")
    assert len(docs) == 2, f"{step}: {len(docs)} receipts for 2 printed jobs"
    with ledger.session() as s:
        fds = sorted(s.get(Job, j).fd_number for j in (warmup, job_id))
    assert fds == sorted(d.fd_number for d in docs)


def test_redis_killed_and_restarted_mid_run_loses_nothing(client, auth, register, relay,
                                                          ledger, workers, redis_server,
                                                          redis):
    memory = FiscalMemory(register["memory"])
    memory.arm_fault("hang", on="receipt", point="before", seconds=1, times=3)
    ids = [post(client, auth, receipt_job(register["id"])) for _ in range(12)]
    relay.dispatch()
    workers(register["id"])
    wait_for(lambda: 0 < len(memory.documents("receipt")), what="printing to start")
    redis_server.stop(kill=True)               # kill -9: no save on the way down
    more = [post(client, auth, receipt_job(register["id"])) for _ in range(4)]
    time.sleep(0.5)
    redis_server.start()
    final = settle(relay, ledger, ids + more, timeout=90)
    assert {final[j] for j in ids + more} == {"printed"}
    assert len(memory.documents("receipt")) == len(ids + more)


def test_shtrih_worker_killed_at_random_moments_prints_each_receipt_once(
        client, auth, ledger, account, data_dir, relay, workers):
    """The register's worker is killed with kill -9 again and again while it prints on a
    Shtrih-M emulator over a pty; every job still ends printed once."""
    import random

    from fiscal.ledger import registers
    from fiscal.simulators.shtrih import ShtrihEmulator
    rng = random.Random(7)
    with ShtrihEmulator(data_dir / "shtrih.sqlite") as emulator:
        pty = emulator.start_pty()
        with ledger.session() as s:
            reg_id = registers.add_register(s, account["id"], name="KTV bar", driver="shtrih",
                                            url=pty, settings={"timeout_scale": 0.05}).id
        ids = [post(client, auth, receipt_job(reg_id)) for _ in range(30)]
        relay.dispatch()
        for _ in range(8):
            worker = workers(reg_id)
            time.sleep(rng.uniform(0.8, 2.5))
            worker.kill9()
            relay.sweep()
        workers(reg_id)
        final = settle(relay, ledger, ids, timeout=120)
        printed = [j for j in ids if final[j] == "printed"]
        unsure = [j for j in ids if final[j] == "needs_attention"]
        docs = emulator.memory.documents("receipt")
        with ledger.session() as s:
            fds = [s.get(Job, j).fd_number for j in printed]
            seen = [s.get(Job, j).error for j in unsure]
        # every printed job has its own document; a job needing attention may have one
        assert len(set(fds)) == len(fds) and set(fds) <= {d.fd_number for d in docs}
        assert len(printed) <= len(docs) <= len(printed) + len(unsure), seen
        assert len(printed) >= 27, seen
