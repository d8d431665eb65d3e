"""The register engine: counters, shifts, the 24-hour limit, the drawer, paper, refusal codes."""
from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal as D

import pytest

from fiscal.simulators.fiscal_memory import FiscalMemory
from fiscal.simulators.refusals import RegisterRefusal
from fiscal.simulators.register import SimulatedRegister, fiscal_sign

DAY = 24 * 3600


@pytest.fixture
def memory(tmp_path) -> FiscalMemory:
    return FiscalMemory(tmp_path / "kkt.sqlite", model="ШТРИХ-М-01Ф")


@pytest.fixture
def reg(memory) -> SimulatedRegister:
    return SimulatedRegister(memory)


@pytest.fixture
def shift(reg) -> SimulatedRegister:
    reg.open_shift({"name": "Иванова А.", "inn": None})
    return reg


def refused(code: int, call, *args, **kwargs) -> RegisterRefusal:
    with pytest.raises(RegisterRefusal) as info:
        call(*args, **kwargs)
    assert info.value.device_code == code, info.value
    return info.value


def sell(reg, price="350.00", qty="2", payments=None, operation="sell"):
    reg.open_receipt(operation)
    reg.add_item("Борщ", D(price), D(qty), None, "vat20")
    return reg.close_receipt(payments or {"cash": D(price) * D(qty)}, "osn")


def test_fresh_register_identity_and_counters(reg):
    ident = reg.identity()
    assert ident.model == "ШТРИХ-М-01Ф"
    assert len(ident.serial_number) == 10 and ident.serial_number.isdigit()
    assert len(ident.fn_number) == 16 and ident.fn_number.isdigit()
    st = reg.status()
    assert (st.last_fd_number, st.last_doc_number, st.shift_number) == (0, 0, 0)
    assert not st.shift_open and st.paper == "ok" and st.cash_in_drawer == D("0.00")
    assert st.fn_expires_on > date.today()
    assert reg.modes() == (4, 0)


def test_open_and_close_shift_register_fiscal_documents(reg):
    opened = reg.open_shift({"name": "Иванова А."})
    assert (opened.doc_type, opened.fd_number, opened.doc_number, opened.shift_number) == \
        ("open_shift", 1, 1, 1)
    assert len(opened.fiscal_sign) == 10 and opened.fiscal_sign.isdigit()
    assert reg.status().shift_open and reg.modes() == (2, 0)
    refused(0x3C, reg.open_shift)                  # Shtrih: shift open, operation impossible
    closed = reg.close_shift()
    assert (closed.doc_type, closed.fd_number, closed.shift_number) == ("close_shift", 2, 1)
    assert not reg.status().shift_open and reg.status().shift_opened_at is None
    refused(0x3D, reg.close_shift)
    assert reg.open_shift().shift_number == 2


def test_receipt_numbers_fd_and_through_counter(shift, memory):
    first = sell(shift)
    shift.cash_in(D("100"))
    second = sell(shift)
    assert (first.fd_number, second.fd_number) == (2, 3)
    assert (first.doc_number, second.doc_number) == (2, 4)   # cash_in took doc 3, no FD
    assert (first.number_in_shift, second.number_in_shift) == (1, 2)
    assert shift.last_fd_number() == 3
    assert shift.document(3) == second
    shift.close_shift()
    shift.open_shift()
    assert sell(shift).number_in_shift == 1
    assert [d.doc_type for d in memory.documents()] == [
        "open_shift", "receipt", "cash_in", "receipt", "close_shift", "open_shift", "receipt"]


def test_receipt_needs_an_open_shift(reg):
    refused(0x3D, reg.open_receipt, "sell")
    refused(0x3D, reg.cash_in, D("10"))
    refused(0x3D, reg.correction, "sell", payments={"cash": D("10")}, total=D("10"))


def test_shift_over_24_hours(shift, memory):
    memory.advance_clock(DAY + 1)
    st = shift.status()
    assert st.shift_open and st.shift_expired
    assert shift.modes() == (3, 0)
    refused(0x4E, shift.open_receipt, "sell")
    refused(0x4E, shift.cash_in, D("10"))
    refused(0x4E, shift.correction, "sell", total=D("10"))
    shift.x_report()
    closed = shift.close_shift()                    # the Z report is still allowed
    assert closed.issued_at - st.shift_opened_at >= timedelta(hours=24)
    shift.open_shift()
    assert not shift.status().shift_expired
    sell(shift)


