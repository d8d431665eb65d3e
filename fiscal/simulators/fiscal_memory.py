"""A simulated register's persistent fiscal memory: one SQLite file, many processes.

Everything a register keeps across power cycles lives here: identity, counters, the shift, the
cash drawer, the paper, the open receipt, every document issued, armed faults and a clock offset.
A worker process prints through it while a test process arms faults and reads documents back, so
every operation is its own ``BEGIN IMMEDIATE`` transaction on a fresh connection (WAL, a busy
timeout of at least 10 s) — safe after ``fork`` and across processes.

The engine (``fiscal.simulators.register``) runs each command inside ``transaction()``; the
methods here are the ones tests and the driver use directly.
"""
from __future__ import annotations

import json
import os
import secrets
import sqlite3
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, Iterator, Mapping

from fiscal.drivers.base import FiscalDocument

SCHEMA_VERSION = 1
DEFAULT_MODEL = "Virtual register"
FAULTS = frozenset({"fail_before_sending", "offline", "fail_after_printing", "hang",
                    "paper_out", "refuse",
                    # byte-level faults of the Shtrih-M emulator (simulators/shtrih_faults.py)
                    "nak_frame", "lose_ack", "delay_answer", "stop_answering", "disconnect",
                    "paper_runs_out", "drop_answer_byte", "corrupt_answer_byte"})
HANG_POINTS = frozenset({"before", "during", "after"})

_SCHEMA = (
    """CREATE TABLE IF NOT EXISTS register (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        model TEXT NOT NULL, serial_number TEXT NOT NULL, fn_number TEXT NOT NULL,
        fn_expires_on TEXT NOT NULL, created_at TEXT NOT NULL,
        last_fd_number INTEGER NOT NULL DEFAULT 0, last_doc_number INTEGER NOT NULL DEFAULT 0,
        shift_number INTEGER NOT NULL DEFAULT 0, shift_open INTEGER NOT NULL DEFAULT 0,
        shift_opened_at TEXT, receipt_number INTEGER NOT NULL DEFAULT 0,
        cash_in_drawer TEXT NOT NULL DEFAULT '0.00',
        paper TEXT NOT NULL DEFAULT 'ok' CHECK (paper IN ('ok', 'out', 'continue')),
        paper_active INTEGER NOT NULL DEFAULT 0,
        open_receipt TEXT,
        clock_offset REAL NOT NULL DEFAULT 0,
        faults_generation INTEGER NOT NULL DEFAULT 0,
        hanging TEXT)""",
    """CREATE TABLE IF NOT EXISTS documents (
        doc_number INTEGER PRIMARY KEY, fd_number INTEGER UNIQUE,
        doc_type TEXT NOT NULL, operation TEXT, total TEXT, fiscal_sign TEXT, fn_number TEXT,
        shift_number INTEGER, number_in_shift INTEGER, issued_at TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}')""",
    """CREATE TABLE IF NOT EXISTS faults (
        id INTEGER PRIMARY KEY AUTOINCREMENT, fault TEXT NOT NULL, on_method TEXT NOT NULL,
        times INTEGER, seconds REAL, point TEXT, code INTEGER, armed_at TEXT NOT NULL)""",
)

# How register columns are stored: JSON columns, datetime columns, Decimal columns, flags.
_JSON = {"open_receipt", "hanging"}
_DATETIME = {"shift_opened_at", "created_at"}
_DECIMAL = {"cash_in_drawer"}
_BOOL = {"shift_open", "paper_active"}


def to_json(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=_json_default, sort_keys=True)


def _json_default(value: Any) -> Any:
    if isinstance(value, (Decimal, datetime, date)):
        return str(value) if isinstance(value, Decimal) else value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


