"""The virtual driver: URLs, receipts, refusals mapped to error kinds, and every fault."""
from __future__ import annotations

import multiprocessing
import os
import signal
import threading
import time
from decimal import Decimal as D
from pathlib import Path

import pytest

from fiscal.drivers.base import (Ambiguous, NeedsOperator, NotPrinted, RegisterOffline)
from fiscal.drivers.virtual import VirtualDriver, memory_path
from fiscal.simulators.fiscal_memory import FiscalMemory

CASHIER = {"name": "Иванова А.", "inn": "500100732259"}


def body(*items, payments=None, operation="sell", **extra) -> dict:
    items = items or (("Борщ", "350.00", "2.000"), ("Чай", "150.50", "1.000"))
    lines = [{"name": n, "price": D(p), "quantity": D(q), "amount": D(p) * D(q),
              "measure": "piece", "vat": "vat20", "payment_method": "full_payment",
              "payment_object": "commodity", "agent": None, "supplier": None, "sku": None}
             for n, p, q in items]
    total = sum((line["amount"] for line in lines), D("0")).quantize(D("0.01"))
    return {"operation": operation, "taxation": "osn", "items": lines,
            "payments": payments or [{"type": "cash", "amount": total}], "customer": None,
            "total": total, "paperless": False, "refund_of": None, **extra}


@pytest.fixture
def path(tmp_path) -> Path:
    return tmp_path / "kkt.sqlite"


@pytest.fixture
def memory(path) -> FiscalMemory:
    return FiscalMemory(path)


@pytest.fixture
def driver(path, memory):
    drv = VirtualDriver(f"virtual://{path}")
    drv.open()
    yield drv
    drv.close()


@pytest.fixture
def shift(driver):
    driver.open_shift(CASHIER)
    return driver


# URLs -------------------------------------------------------------------------------------------
def test_url_forms(tmp_path, monkeypatch):
    assert memory_path("virtual:///srv/kkt/a.sqlite") == Path("/srv/kkt/a.sqlite")
    assert memory_path("virtual://front", {"data_dir": str(tmp_path)}) == \
        tmp_path / "registers" / "front.sqlite"
    monkeypatch.setenv("FISCALHUB_DATA_DIR", "/data/hub")
    assert memory_path("virtual://bar-1") == Path("/data/hub/registers/bar-1.sqlite")
    monkeypatch.delenv("FISCALHUB_DATA_DIR")
    assert memory_path("virtual://bar") == Path("./var/registers/bar.sqlite")
    for bad in ("shtrih:///dev/ttyUSB0", "virtual://a/b", "virtual://../x", "virtual:relative"):
        with pytest.raises(ValueError):
            memory_path(bad)


def test_named_register_is_created_under_the_data_dir(tmp_path):
    drv = VirtualDriver("virtual://front-desk", {"data_dir": str(tmp_path)})
    with drv:
        serial = drv.identity().serial_number
    assert (tmp_path / "registers" / "front-desk.sqlite").exists()
    assert VirtualDriver("virtual://front-desk",
                         {"data_dir": str(tmp_path)}).identity().serial_number == serial


# documents ------------------------------------------------------------------------------------
def test_receipt_is_registered_and_read_back(shift, memory):
    before = shift.last_document()
    doc = shift.receipt(body(payments=[{"type": "cash", "amount": D("1000")},
                                       {"type": "electronic", "amount": D("0.50")}]), CASHIER)
    assert (doc.doc_type, doc.operation, doc.total, doc.fd_number) == \
        ("receipt", "sell", D("850.50"), before + 1)
    assert doc.details["change"] == "150.00"
    assert doc.details["cashier"] == CASHIER
    assert shift.document(doc.fd_number) == doc
    assert shift.status().cash_in_drawer == D("850.00")
    result = doc.as_result()
    assert result["receipt_number"] == 1 and result["total"] == "850.50"


