"""``fiscalhub worker``: one process per register, each an RQ worker on that register's queue.

A register worker holds a lock in Redis for as long as it lives (refreshed every few seconds),
so no two processes ever print on one register, and the sweeper can tell a job whose worker
died (the lock is gone or held by another process) from one that is still being printed.

The supervisor starts a register worker for every register it is told to serve (or for every
register in the ledger), restarts any that dies, runs the outbox relay and the sweeper, and
stops everything cleanly on SIGINT or SIGTERM.
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
from fiscal.ledger.models import Register
from hub import tasks
from hub.config import Settings
from hub.queues import connect, register_lock_key, register_queue

log = logging.getLogger(__name__)
# A dead worker's register is free again after LOCK_TTL seconds.
LOCK_TTL = int(os.environ.get("FISCALHUB_LOCK_TTL", "15"))
LOCK_REFRESH = max(1, LOCK_TTL // 5)


class RegisterLock(threading.Thread):
    """Holds ``fiscalhub:register-worker:<id>`` while the process lives."""

    def __init__(self, redis, register_id: str, name: str):
        super().__init__(name="register-lock", daemon=True)
        self.redis, self.key, self.name = redis, register_lock_key(register_id), name
        self.stopping = threading.Event()

    def acquire(self, wait: float = 60.0) -> bool:
        deadline = time.monotonic() + wait
        while time.monotonic() < deadline:
            try:
                if self.redis.set(self.key, self.name, nx=True, ex=LOCK_TTL):
                    return True
            except Exception as exc:       # Redis not up yet
                log.warning("register lock: %s", exc)
            time.sleep(1)
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
                    log.error("another worker (%s) took register %s; stopping",
                              current.decode(), self.key)
                    os.kill(os.getpid(), signal.SIGTERM)
                    return
            except Exception as exc:        # Redis down: the worker itself waits too
                log.warning("register lock refresh: %s", exc)

    def release(self) -> None:
        self.stopping.set()
        try:
            if (self.redis.get(self.key) or b"").decode() == self.name:
                self.redis.delete(self.key)
        except Exception:
            pass


def serve_register(register_id: str, settings: Settings) -> int:
    """Run the RQ worker of one register until stopped (the child process's main)."""
    redis = connect(settings.redis_url)
    name = f"{socket.gethostname()}.{os.getpid()}.{register_id[:8]}"
    lock = RegisterLock(redis, register_id, name)
    if not lock.acquire():
        log.error("register %s is served by another worker", register_id)
        return 3
    lock.start()
    tasks.configure(name)
    try:
        while True:
            worker = SimpleWorker([register_queue(redis, register_id, settings.job_timeout)],
                                  connection=redis, serializer=JSONSerializer, name=name)
            try:
                # Our own registration may have survived a Redis restart (AOF): the name is
                # ours (we hold the register's lock), so clear it or RQ refuses to start.
                redis.delete(worker.key)
                worker.work(logging_level="WARNING", with_scheduler=False)
                return 0                    # asked to stop
            except RedisError as exc:
                # RQ retries a lost connection while it waits for work, but not everywhere
                # else (heartbeats, bookkeeping): start the RQ worker again once Redis is back.
                log.warning("register %s: Redis connection lost (%s); resuming", register_id,
                            exc)
                time.sleep(1)
    finally:
        lock.release()


def active_registers(ledger: Ledger) -> list[str]:
    with ledger.session(readonly=True) as s:
        return list(s.scalars(select(Register.id).where(Register.removed_at.is_(None))
                              .order_by(Register.created_at)))


class Supervisor:
    """Keeps one register-worker process per register running."""

    def __init__(self, settings: Settings, register_ids: list[str] | None = None,
                 poll: float = 2.0):
        self.settings = settings
        self.fixed = register_ids
        self.poll = poll
        self.ledger = Ledger(settings.database_url)
        self.children: dict[str, subprocess.Popen] = {}
        self.stopping = threading.Event()

    def _spawn(self, register_id: str) -> subprocess.Popen:
        self.settings.export()
        return subprocess.Popen([sys.executable, "-m", "hub.worker", register_id],
                                env=os.environ.copy())

    def step(self) -> None:
        wanted = self.fixed if self.fixed is not None else active_registers(self.ledger)
        for rid in wanted:
            child = self.children.get(rid)
            if child is None or child.poll() is not None:
                if child is not None:
                    log.warning("worker for register %s exited (%s); restarting", rid,
                                child.returncode)
                self.children[rid] = self._spawn(rid)
        for rid in list(self.children):
            if rid not in wanted:
                self._stop_child(self.children.pop(rid))

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
    """``python -m hub.worker REGISTER_ID``: one register's worker process."""
    argv = sys.argv[1:] if argv is None else argv
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    return serve_register(argv[0], Settings())


if __name__ == "__main__":
    sys.exit(main())
