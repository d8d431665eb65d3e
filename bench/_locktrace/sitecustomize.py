"""``--trace-locks``: time every ``BEGIN`` the ledger issues, in every process of a benchmark.

The ledger's SQLite engines begin each transaction with ``BEGIN IMMEDIATE`` (the write lock);
how long that statement takes is how long the process waited for the lock. The benchmarks put
this directory on the children's ``PYTHONPATH`` (Python imports ``sitecustomize`` at start-up)
with ``FISCALHUB_BENCH_LOCKTRACE=<file>``; each process appends ``pid, role, wait ms`` lines.
Without that variable this module does nothing.
"""
from __future__ import annotations

import os
import sys
import time


def _role() -> str:
    argv = " ".join(sys.argv)
    if "_serve.py" in argv:
        return "web server (" + (sys.argv[1] if len(sys.argv) > 1 else "?") + ")"
    if "hub/cli.py" in argv or "hub.cli" in argv:
        return "fiscalhub worker (supervisor + relay)"
    if "hub/worker.py" in argv or "hub.worker" in argv:
        return "register worker (hub.worker)"
    return "bench process"


def install(path: str) -> None:
    import fiscal.ledger.db as db
    from sqlalchemy import event

    if getattr(db.get_engine, "_locktrace", False):
        return
    original = db.get_engine
    seen: set[int] = set()
    out = open(path, "a", buffering=1)

    def get_engine(url, readonly=False):
        engine = original(url, readonly)
        if id(engine) not in seen and url.startswith("sqlite"):
            seen.add(id(engine))

            @event.listens_for(engine, "before_cursor_execute")
            def _before(conn, cursor, statement, params, context, many):
                if statement.startswith("BEGIN"):
                    conn.info["locktrace_t0"] = time.perf_counter()

            @event.listens_for(engine, "after_cursor_execute")
            def _after(conn, cursor, statement, params, context, many):
                if statement.startswith("BEGIN"):
                    waited = time.perf_counter() - conn.info.pop("locktrace_t0")
                    out.write(f"{os.getpid()}\t{_role()}\t{waited * 1000:.3f}\n")
        return engine

    get_engine._locktrace = True
    db.get_engine = get_engine


if os.environ.get("FISCALHUB_BENCH_LOCKTRACE"):
    install(os.environ["FISCALHUB_BENCH_LOCKTRACE"])