def test_correction(shift):
    doc = shift.correction({"operation": "sell", "correction_type": "self",
                            "base": {"date": "2026-11-20", "number": "7", "name": "Акт"},
                            "taxation": "osn", "items": None, "vat": "vat20",
                            "payments": [{"type": "electronic", "amount": D("120.00")}],
                            "total": D("120.00")})
    assert (doc.doc_type, doc.total, doc.fd_number) == ("correction", D("120.00"), 2)
    assert shift.document(2).details["base"]["name"] == "Акт"


def test_service_calls_are_harmless_when_nothing_is_pending(shift):
    shift.cancel_receipt()
    shift.continue_printing()
    shift.x_report()
    shift.reprint_last()
    shift.cut()
    assert shift.status().last_doc_number == 2                # open shift + X report


# refusals → error kinds -----------------------------------------------------------------------
def test_not_printed_refusals(driver, memory):
    with pytest.raises(NotPrinted) as info:
        driver.receipt(body())
    err = info.value
    assert type(err) is NotPrinted
    assert (err.code, err.device_code, err.kind) == ("shift_not_open", 0x3D, "not_printed")
    assert "Смена не открыта" in err.message and err.action
    assert err.message_ru.startswith("Смена") and err.message_en == \
        "shift not open: operation impossible"
    driver.open_shift()
    with pytest.raises(NotPrinted) as info:
        driver.open_shift()
    assert (info.value.code, info.value.device_code) == ("shift_already_open", 0x3C)
    with pytest.raises(NotPrinted) as info:
        driver.receipt(body(payments=[{"type": "cash", "amount": D("1")}]))
    assert info.value.code == "payments_less_than_total"
    assert not driver.status().receipt_open                   # the driver cleaned up
    assert driver.last_document() == 1


def test_total_that_does_not_match_the_items_is_not_printed(shift):
    with pytest.raises(NotPrinted) as info:
        shift.receipt(body(total=D("999.00")))
    assert info.value.code == "total_mismatch"
    st = shift.status()
    assert not st.receipt_open and st.last_fd_number == 1


def test_receipt_open_refusal_leaves_the_other_receipt_alone(shift, memory):
    from fiscal.simulators.register import SimulatedRegister
    SimulatedRegister(memory).open_receipt("sell")
    with pytest.raises(NotPrinted) as info:
        shift.receipt(body())
    assert (info.value.code, info.value.device_code) == ("receipt_open", 0x4A)
    assert shift.status().receipt_open
    shift.cancel_receipt()
    assert not shift.status().receipt_open


def test_shift_over_24_hours_needs_an_operator(shift, memory):
    memory.advance_clock(24 * 3600 + 60)
    with pytest.raises(NeedsOperator) as info:
        shift.receipt(body())
    err = info.value
    assert (err.code, err.device_code, err.kind) == ("shift_expired", 0x4E, "needs_operator")
    assert "Смена превысила 24 часа" in err.message
    assert "Z report" in err.action
    assert shift.close_shift().doc_type == "close_shift"


def test_not_enough_cash_needs_an_operator(shift):
    with pytest.raises(NeedsOperator) as info:
        shift.receipt(body(operation="sell_refund"))
    assert (info.value.code, info.value.device_code) == ("not_enough_cash", 0x46)
    with pytest.raises(NeedsOperator):
        shift.cash_out(D("1"))
    shift.cash_in(D("2000"))
    assert shift.receipt(body(operation="sell_refund")).operation == "sell_refund"
    assert shift.status().cash_in_drawer == D("1149.50")


def test_paper_out_needs_an_operator(shift, memory):
    memory.set_paper(False)
    with pytest.raises(NeedsOperator) as info:
        shift.receipt(body())
    assert (info.value.code, info.value.device_code, info.value.action) == \
        ("paper_out", 0x6B, "Load paper, then repeat the job")
    memory.set_paper(True)
    assert shift.receipt(body()).fd_number == 2


def test_fn_error_needs_an_operator(shift, memory):
    memory.arm_fault("refuse", on="receipt", code=0x03)
    with pytest.raises(NeedsOperator) as info:
        shift.receipt(body())
    assert (info.value.code, info.value.device_code) == ("fn_error", 0x03)
    assert "ФН" in info.value.message
    memory.arm_fault("refuse", on="open_shift", code=0x8E)
    with pytest.raises(NotPrinted) as info:
        shift.open_shift()
    assert not isinstance(info.value, NeedsOperator) and info.value.code == "zero_total"
    assert shift.last_document() == 1


