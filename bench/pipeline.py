"""End-to-end printed jobs/s: HTTP intake → outbox relay → RQ on redis-server → register
worker → virtual register, beside N no-op RQ jobs drained by the same kind of worker.

    .venv/bin/python bench/pipeline.py [--n 300] [--clients 4] [--server subprocess|thread]

The real path, all on this machine:

* the API: ``create_app(Settings())`` on werkzeug's threaded server on 127.0.0.1 (the server of
  ``fiscalhub web``), in a child process by default (``--server thread``: in this process);
* the worker: a child ``python -m hub.cli worker --register <id>``, i.e. ``fiscalhub worker``:
  the supervisor with the outbox relay (``RelayLoop``) and the sweeper in its process, which
  spawns the register's worker process ``python -m hub.worker <id>`` (an RQ ``SimpleWorker``
  with the JSON serializer, holding the register lock);
* a real ``redis-server`` (``hub.embedded.RedisServer``, AOF on) and a migrated SQLite ledger in
  a temp dir; a ``virtual`` register whose fiscal memory is a SQLite file there too.

Measured: from the first POST to the last receipt's ``printed`` (the time the worker committed
it, from the ledger's job history). The worker is warmed up first with an ``open_shift`` job
(which also opens the register's shift), so N receipts print on an open shift.

Baseline, same run, same Redis: N jobs of ``bench.noop.noop`` (returns None) enqueued with the
JSON serializer and the options ``hub.queues.enqueue_print`` uses, on the queue of a register
id no ledger row has, drained by ``python -m hub.cli worker --register bench-noop --no-relay``
(the same supervisor → ``python -m hub.worker`` → ``SimpleWorker``): from the first enqueue to
the last job's ``ended_at``. One pass runs before the receipts and one after (the no-op worker
idles in between); the ratio uses their mean, and both are printed to show the noise.

At the end the register's fiscal memory must hold exactly N receipts, each the FD number of one
printed ledger job; the script says so, or fails.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stack import (PYTHON, Stack, common_options, describe_latency, parse_ts, percentile,  # noqa: E402
                          post_many, receipt_job, run_on_a_stack)

NOOP_REGISTER = "bench-noop"
BAD_STATES = ("failed", "needs_attention", "held", "cancelled")


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--n", type=int, default=300, help="receipts (and no-op jobs); default 300")
    p.add_argument("--clients", type=int, default=4, help="concurrent HTTP client threads")
    p.add_argument("--timeout", type=float, default=100.0,
                   help="give up waiting for the jobs after this many seconds")
    common_options(p)
    args = p.parse_args(argv)
    return run_on_a_stack(args, lambda stack: _run(stack, args))


def _wait_for_worker(stack: Stack, proc, queue, timeout: float = 30.0) -> None:
    from rq import Worker
    deadline = time.monotonic() + timeout
    while not Worker.all_keys(queue=queue):
        if proc.poll() is not None or time.monotonic() > deadline:
            raise RuntimeError(f"the worker for {queue.name} did not start:\n"
                               f"{stack.log_tail(proc)}")
        time.sleep(0.05)


def _worker_cmd(register_id: str, relay: bool) -> list[str]:
    return [PYTHON, "-m", "hub.cli", "worker", "--register", register_id] + \
        ([] if relay else ["--no-relay"])


# baseline ------------------------------------------------------------------------------------
class Baseline:
    """The no-op worker (started once, idle in between) and a measuring pass over N jobs."""

    def __init__(self, stack: Stack, timeout: float):
        from rq.registry import FailedJobRegistry, FinishedJobRegistry
        from hub.queues import register_queue
        self.stack, self.timeout = stack, timeout
        self.q = register_queue(stack.redis, NOOP_REGISTER)
        self.proc = stack.spawn(_worker_cmd(NOOP_REGISTER, relay=False), "worker-noop")
        self.finished = FinishedJobRegistry(queue=self.q)
        self.failed = FailedJobRegistry(queue=self.q)
        _wait_for_worker(stack, self.proc, self.q)
        self.measure(1)                                         # warm-up

    def _enqueue(self, job_id: str) -> None:
        from hub.queues import FAILURE_TTL, RESULT_TTL
        self.q.enqueue_call("bench.noop.noop", args=(job_id,), job_id=job_id,
                            result_ttl=RESULT_TTL, failure_ttl=FAILURE_TTL,
                            description=f"noop {job_id}")

    def measure(self, n: int) -> dict:
        from rq.job import Job as RQJob
        from rq.serializers import JSONSerializer
        before = self.finished.count
        ids = [f"noop-{uuid.uuid4()}" for _ in range(n)]
        t0 = time.time()
        for job_id in ids:
            self._enqueue(job_id)
        enqueued = time.time() - t0
        deadline = time.monotonic() + self.timeout
        while self.finished.count < before + n:
            if self.failed.count:
                raise RuntimeError(f"no-op jobs failed:\n{self.stack.log_tail(self.proc)}")
            if self.proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"no-op jobs not drained ({self.finished.count - before}/{n})"
                                   f":\n{self.stack.log_tail(self.proc)}")
            time.sleep(0.01)
        jobs = RQJob.fetch_many(ids, connection=self.stack.redis, serializer=JSONSerializer)
        end = max(j.ended_at.timestamp() for j in jobs)
        return {"elapsed": end - t0, "rate": n / (end - t0), "enqueue": enqueued}

    def stop(self) -> None:
        self.stack.stop(self.proc)


# the real pipeline -----------------------------------------------------------------------------
def _job_states(stack: Stack, kind: str) -> Counter:
    return Counter(dict(stack.ledger_query(
        "SELECT state, count(*) FROM jobs WHERE kind = ? GROUP BY state", (kind,))))


def pipeline(stack: Stack, url: str, n: int, clients: int, timeout: float) -> dict:
    from hub.queues import register_queue
    rid = stack.register_id
    q = register_queue(stack.redis, rid)
    proc = stack.spawn(_worker_cmd(rid, relay=True), "worker-register")
    _wait_for_worker(stack, proc, q)
    auth = {"Authorization": f"Bearer {stack.api_key}", "Content-Type": "application/json"}
    run = uuid.uuid4().hex[:8]

    def wait_until(done, what):
        deadline = time.monotonic() + timeout
        while True:
            states = _job_states(stack, what)
            if done(states):
                return states
            bad = {s: states[s] for s in BAD_STATES if states.get(s)}
            if bad or proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"{what} jobs stuck: {dict(states)}\n{stack.log_tail(proc)}")
            time.sleep(0.02)

    # warm-up: the worker imports, connects, opens the register and its shift
    warm = post_many(url + "/api/v1/jobs",
                     [json.dumps({"kind": "open_shift", "register": rid}).encode()],
                     lambda i: {**auth, "Idempotency-Key": f"warmup-{run}"}, 1)
    if warm.errors:
        raise RuntimeError(f"warm-up job refused: {warm.errors}")
    wait_until(lambda st: st.get("printed") == 1, "open_shift")

    body = json.dumps(receipt_job(rid), ensure_ascii=False).encode()
    stack.lock_reset()
    intake = post_many(url + "/api/v1/jobs", [body] * n,
                       lambda i: {**auth, "Idempotency-Key": f"bill-{run}-{i}"}, clients,
                       keep_bodies=True)
    if intake.errors or intake.statuses != {201: n}:
        raise RuntimeError(f"intake: {intake.statuses} {intake.errors[:3]}")
    wait_until(lambda st: st.get("printed") == n, "receipt")
    locks = stack.lock_report()
    # let anything still in RQ (a duplicate delivery, say) run before the fiscal memory is read
    from rq.registry import StartedJobRegistry
    started, settle = StartedJobRegistry(queue=q), time.monotonic() + 10
    while (q.count or started.count) and time.monotonic() < settle:
        time.sleep(0.05)

    events = stack.ledger_query(
        "SELECT h.job_id, h.to_state, h.at FROM job_history h JOIN jobs j ON j.id = h.job_id "
        "WHERE j.kind = 'receipt' ORDER BY h.id")
    at: dict[str, dict[str, float]] = {}
    for job_id, to_state, ts in events:
        at.setdefault(job_id, {}).setdefault(to_state, parse_ts(ts))
    printed = sorted(a["printed"] for a in at.values())
    end = printed[-1]
    gaps = [b - a for a, b in zip(printed, printed[1:])]

    def stage(a, b):
        return [x[b] - x[a] for x in at.values() if a in x and b in x]
    intake_end = intake.started + intake.elapsed
    during = sum(1 for t in printed if t <= intake_end)
    return {"elapsed": end - intake.started, "rate": n / (end - intake.started),
            "intake": intake, "gaps": gaps, "locks": locks, "printed_during_intake": during,
            "rate_after_intake": (n - during) / (end - intake_end) if end > intake_end
            else float("nan"),
            "relay": stage("received", "queued"), "wait": stage("queued", "sending"),
            "print": stage("sending", "printed"), "total": stage("received", "printed"),
            "job_ids": {b["id"] for b in intake.bodies},
            "history_states": Counter(tuple(x) for x in at.values())}


def verify(stack: Stack, n: int, result: dict) -> tuple[bool, str]:
    from fiscal.simulators.fiscal_memory import FiscalMemory
    memory = FiscalMemory(stack.memory_path)
    docs = memory.documents("receipt")
    shifts = memory.documents("open_shift")
    rows = stack.ledger_query("SELECT id, state, fd_number FROM jobs WHERE kind = 'receipt'")
    ledger_fds = [fd for _, state, fd in rows if state == "printed"]
    memory_fds = [d.fd_number for d in docs]
    problems = []
    if len(docs) != n:
        problems.append(f"fiscal memory holds {len(docs)} receipts, expected {n}")
    if len(set(memory_fds)) != len(memory_fds):
        problems.append("duplicate FD numbers in the fiscal memory")
    if len(rows) != n or len(ledger_fds) != n or {r[0] for r in rows} != result["job_ids"]:
        problems.append(f"ledger: {len(rows)} receipt jobs, {len(ledger_fds)} printed, "
                        f"expected the {n} jobs the API answered")
    if sorted(ledger_fds) != sorted(memory_fds):
        problems.append("the ledger's FD numbers and the fiscal memory's differ")
    if len(shifts) != 1:
        problems.append(f"{len(shifts)} open_shift documents, expected 1")
    if any(str(d.total) != "850.50" for d in docs):
        problems.append("a receipt total other than 850.50")
    if problems:
        return False, "VERIFICATION FAILED: " + "; ".join(problems)
    return True, (f"verified: the register's fiscal memory holds exactly {n} receipts "
                  f"(FD {min(memory_fds)}..{max(memory_fds)}, no duplicates), one per ledger "
                  f"job, each the FD number that job's ledger row records; 1 open_shift")


def _ms(values, p):
    return percentile(values, p) * 1000


def _run(stack: Stack, args) -> int:
    n = args.n
    url = stack.serve("hub", args.server)
    print(f"pipeline: {n} receipts; API on werkzeug threaded server ({args.server}); "
          f"worker = child `python -m hub.cli worker --register <id>` (supervisor + relay) → "
          f"`python -m hub.worker <id>` (RQ SimpleWorker, JSON serializer); redis-server; "
          f"SQLite ledger; virtual register; {args.clients} HTTP client threads")
    noop = Baseline(stack, args.timeout)
    before = noop.measure(n)
    res = pipeline(stack, url, n, args.clients, args.timeout)
    after = noop.measure(n)          # the no-op worker sat idle while the receipts printed
    noop.stop()
    base_rate = (before["rate"] + after["rate"]) / 2
    ok, verdict = verify(stack, n, res)
    intake = res["intake"]
    print()
    print(f"  baseline no-op RQ jobs : {base_rate:8.1f} jobs/s  (mean of a pass before "
          f"the receipts, {before['rate']:.1f}, and one after, {after['rate']:.1f}; "
          f"{before['elapsed']:.2f} s / {after['elapsed']:.2f} s for {n})")
    print(f"  printed receipts       : {res['rate']:8.1f} jobs/s  ({res['elapsed']:5.2f} s for "
          f"{n}, first POST → last printed)")
    print(f"  ratio pipeline/no-op   : {res['rate'] / base_rate:8.3f}  "
          f"(a no-op job is {base_rate / res['rate']:.1f}x faster)")
    print()
    print(f"  intake while printing  : {intake.rate:8.1f} req/s  ({intake.elapsed:5.2f} s)  "
          f"{describe_latency(intake)}")
    during = res["printed_during_intake"]
    print(f"  worker pace            : {during / intake.elapsed:8.1f} jobs/s while the POSTs "
          f"ran ({during} printed), {res['rate_after_intake']:.1f} jobs/s after (worker alone)")
    print(f"  per receipt (ledger history, median / p90 / max, ms):")
    for label, key in (("received → queued (relay)", "relay"),
                       ("queued → sending (RQ wait + pickup)", "wait"),
                       ("sending → printed (register + commit)", "print"),
                       ("received → printed", "total"),
                       ("gap between printed (worker pace)", "gaps")):
        v = res[key]
        print(f"    {label:<40} {_ms(v, 50):8.1f} {_ms(v, 90):8.1f} "
              f"{max(v) * 1000 if v else float('nan'):8.1f}")
    paths = res["history_states"]
    if len(paths) != 1:
        print(f"  note: histories differ: {dict(paths)}")
    if res["locks"]:
        print(res["locks"])
    print()
    print(verdict)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
