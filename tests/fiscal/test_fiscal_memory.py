"""The simulated register's fiscal memory: one SQLite file shared by processes."""
from __future__ import annotations

import multiprocessing
import sqlite3
from datetime import timedelta
from decimal import Decimal as D

import pytest

from fiscal.simulators.fiscal_memory import FiscalMemory
from fiscal.simulators.register import SimulatedRegister


def test_created_once_with_a_stable_identity(tmp_path):
    path = tmp_path / "sub" / "kkt.sqlite"
    first = FiscalMemory(path, model="ШТРИХ-М-01Ф")
    state = first.state()
    again = FiscalMemory(path, model="something else")       # the model is set at creation only
    assert again.state()["serial_number"] == state["serial_number"]
    assert again.state()["fn_number"] == state["fn_number"]
    assert again.state()["model"] == "ШТРИХ-М-01Ф"
    assert len(state["serial_number"]) >= 10 and state["serial_number"].isdigit()
    assert int(state["serial_number"]) < 2 ** 32             # fits Shtrih 0x11's 4 bytes
    assert len(state["fn_number"]) == 16 and state["fn_number"].isdigit()
    assert FiscalMemory(tmp_path / "other.sqlite").state()["serial_number"] != \
        state["serial_number"]
    conn = sqlite3.connect(path)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    conn.close()


def test_given_identity_is_used(tmp_path):
    mem = FiscalMemory(tmp_path / "kkt.sqlite", serial_number="0012345678",
                       fn_number="9999078900001234")
    assert (mem.state()["serial_number"], mem.state()["fn_number"]) == \
        ("0012345678", "9999078900001234")


def test_state_survives_reopening_the_file(tmp_path):
    path = tmp_path / "kkt.sqlite"
    reg = SimulatedRegister(FiscalMemory(path))
    reg.open_shift()
    reg.cash_in(D("100"))
    reg.open_receipt("sell")
    reg.add_item("Чай", D("10"), D("1"))
    reopened = SimulatedRegister(FiscalMemory(path))
    st = reopened.status()
    assert (st.last_fd_number, st.last_doc_number, st.shift_number) == (1, 2, 1)
    assert st.shift_open and st.receipt_open and st.cash_in_drawer == D("100.00")
    doc = reopened.close_receipt({"cash": D("10")})
    assert doc.fd_number == 2
    assert FiscalMemory(path).document(2) == doc
    assert FiscalMemory(path).document_by_number(2).doc_type == "cash_in"
    assert FiscalMemory(path).document(99) is None


def test_clock_offset(tmp_path):
    mem = FiscalMemory(tmp_path / "kkt.sqlite")
    before = mem.clock()
    assert before.tzinfo is not None and before.microsecond == 0
    mem.advance_clock(3600)
    mem.advance_clock(1800)
    assert mem.state()["clock_offset"] == 5400
    assert timedelta(minutes=89) < mem.clock() - before < timedelta(minutes=91)
    mem.set_clock_offset(0)
    assert mem.clock() - before < timedelta(seconds=5)


def test_paper_states(tmp_path):
    mem = FiscalMemory(tmp_path / "kkt.sqlite")
    assert mem.set_paper(False) == "out"
    assert mem.set_paper(True) == "ok"                        # passive: straight back to ok
    reg = SimulatedRegister(mem)
    reg.open_shift()
    reg.open_receipt("sell")
    assert mem.set_paper(False) == "out"
    assert mem.set_paper(False) == "out"                      # idempotent
    assert mem.set_paper(True) == "continue"                  # active: wait for continue
    assert mem.set_paper(True) == "continue"


def test_a_failed_transaction_changes_nothing(tmp_path):
    mem = FiscalMemory(tmp_path / "kkt.sqlite")
    with pytest.raises(RuntimeError):
        with mem.transaction() as t:
            t.update(last_fd_number=41, paper="out")
            raise RuntimeError("boom")
    assert mem.state()["last_fd_number"] == 0 and mem.state()["paper"] == "ok"


def test_faults_are_armed_taken_and_cleared(tmp_path):
    mem = FiscalMemory(tmp_path / "kkt.sqlite")
    mem.arm_fault("fail_after_printing", on="receipt", times=2)
    mem.arm_fault("offline", on="any")
    assert [f.fault for f in mem.faults()] == ["fail_after_printing", "offline"]
    assert mem.take_fault("cash_in").fault == "offline"       # "any" matches every method
    assert mem.take_fault("cash_in") is None
    assert mem.take_fault("status", {"offline"}) is None      # kinds filter
    first = mem.take_fault("receipt")
    assert (first.fault, first.times) == ("fail_after_printing", 2)
    assert mem.take_fault("receipt").times == 1
    assert mem.take_fault("receipt") is None
    mem.arm_fault("hang", on="receipt", times=None, seconds=5, point="after")
    for _ in range(3):                                        # None: until cleared
        fault = mem.take_fault("receipt")
        assert (fault.fault, fault.seconds, fault.point) == ("hang", 5, "after")
    generation = mem.faults_generation()
    mem.set_hanging({"method": "receipt", "pid": 1})
    mem.clear_faults()
    assert mem.faults() == [] and mem.hanging() is None
    assert mem.faults_generation() == generation + 1


def test_bad_faults_are_rejected(tmp_path):
    mem = FiscalMemory(tmp_path / "kkt.sqlite")
    with pytest.raises(ValueError):
        mem.arm_fault("gremlins")
    with pytest.raises(ValueError):
        mem.arm_fault("hang", point="sometime")
    with pytest.raises(ValueError):
        mem.arm_fault("offline", times=0)


def _take_faults(path: str, count: int, out) -> None:
    mem = FiscalMemory(path)
    taken = []
    for _ in range(count):
        fault = mem.take_fault("receipt")
        if fault is not None:
            taken.append(fault.id)
    out.put(taken)


def test_faults_are_consumed_once_across_processes(tmp_path):
    path = str(tmp_path / "kkt.sqlite")
    mem = FiscalMemory(path)
    ids = [mem.arm_fault("fail_before_sending") for _ in range(30)]
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    procs = [ctx.Process(target=_take_faults, args=(path, 20, out)) for _ in range(2)]
    for p in procs:
        p.start()
    taken = out.get(timeout=30) + out.get(timeout=30)
    for p in procs:
        p.join(timeout=30)
    assert sorted(taken) == ids
