"""The register driver contract, run over every built-in driver.

A driver joins by adding a factory to ``FACTORIES``: a function of a fresh ``tmp_path`` that
returns an unopened driver talking to a fresh register (an emulator for real protocols).
"""
from __future__ import annotations

from decimal import Decimal as D
from pathlib import Path
from typing import Callable

import pytest

from fiscal.drivers import builtin_drivers
from fiscal.drivers.base import (FiscalDocument, Identity, NeedsOperator, NotPrinted,
                                 RegisterDriver, RegisterStatus)


def _virtual(tmp_path: Path) -> RegisterDriver:
    from fiscal.drivers.virtual import VirtualDriver
    return VirtualDriver(f"virtual://{tmp_path / 'contract.sqlite'}")


def _shtrih(tmp_path: Path) -> RegisterDriver:
    """A Shtrih-M emulator on TCP; the driver's ``cleanup`` stops it."""
    from fiscal.drivers.shtrih import ShtrihDriver
    from fiscal.simulators.shtrih import ShtrihEmulator
    emulator = ShtrihEmulator(tmp_path / "shtrih.sqlite")
    port = emulator.start_tcp()
    drv = ShtrihDriver(f"socket://127.0.0.1:{port}", {"timeout_scale": 0.1})
    drv.cleanup = emulator.stop
    return drv


FACTORIES: dict[str, Callable[[Path], RegisterDriver]] = {
    "virtual": _virtual,
    "shtrih": _shtrih,
}

CASHIER = {"name": "Иванова А.", "inn": "500100732259"}
RECEIPT = {
    "operation": "sell", "taxation": "osn",
    "items": [{"name": "Борщ", "price": D("350.00"), "quantity": D("2.000"),
               "amount": D("700.00"), "measure": "piece", "vat": "vat20",
               "payment_method": "full_payment", "payment_object": "commodity",
               "agent": None, "supplier": None, "sku": None}],
    "payments": [{"type": "cash", "amount": D("1000.00")}],
    "customer": None, "total": D("700.00"), "paperless": False, "refund_of": None,
}


def test_every_builtin_driver_has_a_factory():
    assert set(builtin_drivers()) <= set(FACTORIES)


@pytest.fixture(params=sorted(builtin_drivers()))
def driver(request, tmp_path):
    cls = builtin_drivers()[request.param]
    drv = FACTORIES[request.param](tmp_path)
    assert isinstance(drv, cls) and drv.name == request.param
    drv.open()
    yield drv
    drv.close()
    getattr(drv, "cleanup", lambda: None)()


def test_identity_is_stable(driver):
    first = driver.identity()
    assert isinstance(first, Identity) and first.model and first.serial_number
    assert driver.identity() == first
    st = driver.status()
    assert isinstance(st, RegisterStatus)
    assert (st.model, st.serial_number) == (first.model, first.serial_number)


def test_open_shift(driver):
    if driver.status().shift_open:
        driver.close_shift(CASHIER)
    before = driver.last_document()
    doc = driver.open_shift(CASHIER)
    assert isinstance(doc, FiscalDocument) and doc.doc_type == "open_shift"
    assert doc.fd_number == before + 1
    st = driver.status()
    assert st.shift_open and not st.shift_expired and st.shift_number == doc.shift_number
    assert st.last_fd_number == driver.last_document() == doc.fd_number


def test_receipt_takes_the_next_fd_number_and_reads_back(driver):
    _ensure_shift(driver)
    before = driver.last_document()
    doc = driver.receipt(RECEIPT, CASHIER)
    assert (doc.doc_type, doc.operation, doc.total) == ("receipt", "sell", D("700.00"))
    assert doc.fd_number == before + 1 == driver.last_document()
    assert doc.fiscal_sign and doc.shift_number == driver.status().shift_number
    back = driver.document(doc.fd_number)
    assert back is not None
    assert (back.doc_type, back.operation, back.total, back.fd_number) == \
        (doc.doc_type, doc.operation, doc.total, doc.fd_number)
    assert driver.document(doc.fd_number + 1000) is None
    assert doc.as_result()["fd_number"] == doc.fd_number


def test_cash_in_and_out_move_the_drawer(driver):
    _ensure_shift(driver)
    start = driver.status().cash_in_drawer
    fd_before = driver.last_document()
    cash_in = driver.cash_in(D("500.00"), CASHIER)
    assert cash_in.doc_type == "cash_in" and cash_in.fd_number is None
    assert driver.status().cash_in_drawer == start + D("500.00")
    cash_out = driver.cash_out(D("200.00"), CASHIER)
    assert cash_out.doc_type == "cash_out" and cash_out.doc_number > cash_in.doc_number
    assert driver.status().cash_in_drawer == start + D("300.00")
    assert driver.last_document() == fd_before                 # not fiscal documents


def test_cancel_receipt_with_nothing_open_is_harmless(driver):
    driver.cancel_receipt()
    _ensure_shift(driver)
    before = driver.status()
    driver.cancel_receipt()
    after = driver.status()
    assert not after.receipt_open and after.last_fd_number == before.last_fd_number


def test_close_shift(driver):
    _ensure_shift(driver)
    driver.x_report()
    before = driver.last_document()
    doc = driver.close_shift(CASHIER)
    assert doc.doc_type == "close_shift" and doc.fd_number == before + 1
    assert not driver.status().shift_open


def test_refusals_carry_code_message_and_action(driver):
    if driver.status().shift_open:
        driver.close_shift()
    with pytest.raises(NotPrinted) as info:
        driver.receipt(RECEIPT, CASHIER)
    _assert_error(info.value, "shift_not_open")
    assert not isinstance(info.value, NeedsOperator)
    _ensure_shift(driver)
    drawer = driver.status().cash_in_drawer
    with pytest.raises(NeedsOperator) as info:
        driver.cash_out(drawer + D("1000.00"))
    _assert_error(info.value, "not_enough_cash")
    assert driver.status().cash_in_drawer == drawer


def _assert_error(err, code: str) -> None:
    assert err.code == code and err.message and err.action
    out = err.as_dict()
    assert out["code"] == code and out["kind"] == err.kind and out["action"] == err.action


def _ensure_shift(driver: RegisterDriver) -> None:
    st = driver.status()
    if st.shift_open and st.shift_expired:
        driver.close_shift()
    if not driver.status().shift_open:
        driver.open_shift(CASHIER)
