"""The simulated register's behaviour: command-level methods over a ``FiscalMemory``.

Each method is one register command and one memory transaction, so a protocol emulator can map
wire commands onto them 1:1 and several processes can share one register. Refusals raise
``RegisterRefusal`` with Shtrih-M result codes (``refusals``); modes and submodes follow
Shtrih-M (research/fiscal.md §1.5): shift open 2, shift over 24 h 3, shift closed 4, open
receipt 8 (status nibble 0 sell, 1 buy, 2 sell refund, 3 buy refund); paper submodes 0 ok,
1 passive out, 2 active out (ran out while printing), 3 waiting for continue-printing.
"""
from __future__ import annotations

from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Mapping

from fiscal.drivers.base import FiscalDocument, Identity, RegisterStatus
from fiscal.model import CorrectionType
from fiscal.simulators import refusals as R
from fiscal.simulators.calculations import (KOPECK, VAT_RATES, fiscal_sign, item_line,
                                            lines_total, money, plain, settle)
from fiscal.simulators.fiscal_memory import FiscalMemory, Transaction, register_clock
from fiscal.simulators.refusals import RegisterRefusal

__all__ = ["SimulatedRegister", "RegisterRefusal", "fiscal_sign"]

SHIFT_LIMIT = timedelta(hours=24)
MAX_ITEMS = 256
MODE_STATUS = {"sell": 0, "buy": 1, "sell_refund": 2, "buy_refund": 3}
CASH_INFLOW = frozenset({"sell", "buy_refund"})      # the customer pays the register
_CORRECTION_TYPES = frozenset(CorrectionType)


