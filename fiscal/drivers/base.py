"""The register driver contract every register family implements.

A driver talks to one register. The print service (``fiscal.printing``) runs the exactly-once
procedure against this contract only, so every driver gets crash recovery for free as long as
it reports its errors with the three kinds below and can read its own fiscal memory back.

Error kinds (what the print service does with them):

* ``NotPrinted`` — the register certainly did not register the document (refused before it
  started, a frame that was NAKed, …). Safe to try again. ``RegisterOffline`` is the special
  case where nothing could be sent at all: the job is held until the register is back.
* ``NeedsOperator`` — the register refused and a person must act first (paper out, the shift is
  over 24 hours, a fiscal storage error). Not registered; carries the register's own message.
* ``Ambiguous`` — something was sent and the outcome is unknown (timeout, lost answer). The
  print service reconciles with the register's fiscal memory before anything else happens.
"""
from __future__ import annotations

import abc
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any, ClassVar, Mapping


class RegisterError(Exception):
    """A register operation did not succeed. ``code`` is stable and machine-readable,
    ``message`` is the register's own text where it has one, ``action`` tells the operator
    what fixes it."""

    def __init__(self, code: str, message: str, action: str | None = None,
                 device_code: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.action = action
        self.device_code = device_code

    def as_dict(self) -> dict[str, Any]:
        out = {"code": self.code, "message": self.message, "action": self.action,
               "kind": self.kind}
        if self.device_code is not None:
            out["device_code"] = self.device_code
        return out

    kind: ClassVar[str] = "error"


class NotPrinted(RegisterError):
    kind = "not_printed"


class RegisterOffline(NotPrinted):
    kind = "offline"


class NeedsOperator(NotPrinted):
    kind = "needs_operator"


class Ambiguous(RegisterError):
    kind = "ambiguous"


@dataclass(frozen=True)
class Identity:
    model: str
    serial_number: str              # the factory serial number a binding ID is bound to
    fn_number: str | None = None    # the fiscal storage (ФН) number


@dataclass(frozen=True)
class RegisterStatus:
    model: str
    serial_number: str
    shift_open: bool
    shift_number: int               # the last opened (or current) shift number
    shift_opened_at: datetime | None
    shift_expired: bool             # open for more than 24 hours: a Z report is needed
    receipt_open: bool
    paper: str                      # "ok", "out", "continue" (waiting for continue-printing)
    last_fd_number: int             # the last fiscal document number in the fiscal storage
    last_doc_number: int            # the register's own through counter of every document
    cash_in_drawer: Decimal
    fn_number: str | None = None
    fn_expires_on: date | None = None
    clock: datetime | None = None   # the register's own date and time

    def as_dict(self) -> dict[str, Any]:
        return {
            "model": self.model, "serial_number": self.serial_number,
            "shift_open": self.shift_open, "shift_number": self.shift_number,
            "shift_opened_at": self.shift_opened_at.isoformat() if self.shift_opened_at else None,
            "shift_expired": self.shift_expired, "receipt_open": self.receipt_open,
            "paper": self.paper, "last_fd_number": self.last_fd_number,
            "last_doc_number": self.last_doc_number,
            "cash_in_drawer": str(self.cash_in_drawer), "fn_number": self.fn_number,
            "fn_expires_on": self.fn_expires_on.isoformat() if self.fn_expires_on else None,
            "clock": self.clock.isoformat() if self.clock else None,
        }


@dataclass(frozen=True)
class FiscalDocument:
    """A document as the register's fiscal memory holds it (also what reading it back gives).

    ``doc_type`` is one of: receipt, correction, open_shift, close_shift (fiscal documents with
    an FD number), or cash_in, cash_out (counted by ``doc_number`` only, ``fd_number`` None).
    """
    doc_type: str
    doc_number: int                 # the register's through document number
    issued_at: datetime
    fd_number: int | None = None
    fiscal_sign: str | None = None
    fn_number: str | None = None
    shift_number: int | None = None
    number_in_shift: int | None = None   # receipt number within the shift
    operation: str | None = None    # sell, sell_refund, buy, buy_refund for receipts
    total: Decimal | None = None
    details: Mapping[str, Any] = field(default_factory=dict)

    def as_result(self) -> dict[str, Any]:
        """The job's ``result`` (JSON)."""
        return {
            "doc_type": self.doc_type, "fd_number": self.fd_number,
            "fiscal_sign": self.fiscal_sign, "fn_number": self.fn_number,
            "shift_number": self.shift_number, "receipt_number": self.number_in_shift,
            "doc_number": self.doc_number, "issued_at": self.issued_at.isoformat(),
            "total": str(self.total) if self.total is not None else None,
        }


class RegisterDriver(abc.ABC):
    """One register. Construct with the register's connection URL and settings; use as a
    context manager (``open`` / ``close``) around a job.

    Receipt and correction methods take the canonical job's body (the ``receipt`` or
    ``correction`` object as loaded by ``fiscal.schemas``: Decimals, enums as strings) and the
    cashier (``{"name", "inn"}`` or None).
    """

    name: ClassVar[str]                 # the driver's key in a register's settings
    title: ClassVar[str] = ""

    def __init__(self, url: str, settings: Mapping[str, Any] | None = None):
        self.url = url
        self.settings = dict(settings or {})

    # connection ---------------------------------------------------------------------------
    def open(self) -> None:
        """Connect. Raise ``RegisterOffline`` when the register cannot be reached."""

    def close(self) -> None:
        """Disconnect; never raises."""

    def __enter__(self) -> "RegisterDriver":
        self.open()
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # reading ------------------------------------------------------------------------------
    @abc.abstractmethod
    def identity(self) -> Identity: ...

    @abc.abstractmethod
    def status(self) -> RegisterStatus: ...

    @abc.abstractmethod
    def last_document(self) -> int:
        """The last fiscal document (FD) number in the fiscal storage; 0 when none."""

    @abc.abstractmethod
    def document(self, fd_number: int) -> FiscalDocument | None:
        """Read a fiscal document back from the fiscal storage by its FD number."""

    # fiscal documents ---------------------------------------------------------------------
    @abc.abstractmethod
    def open_shift(self, cashier: Mapping | None = None) -> FiscalDocument: ...

    @abc.abstractmethod
    def close_shift(self, cashier: Mapping | None = None) -> FiscalDocument: ...

    @abc.abstractmethod
    def receipt(self, receipt: Mapping, cashier: Mapping | None = None) -> FiscalDocument: ...

    @abc.abstractmethod
    def correction(self, correction: Mapping, cashier: Mapping | None = None) -> FiscalDocument: ...

    # cash and service ---------------------------------------------------------------------
    @abc.abstractmethod
    def cash_in(self, amount: Decimal, cashier: Mapping | None = None) -> FiscalDocument: ...

    @abc.abstractmethod
    def cash_out(self, amount: Decimal, cashier: Mapping | None = None) -> FiscalDocument: ...

    @abc.abstractmethod
    def x_report(self) -> None: ...

    @abc.abstractmethod
    def cancel_receipt(self) -> None:
        """Cancel the open receipt, if any (nothing is registered)."""

    @abc.abstractmethod
    def continue_printing(self) -> None:
        """Finish printing after the paper was replaced (does not register anything again)."""

    @abc.abstractmethod
    def reprint_last(self) -> None: ...

    @abc.abstractmethod
    def cut(self) -> None: ...
