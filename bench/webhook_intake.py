"""Webhook intake rate: M ``POST /hooks/<connection id>`` (TinyPOS bills through the example
connector) with the outbox relay handing each job to RQ, beside a bare Flask endpoint.

    .venv/bin/python bench/webhook_intake.py [--m 500] [--clients 4] [--server subprocess|thread]

The real path, all on this machine: the hub (``create_app(Settings())`` on werkzeug's threaded
server, the server of ``fiscalhub web``, in a child process by default) finds the example
connector of ``examples/fiscalhub-example-connector`` by its entry point (a dist-info in the
temp dir, the package on ``PYTHONPATH``: installed, as far as the hub can tell). Each request
is verified (the shared secret), parsed, translated (in the intake's time-limited thread) and
stored — the source event, its sell receipt job, the job's history and an outbox row, in one
SQLite transaction — and answered 202. The outbox relay runs as ``fiscalhub worker`` runs it (a
``RelayLoop`` in a child process) and enqueues each job on the register's RQ queue on the real
``redis-server``. No register worker runs: this is intake.

Baseline, same run, same kind of server: the bare Flask app of ``bench/_serve.py`` parsing the
same bodies (``json.loads(..., parse_float=Decimal)``) and echoing them. Both get 30 unmeasured
requests first. Printed: requests/s of both and their ratio, p50/p90/p99/max latency, and the
rate to the last job being in RQ (first request → the relay's last ``dispatched_at``).

Checked: every answer 202 with one accepted event and one job; the ledger holds M events (one
per event ID), M jobs (one per event, distinct keys), M outbox rows, all dispatched; RQ holds
each job exactly once; a redelivery of some of the bills is answered ``duplicate`` and
creates nothing.
"""
from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import time
import uuid
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench._stack import (PYTHON, Stack, common_options, describe_latency, parse_ts,  # noqa: E402
                          post_many, quiet_logging, run_on_a_stack)

EXAMPLE = ROOT / "examples" / "fiscalhub-example-connector"
MODULE = "fiscalhub_example_connector"
SECRET = "tinypos-bench-secret"
REDELIVER = 20


def tinypos_bill(event_id: str) -> bytes:
    """A closed TinyPOS bill (the golden one, without the tip): 850.50, two lines, card + cash."""
    return json.dumps({
        "event_id": event_id, "type": "bill.closed", "occurred_at": "2026-11-22T21:14:03+03:00",
        "bill": {"id": event_id, "table": "7", "waiter": "Иванова А.",
                 "lines": [{"name": "Борщ", "qty": "2", "price": "350.00", "vat": "vat20"},
                           {"name": "Чай", "qty": "1", "price": "150.50"}],
                 "payments": [{"method": "card", "amount": "500.00"},
                              {"method": "cash", "amount": "400.50"}]}},
        ensure_ascii=False).encode()


def install_example(stack: Stack) -> None:
    """The example connector, installed as far as the hub can tell: a dist-info with its entry
    point in the temp dir, the module on ``PYTHONPATH`` (children) and ``sys.path`` (here)."""
    site = stack.dir / "site"
    dist = site / f"{MODULE}-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fiscalhub-example-connector\n"
                                   "Version: 0.1.0\n")
    (dist / "entry_points.txt").write_text(f"[fiscalhub]\nexample = {MODULE}\n")
    stack._setenv("PYTHONPATH", os.pathsep.join([str(site), str(EXAMPLE),
                                                 os.environ["PYTHONPATH"]]))
    sys.path[:0] = [str(site), str(EXAMPLE)]
    import importlib
    importlib.invalidate_caches()
    from hub import plugins
    plugins._host_for.cache_clear()


def relay_child() -> int:
    """``--relay-child``: the outbox relay and the sweeper, as ``fiscalhub worker`` runs them,
    until SIGTERM."""
    from fiscal.ledger.db import Ledger
    from hub.config import Settings
    from hub.queues import connect
    from hub.relay import Relay, RelayLoop
    quiet_logging()
    s = Settings()
    loop = RelayLoop(Relay(Ledger(s.database_url), connect(s.redis_url), s.job_timeout),
                     sweep_every=s.sweep_interval)
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: loop.stop())
    loop.start()
    while not loop.stopping.wait(0.5):
        pass
    loop.join(10)
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--m", type=int, default=500, help="requests per app (default 500)")
    p.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    p.add_argument("--warmup", type=int, default=30, help="unmeasured requests per app first")
    p.add_argument("--no-relay", action="store_true",
                   help="intake only: no relay runs (the jobs stay received, RQ stays empty)")
    p.add_argument("--relay-child", action="store_true", help=argparse.SUPPRESS)
    common_options(p)
    args = p.parse_args(argv)
    if args.relay_child:
        return relay_child()
    run = uuid.uuid4().hex[:8]
    return run_on_a_stack(args, lambda stack: _run(stack, args, run))