class SimulatedRegister:
    """A 54-FZ register with a fiscal storage, backed by ``memory``."""

    def __init__(self, memory: FiscalMemory):
        self.memory = memory

    # reading --------------------------------------------------------------------------------
    def identity(self) -> Identity:
        reg = self.memory.state()
        return Identity(model=reg["model"], serial_number=reg["serial_number"],
                        fn_number=reg["fn_number"])

    def status(self) -> RegisterStatus:
        reg = self.memory.state()
        now = register_clock(reg["clock_offset"])
        return RegisterStatus(
            model=reg["model"], serial_number=reg["serial_number"],
            shift_open=reg["shift_open"], shift_number=reg["shift_number"],
            shift_opened_at=reg["shift_opened_at"] if reg["shift_open"] else None,
            shift_expired=_expired(reg, now), receipt_open=reg["open_receipt"] is not None,
            paper=reg["paper"], last_fd_number=reg["last_fd_number"],
            last_doc_number=reg["last_doc_number"], cash_in_drawer=reg["cash_in_drawer"],
            fn_number=reg["fn_number"], fn_expires_on=reg["fn_expires_on"], clock=now)

    def modes(self) -> tuple[int, int]:
        """(mode byte, submode) as Shtrih-M commands 0x10/0x11 report them."""
        reg = self.memory.state()
        receipt = reg["open_receipt"]
        if receipt is not None:
            mode = 8 | (MODE_STATUS[receipt["operation"]] << 4)
        elif not reg["shift_open"]:
            mode = 4
        else:
            mode = 3 if _expired(reg, register_clock(reg["clock_offset"])) else 2
        submode = {"ok": 0, "continue": 3}.get(reg["paper"], 2 if reg["paper_active"] else 1)
        return mode, submode

    def open_receipt_state(self) -> dict[str, Any] | None:
        """The open receipt (operation, items, opened_at) with its ``subtotal``, or None."""
        receipt = self.memory.state()["open_receipt"]
        if receipt is None:
            return None
        return {**receipt, "subtotal": lines_total(receipt["items"])}

    def subtotal(self) -> Decimal:
        """The open receipt's subtotal (Shtrih 0x89); refused when no receipt is open."""
        receipt = self.memory.state()["open_receipt"]
        if receipt is None:
            raise RegisterRefusal(R.RECEIPT_CLOSED)
        return lines_total(receipt["items"])

    def document(self, fd_number: int) -> FiscalDocument | None:
        return self.memory.document(fd_number)

    def last_fd_number(self) -> int:
        return self.memory.state()["last_fd_number"]

    # shift ----------------------------------------------------------------------------------
    def open_shift(self, cashier: Mapping | None = None) -> FiscalDocument:
        with self.memory.transaction() as t:
            reg, now = _begin(t)
            _printer(reg)
            _no_receipt(reg)
            if reg["shift_open"]:
                raise RegisterRefusal(R.SHIFT_ALREADY_OPEN)
            _fn(reg, now)
            shift = reg["shift_number"] + 1
            t.update(shift_number=shift, shift_open=True, shift_opened_at=now, receipt_number=0)
            return _issue(t, now, "open_shift", fiscal=True,
                          details={"cashier": plain(cashier)})

    def close_shift(self, cashier: Mapping | None = None) -> FiscalDocument:
        """The Z report: closes the shift (allowed after 24 hours too)."""
        with self.memory.transaction() as t:
            reg, now = _begin(t)
            _printer(reg)
            _no_receipt(reg)
            if not reg["shift_open"]:
                raise RegisterRefusal(R.SHIFT_NOT_OPEN)
            details = {"cashier": plain(cashier), **_summary(t, reg)}
            doc = _issue(t, now, "close_shift", fiscal=True, details=details)
            t.update(shift_open=False, shift_opened_at=None)
            return doc

    def x_report(self) -> FiscalDocument:
        """Prints the shift's totals; a numbered document, not a fiscal one."""
        with self.memory.transaction() as t:
            reg, now = _begin(t)
            _printer(reg)
            _no_receipt(reg)
            return _issue(t, now, "x_report", fiscal=False, details=_summary(t, reg))

    # receipts -------------------------------------------------------------------------------
    def open_receipt(self, operation: str) -> None:
        with self.memory.transaction() as t:
            reg, now = _begin(t)
            _open_receipt(t, reg, now, operation)

    def add_item(self, name: str, price: Any, quantity: Any, amount: Any = None,
                 vat: str = "none", payment_method: str = "full_payment",
                 payment_object: str = "commodity", *, measure: str | None = None,
                 agent: Mapping | None = None, supplier: Mapping | None = None,
                 sku: str | None = None, operation: str | None = None) -> Decimal:
        """Register one item in the open receipt; returns its amount. With ``operation`` and no
        receipt open, opens one first (as Shtrih FF46 does)."""
        with self.memory.transaction() as t:
            reg, now = _begin(t)
            _printer(reg)
            receipt = reg["open_receipt"]
            if receipt is None:
                if operation is None:
                    raise RegisterRefusal(R.RECEIPT_CLOSED)
                receipt = _open_receipt(t, reg, now, operation)
            elif operation is not None and operation != receipt["operation"]:
                raise RegisterRefusal(R.WRONG_RECEIPT_OPERATION)
            if len(receipt["items"]) >= MAX_ITEMS:
                raise RegisterRefusal(R.RECEIPT_BUFFER_FULL)
            item = item_line(name, price, quantity, amount, vat, payment_method, payment_object,
                         measure, agent, supplier, sku)
            receipt["items"].append(item)
            t.update(open_receipt=receipt)
            return Decimal(item["amount"])

    def close_receipt(self, payments: Mapping[str, Any], taxation: str | None = None,
                      customer: Mapping | None = None, cashier: Mapping | None = None,
                      paperless: bool = False) -> FiscalDocument:
        """Register the open receipt in the fiscal storage; the change comes out of cash."""
        with self.memory.transaction() as t:
            reg, now = _begin(t)
            receipt = reg["open_receipt"]
            if receipt is None:
                raise RegisterRefusal(R.RECEIPT_CLOSED)
            _printer(reg)
            _shift(reg, now)
            _fn(reg, now)
            total = lines_total(receipt["items"])
            settled = _settle(t, reg, receipt["operation"], total, payments)
            number = reg["receipt_number"] + 1
            t.update(receipt_number=number, open_receipt=None)
            details = {"items": receipt["items"], **settled, "taxation": taxation or "osn",
                       "customer": plain(customer), "cashier": plain(cashier),
                       "paperless": bool(paperless)}
            return _issue(t, now, "receipt", fiscal=True, operation=receipt["operation"],
                          total=total, number_in_shift=number, details=details)

    def cancel_receipt(self) -> None:
        """Annul the open receipt (nothing is registered); refused when none is open."""
        with self.memory.transaction() as t:
            reg, _ = _begin(t)
            if reg["open_receipt"] is None:
                raise RegisterRefusal(R.RECEIPT_CLOSED)
            _printer(reg)
            t.update(open_receipt=None, paper_active=False)

    def correction(self, operation: str, correction_type: str = "self",
                   base: Mapping | None = None, taxation: str | None = None,
                   payments: Mapping[str, Any] | None = None, total: Any = None,
                   items: list[Mapping] | None = None, vat: str | None = None,
                   cashier: Mapping | None = None) -> FiscalDocument:
        """A correction receipt in one command (as Shtrih FF4A)."""
        with self.memory.transaction() as t:
            reg, now = _begin(t)
            _printer(reg)
            _no_receipt(reg)
            _shift(reg, now)
            _fn(reg, now)
            if operation not in MODE_STATUS or correction_type not in _CORRECTION_TYPES:
                raise RegisterRefusal(R.BAD_PARAMETERS)
            if vat is not None and vat not in VAT_RATES:
                raise RegisterRefusal(R.BAD_PARAMETERS)
            lines = [item_line(i.get("name", ""), i.get("price"), i.get("quantity"),
                               i.get("amount"), i.get("vat") or "none",
                               i.get("payment_method") or "full_payment",
                               i.get("payment_object") or "commodity", i.get("measure"),
                               i.get("agent"), i.get("supplier"), i.get("sku"))
                     for i in items or []]
            sum_items = lines_total(lines)
            total = money(total) if total is not None else sum_items
            if lines and abs(total - sum_items) > KOPECK:
                raise RegisterRefusal(R.BAD_PARAMETERS)
            settled = _settle(t, reg, operation, total, payments or {"cash": total})
            number = reg["receipt_number"] + 1
            t.update(receipt_number=number)
            details = {"correction_type": correction_type, "base": plain(base),
                       "items": lines or None, "vat": vat, **settled,
                       "taxation": taxation or "osn", "cashier": plain(cashier)}
            return _issue(t, now, "correction", fiscal=True, operation=operation, total=total,
                          number_in_shift=number, details=details)

    # cash -----------------------------------------------------------------------------------
    def cash_in(self, amount: Any, cashier: Mapping | None = None) -> FiscalDocument:
        return self._cash("cash_in", amount, cashier)

    def cash_out(self, amount: Any, cashier: Mapping | None = None) -> FiscalDocument:
        return self._cash("cash_out", amount, cashier)

    def _cash(self, doc_type: str, amount: Any, cashier: Mapping | None) -> FiscalDocument:
        with self.memory.transaction() as t:
            reg, now = _begin(t)
            _printer(reg)
            _no_receipt(reg)
            _shift(reg, now)
            amount = money(amount)
            if amount <= 0:
                raise RegisterRefusal(R.BAD_PARAMETERS)
            drawer = reg["cash_in_drawer"]
            if doc_type == "cash_out":
                if amount > drawer:
                    raise RegisterRefusal(R.NOT_ENOUGH_CASH)
                drawer -= amount
            else:
                drawer += amount
            t.update(cash_in_drawer=drawer)
            return _issue(t, now, doc_type, fiscal=False, total=amount,
                          details={"cashier": plain(cashier), "cash_in_drawer": str(drawer)})

    # service --------------------------------------------------------------------------------
    def continue_printing(self) -> None:
        """Finish printing after paper was loaded (Shtrih 0xB0); harmless when not waiting."""
        with self.memory.transaction() as t:
            reg, _ = _begin(t)
            if reg["paper"] == "out":
                raise RegisterRefusal(R.NO_PAPER)
            if reg["paper"] == "continue":
                t.update(paper="ok", paper_active=False)

    def reprint_last(self) -> None:
        with self.memory.transaction() as t:
            reg, _ = _begin(t)
            _printer(reg)
            _no_receipt(reg)
            if reg["last_doc_number"] == 0:
                raise RegisterRefusal(R.NOTHING_TO_REPEAT)

    def cut(self) -> None:
        with self.memory.transaction() as t:
            reg, _ = _begin(t)
            _printer(reg)

    def paper_runs_out(self) -> None:
        """The paper ends now (mid-receipt this is the active absence, submode 2)."""
        self.memory.set_paper(False)


