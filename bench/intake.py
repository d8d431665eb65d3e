"""API intake rate: M ``POST /api/v1/jobs`` against the real app, beside a bare Flask endpoint.

    .venv/bin/python bench/intake.py [--m 500] [--clients 4] [--server subprocess|thread]

Both apps run on werkzeug's threaded server on 127.0.0.1 (``fiscalhub web``'s server), each in
its own child process by default (``--server thread``: in a thread of this process, sharing its
GIL with the clients). The real app authenticates the API key, validates the receipt and writes
job + history + outbox to a migrated SQLite ledger; the bare app only parses the same JSON body
and sends it back. Every request carries a distinct Idempotency-Key. No worker and no relay run:
this is intake only. Prints requests/s, the ratio, and p50/p90/p99 latency.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench._stack import (Stack, common_options, describe_latency, post_many,  # noqa: E402
                          receipt_job, run_on_a_stack)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--m", type=int, default=500, help="requests per app (default 500)")
    p.add_argument("--clients", type=int, default=4, help="concurrent client threads")
    p.add_argument("--warmup", type=int, default=30, help="unmeasured requests per app first")
    common_options(p)
    args = p.parse_args(argv)
    run = uuid.uuid4().hex[:8]
    return run_on_a_stack(args, lambda stack: _run(stack, args, run))


def _run(stack: Stack, args, run: str) -> int:
    hub_url = stack.serve("hub", args.server)
    bare_url = stack.serve("bare", args.server)
    body = json.dumps(receipt_job(stack.register_id), ensure_ascii=False).encode()
    auth = {"Authorization": f"Bearer {stack.api_key}", "Content-Type": "application/json"}

    def headers(prefix):
        return lambda i: {**auth, "Idempotency-Key": f"{prefix}-{run}-{i}"}

    print(f"intake: {args.m} POST /api/v1/jobs per app, {args.clients} client threads, "
          f"werkzeug threaded server ({args.server}), SQLite ledger, 2-item receipt "
          f"({len(body)} bytes)")
    for url, prefix in ((bare_url, "warm-bare"), (hub_url, "warm-hub")):
        w = post_many(url + "/api/v1/jobs", [body] * args.warmup, headers(prefix), args.clients)
        if w.errors:
            print(f"warm-up against {url} failed: {w.errors[:3]}", file=sys.stderr)
            return 1

    bare = post_many(bare_url + "/api/v1/jobs", [body] * args.m, headers("bare"), args.clients)
    time.sleep(0.2)
    stack.lock_reset()
    hub = post_many(hub_url + "/api/v1/jobs", [body] * args.m, headers("hub"), args.clients,
                    keep_bodies=True)

    locks = stack.lock_report()
    ok = True
    ids = {b.get("id") for b in hub.bodies}
    stored = stack.ledger_query("SELECT count(*) FROM jobs WHERE idempotency_key LIKE ?",
                                (f"hub-{run}-%",))[0][0]
    outbox = stack.ledger_query(
        "SELECT count(*) FROM outbox o JOIN jobs j ON j.id = o.job_id "
        "WHERE j.idempotency_key LIKE ?", (f"hub-{run}-%",))[0][0]
    for name, res, expect in (("bare", bare, 201), ("hub", hub, 201)):
        if res.errors or res.statuses != {expect: args.m}:
            ok = False
            print(f"!! {name}: statuses {res.statuses}, errors {len(res.errors)}: "
                  f"{res.errors[:3]}")
    if len(ids) != args.m or stored != args.m or outbox != args.m:
        ok = False
        print(f"!! hub: {len(ids)} distinct job ids answered, {stored} jobs and {outbox} outbox "
              f"rows in the ledger (expected {args.m} each)")

    print()
    print(f"  bare Flask echo : {bare.rate:8.1f} req/s  ({bare.elapsed:5.2f} s)  "
          f"{describe_latency(bare)}")
    print(f"  fiscalhub API   : {hub.rate:8.1f} req/s  ({hub.elapsed:5.2f} s)  "
          f"{describe_latency(hub)}")
    print(f"  ratio hub/bare  : {hub.rate / bare.rate:8.3f}  "
          f"(the bare endpoint is {bare.rate / hub.rate:.1f}x faster)")
    if locks:
        print(locks)
    print()
    if ok:
        print(f"checked: {args.m} answers 201 with {len(ids)} distinct job ids; the ledger holds "
              f"{stored} jobs and {outbox} outbox rows for them")
    else:
        print("CHECK FAILED (see above); the figures are not comparable")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