def _decode_register(row: sqlite3.Row) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key in row.keys():
        value = row[key]
        if value is None:
            out[key] = None
        elif key in _JSON:
            out[key] = json.loads(value)
        elif key in _DATETIME:
            out[key] = datetime.fromisoformat(value)
        elif key in _DECIMAL:
            out[key] = Decimal(value)
        elif key in _BOOL:
            out[key] = bool(value)
        elif key == "fn_expires_on":
            out[key] = date.fromisoformat(value)
        else:
            out[key] = value
    return out


def _encode(key: str, value: Any) -> Any:
    if value is None:
        return None
    if key in _JSON:
        return to_json(value)
    if key in _DATETIME or key == "fn_expires_on":
        return value.isoformat()
    if key in _DECIMAL:
        return str(value)
    if key in _BOOL:
        return int(bool(value))
    return value


def _document(row: sqlite3.Row) -> FiscalDocument:
    return FiscalDocument(
        doc_type=row["doc_type"], doc_number=row["doc_number"],
        issued_at=datetime.fromisoformat(row["issued_at"]), fd_number=row["fd_number"],
        fiscal_sign=row["fiscal_sign"], fn_number=row["fn_number"],
        shift_number=row["shift_number"], number_in_shift=row["number_in_shift"],
        operation=row["operation"],
        total=Decimal(row["total"]) if row["total"] is not None else None,
        details=json.loads(row["details"]))


@dataclass(frozen=True)
class Fault:
    """An armed fault as taken by the driver (``generation`` tells whether it was cleared)."""
    id: int
    fault: str
    on: str
    times: int | None          # what was left before this take; None = until cleared
    seconds: float | None
    point: str | None
    code: int | None
    generation: int


class Transaction:
    """One ``BEGIN IMMEDIATE`` transaction on the memory (see ``FiscalMemory.transaction``)."""

    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self._register: dict[str, Any] | None = None

    def register(self) -> dict[str, Any]:
        """The register row, decoded (a copy: change it through ``update``)."""
        if self._register is None:
            row = self.conn.execute("SELECT * FROM register WHERE id = 1").fetchone()
            self._register = _decode_register(row)
        return dict(self._register)

    def update(self, **fields: Any) -> None:
        if not fields:
            return
        cols = ", ".join(f"{k} = ?" for k in fields)
        self.conn.execute(f"UPDATE register SET {cols} WHERE id = 1",
                          [_encode(k, v) for k, v in fields.items()])
        if self._register is not None:
            self._register.update(fields)

    def add_document(self, doc: FiscalDocument) -> FiscalDocument:
        self.conn.execute(
            "INSERT INTO documents (doc_number, fd_number, doc_type, operation, total,"
            " fiscal_sign, fn_number, shift_number, number_in_shift, issued_at, details)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (doc.doc_number, doc.fd_number, doc.doc_type, doc.operation,
             str(doc.total) if doc.total is not None else None, doc.fiscal_sign, doc.fn_number,
             doc.shift_number, doc.number_in_shift, doc.issued_at.isoformat(),
             to_json(dict(doc.details))))
        return doc

    def document(self, fd_number: int) -> FiscalDocument | None:
        row = self.conn.execute("SELECT * FROM documents WHERE fd_number = ?",
                                (fd_number,)).fetchone()
        return _document(row) if row else None

    def document_by_number(self, doc_number: int) -> FiscalDocument | None:
        row = self.conn.execute("SELECT * FROM documents WHERE doc_number = ?",
                                (doc_number,)).fetchone()
        return _document(row) if row else None

    def documents(self, doc_type: str | None = None,
                  shift_number: int | None = None) -> list[FiscalDocument]:
        sql, args = "SELECT * FROM documents WHERE 1 = 1", []
        if doc_type is not None:
            sql += " AND doc_type = ?"
            args.append(doc_type)
        if shift_number is not None:
            sql += " AND shift_number = ?"
            args.append(shift_number)
        return [_document(r) for r in self.conn.execute(sql + " ORDER BY doc_number", args)]