def _connection(stack: Stack, hub_url: str) -> str:
    import requests
    made = requests.post(f"{hub_url}/api/v1/connections", timeout=30,
                         headers={"Authorization": f"Bearer {stack.api_key}"},
                         json={"connector": "example", "name": "TinyPOS (bench)",
                               "register_id": stack.register_id,
                               "settings": {"secret": SECRET, "taxation": "osn"}})
    if made.status_code != 201:
        raise RuntimeError(f"the connection was refused: {made.status_code} {made.text}")
    return made.json()["id"]


def _wait_dispatched(stack: Stack, conn_id: str, pattern: str, m: int,
                     timeout: float = 60.0) -> tuple[int, float | None]:
    """(outbox rows dispatched, the last one's ``dispatched_at`` as an epoch)."""
    deadline = time.monotonic() + timeout
    while True:
        done, last = stack.ledger_query(
            "SELECT count(o.dispatched_at), max(o.dispatched_at) FROM outbox o "
            "JOIN jobs j ON j.id = o.job_id WHERE j.connection_id = ? AND j.idempotency_key "
            "LIKE ?", (conn_id, pattern))[0]
        if done >= m or time.monotonic() > deadline:
            return done, parse_ts(last) if last else None
        time.sleep(0.05)


def _run(stack: Stack, args, run: str) -> int:
    install_example(stack)
    hub_url = stack.serve("hub", args.server)
    bare_url = stack.serve("bare", args.server)
    conn_id = _connection(stack, hub_url)
    hook = f"{hub_url}/hooks/{conn_id}"
    relay = None if args.no_relay else stack.spawn(
        [PYTHON, str(ROOT / "bench" / "webhook_intake.py"), "--relay-child"], "relay")
    headers = {"Content-Type": "application/json", "X-TinyPOS-Secret": SECRET}
    bodies = {name: [tinypos_bill(f"{name}-{run}-{i}") for i in range(n)]
              for name, n in (("warm-bare", args.warmup), ("warm-hub", args.warmup),
                              ("bare", args.m), ("hub", args.m))}
    print(f"webhook intake: {args.m} POST /hooks/<id> (TinyPOS bill, example connector) per "
          f"app, {args.clients} client threads, werkzeug threaded server ({args.server}), SQLite "
          f"ledger, {'no relay' if args.no_relay else 'outbox relay in a child process'} "
          f"({len(bodies['hub'][0])}-byte bill)")
    for url, name in ((bare_url + "/api/v1/jobs", "warm-bare"), (hook, "warm-hub")):
        w = post_many(url, bodies[name], lambda i: headers, args.clients)
        if w.errors:
            print(f"warm-up against {url} failed: {w.errors[:3]}", file=sys.stderr)
            return 1
    if relay:
        _wait_dispatched(stack, conn_id, f"{conn_id}:tinypos:warm-hub-{run}-%", args.warmup)

    bare = post_many(bare_url + "/api/v1/jobs", bodies["bare"], lambda i: headers, args.clients)
    time.sleep(0.2)
    stack.lock_reset()
    hub = post_many(hook, bodies["hub"], lambda i: headers, args.clients, keep_bodies=True)
    pattern = f"{conn_id}:tinypos:hub-{run}-%"
    dispatched, last_dispatch = (_wait_dispatched(stack, conn_id, pattern, args.m) if relay
                                 else (0, None))
    locks = stack.lock_report()

    problems = _check(stack, conn_id, run, args.m, bare, hub, dispatched, pattern,
                      relayed=relay is not None)
    problems += _redeliver(stack, conn_id, hook, headers, bodies["hub"][:REDELIVER], hub, pattern)
    if relay and relay.poll() is not None:
        problems.append(f"the relay exited: {stack.log_tail(relay)}")

    print()
    print(f"  bare Flask echo    : {bare.rate:8.1f} req/s  ({bare.elapsed:5.2f} s)  "
          f"{describe_latency(bare)}")
    print(f"  fiscalhub webhook  : {hub.rate:8.1f} req/s  ({hub.elapsed:5.2f} s)  "
          f"{describe_latency(hub)}")
    print(f"  ratio hook/bare    : {hub.rate / bare.rate:8.3f}  "
          f"(the bare endpoint is {bare.rate / hub.rate:.1f}x faster)")
    if last_dispatch:
        span = last_dispatch - hub.started
        print(f"  through the relay  : {args.m / span:8.1f} jobs/s in RQ ({span:5.2f} s from the "
              f"first request to the last job enqueued; the relay finished "
              f"{(span - hub.elapsed) * 1000:.0f} ms after the last answer)")
    if locks:
        print(locks)
    print()
    if problems:
        for p in problems:
            print(f"!! {p}")
        print("CHECK FAILED (see above); the figures are not comparable")
        return 1
    print(f"checked: {args.m} answers 202, each one accepted event with one job; the ledger "
          f"holds {args.m} events, {args.m} jobs (one per event) and {args.m} outbox rows, "
          + ("none dispatched, RQ empty (--no-relay)" if args.no_relay else
             "all dispatched; RQ holds each job once")
          + f"; {REDELIVER} redeliveries answered duplicate, nothing created")
    return 0