# checks and helpers (all run inside the command's transaction) --------------------------------
def _begin(t: Transaction) -> tuple[dict[str, Any], datetime]:
    reg = t.register()
    return reg, register_clock(reg["clock_offset"])


def _expired(reg: Mapping[str, Any], now: datetime) -> bool:
    return bool(reg["shift_open"] and reg["shift_opened_at"] is not None
                and now - reg["shift_opened_at"] >= SHIFT_LIMIT)


def _printer(reg: Mapping[str, Any]) -> None:
    if reg["paper"] == "continue":
        raise RegisterRefusal(R.WAITING_CONTINUE_PRINTING)
    if reg["paper"] == "out":
        raise RegisterRefusal(R.NO_PAPER)


def _no_receipt(reg: Mapping[str, Any]) -> None:
    if reg["open_receipt"] is not None:
        raise RegisterRefusal(R.RECEIPT_OPEN)


def _shift(reg: Mapping[str, Any], now: datetime) -> None:
    if not reg["shift_open"]:
        raise RegisterRefusal(R.SHIFT_NOT_OPEN)
    if _expired(reg, now):
        raise RegisterRefusal(R.SHIFT_EXPIRED)


def _fn(reg: Mapping[str, Any], now: datetime) -> None:
    if now.date() > reg["fn_expires_on"]:
        raise RegisterRefusal(R.FN_EXPIRED)