def test_shift_expiring_with_a_receipt_open_refuses_closing_it(shift, memory):
    shift.open_receipt("sell")
    shift.add_item("Чай", D("100"), D("1"))
    memory.advance_clock(DAY)
    refused(0x4E, shift.close_receipt, {"cash": D("100")})
    shift.cancel_receipt()
    shift.close_shift()


def test_receipt_state_refusals(shift):
    refused(0x55, shift.add_item, "Чай", D("1"), D("1"))
    refused(0x55, shift.close_receipt, {"cash": D("1")})
    refused(0x55, shift.cancel_receipt)
    refused(0x55, shift.subtotal)
    shift.open_receipt("sell_refund")
    assert shift.modes() == (0x28, 0)              # mode 8, status 2: sale refund
    refused(0x4A, shift.open_receipt, "sell")
    refused(0x4A, shift.open_shift)
    refused(0x4A, shift.close_shift)
    refused(0x4A, shift.cash_in, D("1"))
    refused(0x49, shift.add_item, "Чай", D("1"), D("1"), operation="sell")
    shift.cancel_receipt()
    assert not shift.status().receipt_open
    assert shift.last_fd_number() == 1             # a cancelled receipt registers nothing


def test_add_item_with_operation_opens_the_receipt(shift):
    assert shift.add_item("Чай", D("150.50"), D("2"), operation="sell") == D("301.00")
    state = shift.open_receipt_state()
    assert state["operation"] == "sell" and state["subtotal"] == D("301.00")
    assert shift.subtotal() == D("301.00")


def test_item_validation_and_rounding(shift):
    shift.open_receipt("sell")
    refused(0x33, shift.add_item, "Чай", D("100"), D("2"), D("250"))   # amount ≠ price × qty
    refused(0x33, shift.add_item, "Чай", D("100"), D("0"))
    refused(0x33, shift.add_item, "Чай", D("100"), D("1"), vat="vat99")
    refused(0x33, shift.add_item, "Чай", D("100"), D("1"), payment_method="gift")
    refused(0x33, shift.add_item, "Чай", "abc", D("1"))
    assert shift.add_item("Сыр", D("33.33"), D("0.333")) == D("11.10")   # 11.09889 half-up
    assert shift.add_item("Соль", D("0.335"), D("1")) == D("0.34")
    assert shift.add_item("Хлеб", D("10"), D("3"), D("30.01")) == D("30.01")  # within 1 kop
    doc = shift.close_receipt({"electronic": D("41.45")})
    assert doc.total == D("41.45")
    assert doc.details["items"][0]["vat"] == "none"


def test_payment_rules_and_change(shift):
    shift.open_receipt("sell")
    shift.add_item("Борщ", D("350"), D("2"), vat="vat20")
    refused(0x45, shift.close_receipt, {"cash": D("600")})
    refused(0x4D, shift.close_receipt, {"electronic": D("800")})
    refused(0x33, shift.close_receipt, {"bitcoin": D("700")})
    doc = shift.close_receipt({"cash": D("500"), "electronic": D("300")})
    assert doc.details["change"] == "100.00"
    assert doc.details["items"][0]["vat_amount"] == "116.67"
    assert shift.status().cash_in_drawer == D("400.00")       # 500 cash − 100 change


def test_zero_total_is_refused(shift):
    shift.open_receipt("sell")
    shift.add_item("Подарок", D("0"), D("1"))
    refused(0x8E, shift.close_receipt, {"cash": D("0")})


def test_cash_drawer(shift):
    sell(shift, "700", "1", {"cash": D("1000")})               # +700
    assert shift.status().cash_in_drawer == D("700.00")
    sell(shift, "100", "1", {"electronic": D("100")})          # card: drawer unchanged
    shift.cash_in(D("50.005"))                                  # half-up to 50.01
    assert shift.status().cash_in_drawer == D("750.01")
    out = shift.cash_out(D("0.01"))
    assert (out.doc_type, out.fd_number, out.total) == ("cash_out", None, D("0.01"))
    refused(0x46, shift.cash_out, D("750.01"))
    refused(0x46, sell, shift, "800", "1", {"cash": D("800")}, "sell_refund")
    shift.cancel_receipt()
    sell(shift, "200", "1", {"cash": D("200")}, "sell_refund")  # refund pays cash out
    sell(shift, "50", "1", {"cash": D("50")}, "buy")            # buying pays cash out
    sell(shift, "10", "1", {"cash": D("10")}, "buy_refund")     # the supplier pays back
    assert shift.status().cash_in_drawer == D("510.00")
    refused(0x33, shift.cash_in, D("0"))


