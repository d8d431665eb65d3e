"""The print-queue list as the ledger grows: filtered first pages and deep pages of
``GET /api/v1/jobs`` beside a plain primary-key lookup (``GET /api/v1/jobs/<id>``), measured in
the same run at each size. Flat ratios as the table grows mean the indexes carry the list.

    .venv/bin/python bench/queue_list.py [--sizes 10000,100000,1000000] [--repeat 30]

The jobs are written straight into a SQLite ledger with SQLAlchemy Core (the API would take
hours for a million); each query goes through the real Flask app (test client, no HTTP).
"""
from __future__ import annotations

import argparse
import random
import statistics
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert  # noqa: E402

from fiscal.ledger import accounts, registers  # noqa: E402
from fiscal.ledger.db import Ledger  # noqa: E402
from fiscal.ledger.migrate import upgrade  # noqa: E402
from fiscal.ledger.models import Job  # noqa: E402
from fiscal.samples import sample_receipt  # noqa: E402
from fiscal.schemas import dump_job, load_job  # noqa: E402

STATES = ["printed"] * 90 + ["failed"] * 4 + ["queued"] * 3 + ["needs_attention"] + ["held"] * 2
KINDS = ["receipt"] * 85 + ["close_shift", "open_shift"] * 5 + ["cash_in"] * 5

def payloads(register_id: str) -> dict[str, dict]:
    """A real canonical job of each kind (the details view loads a printed sale's content)."""
    receipt = dump_job(load_job(sample_receipt(register_id)))
    return {"receipt": receipt, "cash_in": {"kind": "cash_in", "register": register_id,
                                            "amount": "850.50"},
            **{k: {"kind": k, "register": register_id} for k in ("close_shift", "open_shift")}}

# The bench's columns: what each filtered page is, beside the primary-key lookup.
COLUMNS = {"first": "first page", "state_kind": "state+kind", "register_amount":
           "register+amount", "deep": "deep page", "rare": "rare state", "document":
           "document ID", "fd": "FD number", "counts": "counts by state"}
STATE_OF: dict[int, str] = {}       # the state given to the n-th job, to find an FD number


def fill(ledger: Ledger, account_id: str, register_ids: list[str], upto: int, have: int,
         rng: random.Random, start: datetime) -> None:
    """Add jobs until there are ``upto``; one every 3 seconds of history."""
    batch, payload = [], payloads(register_ids[0])
    with ledger.session() as s:
        conn = s.connection()
        for n in range(have, upto):
            kind, state = rng.choice(KINDS), rng.choice(STATES)
            STATE_OF[n] = state
            job_id = str(uuid.uuid4())
            batch.append(dict(
                id=job_id, account_id=account_id, idempotency_key=job_id, request_hash="x",
                kind=kind, operation="sell" if kind == "receipt" else None,
                register_id=rng.choice(register_ids), state=state, version=1,
                payload=payload[kind], total=Decimal(rng.randint(100, 500000)) / 100,
                attempts=1, retries=0, fd_number=n if state == "printed" else None,
                created_at=start + timedelta(seconds=3 * n),
                updated_at=start + timedelta(seconds=3 * n)))
            if len(batch) == 20000:
                conn.execute(insert(Job), batch)
                batch = []
        if batch:
            conn.execute(insert(Job), batch)
        conn.exec_driver_sql("ANALYZE")


def timed(client, url: str, headers: dict, repeat: int) -> float:
    """Median milliseconds of ``repeat`` GETs (after one warm-up)."""
    client.get(url, headers=headers)
    samples = []
    for _ in range(repeat):
        t = time.perf_counter()
        resp = client.get(url, headers=headers)
        samples.append((time.perf_counter() - t) * 1000)
        if resp.status_code != 200:
            raise SystemExit(f"{url}: {resp.status_code} {resp.get_json()}")
    return statistics.median(samples)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--repeat", type=int, default=30)
    args = p.parse_args(argv)
    sizes = [int(x) for x in args.sizes.split(",")]
    rng = random.Random(1)
    with tempfile.TemporaryDirectory(prefix="fhbench-queue-") as tmp:
        url = f"sqlite:///{tmp}/fiscalhub.db"
        upgrade(url)
        ledger = Ledger(url)
        with ledger.session() as s:
            acc = accounts.create_account(s, "Bench hotel")
            _, key = accounts.issue_api_key(s, acc.id, "bench")
            regs = [registers.add_register(s, acc.id, name=f"R{i}", driver="virtual",
                                           url=f"virtual://r{i}").id for i in range(8)]
            account_id = acc.id
        from hub.app import create_app
        from hub.config import Settings
        client = create_app(Settings(data_dir=Path(tmp), database_url=url)).test_client()
        headers = {"Authorization": f"Bearer {key}"}
        start = datetime(2024, 1, 1, tzinfo=timezone.utc)
        have = 0
        print("queue_list: GET /api/v1/jobs through the app (test client), median of "
              f"{args.repeat}; SQLite ledger\n")
        print(f"{'jobs':>9} | {'pk lookup':>9} | "
              + " | ".join(f"{title:>15} {'ratio':>5}" for title in COLUMNS.values()))
        for size in sizes:
            t = time.perf_counter()
            fill(ledger, account_id, regs, size, have, rng, start)
            have = size
            fill_s = time.perf_counter() - t
            some_id = client.get("/api/v1/jobs?limit=1", headers=headers).get_json()
            some_id = some_id["items"][0]["id"]
            # a cursor from 90 % of the way down the table
            deep_at = start + timedelta(seconds=3 * int(size * 0.1))
            deep = client.get("/api/v1/jobs", query_string={"limit": 50,
                                                             "created_to": deep_at.isoformat()},
                              headers=headers).get_json()["next_cursor"]
            # a document ID (the source's, i.e. the idempotency key) and an FD number from
            # the middle of the table
            middle = client.get("/api/v1/jobs", query_string={
                "limit": 1, "created_to": (start + timedelta(seconds=3 * (size // 2))).isoformat()},
                headers=headers).get_json()["items"][0]
            middle_fd = next(n for n in range(size // 2, size) if STATE_OF[n] == "printed")
            q = {
                "pk": f"/api/v1/jobs/{some_id}",
                "first": "/api/v1/jobs?limit=50",
                "state_kind": "/api/v1/jobs?limit=50&state=printed&kind=receipt",
                "register_amount": f"/api/v1/jobs?limit=50&register={regs[3]}"
                                   "&amount_min=1000&amount_max=2000",
                "deep": f"/api/v1/jobs?limit=50&cursor={deep}",
                "rare": "/api/v1/jobs?limit=50&state=needs_attention",
                "document": f"/api/v1/jobs?limit=50&job_id={middle['idempotency_key']}",
                "fd": f"/api/v1/jobs?limit=50&fd_number={middle_fd}",
                "counts": "/api/v1/jobs/counts",
            }
            ms = {k: timed(client, u, headers, args.repeat) for k, u in q.items()}
            pk = ms["pk"]
            print(f"{size:>9} | {pk:7.2f}ms | "
                  + " | ".join(f"{ms[k]:13.2f}ms {ms[k] / pk:5.2f}" for k in COLUMNS)
                  + f"   (filled in {fill_s:.0f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