def _open_receipt(t: Transaction, reg: dict, now: datetime, operation: str) -> dict:
    if operation not in MODE_STATUS:
        raise RegisterRefusal(R.BAD_PARAMETERS)
    _printer(reg)
    _no_receipt(reg)
    _shift(reg, now)
    _fn(reg, now)
    receipt = {"operation": operation, "items": [], "opened_at": now.isoformat()}
    t.update(open_receipt=receipt)
    return receipt


def _settle(t: Transaction, reg: Mapping[str, Any], operation: str, total: Decimal,
            payments: Mapping[str, Any]) -> dict[str, Any]:
    """Check the payments against the total, move the drawer; the receipt's payment details."""
    s = settle(total, payments)
    drawer = reg["cash_in_drawer"]
    if operation in CASH_INFLOW:
        drawer += s.net_cash
    elif s.net_cash > drawer:
        raise RegisterRefusal(R.NOT_ENOUGH_CASH)
    else:
        drawer -= s.net_cash
    t.update(cash_in_drawer=drawer)
    return {"payments": [{"type": k, "amount": str(v)} for k, v in s.paid.items()],
            "change": str(s.change)}


def _summary(t: Transaction, reg: Mapping[str, Any]) -> dict[str, Any]:
    """Shift totals for X and Z reports."""
    counts: dict[str, int] = {}
    totals: dict[str, Decimal] = {}
    for doc in t.documents(shift_number=reg["shift_number"]):
        key = doc.operation if doc.doc_type == "receipt" else doc.doc_type
        if doc.doc_type in ("receipt", "correction", "cash_in", "cash_out"):
            counts[key] = counts.get(key, 0) + 1
            totals[key] = totals.get(key, Decimal("0.00")) + (doc.total or 0)
    return {"shift_number": reg["shift_number"], "counts": counts,
            "totals": {k: str(v) for k, v in totals.items()},
            "cash_in_drawer": str(reg["cash_in_drawer"])}


def _issue(t: Transaction, now: datetime, doc_type: str, *, fiscal: bool,
           operation: str | None = None, total: Decimal | None = None,
           number_in_shift: int | None = None, details: Mapping | None = None
           ) -> FiscalDocument:
    """Number and store a document; fiscal ones get the next FD number and a fiscal sign."""
    reg = t.register()
    doc_number = reg["last_doc_number"] + 1
    fd = reg["last_fd_number"] + 1 if fiscal else None
    sign = (fiscal_sign(reg["serial_number"], reg["fn_number"], fd, total, now)
            if fiscal else None)
    t.update(last_doc_number=doc_number, **({"last_fd_number": fd} if fiscal else {}))
    return t.add_document(FiscalDocument(
        doc_type=doc_type, doc_number=doc_number, issued_at=now, fd_number=fd,
        fiscal_sign=sign, fn_number=reg["fn_number"] if fiscal else None,
        shift_number=reg["shift_number"], number_in_shift=number_in_shift,
        operation=operation, total=total, details=plain(details) or {}))
