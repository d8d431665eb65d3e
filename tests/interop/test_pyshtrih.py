"""pyshtrih 2.0.6 (an independent Shtrih-M client from PyPI) against the emulator's pty.

research/fiscal.md §2: pyshtrih's Response objects crash on str() under Python 3.11 (so they are
never printed or compared whole: values are read by key), it resends a frame whose ACK it
misses, and it polls forever while the paper is out — so every call runs in a thread with a
timeout and a hang fails the test instead of blocking it.
"""
from __future__ import annotations

import threading
from decimal import Decimal

import pytest

pyshtrih = pytest.importorskip("pyshtrih")

from fiscal.simulators.fiscal_memory import FiscalMemory  # noqa: E402
from fiscal.simulators.shtrih import ShtrihEmulator  # noqa: E402
from fiscal.simulators.shtrih_faults import arm_wire_fault  # noqa: E402

ERR = "Код ошибки"
TIMEOUT = 5.0


class Call:
    """A pyshtrih call in a daemon thread."""

    def __init__(self, fn, *args, **kwargs):
        self.result = self.error = None
        self.thread = threading.Thread(target=self._run, args=(fn, args, kwargs), daemon=True)
        self.name = getattr(fn, "__name__", "call")
        self.thread.start()

    def _run(self, fn, args, kwargs):
        try:
            self.result = fn(*args, **kwargs)
        except BaseException as exc:          # re-raised in the test's thread
            self.error = exc

    def wait(self, timeout: float = TIMEOUT):
        self.thread.join(timeout)
        if self.thread.is_alive():
            pytest.fail(f"pyshtrih {self.name}() still running after {timeout} s")
        if self.error is not None:
            raise self.error
        return self.result

    def running_after(self, seconds: float) -> bool:
        self.thread.join(seconds)
        return self.thread.is_alive()


def call(fn, *args, **kwargs):
    return Call(fn, *args, **kwargs).wait()


def error_code(fn, *args, **kwargs) -> int:
    with pytest.raises(pyshtrih.Error) as info:
        call(fn, *args, **kwargs)
    return info.value.code


@pytest.fixture
def emu(tmp_path):
    with ShtrihEmulator(tmp_path / "shtrih.sqlite") as e:
        e.start_pty()
        yield e


@pytest.fixture
def memory(emu):
    return FiscalMemory(emu.memory_path)


def device(emu, **kwargs):
    dev = pyshtrih.ShtrihM01F(port=emu.pty_path, baudrate=115200, timeout=1, **kwargs)
    call(dev.connect)
    return dev


@pytest.fixture
def dev(emu):
    d = device(emu)
    yield d
    d.disconnect()


def test_connect_reads_the_device_type(dev):
    assert dev.dev_info[ERR] == 0
    assert dev.dev_info["Название устройства"] == "ШТРИХ-М-01Ф"
    assert dev.dev_info["Модель устройства"] not in (4, 9, 12)
    assert dev.name == "ШТРИХ-М-01Ф"


def test_short_and_full_status(dev, memory):
    state = call(dev.state)
    assert state[ERR] == 0
    assert state["Режим ФР"].num == 4 and state["Подрежим ФР"].num == 0
    assert state["Порядковый номер оператора"] == 1
    full = call(dev.full_state)
    reg = memory.state()
    assert full[ERR] == 0
    assert full["Заводской номер"] == int(reg["serial_number"])
    assert full["Дата"] == memory.clock().date()
    assert full["Сквозной номер текущего документа"] == reg["last_doc_number"]
    assert full["Режим ФР"].num == 4


def test_a_shift_with_a_legacy_sale_reports_and_cash(dev, memory):
    assert call(dev.open_shift)[ERR] == 0
    assert call(dev.state)["Режим ФР"].num == 2
    assert call(dev.income, 100000)[ERR] == 0                    # 1000.00 in
    assert call(dev.open_check, 0)[ERR] == 0
    assert call(dev.state)["Режим ФР"].state == (8, 0)          # open sale receipt
    assert call(dev.sale, ("Кофе", 2000, 15000), tax1=1)[ERR] == 0
    assert call(dev.sale, ("Круассан", 1000, 9950))[ERR] == 0
    closed = call(dev.close_check, 50000)
    assert closed[ERR] == 0 and closed["Сдача"] == 50000 - 39950
    receipt = memory.documents("receipt")[-1]
    assert receipt.total == Decimal("399.50") and receipt.operation == "sell"
    assert [i["name"] for i in receipt.details["items"]] == ["Кофе", "Круассан"]
    assert receipt.details["items"][0]["quantity"] == "2.000"
    assert receipt.details["items"][0]["vat"] == "vat20"
    assert call(dev.x_report)[ERR] == 0
    out = call(dev.outcome, 20000)
    assert out[ERR] == 0 and out["Сквозной номер документа"] == memory.state()["last_doc_number"]
    drawer = call(dev.request_monetary_register, 241)["Содержимое регистра"]
    assert drawer == 100000 + 39950 - 20000
    assert call(dev.cut)[ERR] == 0
    assert call(dev.z_report)[ERR] == 0
    assert call(dev.state)["Режим ФР"].num == 4
    assert [d.doc_type for d in memory.documents()] == [
        "open_shift", "cash_in", "receipt", "x_report", "cash_out", "close_shift"]


