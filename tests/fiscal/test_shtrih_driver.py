"""The Shtrih-M driver against the emulator, over a pty and over TCP: receipts, error kinds
with the register's own words, and the line faults that must not print anything twice."""
from decimal import Decimal

import pytest

from fiscal.drivers.base import Ambiguous, NeedsOperator, NotPrinted, RegisterOffline
from fiscal.drivers.shtrih import ShtrihDriver
from fiscal.samples import sample_receipt
from fiscal.schemas import load_job
from fiscal.simulators.shtrih import ShtrihEmulator
from fiscal.simulators.shtrih_faults import arm_wire_fault

FAST = {"timeout_scale": 0.05}


@pytest.fixture(params=["pty", "tcp"])
def line(request, tmp_path):
    with ShtrihEmulator(tmp_path / "shtrih.sqlite") as emulator:
        url = (emulator.start_pty() if request.param == "pty"
               else f"socket://127.0.0.1:{emulator.start_tcp()}")
        driver = ShtrihDriver(url, FAST)
        with driver:
            yield driver, emulator.memory


def receipt(**overrides):
    body = load_job(sample_receipt("r", **overrides))
    return body["receipt"], body["cashier"]


def test_a_receipt_with_mixed_payments_and_a_customer(line):
    driver, memory = line
    driver.open_shift({"name": "Иванова А."})
    doc = driver.receipt(*receipt(payments=[{"type": "cash", "amount": "500.50"},
                                            {"type": "electronic", "amount": "350.00"}],
                                  customer={"phone": "+79991234567"}))
    stored = memory.document(doc.fd_number)
    assert (doc.doc_type, doc.operation, doc.total) == ("receipt", "sell", Decimal("850.50"))
    assert doc.fiscal_sign == stored.fiscal_sign and doc.shift_number == 1
    assert driver.status().cash_in_drawer == Decimal("500.50")
    assert driver.document(doc.fd_number).total == Decimal("850.50")
    assert driver.document(doc.fd_number + 10) is None


def test_refusals_carry_the_registers_own_words(line):
    driver, _ = line
    with pytest.raises(NotPrinted) as err:
        driver.receipt(*receipt())                      # no shift open, no auto-open here
    assert err.value.device_code == 0x3D and err.value.code == "shift_not_open"
    assert "Смена не открыта" in err.value.message
    driver.open_shift(None)
    with pytest.raises(NeedsOperator) as err:
        driver.cash_out(Decimal("1000000.00"))
    assert err.value.code == "not_enough_cash" and "Deposit cash" in err.value.action


def test_a_rate_the_register_has_no_tax_group_for_is_refused_before_sending(line):
    driver, memory = line
    driver.open_shift(None)
    items = [{"name": "Услуга", "price": "100.00", "quantity": "1", "amount": "100.00",
              "vat": "vat5"}]
    with pytest.raises(NeedsOperator) as err:
        driver.receipt(*receipt(items=items, total="100.00"))
    assert err.value.code == "unsupported_vat" and "tax_groups" in err.value.action
    assert memory.documents("receipt") == []


def test_lost_ack_and_corrupted_answers_execute_once(line):
    driver, memory = line
    driver.open_shift(None)
    arm_wire_fault(memory, "lose_ack", 0xFF45)
    arm_wire_fault(memory, "corrupt_answer_byte", 0xFF46)
    arm_wire_fault(memory, "nak_frame", 0xFF0C)
    doc = driver.receipt(*receipt())
    assert [d.fd_number for d in memory.documents("receipt")] == [doc.fd_number]
    assert memory.document(doc.fd_number).total == Decimal("850.50")


def test_silence_after_the_frame_is_ambiguous_not_a_resend(line):
    driver, memory = line
    driver.open_shift(None)
    arm_wire_fault(memory, "stop_answering", 0x50, point="after", seconds=3)
    with pytest.raises(Ambiguous):
        driver.cash_in(Decimal("100.00"))
    memory.clear_faults()
    assert driver.status().cash_in_drawer == Decimal("100.00")     # executed exactly once


def test_nothing_on_the_line_is_offline(tmp_path):
    with ShtrihEmulator(tmp_path / "shtrih.sqlite") as emulator:
        port = emulator.start_tcp()
    driver = ShtrihDriver(f"socket://127.0.0.1:{port}", FAST)
    with pytest.raises(RegisterOffline):
        driver.open()
        driver.status()
