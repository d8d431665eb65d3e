"""Dashboard page cost: the overview (five API reads in process, the tiles, counts, attention
list and the chart rendered) and the live feed's once-a-second look, beside a bare Flask
endpoint rendering a small template, in the same process and run.

    .venv/bin/python bench/dashboard_pages.py [--jobs 2000] [--registers 5] [--n 200]

Set-up: a migrated SQLite ledger, an account with ``--registers`` virtual registers and
``--jobs`` receipts submitted through the API, each taken to ``printed`` with its history in
the last three hours (so the chart has figures), a logged-in owner. Measured with Flask's
test client (no HTTP server: this is the server's own time per page). Printed: ms per
request for each, and the ratio to the bare endpoint.
"""
from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def seed(app, ledger, registers: int, jobs: int) -> tuple[str, dict]:
    from fiscal.ledger import users
    from fiscal.ledger.models import Job, JobEvent, utcnow
    from fiscalhub.testkit import add_register, create_account
    sys.path.insert(0, str(ROOT / "tests" / "dashboard"))
    from dashboard_helpers import receipt_body

    account_id, key = create_account(ledger, "Bench venue", "bench")
    regs = [add_register(ledger, account_id, name=f"Register {i + 1}", driver="virtual",
                         url=f"virtual://{tempfile.mkdtemp()}/r.sqlite")
            for i in range(registers)]
    client = app.test_client()
    auth = {"Authorization": f"Bearer {key}"}
    ids = []
    for i in range(jobs):
        resp = client.post("/api/v1/jobs", json=receipt_body(random.choice(regs)),
                           headers={**auth, "Idempotency-Key": f"bench-{i}"})
        ids.append(resp.get_json()["id"])
    now = utcnow()
    with ledger.session() as s:
        for i, job_id in enumerate(ids):
            at = now - timedelta(seconds=random.randrange(3 * 3600))
            state = "failed" if i % 50 == 0 else "printed"
            s.get(Job, job_id).state = state
            s.add(JobEvent(job_id=job_id, from_state="sending", to_state=state, actor="bench",
                           cause="bench", at=at))
        user, password = users.create_user(s, account_id, login="bench-owner", name="Bench",
                                           role="owner", actor="bench",
                                           must_change_password=False)
    return account_id, {"login": "bench-owner", "password": password}


def timed(fn, n: int) -> list[float]:
    for _ in range(10):
        fn()
    out = []
    for _ in range(n):
        t0 = time.perf_counter()
        fn()
        out.append((time.perf_counter() - t0) * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--jobs", type=int, default=2000)
    parser.add_argument("--registers", type=int, default=5)
    parser.add_argument("--n", type=int, default=200)
    args = parser.parse_args()

    from flask import Flask, render_template_string

    from fiscal.ledger.db import Ledger
    from fiscalhub.testkit import migrate_template, start_redis
    from hub.app import create_app
    from hub.config import Settings
    from hub.dashboard import live

    work = Path(tempfile.mkdtemp(prefix="fh-bench-dash-"))
    redis = start_redis(work / "redis")
    try:
        migrate_template(work / "fiscalhub.db")
        url = f"sqlite:///{work / 'fiscalhub.db'}"
        os.environ["DATABASE_URL"] = url
        app = create_app(Settings(data_dir=work, database_url=url, redis_url=redis.url))
        ledger = Ledger(url)
        account_id, owner = seed(app, ledger, args.registers, args.jobs)
        client = app.test_client()
        client.post("/api/v1/session", json=owner)

        bare = Flask("bare")

        @bare.get("/")
        def page():
            return render_template_string("<!doctype html><title>{{ t }}</title>"
                                          "<ul>{% for i in items %}<li>{{ i }}</li>"
                                          "{% endfor %}</ul>", t="bare", items=range(50))
        bare_client = bare.test_client()

        def overview():
            assert client.get("/overview").status_code == 200

        seen = [0]

        def live_look():
            with ledger.session(readonly=True) as s:
                seen[0], _ = live.changed_jobs(s, account_id, seen[0])
                live.registers_fingerprint(s, account_id)

        results = {"bare Flask template": timed(lambda: bare_client.get("/"), args.n),
                   "overview page": timed(overview, args.n),
                   "live feed look (per tick)": timed(live_look, args.n)}
        base = statistics.median(results["bare Flask template"])
        print(f"{args.jobs} jobs, {args.registers} registers, {args.n} requests each")
        for name, ms in results.items():
            med = statistics.median(ms)
            p99 = sorted(ms)[int(len(ms) * 0.99) - 1]
            print(f"  {name:28s} median {med:7.2f} ms  p99 {p99:7.2f} ms  "
                  f"ratio to bare {med / base:6.1f}")
    finally:
        redis.stop()


if __name__ == "__main__":
    main()
