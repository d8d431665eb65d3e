"""What each kind of job asks of a register's driver: one call per kind, no I/O of its own.

The print service (``fiscal/printing.py``) decides *whether* and *when* a job goes to the
register; this module only says *which* driver call it is.
"""
from __future__ import annotations

from fiscal.drivers.base import FiscalDocument, RegisterDriver
from fiscal.model import JobKind


def execute(driver: RegisterDriver, kind: JobKind, body: dict,
            paperless_register: bool = False) -> FiscalDocument | dict | None:
    """Put the loaded job ``body`` of ``kind`` on the register. Documents come back as the
    driver's :class:`FiscalDocument`; the service kinds answer the register's status after."""
    cashier = body.get("cashier")
    if kind == JobKind.RECEIPT:
        receipt = dict(body["receipt"])
        receipt["paperless"] = bool(receipt.get("paperless") or paperless_register)
        return driver.receipt(receipt, cashier)
    if kind == JobKind.CORRECTION:
        return driver.correction(body["correction"], cashier)
    if kind == JobKind.OPEN_SHIFT:
        return driver.open_shift(cashier)
    if kind == JobKind.CLOSE_SHIFT:
        return driver.close_shift(cashier)
    if kind == JobKind.CASH_IN:
        return driver.cash_in(body["amount"], cashier)
    if kind == JobKind.CASH_OUT:
        return driver.cash_out(body["amount"], cashier)
    if kind == JobKind.X_REPORT:
        driver.x_report()
    elif kind == JobKind.CANCEL_RECEIPT:
        driver.cancel_receipt()
    elif kind == JobKind.REPRINT_LAST:
        driver.reprint_last()
    elif kind == JobKind.CUT:
        driver.cut()
    return {"status": driver.status().as_dict()}
