"""Engines and sessions for the ledger.

SQLite is opened in WAL mode with a busy timeout because the web app, the relay and one worker
per register write to the same file from different processes. Engines are cached per process
(a forked RQ work horse must not reuse its parent's connections).
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

_engines: dict[tuple[int, str], Engine] = {}


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


def get_engine(url: str) -> Engine:
    key = (os.getpid(), url)
    engine = _engines.get(key)
    if engine is None:
        if url.startswith("sqlite"):
            engine = create_engine(url, connect_args={"timeout": 30})
            event.listen(engine, "connect", _sqlite_pragmas)
            # pysqlite's own transaction handling defers BEGIN; emit it ourselves so that
            # BEGIN IMMEDIATE can be used for compare-and-set sections.
            event.listen(engine, "connect", lambda c, r: setattr(c, "isolation_level", None))
            event.listen(engine, "begin", lambda conn: conn.exec_driver_sql("BEGIN IMMEDIATE"))
        else:
            engine = create_engine(url, pool_pre_ping=True)
        _engines[key] = engine
    return engine


class Ledger:
    """A handle on one ledger database: ``with ledger.session() as s: ...`` commits on success."""

    def __init__(self, url: str):
        self.url = url
        self._factory: sessionmaker | None = None
        self._pid = None

    @property
    def engine(self) -> Engine:
        return get_engine(self.url)

    def _sessions(self) -> sessionmaker:
        if self._factory is None or self._pid != os.getpid():
            self._factory = sessionmaker(self.engine, expire_on_commit=False)
            self._pid = os.getpid()
        return self._factory

    @contextmanager
    def session(self) -> Iterator[Session]:
        s = self._sessions()()
        try:
            yield s
            s.commit()
        except BaseException:
            s.rollback()
            raise
        finally:
            s.close()

    @property
    def is_sqlite(self) -> bool:
        return self.url.startswith("sqlite")
