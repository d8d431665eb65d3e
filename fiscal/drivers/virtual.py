"""The ``virtual`` driver: an in-process register built on the simulator.

URL ``virtual:///absolute/path/memory.sqlite`` names the fiscal memory file; ``virtual://NAME``
means ``<data_dir>/registers/NAME.sqlite`` (``settings["data_dir"]``, else the environment's
``FISCALHUB_DATA_DIR``, else ``./var``).

Faults armed in the memory (``FiscalMemory.arm_fault``, from any process) are taken one per call:

* ``offline`` — ``open()`` (faults armed on ``open`` or ``any``) or the call raises
  ``RegisterOffline``; reading methods (``open``, ``identity``, ``status``,
  ``last_document``, ``document``) honour only this fault and ``hang``;
* ``fail_before_sending`` — ``NotPrinted`` before the register does anything;
* ``refuse`` — the register refuses the command with the Shtrih code ``code`` (default 0x03,
  a fiscal storage failure) and the error is classified like a real refusal;
* ``fail_after_printing`` — the register does everything, then ``Ambiguous`` (answer lost);
* ``hang`` — block for ``seconds`` (default an hour) at ``point`` ``before`` the register does
  anything, ``during`` a receipt (open, items registered, not closed) or ``after`` the document
  is registered; ``clear_faults()`` from any process releases it; ``memory.hanging()`` says
  who hangs;
* ``paper_out`` — paper runs out: mid-receipt (after half the items) the receipt stays open and
  the register waits for paper; for other commands before they print. Either way ``NeedsOperator``.

Commands of one call are serialised across processes with a lock file beside the memory, as a
serial port would serialise them; the lock dies with the process holding it.
"""
from __future__ import annotations

import errno
import fcntl
import math
import os
import sqlite3
import time
from contextlib import contextmanager
from decimal import Decimal
from pathlib import Path
from typing import Any, Callable, Iterator, Mapping
from urllib.parse import urlsplit

from fiscal.drivers.base import (Ambiguous, FiscalDocument, Identity, NotPrinted,
                                 RegisterDriver, RegisterError, RegisterOffline, RegisterStatus)
from fiscal.drivers.shtrih import register_error
from fiscal.money import payments_by_type
from fiscal.simulators.calculations import KOPECK, money
from fiscal.simulators.fiscal_memory import Fault, FiscalMemory
from fiscal.simulators.refusals import FN_FAILURE, NO_PAPER, WAITING_CONTINUE_PRINTING, \
    RegisterRefusal
from fiscal.simulators.register import SimulatedRegister

_READS = frozenset({"offline", "hang"})
_KEEP_RECEIPT_OPEN = frozenset({NO_PAPER, WAITING_CONTINUE_PRINTING})
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-")


def memory_path(url: str, settings: Mapping[str, Any] | None = None) -> Path:
    """The fiscal memory file a ``virtual:`` URL names."""
    parts = urlsplit(url)
    if parts.scheme != "virtual":
        raise ValueError(f"not a virtual register URL: {url!r}")
    if parts.netloc and not parts.path:
        name = parts.netloc
        if not set(name) <= _NAME_CHARS or name.startswith("."):
            raise ValueError(f"bad virtual register name {name!r}")
        data_dir = ((settings or {}).get("data_dir") or os.environ.get("FISCALHUB_DATA_DIR")
                    or "./var")
        return Path(data_dir) / "registers" / f"{name}.sqlite"
    if not parts.netloc and parts.path.startswith("/"):
        return Path(parts.path)
    raise ValueError(f"use virtual:///absolute/path.sqlite or virtual://NAME, not {url!r}")