class FiscalMemory:
    """A register's fiscal memory in the SQLite file ``path`` (created on first use).

    ``model``, ``serial_number`` and ``fn_number`` only matter when the file is created; a
    serial number (10 digits, fits the 4-byte field of Shtrih command 0x11) and a 16-digit FN
    number are generated once when not given.
    """

    TIMEOUT = 15.0

    def __init__(self, path: str | os.PathLike, *, model: str = DEFAULT_MODEL,
                 serial_number: str | None = None, fn_number: str | None = None,
                 timeout: float = TIMEOUT):
        self.path = str(path)
        self.timeout = max(float(timeout), 10.0)
        Path(self.path).parent.mkdir(parents=True, exist_ok=True)
        self._create(model, serial_number, fn_number)

    # plumbing -----------------------------------------------------------------------------
    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        conn.row_factory = sqlite3.Row
        conn.execute(f"PRAGMA busy_timeout = {int(self.timeout * 1000)}")
        conn.execute("PRAGMA synchronous = NORMAL")
        return conn

    @contextmanager
    def transaction(self) -> Iterator[Transaction]:
        """One write transaction: ``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on error)."""
        conn = self._connect()
        try:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield Transaction(conn)
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")
        finally:
            conn.close()

    def _create(self, model: str, serial_number: str | None, fn_number: str | None) -> None:
        conn = self._connect()
        try:
            if conn.execute("PRAGMA journal_mode").fetchone()[0].lower() != "wal":
                conn.execute("PRAGMA journal_mode = WAL")
        finally:
            conn.close()
        with self.transaction() as t:
            for statement in _SCHEMA:
                t.conn.execute(statement)
            if t.conn.execute("SELECT 1 FROM register WHERE id = 1").fetchone() is None:
                now = datetime.now().astimezone().replace(microsecond=0)
                serial = serial_number or str(1_000_000_000 + secrets.randbelow(3_000_000_000))
                fn = fn_number or "99990789" + f"{secrets.randbelow(10 ** 8):08d}"
                t.conn.execute(
                    "INSERT INTO register (id, model, serial_number, fn_number,"
                    " fn_expires_on, created_at) VALUES (1, ?, ?, ?, ?, ?)",
                    (model, serial, fn, (now.date() + timedelta(days=456)).isoformat(),
                     now.isoformat()))
                t.conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")

    # state ----------------------------------------------------------------------------------
    def state(self) -> dict[str, Any]:
        """The register row, decoded (counters, shift, drawer, paper, open receipt, …)."""
        with self.transaction() as t:
            return t.register()

    def clock(self) -> datetime:
        """The register's own date and time (now plus the clock offset, whole seconds)."""
        return register_clock(self.state()["clock_offset"])

    def set_clock_offset(self, seconds: float) -> None:
        with self.transaction() as t:
            t.update(clock_offset=float(seconds))

    def advance_clock(self, seconds: float) -> None:
        """Move the register's clock forward (e.g. past the 24-hour shift limit)."""
        with self.transaction() as t:
            t.update(clock_offset=t.register()["clock_offset"] + float(seconds))

    def set_paper(self, present: bool) -> str:
        """Take the paper out or load it; returns the new paper state.

        Out while a receipt is open is the "active" absence (Shtrih submode 2): loading paper
        then leaves the register waiting for continue-printing ("continue", submode 3).
        Out with nothing open is the passive one (submode 1): loading paper makes it "ok".
        """
        with self.transaction() as t:
            reg = t.register()
            if not present:
                if reg["paper"] != "out":
                    t.update(paper="out", paper_active=reg["open_receipt"] is not None)
                return "out"
            if reg["paper"] == "out":
                t.update(paper="continue" if reg["paper_active"] else "ok", paper_active=False)
            return t.register()["paper"]

    def set_fn_expires_on(self, day: date) -> None:
        with self.transaction() as t:
            t.update(fn_expires_on=day)

    # documents ------------------------------------------------------------------------------
    def document(self, fd_number: int) -> FiscalDocument | None:
        with self.transaction() as t:
            return t.document(fd_number)

    def document_by_number(self, doc_number: int) -> FiscalDocument | None:
        with self.transaction() as t:
            return t.document_by_number(doc_number)

    def documents(self, doc_type: str | None = None,
                  shift_number: int | None = None) -> list[FiscalDocument]:
        with self.transaction() as t:
            return t.documents(doc_type, shift_number)

    # faults ---------------------------------------------------------------------------------
    def arm_fault(self, fault: str, on: str = "receipt", times: int | None = 1,
                  seconds: float | None = None, point: str | None = None,
                  code: int | None = None) -> int:
        """Arm a fault for the driver method ``on`` (or ``"any"``); ``times=None`` keeps it
        until ``clear_faults``. ``hang`` takes ``seconds`` and ``point`` (before, during,
        after); ``refuse`` takes the Shtrih ``code`` the register refuses with."""
        if fault not in FAULTS:
            raise ValueError(f"unknown fault {fault!r}; known: {sorted(FAULTS)}")
        if point is not None and point not in HANG_POINTS:
            raise ValueError(f"unknown hang point {point!r}; known: {sorted(HANG_POINTS)}")
        if times is not None and times < 1:
            raise ValueError("times must be at least 1 (or None: until cleared)")
        with self.transaction() as t:
            cur = t.conn.execute(
                "INSERT INTO faults (fault, on_method, times, seconds, point, code, armed_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?)",
                (fault, on, times, seconds, point, code,
                 datetime.now().astimezone().isoformat()))
            return int(cur.lastrowid)

    def faults(self) -> list[Fault]:
        with self.transaction() as t:
            gen = t.register()["faults_generation"]
            return [_fault(r, gen) for r in t.conn.execute("SELECT * FROM faults ORDER BY id")]

    def take_fault(self, method: str, kinds: frozenset[str] | set[str] | None = None
                   ) -> Fault | None:
        """Consume (atomically) the oldest fault armed for ``method`` or ``any``, of one of
        ``kinds`` when given; None when there is none."""
        with self.transaction() as t:
            gen = t.register()["faults_generation"]
            rows = t.conn.execute("SELECT * FROM faults WHERE on_method IN (?, 'any')"
                                  " ORDER BY id", (method,)).fetchall()
            for row in rows:
                if kinds is not None and row["fault"] not in kinds:
                    continue
                if row["times"] is not None:
                    if row["times"] <= 1:
                        t.conn.execute("DELETE FROM faults WHERE id = ?", (row["id"],))
                    else:
                        t.conn.execute("UPDATE faults SET times = times - 1 WHERE id = ?",
                                       (row["id"],))
                return _fault(row, gen)
            return None

    def clear_faults(self) -> None:
        """Disarm every fault and release any driver hanging on one (in any process)."""
        with self.transaction() as t:
            t.conn.execute("DELETE FROM faults")
            t.update(faults_generation=t.register()["faults_generation"] + 1, hanging=None)

    def faults_generation(self) -> int:
        return self.state()["faults_generation"]

    def set_hanging(self, info: Mapping[str, Any] | None) -> None:
        with self.transaction() as t:
            t.update(hanging=dict(info) if info is not None else None)

    def hanging(self) -> dict[str, Any] | None:
        """What a driver is hanging on right now (method, point, pid, since), if anything."""
        return self.state()["hanging"]


def _fault(row: sqlite3.Row, generation: int) -> Fault:
    return Fault(id=row["id"], fault=row["fault"], on=row["on_method"], times=row["times"],
                 seconds=row["seconds"], point=row["point"], code=row["code"],
                 generation=generation)


def register_clock(offset_seconds: float) -> datetime:
    """Local, timezone-aware now plus an offset, truncated to whole seconds."""
    now = datetime.now().astimezone() + timedelta(seconds=offset_seconds)
    return now.replace(microsecond=0)