def _check(stack, conn_id, run, m, bare, hub, dispatched, pattern, relayed) -> list[str]:
    problems = []
    state, expected = ("queued", m) if relayed else ("received", 0)
    for name, res, expect in (("bare", bare, 201), ("hub", hub, 202)):
        if res.errors or res.statuses != {expect: m}:
            problems.append(f"{name}: statuses {res.statuses}, errors {len(res.errors)}: "
                            f"{res.errors[:3]}")
    events = [e for b in hub.bodies for e in b.get("events", [])]
    answered = [j for e in events for j in e["job_ids"]]
    if (len(events) != m or any(e["state"] != "accepted" or e["duplicate"]
                                or len(e["job_ids"]) != 1 for e in events)
            or len(set(answered)) != m):
        problems.append(f"answers: {len(events)} events, {len(set(answered))} distinct jobs")
    stored = stack.ledger_query(
        "SELECT count(*), count(DISTINCT event_id), sum(state = 'accepted') FROM source_events "
        "WHERE connection_id = ? AND event_id LIKE ?", (conn_id, f"hub-{run}-%"))[0]
    jobs = stack.ledger_query(
        "SELECT count(*), count(DISTINCT source_event_id), count(DISTINCT idempotency_key), "
        "sum(state = ?) FROM jobs WHERE connection_id = ? AND idempotency_key LIKE ?",
        (state, conn_id, pattern))[0]
    outbox = stack.ledger_query(
        "SELECT count(*), count(DISTINCT o.job_id) FROM outbox o JOIN jobs j ON j.id = o.job_id "
        "WHERE j.connection_id = ? AND j.idempotency_key LIKE ?", (conn_id, pattern))[0]
    ids = {r[0] for r in stack.ledger_query(
        "SELECT id FROM jobs WHERE connection_id = ? AND idempotency_key LIKE ?",
        (conn_id, pattern))}
    if tuple(stored) != (m, m, m):
        problems.append(f"events stored (all, distinct, accepted): {tuple(stored)}, not {m}")
    if tuple(jobs) != (m, m, m, m):
        problems.append(f"jobs (all, distinct events, distinct keys, {state}): {tuple(jobs)}")
    if tuple(outbox) != (m, m) or dispatched != expected:
        problems.append(f"outbox rows (all, distinct jobs): {tuple(outbox)}, {dispatched} "
                        "dispatched")
    if ids != set(answered):
        problems.append("the job ids answered are not the ledger's")
    from hub.queues import register_queue
    in_rq = Counter(register_queue(stack.redis, stack.register_id).get_job_ids())
    if any(in_rq[j] != (1 if relayed else 0) for j in ids):
        problems.append(f"RQ: {sum(in_rq[j] == 0 for j in ids)} jobs missing, "
                        f"{sum(in_rq[j] == 1 for j in ids)} once, "
                        f"{sum(in_rq[j] > 1 for j in ids)} more than once")
    return problems


def _redeliver(stack, conn_id, hook, headers, bodies, hub, pattern) -> list[str]:
    """The first bills again: answered with the first answer, nothing new anywhere."""
    import requests
    before = stack.ledger_query("SELECT (SELECT count(*) FROM source_events), (SELECT count(*) "
                                "FROM jobs), (SELECT count(*) FROM outbox)")[0]
    first = {b["events"][0]["event_id"]: b["events"][0]["job_ids"] for b in hub.bodies}
    problems = []
    with requests.Session() as http:
        for body in bodies:
            r = http.post(hook, data=body, headers=headers, timeout=30)
            event = (r.json().get("events") or [{}])[0] if r.status_code == 202 else {}
            if not event.get("duplicate") or event.get("job_ids") != first.get(
                    event.get("event_id")):
                problems.append(f"redelivery answered {r.status_code} {r.text[:200]}")
                break
    time.sleep(0.5)                     # a relay pass or two
    after = stack.ledger_query("SELECT (SELECT count(*) FROM source_events), (SELECT count(*) "
                               "FROM jobs), (SELECT count(*) FROM outbox)")[0]
    if after != before:
        problems.append(f"a redelivery created rows: (events, jobs, outbox) {before} → {after}")
    from hub.queues import register_queue
    in_rq = Counter(register_queue(stack.redis, stack.register_id).get_job_ids())
    if max(in_rq.values(), default=0) > 1:
        problems.append("a redelivery put a job in RQ twice")
    return problems


if __name__ == "__main__":
    sys.exit(main())
