"""Engines and sessions for the ledger.

SQLite is opened in WAL mode with a busy timeout because the web app, the relay and one worker
per register write to the same file from different processes. Engines are cached per process
(a forked RQ work horse must not reuse its parent's connections).
"""
from __future__ import annotations

import fcntl
import logging
import os
import threading
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
_engines: dict[tuple[int, str, bool], Engine] = {}
# Threads of one process queue here for SQLite's write lock instead of polling for it with
# SQLite's busy handler, whose growing sleeps starve the other processes' writers.
_write_locks: dict[str, "_WriteLock"] = {}
_lock_files: dict[tuple[int, str], int] = {}


class _WriteLock:
    def __init__(self):
        self.rlock = threading.RLock()
        self.depth = 0


def database_url(data_dir: str | os.PathLike | None = None) -> str:
    """``DATABASE_URL`` when set, else SQLite in the data directory."""
    url = os.environ.get("DATABASE_URL")
    if url:
        return url
    data_dir = Path(data_dir or os.environ.get("FISCALHUB_DATA_DIR") or "var").resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{data_dir / 'fiscalhub.db'}"


def _sqlite_pragmas(dbapi_conn, _record) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def get_engine(url: str, readonly: bool = False) -> Engine:
    """The process's engine for ``url``. On SQLite, write transactions begin IMMEDIATE (they
    take the write lock up front, so a compare-and-set never fails half-way on a lock
    upgrade); ``readonly`` ones begin DEFERRED and run beside the writer (WAL)."""
    readonly = readonly and url.startswith("sqlite")
    key = (os.getpid(), url, readonly)
    engine = _engines.get(key)
    if engine is None:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            # pysqlite's own transaction handling defers BEGIN; emit it ourselves.
            event.listen(engine, "connect", lambda c, r: setattr(c, "isolation_level", None))
            begin = "BEGIN" if readonly else "BEGIN IMMEDIATE"
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql(begin))
        else:
            engine = create_engine(url, pool_pre_ping=True)
        _engines[key] = engine
    return engine


def dispose_engines(url: str) -> None:
    """Close this process's engines for ``url`` and forget them (a test's database is gone
    when the test ends; its pooled connections would hold file descriptors open)."""
    for key in [k for k in _engines if k[0] == os.getpid() and k[1] == url]:
        _engines.pop(key).dispose()
    fd = _lock_files.pop((os.getpid(), url), None)
    if fd is not None:
        os.close(fd)


JOB_CHANGES = "fiscalhub.job_changes"


def note_job_change(session: Session, job_id: str, old: str | None, new: str) -> None:
    """Remember a job's state change for the ledger's observers, told after the commit."""
    session.info.setdefault(JOB_CHANGES, []).append((job_id, old, new))


class Ledger:
    """A handle on one ledger database: ``with ledger.session() as s: ...`` commits on success.

    ``observers`` are called after each commit with the job state changes it made
    (``[(job_id, old_state, new_state), …]``, see :func:`note_job_change`) — never for a
    rolled-back change. An observer that raises is logged and does not undo anything."""

    def __init__(self, url: str, observers: list | None = None):
        self.url = url
        self.observers = list(observers or [])
        self._factories: dict[bool, sessionmaker] = {}
        self._pid = None

    @property
    def engine(self) -> Engine:
        return get_engine(self.url)

    def _sessions(self, readonly: bool) -> sessionmaker:
        if self._pid != os.getpid():
            self._factories, self._pid = {}, os.getpid()
        if readonly not in self._factories:
            self._factories[readonly] = sessionmaker(get_engine(self.url, readonly),
                                                     expire_on_commit=False)
        return self._factories[readonly]

    @contextmanager
    def session(self, readonly: bool = False) -> Iterator[Session]:
        """A transaction: committed when the block ends, rolled back on an exception.
        ``readonly=True`` for reads that must not wait for (or block) writers."""
        with self._writer(readonly):
            s = self._sessions(readonly)()
            try:
                yield s
                s.commit()  # (a read-only one commits nothing; rollback would expire objects)
            except BaseException:
                s.rollback()
                raise
            finally:
                changes = s.info.pop(JOB_CHANGES, [])
                s.close()
        if changes:     # reached only after a commit: an exception skipped this line
            self._tell(changes)

    def _tell(self, changes: list[tuple]) -> None:
        for observer in self.observers:
            try:
                observer(changes)
            except Exception:
                log.exception("a job state observer failed")

    @contextmanager
    def _writer(self, readonly: bool) -> Iterator[None]:
        """SQLite writers queue for the write lock: threads on a lock, processes on ``flock``
        of ``<db>.writelock``. Waiting in the kernel wakes a writer as soon as the lock is
        free; SQLite's own busy handler polls with growing sleeps (up to 100 ms), which let
        the busy web process starve a register's worker."""
        if readonly or not self.is_sqlite:
            yield
            return
        lock = _write_locks.setdefault(self.url, _WriteLock())
        with lock.rlock:
            fd = self._lock_fd()
            depth = lock.depth          # only the thread holding rlock touches depth
            if depth == 0:
                fcntl.flock(fd, fcntl.LOCK_EX)
            lock.depth = depth + 1
            try:
                yield
            finally:
                lock.depth = depth
                if depth == 0:
                    fcntl.flock(fd, fcntl.LOCK_UN)

    def _lock_fd(self) -> int:
        key = (os.getpid(), self.url)
        fd = _lock_files.get(key)
        if fd is None:
            path = make_url(self.url).database
            fd = os.open(f"{path}.writelock", os.O_RDWR | os.O_CREAT, 0o600)
            _lock_files[key] = fd
        return fd

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")
