"""``fiscalhub worker``: one process per register, each an RQ worker on that register's queue,
and one per connection that sends postings, on that connection's posting queue.

A register worker holds a lock in Redis for as long as it lives (refreshed every few seconds),
so no two processes ever print on one register, and the sweeper can tell a job whose worker
died (the lock is gone or held by another process) from one that is still being printed.

The supervisor starts a register worker for every register it is told to serve (or for every
register in the ledger) and, serving them all, a posting worker for every connection that sends
postings (each holding its connection's lock alike); it restarts any that dies, runs the outbox
relay and the sweeper, and stops everything cleanly on SIGINT or SIGTERM.
"""
from __future__ import annotations

import logging
import os
import signal
import socket
import subprocess
import sys
import threading
import time

from redis.exceptions import RedisError
from rq import SimpleWorker
from rq.serializers import JSONSerializer
from sqlalchemy import select

from fiscal.ledger.db import Ledger
from fiscal.ledger.models import Connection, Register
from hub import tasks
from hub.config import Settings
from hub.connectors import connectors
from hub.plugins import default_host
from hub.queues import (connect, posting_lock_key, posting_queue, register_lock_key,
                        register_queue)

log = logging.getLogger(__name__)
# A dead worker's register is free again after LOCK_TTL seconds.
LOCK_TTL = int(os.environ.get("FISCALHUB_LOCK_TTL", "15"))
LOCK_REFRESH = max(1, LOCK_TTL // 5)


class WorkerLock(threading.Thread):
    """Holds a Redis key (``fiscalhub:register-worker:<id>``, ``fiscalhub:posting-worker:<id>``)
    while the process lives: no two processes serve one register, or one connection's
    postings."""

    def __init__(self, redis, key: str, name: str):
        super().__init__(name="worker-lock", daemon=True)
        self.redis, self.key, self.name = redis, key, name
        self.stopping = threading.Event()

    def acquire(self, wait: float = 60.0) -> bool:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                if self.redis.set(self.key, self.name, nx=True, ex=LOCK_TTL):
                    return True
            except Exception as exc:       # Redis not up yet
                log.warning("worker lock: %s", exc)
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
        return False

    def run(self) -> None:
        while not self.stopping.wait(LOCK_REFRESH):
            try:
                current = self.redis.get(self.key)
                if current is None:
                    self.redis.set(self.key, self.name, nx=True, ex=LOCK_TTL)
                elif current.decode() == self.name:
                    self.redis.expire(self.key, LOCK_TTL)
                else:
                    log.error("another worker (%s) took %s; stopping", current.decode(),
                              self.key)
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
            except Exception as exc:        # Redis down: the worker itself waits too
                log.warning("worker lock refresh: %s", exc)

    def release(self) -> None:
        self.stopping.set()
        try:
            if (self.redis.get(self.key) or b"").decode() == self.name:
                self.redis.delete(self.key)
        except Exception:
            pass


class RegisterLock(WorkerLock):
    """Holds ``fiscalhub:register-worker:<id>`` while the process lives."""

    def __init__(self, redis, register_id: str, name: str):
        super().__init__(redis, register_lock_key(register_id), name)


def _serve(redis, queue, lock: WorkerLock, what: str) -> int:
    """Run one RQ worker on ``queue`` under ``lock`` until stopped (a child process's main)."""
    if not lock.acquire():
        log.error("%s is served by another worker", what)
        return 3
    lock.start()
    tasks.configure(lock.name)
    try:
        while True:
            worker = SimpleWorker([queue], connection=redis, serializer=JSONSerializer,
                                  name=lock.name)
            try:
                # Our own registration may have survived a Redis restart (AOF): the name is
                # ours (we hold the lock), so clear it or RQ refuses to start.
                redis.delete(worker.key)
                worker.work(logging_level="WARNING", with_scheduler=False)
                return 0                    # asked to stop
            except RedisError as exc:
                # RQ retries a lost connection while it waits for work, but not everywhere
                # else (heartbeats, bookkeeping): start the RQ worker again once Redis is back.
                log.warning("%s: Redis connection lost (%s); resuming", what, exc)
                time.sleep(1)
    finally:
        lock.release()


def serve_register(register_id: str, settings: Settings) -> int:
    """Run the RQ worker of one register until stopped (the child process's main)."""
    redis = connect(settings.redis_url)
    name = f"{socket.gethostname()}.{os.getpid()}.{register_id[:8]}"
    return _serve(redis, register_queue(redis, register_id, settings.job_timeout),
                  RegisterLock(redis, register_id, name), f"register {register_id}")


def serve_postings(connection_id: str, settings: Settings) -> int:
    """Run the RQ worker of one connection's postings until stopped: they go out one at a
    time, so an interrupted one is settled before the next is sent."""
    redis = connect(settings.redis_url)
    name = f"{socket.gethostname()}.{os.getpid()}.postings.{connection_id[:8]}"
    return _serve(redis, posting_queue(redis, connection_id),
                  WorkerLock(redis, posting_lock_key(connection_id), name),
                  f"the postings of connection {connection_id}")


def active_registers(ledger: Ledger) -> list[str]:
    with ledger.session(readonly=True) as s:
        return list(s.scalars(select(Register.id).where(Register.removed_at.is_(None))
                              .order_by(Register.created_at)))


def posting_connections(ledger: Ledger, host) -> list[str]:
    """The live connections whose connector (installed and enabled) sends postings."""
    classes = connectors(host)
    with ledger.session(readonly=True) as s:
        rows = list(s.execute(select(Connection.id, Connection.connector)
                              .where(Connection.deleted_at.is_(None))
                              .order_by(Connection.created_at, Connection.id)))
    return [cid for cid, name in rows
            if name in classes and classes[name].supports("send_posting")]


class Supervisor:
    """Keeps one register-worker process per register running, and — when it serves every
    register, or ``postings`` says so — one posting-worker process per live connection whose
    connector sends postings."""

    POSTINGS = "postings:"          # the children's key of a connection's posting worker

    def __init__(self, settings: Settings, register_ids: list[str] | None = None,
                 poll: float = 2.0, postings: bool | None = None, host=None):
        self.settings = settings
        self.fixed = register_ids
        self.poll = poll
        self.ledger = Ledger(settings.database_url)
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = threading.Event()
        # `fiscalhub worker --register ID` runs beside the registers on several machines;
        # the postings are served once, by the supervisor that serves every register.
        self.postings = register_ids is None if postings is None else postings
        self.host = host

    def _spawn(self, key: str) -> subprocess.Popen:
        self.settings.export()
        args = (["--postings", key[len(self.POSTINGS):]] if key.startswith(self.POSTINGS)
                else [key])
        return subprocess.Popen([sys.executable, "-m", "hub.worker", *args],
                                env=os.environ.copy())

    def _wanted_postings(self) -> list[str]:
        if not self.postings:
            return []
        try:
            return [self.POSTINGS + cid
                    for cid in posting_connections(self.ledger, self.host or default_host())]
        except Exception:
            # A broken plugin must not stop the registers' workers: keep what runs.
            log.exception("supervisor: cannot tell which connections send postings")
            return [key for key in self.children if key.startswith(self.POSTINGS)]

    def step(self) -> None:
        wanted = self.fixed if self.fixed is not None else active_registers(self.ledger)
        wanted = [*wanted, *self._wanted_postings()]
        for key in wanted:
            child = self.children.get(key)
            if child is None or child.poll() is not None:
                if child is not None:
                    log.warning("worker for %s %s exited (%s); restarting",
                                "connection" if key.startswith(self.POSTINGS) else "register",
                                key, child.returncode)
                self.children[key] = self._spawn(key)
        for key in list(self.children):
            if key not in wanted:
                self._stop_child(self.children.pop(key))

    def run(self) -> None:
        while not self.stopping.is_set():
            try:
                self.step()
            except Exception:
                log.exception("supervisor")
            self.stopping.wait(self.poll)
        self.shutdown()

    def _stop_child(self, child: subprocess.Popen, timeout: float = 30) -> None:
        if child.poll() is None:
            child.terminate()       # RQ's warm shutdown: the current job finishes first
            try:
                child.wait(timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()

    def shutdown(self) -> None:
        for child in self.children.values():
            if child.poll() is None:
                child.terminate()
        for child in self.children.values():
            self._stop_child(child)
        self.children.clear()


def main(argv: list[str] | None = None) -> int:
    """``python -m hub.worker REGISTER_ID``: one register's worker process;
    ``python -m hub.worker --postings CONNECTION_ID``: one connection's posting worker."""
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    if len(argv) == 2 and argv[0] == "--postings":
        return serve_postings(argv[1], Settings())
    if len(argv) != 1 or argv[0].startswith("-"):
        print("usage: python -m hub.worker REGISTER_ID | --postings CONNECTION_ID",
              file=sys.stderr)
        return 2
    return serve_register(argv[0], Settings())


if __name__ == "__main__":
    sys.exit(main())