# faults -------------------------------------------------------------------------------------
def test_fail_before_sending(shift, memory):
    memory.arm_fault("fail_before_sending", on="receipt")
    with pytest.raises(NotPrinted) as info:
        shift.receipt(body())
    assert info.value.code == "send_failed" and not isinstance(info.value, NeedsOperator)
    st = shift.status()
    assert st.last_fd_number == 1 and not st.receipt_open
    assert shift.receipt(body()).fd_number == 2               # consumed: the next one prints


def test_offline_on_open_and_on_a_call(path, memory):
    memory.arm_fault("offline", on="open")
    drv = VirtualDriver(f"virtual://{path}")
    with pytest.raises(RegisterOffline):
        drv.open()
    drv.open()
    memory.arm_fault("offline", on="status")
    with pytest.raises(RegisterOffline) as info:
        drv.status()
    assert info.value.kind == "offline" and isinstance(info.value, NotPrinted)
    memory.arm_fault("offline", on="open_shift")
    with pytest.raises(RegisterOffline):
        drv.open_shift()
    assert drv.status().last_fd_number == 0


def test_offline_on_any_hits_open_first(path, memory):
    memory.arm_fault("offline", on="any", times=2)
    drv = VirtualDriver(f"virtual://{path}")
    with pytest.raises(RegisterOffline):
        drv.open()
    with pytest.raises(RegisterOffline):
        drv.identity()
    assert drv.identity().model == "Virtual register"


def test_fail_after_printing_registers_then_is_ambiguous(shift, memory):
    memory.arm_fault("fail_after_printing", on="receipt")
    before = shift.last_document()
    with pytest.raises(Ambiguous) as info:
        shift.receipt(body())
    assert info.value.kind == "ambiguous" and info.value.code == "answer_lost"
    assert shift.last_document() == before + 1
    doc = shift.document(before + 1)
    assert (doc.doc_type, doc.total, doc.operation) == ("receipt", D("850.50"), "sell")
    assert not shift.status().receipt_open


def test_fail_after_printing_on_cash_in(shift, memory):
    memory.arm_fault("fail_after_printing", on="any")
    with pytest.raises(Ambiguous):
        shift.cash_in(D("10"))
    assert shift.status().cash_in_drawer == D("10.00")


def test_paper_out_mid_receipt_then_continue(shift, memory):
    memory.arm_fault("paper_out", on="receipt")
    with pytest.raises(NeedsOperator) as info:
        shift.receipt(body(("А", "1", "1"), ("Б", "2", "1"), ("В", "3", "1")))
    assert info.value.code == "paper_out"
    st = shift.status()
    assert st.receipt_open and st.paper == "out" and st.last_fd_number == 1
    assert len(memory.state()["open_receipt"]["items"]) == 2   # ran out after half the items
    with pytest.raises(NeedsOperator):
        shift.cancel_receipt()                                 # cannot print the cancellation
    memory.set_paper(True)
    assert shift.status().paper == "continue"
    with pytest.raises(NeedsOperator) as info:
        shift.x_report()
    assert (info.value.code, info.value.device_code) == ("continue_printing", 0x58)
    shift.cancel_receipt()                                     # continues, then cancels
    st = shift.status()
    assert not st.receipt_open and st.paper == "ok"
    assert shift.receipt(body()).fd_number == 2


def test_paper_out_on_a_one_item_receipt_and_on_other_calls(shift, memory):
    memory.arm_fault("paper_out", on="receipt")
    with pytest.raises(NeedsOperator):
        shift.receipt(body(("А", "1", "1")))
    assert len(memory.state()["open_receipt"]["items"]) == 1
    memory.set_paper(True)
    shift.continue_printing()
    shift.cancel_receipt()
    memory.arm_fault("paper_out", on="close_shift")
    with pytest.raises(NeedsOperator):
        shift.close_shift()
    assert shift.status().shift_open and shift.status().paper == "out"