def test_fn_commands(dev, memory):
    call(dev.open_shift)
    fs = call(dev.fs_state)
    assert fs[ERR] == 0 and fs["Номер последнего ФД"] == 1
    assert bytes(fs["Номер ФН"]).decode() == memory.state()["fn_number"]
    params = call(dev.fs_shift_params)
    assert params["Номер смены"] == 1
    doc = call(dev.fs_find_document_by_num, 1)
    assert doc["Тип фискального документа"] == 2                 # shift open
    data = bytes(doc["Данные фискального документа"])
    assert int.from_bytes(data[5:9], "little") == 1              # its FD number
    assert int.from_bytes(data[9:13], "little") == int(memory.document(1).fiscal_sign)
    assert error_code(dev.fs_find_document_by_num, 99) == 0x08   # FN: no such document


def test_the_errors_a_register_gives(emu, dev):
    with pytest.raises(pyshtrih.OpenCheckError) as info:
        call(dev.open_check, 0)                                  # shift closed
    assert info.value.code == 0x3D
    with pytest.raises(pyshtrih.ItemSaleError) as info:
        call(dev.sale, ("Кофе", 1000, 15000))                    # a sale opens no receipt
    assert info.value.code == 0x3D
    assert error_code(dev.z_report) == 0x3D                      # no shift to close
    assert error_code(dev.cancel_check) == 0x55                  # no receipt open
    assert error_code(dev.repeat) == 0x56                        # nothing to repeat
    wrong = device(emu, password=31)
    assert error_code(wrong.state) == 0x4F                       # wrong password
    cashier_as_admin = device(emu, admin_password=2)
    assert error_code(cashier_as_admin.z_report) == 0x4F
    call(dev.open_shift)
    call(dev.open_check, 0)
    with pytest.raises(pyshtrih.CloseCheckError) as info:
        call(dev.close_check, 100)                               # nothing sold
    assert info.value.code == 0x8E


def test_pyshtrih_resends_a_nakked_frame_and_it_runs_once(dev, memory):
    call(dev.open_shift)
    arm_wire_fault(memory, "nak_frame", 0x50, times=2)
    assert call(dev.income, 5000)[ERR] == 0
    assert len(memory.documents("cash_in")) == 1
    assert memory.state()["cash_in_drawer"] == Decimal("50.00")


def test_pyshtrih_resends_a_frame_whose_ack_is_lost_and_it_runs_twice(dev, memory):
    """The at-least-once hazard of protocol v1 (research/fiscal.md §1.1): pyshtrih resends the
    frame when the ACK does not come, and the register executes it again."""
    call(dev.open_shift)
    arm_wire_fault(memory, "lose_ack", 0x50)
    try:
        call(dev.income, 5000)
    except pyshtrih.ProtocolError:
        pass                                # it may not make sense of what follows either
    assert len(memory.documents("cash_in")) >= 2


def test_pyshtrih_reads_a_truncated_answer_again(dev, memory):
    call(dev.open_shift)
    arm_wire_fault(memory, "corrupt_answer_byte", 0x11)
    assert call(dev.full_state)[ERR] == 0                        # NAK, ENQ, the answer again


def test_paper_out_makes_pyshtrih_poll_until_paper_is_loaded(dev, memory):
    memory.set_paper(False)
    report = Call(dev.x_report)
    assert report.running_after(0.5)                             # polls 0x10 while submode 1
    assert memory.documents("x_report") == []
    memory.set_paper(True)
    assert report.wait()[ERR] == 0
    assert len(memory.documents("x_report")) == 1


def test_paper_runs_out_in_the_middle_of_a_receipt(dev, memory):
    call(dev.open_shift)
    call(dev.open_check, 0)
    call(dev.sale, ("Чай", 1000, 5000))
    arm_wire_fault(memory, "paper_runs_out", 0x80)
    with pytest.raises(pyshtrih.ItemSaleError) as info:
        call(dev.sale, ("Пирог", 1000, 7000))
    assert info.value.code == 0x6B
    state = call(dev.state)
    assert state["Подрежим ФР"].num == 2                         # ran out while printing
    memory.set_paper(True)
    assert call(dev.state)["Подрежим ФР"].num == 3               # waiting for continue
    assert call(dev.cancel_check)[ERR] == 0                      # pyshtrih sends 0xB0 first
    assert memory.state()["open_receipt"] is None
    assert call(dev.state)["Подрежим ФР"].num == 0