class VirtualDriver(RegisterDriver):
    name = "virtual"
    title = "Virtual register (simulated fiscal memory, no hardware)"
    LOCK_TIMEOUT = 30.0
    HANG_STEP = 0.05
    HANG_DEFAULT = 3600.0

    def __init__(self, url: str, settings: Mapping[str, Any] | None = None):
        super().__init__(url, settings)
        self.path = memory_path(url, self.settings)
        self._memory: FiscalMemory | None = None

    # connection -----------------------------------------------------------------------------
    @property
    def memory(self) -> FiscalMemory:
        if self._memory is None:
            try:
                self._memory = FiscalMemory(self.path)
            except (OSError, sqlite3.Error) as exc:
                raise RegisterOffline("memory_unavailable",
                                      f"Virtual register memory unavailable: {exc}",
                                      f"Check that {self.path} is writable") from exc
        return self._memory

    @property
    def register(self) -> SimulatedRegister:
        return SimulatedRegister(self.memory)

    def open(self) -> None:
        self._read("open", lambda: None)

    def close(self) -> None:
        self._memory = None

    # reading --------------------------------------------------------------------------------
    def identity(self) -> Identity:
        return self._read("identity", lambda: self.register.identity())

    def status(self) -> RegisterStatus:
        return self._read("status", lambda: self.register.status())

    def last_document(self) -> int:
        return self._read("last_document", lambda: self.register.last_fd_number())

    def document(self, fd_number: int) -> FiscalDocument | None:
        return self._read("document", lambda: self.register.document(fd_number))

    # fiscal documents -----------------------------------------------------------------------
    def open_shift(self, cashier: Mapping | None = None) -> FiscalDocument:
        return self._act("open_shift", lambda r, f: r.open_shift(cashier))

    def close_shift(self, cashier: Mapping | None = None) -> FiscalDocument:
        return self._act("close_shift", lambda r, f: r.close_shift(cashier))

    def receipt(self, receipt: Mapping, cashier: Mapping | None = None) -> FiscalDocument:
        return self._act("receipt", lambda r, f: self._receipt(r, f, receipt, cashier),
                         paper_before=False)

    def correction(self, correction: Mapping, cashier: Mapping | None = None) -> FiscalDocument:
        c = correction
        return self._act("correction", lambda r, f: r.correction(
            operation=c.get("operation"), correction_type=c.get("correction_type", "self"),
            base=c.get("base"), taxation=c.get("taxation"),
            payments=payments_by_type(c.get("payments")) if c.get("payments") else None,
            total=c.get("total"), items=c.get("items"), vat=c.get("vat"), cashier=cashier))

    # cash and service -----------------------------------------------------------------------
    def cash_in(self, amount: Decimal, cashier: Mapping | None = None) -> FiscalDocument:
        return self._act("cash_in", lambda r, f: r.cash_in(amount, cashier))

    def cash_out(self, amount: Decimal, cashier: Mapping | None = None) -> FiscalDocument:
        return self._act("cash_out", lambda r, f: r.cash_out(amount, cashier))

    def x_report(self) -> None:
        self._act("x_report", lambda r, f: r.x_report())

    def cancel_receipt(self) -> None:
        def cancel(r: SimulatedRegister, fault: Fault | None) -> None:
            state = r.memory.state()
            if state["open_receipt"] is None:
                return                                  # nothing open: harmless
            if state["paper"] == "continue":
                r.continue_printing()
            r.cancel_receipt()
        self._act("cancel_receipt", cancel)

    def continue_printing(self) -> None:
        self._act("continue_printing", lambda r, f: r.continue_printing())

    def reprint_last(self) -> None:
        self._act("reprint_last", lambda r, f: r.reprint_last())

    def cut(self) -> None:
        self._act("cut", lambda r, f: r.cut())

    # the machinery --------------------------------------------------------------------------
    def _receipt(self, r: SimulatedRegister, fault: Fault | None, receipt: Mapping,
                 cashier: Mapping | None) -> FiscalDocument:
        items = list(receipt.get("items") or [])
        paper_at = math.ceil(len(items) / 2) if _is(fault, "paper_out") else None
        r.open_receipt(receipt.get("operation", "sell"))
        try:
            for n, item in enumerate(items):
                if n == paper_at:
                    r.paper_runs_out()
                r.add_item(item.get("name", ""), item.get("price"), item.get("quantity"),
                           item.get("amount"), item.get("vat") or "none",
                           item.get("payment_method") or "full_payment",
                           item.get("payment_object") or "commodity",
                           measure=item.get("measure"), agent=item.get("agent"),
                           supplier=item.get("supplier"), sku=item.get("sku"))
            if paper_at is not None and paper_at >= len(items):
                r.paper_runs_out()
            expected, registered = receipt.get("total"), r.subtotal()
            if expected is not None and abs(registered - money(expected)) > KOPECK:
                r.cancel_receipt()
                raise NotPrinted("total_mismatch", f"The items add up to {registered}, not to "
                                 f"the receipt's total {expected}", "Check the receipt's items")
            if _is(fault, "hang") and (fault.point or "before") == "during":
                self._hang(fault, "receipt")
            return r.close_receipt(payments_by_type(receipt.get("payments")), receipt.get("taxation"),
                                   receipt.get("customer"), cashier,
                                   bool(receipt.get("paperless")))
        except RegisterRefusal as refusal:
            if refusal.device_code not in _KEEP_RECEIPT_OPEN:
                try:                                    # leave the register clean
                    r.cancel_receipt()
                except (RegisterRefusal, sqlite3.Error):
                    pass
            raise

    def _read(self, method: str, call: Callable[[], Any]) -> Any:
        try:
            fault = self.memory.take_fault(method, _READS)
            if _is(fault, "offline"):
                raise _offline(method)
            point = (fault.point or "before") if fault is not None else None
            if point in ("before", "during"):
                self._hang(fault, method)
            result = call()
            if point == "after":
                self._hang(fault, method)
            return result
        except sqlite3.Error as exc:
            raise _memory_error(exc) from exc

    def _act(self, method: str, call: Callable[[SimulatedRegister, Fault | None], Any],
             paper_before: bool = True) -> Any:
        try:
            fault = self.memory.take_fault(method)
            point = (fault.point or "before") if _is(fault, "hang") else None
            if _is(fault, "offline"):
                raise _offline(method)
            if _is(fault, "fail_before_sending"):
                raise NotPrinted("send_failed",
                                 f"The command {method} was not sent (injected fault)",
                                 "Repeat the job")
            if point == "before":
                self._hang(fault, method)
            register = self.register
            with self._exclusive():
                if _is(fault, "refuse"):
                    raise RegisterRefusal(fault.code if fault.code is not None else FN_FAILURE)
                if _is(fault, "paper_out") and paper_before:
                    register.paper_runs_out()
                result = call(register, fault)
            if point == "after":
                self._hang(fault, method)
            if _is(fault, "fail_after_printing"):
                raise Ambiguous("answer_lost",
                                f"The register did {method} but its answer was lost "
                                "(injected fault)",
                                "The hub checks the register's fiscal memory before anything else")
            return result
        except RegisterRefusal as refusal:
            raise refusal_error(refusal) from refusal
        except sqlite3.Error as exc:
            raise _memory_error(exc) from exc

    def _hang(self, fault: Fault, method: str) -> None:
        """Block for the fault's seconds, or until ``clear_faults`` bumps the generation."""
        seconds = fault.seconds if fault.seconds is not None else self.HANG_DEFAULT
        deadline = time.monotonic() + seconds
        memory = self.memory
        memory.set_hanging({"method": method, "point": fault.point or "before",
                            "pid": os.getpid(), "since": time.time()})
        try:
            while (left := deadline - time.monotonic()) > 0:
                time.sleep(min(self.HANG_STEP, left))
                if memory.faults_generation() != fault.generation:
                    return
        finally:
            if memory.faults_generation() == fault.generation:
                memory.set_hanging(None)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """The "serial port": one call's commands at a time across processes."""
        with open(f"{self.path}.lock", "a+") as lock:
            deadline = time.monotonic() + self.LOCK_TIMEOUT
            while True:
                try:
                    fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError as exc:
                    if exc.errno not in (errno.EAGAIN, errno.EACCES, errno.EWOULDBLOCK):
                        raise
                    if time.monotonic() > deadline:
                        raise RegisterOffline("register_busy",
                                              "The virtual register is busy with another "
                                              "connection", "Try again later") from None
                    time.sleep(0.01)
            try:
                yield
            finally:
                fcntl.flock(lock, fcntl.LOCK_UN)


def refusal_error(refusal: RegisterRefusal) -> RegisterError:
    """The contract's error for a register refusal: the simulator refuses with Shtrih-M codes,
    so it is classified exactly as the Shtrih-M driver classifies a real register's."""
    return register_error(refusal.device_code, refusal.message_ru, refusal.message_en)


def _is(fault: Fault | None, name: str) -> bool:
    return fault is not None and fault.fault == name


def _offline(method: str) -> RegisterOffline:
    return RegisterOffline("offline", f"Нет связи с ККТ (no connection to the register, {method})",
                           "Check the register's power and cable")


def _memory_error(exc: Exception) -> RegisterOffline:
    return RegisterOffline("memory_unavailable",
                           f"Virtual register memory unavailable: {exc}",
                           "Check the register's memory file; the job may be repeated")