def test_hang_before_and_after_then_go_on(shift, memory):
    memory.arm_fault("hang", on="receipt", seconds=0.15, point="before")
    started = time.monotonic()
    assert shift.receipt(body()).fd_number == 2
    assert time.monotonic() - started >= 0.15
    memory.arm_fault("hang", on="cash_in", seconds=0.1, point="after")
    started = time.monotonic()
    assert shift.cash_in(D("5")).total == D("5.00")
    assert time.monotonic() - started >= 0.1
    assert memory.hanging() is None


@pytest.mark.parametrize("point,registered,receipt_open", [
    ("before", False, False), ("during", False, True), ("after", True, False)])
def test_hang_is_released_by_clear_faults(shift, memory, point, registered, receipt_open):
    memory.arm_fault("hang", on="receipt", seconds=30, point=point)
    done: list = []
    worker = threading.Thread(target=lambda: done.append(shift.receipt(body())))
    worker.start()
    info = _wait_for_hang(memory)
    assert (info["method"], info["point"], info["pid"]) == ("receipt", point, os.getpid())
    st = memory.state()
    assert (st["last_fd_number"] == 2) is registered
    assert (st["open_receipt"] is not None) is receipt_open
    FiscalMemory(memory.path).clear_faults()                    # as another process would
    worker.join(timeout=5)
    assert not worker.is_alive() and done[0].fd_number == 2


def test_reading_methods_hang_too(shift, memory):
    memory.arm_fault("hang", on="status", seconds=30)
    memory.arm_fault("fail_before_sending", on="status")     # not a fault for a read
    done: list = []
    worker = threading.Thread(target=lambda: done.append(shift.status()))
    worker.start()
    assert _wait_for_hang(memory)["method"] == "status"
    memory.clear_faults()
    worker.join(timeout=5)
    assert done and done[0].shift_open
    memory.arm_fault("hang", on="last_document", seconds=0.05, point="after")
    assert shift.last_document() == 1


def _wait_for_hang(memory: FiscalMemory, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        info = memory.hanging()
        if info is not None:
            return info
        time.sleep(0.01)
    raise AssertionError("the driver never hung")


# processes ----------------------------------------------------------------------------------
def _print_receipts(path: str, count: int, out) -> None:
    drv = VirtualDriver(f"virtual://{path}")
    with drv:
        out.put([drv.receipt(body(("Чай", "10", "1"))).fd_number for _ in range(count)])


def test_two_processes_get_distinct_consecutive_fd_numbers(shift, path):
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_print_receipts, args=(str(path), 15, out)) for _ in range(2)]
    for p in procs:
        p.start()
    got = [out.get(timeout=60), out.get(timeout=60)]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    for fds in got:
        assert fds == sorted(fds)
    assert sorted(got[0] + got[1]) == list(range(2, 32))
    assert shift.status().cash_in_drawer == D("300.00")


def _hang_after_receipt(path: str) -> None:
    with VirtualDriver(f"virtual://{path}") as drv:
        drv.receipt(body())


@pytest.mark.parametrize("point", ["during", "after"])
def test_kill_9_while_hanging(shift, memory, path, point):
    memory.arm_fault("hang", on="receipt", seconds=60, point=point)
    ctx = multiprocessing.get_context("fork")
    proc = ctx.Process(target=_hang_after_receipt, args=(str(path),))
    proc.start()
    info = _wait_for_hang(memory)
    assert info["pid"] == proc.pid
    os.kill(proc.pid, signal.SIGKILL)
    proc.join(timeout=10)
    assert proc.exitcode == -signal.SIGKILL
    st = shift.status()
    if point == "after":                       # registered before the worker died
        assert st.last_fd_number == 2 and not st.receipt_open
        assert shift.document(2).total == D("850.50")
    else:                                      # left open: cancel, then print again
        assert st.last_fd_number == 1 and st.receipt_open
        shift.cancel_receipt()
    memory.clear_faults()
    assert shift.receipt(body()).fd_number == st.last_fd_number + 1   # the lock died too