def test_paper_out_during_receipt_then_continue(shift, memory):
    shift.open_receipt("sell")
    shift.add_item("Борщ", D("350"), D("1"))
    shift.paper_runs_out()
    st = shift.status()
    assert st.paper == "out" and st.receipt_open
    assert shift.modes() == (8, 2)                             # active paper absence
    refused(0x6B, shift.add_item, "Чай", D("1"), D("1"))
    refused(0x6B, shift.close_receipt, {"cash": D("350")})
    refused(0x6B, shift.cancel_receipt)
    refused(0x6B, shift.continue_printing)
    assert memory.set_paper(True) == "continue"
    assert shift.modes() == (8, 3)
    refused(0x58, shift.close_receipt, {"cash": D("350")})
    refused(0x58, shift.x_report)
    shift.continue_printing()
    assert shift.status().paper == "ok" and shift.status().receipt_open
    doc = shift.close_receipt({"cash": D("350")})
    assert doc.fd_number == 2 and doc.total == D("350.00")


def test_passive_paper_out(shift, memory):
    memory.set_paper(False)
    assert shift.modes() == (2, 1)
    for call, args in [(shift.open_receipt, ("sell",)), (shift.x_report, ()),
                       (shift.close_shift, ()), (shift.cash_in, (D("1"),)), (shift.cut, ()),
                       (shift.reprint_last, ())]:
        refused(0x6B, call, *args)
    assert memory.set_paper(True) == "ok"
    shift.continue_printing()                                   # harmless when not waiting
    sell(shift)


def test_reprint_last(reg):
    refused(0x56, reg.reprint_last)
    reg.open_shift()
    reg.reprint_last()
    reg.cut()


def test_correction(shift):
    doc = shift.correction("sell", "instruction", {"date": "2026-11-01", "number": "12",
                                                   "name": "Предписание"},
                           "usn_income", {"cash": D("500")}, D("500"), vat="vat20")
    assert (doc.doc_type, doc.fd_number, doc.operation, doc.total) == \
        ("correction", 2, "sell", D("500.00"))
    assert doc.details["correction_type"] == "instruction"
    assert doc.details["base"]["number"] == "12"
    assert doc.number_in_shift == 1
    assert shift.status().cash_in_drawer == D("500.00")
    refused(0x33, shift.correction, "sell", "whim", total=D("1"))
    refused(0x33, shift.correction, "sell", total=D("10"),
            items=[{"name": "Чай", "price": D("5"), "quantity": D("1"), "amount": D("5")}])
    with_items = shift.correction(
        "sell", items=[{"name": "Чай", "price": D("5"), "quantity": D("2"), "amount": D("10")}],
        payments={"electronic": D("10")})
    assert with_items.total == D("10.00") and with_items.details["items"][0]["name"] == "Чай"


def test_fn_expired_refuses_fiscal_documents(reg, memory):
    memory.set_fn_expires_on(date.today() - timedelta(days=1))
    refused(0x05, reg.open_shift)
    assert reg.status().fn_expires_on < date.today()


def test_close_shift_summary(shift):
    sell(shift, "700", "1", {"cash": D("700")})
    sell(shift, "100", "1", {"cash": D("100")}, "sell_refund")
    shift.cash_in(D("5"))
    z = shift.close_shift()
    assert z.details["counts"] == {"sell": 1, "sell_refund": 1, "cash_in": 1}
    assert z.details["totals"]["sell"] == "700.00"
    assert z.details["cash_in_drawer"] == "605.00"


def test_fiscal_sign_is_deterministic(shift):
    doc = sell(shift)
    again = fiscal_sign(shift.identity().serial_number, doc.fn_number, doc.fd_number,
                        doc.total, doc.issued_at)
    assert again == doc.fiscal_sign
    assert fiscal_sign("k", "1", 1, D("1"), doc.issued_at) != \
        fiscal_sign("k", "1", 2, D("1"), doc.issued_at)


def test_refusal_carries_both_messages():
    err = RegisterRefusal(0x6B)
    assert err.message_ru == "Нет чековой ленты" and err.message_en == "no receipt paper"
    assert "0x6B" in str(err)
