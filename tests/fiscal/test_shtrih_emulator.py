"""The Shtrih-M emulator on the wire: raw bytes over its pty and TCP ports.

The §1.7 frames of research/fiscal.md get the right answers byte for byte, the link follows the
ENQ/ACK/NAK rules, and every byte-level fault is seen on the wire.
"""
from __future__ import annotations

import os
import select
import signal
import socket
import subprocess
import sys
import time
import tty
from decimal import Decimal
from pathlib import Path

import pytest

from fiscal.protocols import shtrih_commands as C
from fiscal.protocols.shtrih import encode_frame
from fiscal.simulators.fiscal_memory import FiscalMemory
from fiscal.simulators.shtrih import ShtrihEmulator
from fiscal.simulators.shtrih_process import ShtrihEmulatorProcess
from fiscal.simulators.shtrih_faults import arm_wire_fault, command_key

ROOT = Path(__file__).resolve().parents[2]
ENQ, ACK, NAK = b"\x05", b"\x06", b"\x15"

# research/fiscal.md §1.7
FC = bytes.fromhex("02 01 FC FD")
STATUS_PWD1 = bytes.fromhex("02 05 10 01 00 00 00 14")
OPEN_SHIFT = bytes.fromhex("02 05 E0 01 00 00 00 E4")
Z_REPORT = bytes.fromhex("02 05 41 1E 00 00 00 5A")
CASH_IN_100 = bytes.fromhex("02 0A 50 01 00 00 00 10 27 00 00 00 6C")
FN_STATUS = bytes.fromhex("02 06 FF 01 1E 00 00 00 E6")
CANCEL = bytes.fromhex("02 05 88 01 00 00 00 8C")
CANCEL_REFUSED = bytes.fromhex("02 02 88 55 DF")
# computed with the same rule (LRC = XOR of LEN and the payload)
OPEN_SHIFT_OK = bytes.fromhex("02 02 E0 00 E2")
Z_REPORT_OK = bytes.fromhex("02 03 41 00 1E 5C")
Z_SHIFT_NOT_OPEN = bytes.fromhex("02 02 41 3D 7E")
Z_PWD1 = bytes.fromhex("02 05 41 01 00 00 00 45")
Z_WRONG_PASSWORD = bytes.fromhex("02 02 41 4F 0C")
STATUS_PWD31 = bytes.fromhex("02 05 10 1F 00 00 00 0A")
STATUS_WRONG_PASSWORD = bytes.fromhex("02 02 10 4F 5D")
CASH_REGISTER_241 = bytes.fromhex("02 06 1A 01 00 00 00 F1 EC")
X_REPORT = bytes.fromhex("02 05 40 1E 00 00 00 5B")
X_REPORT_OK = bytes.fromhex("02 03 40 00 1E 5D")


def payload_of(frame: bytes) -> bytes:
    assert frame[0] == 0x02 and frame[1] == len(frame) - 3, frame.hex(" ")
    lrc = 0
    for b in frame[1:-1]:
        lrc ^= b
    assert lrc == frame[-1], f"bad LRC in {frame.hex(' ')}"
    return frame[2:-1]


class Wire:
    """The host's end of a port: raw bytes with timeouts."""

    def __init__(self, emu: ShtrihEmulator, kind: str):
        self.kind, self.emu = kind, emu
        if kind == "pty":
            self.fd = os.open(emu.pty_path or emu.start_pty(), os.O_RDWR | os.O_NOCTTY)
            tty.setraw(self.fd)
            self.sock = None
        else:
            self.sock = socket.create_connection(("127.0.0.1", emu.tcp_port or emu.start_tcp()))
            self.fd = self.sock.fileno()

    def send(self, data: bytes) -> None:
        if self.sock:
            self.sock.sendall(data)
        else:
            os.write(self.fd, data)

    def read(self, n: int, timeout: float = 2.0) -> bytes:
        out, deadline = b"", time.monotonic() + timeout
        while len(out) < n and (left := deadline - time.monotonic()) > 0:
            if not select.select([self.fd], [], [], left)[0]:
                break
            chunk = self.sock.recv(n - len(out)) if self.sock else os.read(self.fd, n - len(out))
            if not chunk:
                break
            out += chunk
        return out

    def expect(self, data: bytes, timeout: float = 2.0) -> None:
        got = self.read(len(data), timeout)
        assert got == data, f"expected {data.hex(' ')}, got {got.hex(' ')}"

    def frame(self, timeout: float = 2.0) -> bytes:
        head = self.read(2, timeout)
        assert len(head) == 2 and head[0] == 0x02, f"no answer frame: {head.hex(' ')}"
        return head + self.read(head[1] + 1, timeout)

    def quiet(self, seconds: float) -> None:
        got = self.read(1, seconds)
        assert got == b"", f"expected silence, got {got.hex(' ')}"

    def command(self, frame: bytes) -> bytes:
        """ENQ/NAK, the frame, ACK, the answer (ACKed); returns the answer payload."""
        self.send(ENQ)
        self.expect(NAK)
        self.send(frame)
        self.expect(ACK)
        answer = self.frame()
        self.send(ACK)
        return payload_of(answer)

    def close(self) -> None:
        if self.sock:
            self.sock.close()
        else:
            os.close(self.fd)


@pytest.fixture
def memory_path(tmp_path):
    return tmp_path / "registers" / "shtrih.sqlite"


@pytest.fixture
def emu(memory_path):
    with ShtrihEmulator(memory_path) as e:
        e.start_pty()
        e.start_tcp()
        yield e


@pytest.fixture(params=["pty", "tcp"])
def wire(request, emu):
    w = Wire(emu, request.param)
    yield w
    w.close()


@pytest.fixture
def pty(emu):
    w = Wire(emu, "pty")
    yield w
    w.close()


def memory(emu) -> FiscalMemory:
    return FiscalMemory(emu.memory_path)      # a second handle, as another process would use


def short_status(w: Wire) -> bytes:
    return w.command(STATUS_PWD1)


# the §1.7 frames ------------------------------------------------------------------------------
def test_enq_on_an_idle_register_gets_nak(wire):
    wire.send(ENQ)
    wire.expect(NAK)
    wire.send(ENQ)
    wire.expect(NAK)


def test_device_type_names_the_model(wire):
    p = wire.command(FC)
    assert p[:2] == b"\xfc\x00"
    assert p[6] not in (4, 9, 12)                  # pyshtrih's reduced-flag models
    assert p[8:].decode("cp1251") == "ШТРИХ-М-01Ф"


def test_short_status_of_a_fresh_register(wire):
    p = short_status(wire)
    assert len(p) == 16 and p[0] == 0x10 and p[1] == 0
    assert p[2] == 1                               # operator 1 (the password's row)
    assert (p[5], p[6]) == (4, 0)                  # shift closed, paper present


def test_shift_cash_and_z_report_byte_for_byte(wire):
    wire.send(ENQ)
    wire.expect(NAK)
    wire.send(OPEN_SHIFT)
    wire.expect(ACK + OPEN_SHIFT_OK)
    wire.send(ACK)
    assert short_status(wire)[5] == 2              # shift open, 24 hours not over
    cash = wire.command(CASH_IN_100)
    assert cash[:3] == b"\x50\x00\x01" and len(cash) == 5
    assert int.from_bytes(cash[3:5], "little") == memory(wire.emu).state()["last_doc_number"]
    drawer = wire.command(CASH_REGISTER_241)
    assert drawer[:3] == b"\x1a\x00\x01" and int.from_bytes(drawer[3:9], "little") == 10000
    wire.send(ENQ)
    wire.expect(NAK)
    wire.send(Z_REPORT)
    wire.expect(ACK + Z_REPORT_OK)
    wire.send(ACK)
    assert short_status(wire)[5] == 4


def test_refusals_are_error_answers(wire):
    wire.send(ENQ)
    wire.expect(NAK)
    wire.send(CANCEL)                              # no receipt open → 0x55
    wire.expect(ACK + CANCEL_REFUSED)
    wire.send(ACK + ENQ)
    wire.expect(NAK)
    wire.send(Z_REPORT)                            # no shift open → 0x3D
    wire.expect(ACK + Z_SHIFT_NOT_OPEN)
    wire.send(ACK + ENQ)
    wire.expect(NAK)
    wire.send(STATUS_PWD31)                        # no such password → 0x4F
    wire.expect(ACK + STATUS_WRONG_PASSWORD)
    wire.send(ACK + ENQ)
    wire.expect(NAK)
    wire.send(Z_PWD1)                              # a cashier may not run a Z report
    wire.expect(ACK + Z_WRONG_PASSWORD)
    wire.send(ACK)


def test_fn_status_reports_the_last_fd_number(wire):
    wire.command(OPEN_SHIFT)
    p = wire.command(FN_STATUS)
    assert p[:3] == b"\xff\x01\x00"
    assert len(p) == 33 and p[3] == 0x03           # configured, fiscal mode open
    assert p[6] == 1                               # shift open
    assert p[13:29].decode() == memory(wire.emu).state()["fn_number"]
    assert int.from_bytes(p[29:33], "little") == 1             # the shift-open report


def request(w: Wire, req) -> bytes:
    """Send a request built with the protocol module; the answer payload."""
    return w.command(encode_frame(req.encode()))


def test_every_command_of_the_spec_is_answered(pty):
    mem = memory(pty.emu)
    d = Decimal
    flow = [
        (C.DeviceTypeRequest(), 0), (C.ShortStatusRequest(), 0), (C.FullStatusRequest(), 0),
        (C.BeepRequest(), 0), (C.PrintLineRequest(text="Привет"), 0),
        (C.RepeatDocumentRequest(), 0x56), (C.OpenShiftRequest(), 0),
        (C.CashInRequest(amount=d("10.00")), 0), (C.CashOutRequest(amount=d("3.00")), 0),
        (C.ReadMoneyRegisterRequest(), 0), (C.CutRequest(partial=True), 0),
        (C.XReportRequest(), 0), (C.OpenReceiptRequest(receipt_type=2), 0),
        (C.ReturnSaleRequest(quantity=d("1.000"), price=d("2.00"), text="Возврат"), 0),
        (C.SubtotalRequest(), 0), (C.CancelReceiptRequest(), 0),
        (C.SaleRequest(quantity=d("1.000"), price=d("5.00"), text="Чай"), 0),
        (C.CloseReceiptRequest(cash=d("5.00")), 0), (C.ContinuePrintingRequest(), 0),
        (C.FnStatusRequest(), 0), (C.FnExpiryRequest(), 0), (C.FnShiftParamsRequest(), 0),
        (C.FnFindDocumentRequest(fd_number=2), 0),
        (C.OperationV2Request(operation=1, quantity=d("1"), price=d("7.00"), name="Сок"), 0),
        (C.FnSendTlvRequest(tlv=C.tlv_string(1008, "a@b.ru")), 0),
        (C.CloseReceiptV2Request.make(electronic=d("7.00")), 0),
        (C.CorrectionV2Request(correction_type=0, operation=1, total=d("1.00"),
                               cash=d("1.00")), 0),
        (C.ZReportRequest(), 0),
    ]
    assert {type(r).COMMAND for r, _ in flow} == set(C.Cmd)
    for req, code in flow:
        answer = request(pty, req)
        if code:
            assert answer == C.error_answer(req.COMMAND, code)
        else:
            C.decode_answer(req.COMMAND, answer)    # typed, result code 0
    assert [doc.doc_type for doc in mem.documents()] == [
        "open_shift", "cash_in", "cash_out", "x_report", "receipt", "receipt", "correction",
        "close_shift"]
    assert mem.state()["cash_in_drawer"] == Decimal("13.00")


def test_unknown_and_malformed_commands(pty):
    assert pty.command(encode_frame(b"\x14\x1e\x00\x00\x00\x00\x06\x96")) == b"\x14\x37"
    assert pty.command(encode_frame(b"\x10\x01\x00")) == b"\x10\x33"      # short password
    assert pty.command(encode_frame(b"\x8d\x01\x00\x00\x00\x07")) == b"\x8d\x33"


def test_fn_receipt_with_tlvs_and_its_document(pty):
    mem = memory(pty.emu)
    request(pty, C.FnSendTlvRequest(tlv=C.tlv_string(1021, "Петрова А.")
                                    + C.tlv_string(1203, "500100732259")))
    request(pty, C.OpenShiftRequest())
    assert mem.documents("open_shift")[0].details["cashier"] == {
        "name": "Петрова А.", "inn": "500100732259"}
    item = C.OperationV2Request(operation=1, quantity=Decimal("1.5"), price=Decimal("200.00"),
                                tax_rate=C.TaxRate.VAT20, payment_object=4, name="Ужин")
    assert request(pty, item) == b"\xff\x46\x00"
    request(pty, C.FnSendTlvRequest(tlv=C.tlv_string(1008, "guest@example.com")
                                    + C.tlv_string(1021, "Петрова А.")))
    close = C.CloseReceiptV2Request.make(cash=Decimal("500.00"), tax_system=0x02)
    answer = C.decode_answer(C.Cmd.CLOSE_RECEIPT_V2, request(pty, close))
    assert answer.change == Decimal("200.00")
    doc = mem.document(answer.fd_number)
    assert answer.fd_number == 2 and answer.fiscal_sign == int(doc.fiscal_sign)
    assert doc.details["customer"] == {"email": "guest@example.com"}
    assert doc.details["cashier"] == {"name": "Петрова А."}
    assert doc.details["taxation"] == "usn_income"
    assert doc.details["items"][0]["vat"] == "vat20"
    assert doc.details["items"][0]["payment_object"] == "service"
    found = C.decode_answer(C.Cmd.FN_FIND_DOCUMENT,
                            request(pty, C.FnFindDocumentRequest(fd_number=2)))
    assert found.document_type == C.DocumentType.RECEIPT
    assert (found.document.fd_number, found.document.fiscal_sign) == (2, int(doc.fiscal_sign))
    assert (found.document.operation, found.document.total) == (1, Decimal("300.00"))
    assert found.document.datetime == doc.issued_at.replace(second=0, tzinfo=None)
    shift = C.decode_answer(C.Cmd.FN_FIND_DOCUMENT,
                            request(pty, C.FnFindDocumentRequest(fd_number=1)))
    assert shift.document_type == C.DocumentType.SHIFT_OPEN
    assert shift.document.shift_number == 1
    params = C.decode_answer(C.Cmd.FN_SHIFT_PARAMS, request(pty, C.FnShiftParamsRequest()))
    assert (params.shift_open, params.shift_number, params.receipt_number) == (True, 1, 1)
    assert request(pty, C.FnFindDocumentRequest(fd_number=9)) == b"\xff\x0a\x08"


def test_full_status_carries_the_through_document_number(pty):
    mem = memory(pty.emu)
    request(pty, C.OpenShiftRequest())
    request(pty, C.CashInRequest(amount=Decimal("5.00")))
    full = C.decode_answer(C.Cmd.FULL_STATUS, request(pty, C.FullStatusRequest()))
    reg = mem.state()
    assert full.document_number == reg["last_doc_number"] == 2
    assert full.serial_number == int(reg["serial_number"])
    assert (full.mode, full.submode, full.last_closed_shift) == (2, 0, 0)
    assert full.date == mem.clock().date()


def test_the_24_hour_limit(pty):
    mem = memory(pty.emu)
    request(pty, C.OpenShiftRequest())
    mem.advance_clock(25 * 3600)
    assert short_status(pty)[5] == 3               # shift open, 24 hours over
    item = C.OperationV2Request(operation=1, quantity=Decimal(1), price=Decimal("1.00"))
    assert request(pty, item) == b"\xff\x46\x4e"
    assert request(pty, C.ZReportRequest()) == b"\x41\x00\x1e"


# link rules -----------------------------------------------------------------------------------
def test_unacked_answer_is_resent_on_enq_and_cleared_by_ack(pty):
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(X_REPORT)
    pty.expect(ACK + X_REPORT_OK)
    pty.send(NAK)                                  # host NAKs: nothing is resent by itself
    pty.quiet(0.3)
    pty.send(ENQ)
    pty.expect(ACK + X_REPORT_OK)
    pty.send(ACK)
    pty.send(ENQ)
    pty.expect(NAK)
    assert len(memory(pty.emu).documents("x_report")) == 1


def test_bad_lrc_frame_is_nakked_and_not_executed(pty):
    pty.command(OPEN_SHIFT)
    bad = CASH_IN_100[:-1] + bytes([CASH_IN_100[-1] ^ 0x01])
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(bad)
    pty.expect(NAK)
    pty.quiet(0.2)
    assert memory(pty.emu).state()["cash_in_drawer"] == 0


def test_enq_while_executing_gets_no_answer(memory_path):
    with ShtrihEmulator(memory_path, delay=0.6) as emu:
        w = Wire(emu, "pty")
        w.send(ENQ)
        w.expect(NAK, 3)
        w.send(X_REPORT)
        w.expect(ACK)
        w.send(ENQ)                                # executing: no reply
        w.quiet(0.3)
        w.expect(X_REPORT_OK)
        w.send(ACK)
        w.close()


def test_a_partial_frame_is_dropped_after_the_byte_timeout(pty):
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(X_REPORT[:3])
    time.sleep(0.2)                                # longer than the 50 ms byte timeout
    pty.send(ENQ)
    pty.expect(NAK)


def test_one_device_behind_both_ports(emu):
    tcp, pty = Wire(emu, "tcp"), Wire(emu, "pty")
    tcp.send(ENQ)
    tcp.expect(NAK)
    tcp.send(X_REPORT)
    tcp.expect(ACK + X_REPORT_OK)                  # not ACKed by the TCP host…
    pty.send(ENQ)
    pty.expect(ACK + X_REPORT_OK)                  # …so it is pending on the device
    pty.send(ACK)
    tcp.close()
    pty.close()


def test_pyserial_socket_url_reaches_the_device(emu):
    import serial
    port = serial.serial_for_url(f"socket://127.0.0.1:{emu.tcp_port}", timeout=2)
    try:
        port.write(ENQ)
        assert port.read(1) == NAK
        port.write(FC)
        assert port.read(2) == ACK + b"\x02"
    finally:
        port.close()


def test_line_rate_is_simulated(memory_path):
    with ShtrihEmulator(memory_path, baud=1200) as emu:
        w = Wire(emu, "tcp")
        w.send(ENQ)
        w.expect(NAK)
        start = time.monotonic()
        w.send(STATUS_PWD1)
        w.expect(ACK)
        w.frame()
        assert time.monotonic() - start >= 19 * 10 / 1200 * 0.9   # ACK + 19-byte answer
        w.close()


# faults ---------------------------------------------------------------------------------------
def test_nak_frame_fault_refuses_a_good_frame_once(pty):
    pty.command(OPEN_SHIFT)
    arm_wire_fault(memory(pty.emu), "nak_frame", 0x50)
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(CASH_IN_100)
    pty.expect(NAK)
    pty.quiet(0.2)
    assert memory(pty.emu).state()["cash_in_drawer"] == 0
    pty.send(CASH_IN_100)                          # the resend is accepted
    pty.expect(ACK)
    assert payload_of(pty.frame())[:2] == b"\x50\x00"
    pty.send(ACK)
    assert memory(pty.emu).state()["cash_in_drawer"] == Decimal("100.00")


def test_lose_ack_fault_executes_without_ack(pty):
    arm_wire_fault(memory(pty.emu), "lose_ack", 0x40, seconds=0.3)
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(X_REPORT)
    pty.quiet(0.2)                                 # no ACK, and the answer comes later
    pty.expect(X_REPORT_OK)
    pty.send(ACK)
    assert len(memory(pty.emu).documents("x_report")) == 1


def test_drop_answer_byte_truncates_the_answer_then_enq_gets_it_whole(pty):
    arm_wire_fault(memory(pty.emu), "drop_answer_byte", 0x40)
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(X_REPORT)
    pty.expect(ACK + X_REPORT_OK[:-1])             # the LRC never comes
    pty.quiet(0.3)
    pty.send(ENQ)
    pty.expect(ACK + X_REPORT_OK)
    pty.send(ACK)


def test_corrupt_answer_byte_gives_a_bad_lrc_then_enq_gets_a_good_one(pty):
    arm_wire_fault(memory(pty.emu), "corrupt_answer_byte", 0x40, byte=3)
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(X_REPORT)
    pty.expect(ACK)
    garbled = pty.frame()
    assert garbled != X_REPORT_OK and garbled[3] == X_REPORT_OK[3] ^ 0xFF
    with pytest.raises(AssertionError):
        payload_of(garbled)
    pty.send(NAK + ENQ)
    pty.expect(ACK + X_REPORT_OK)
    pty.send(ACK)


def test_answer_faults_count_resends_too(pty):
    arm_wire_fault(memory(pty.emu), "drop_answer_byte", "any", times=2)
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(X_REPORT)
    pty.expect(ACK + X_REPORT_OK[:-1])
    time.sleep(0.1)
    pty.send(ENQ)
    pty.expect(ACK + X_REPORT_OK[:-1])
    time.sleep(0.1)
    pty.send(ENQ)
    pty.expect(ACK + X_REPORT_OK)
    pty.send(ACK)


def test_delay_answer_fault(pty):
    arm_wire_fault(memory(pty.emu), "delay_answer", 0x10, seconds=0.5)
    pty.send(ENQ)
    pty.expect(NAK)
    start = time.monotonic()
    pty.send(STATUS_PWD1)
    pty.expect(ACK)
    pty.send(ENQ)
    pty.quiet(0.3)
    pty.frame()
    assert time.monotonic() - start >= 0.5
    pty.send(ACK)


def test_faults_are_for_their_command_and_times(pty):
    mem = memory(pty.emu)
    arm_wire_fault(mem, "nak_frame", 0x11, times=2)
    short_status(pty)                              # 0x10 is not hit
    full = bytes.fromhex("02 05 11 01 00 00 00 15")
    for _ in range(2):
        pty.send(ENQ)
        pty.expect(NAK)
        pty.send(full)
        pty.expect(NAK)
    assert pty.command(full)[:2] == b"\x11\x00"
    assert mem.faults() == []


def test_stop_answering_before_execution(pty):
    arm_wire_fault(memory(pty.emu), "stop_answering", 0x40, seconds=0.6)
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(X_REPORT)
    pty.quiet(0.3)
    pty.send(ENQ)
    pty.quiet(0.2)
    time.sleep(0.2)
    pty.send(ENQ)
    pty.expect(NAK)                                # back, and nothing was executed
    assert memory(pty.emu).documents("x_report") == []


def test_stop_answering_after_execution_keeps_the_answer(pty):
    arm_wire_fault(memory(pty.emu), "stop_answering", 0x40, seconds=0.6, point="after")
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(X_REPORT)
    pty.expect(ACK)
    pty.send(ENQ)
    pty.quiet(0.3)
    time.sleep(0.4)
    pty.send(ENQ)
    pty.expect(ACK + X_REPORT_OK)                  # executed; the answer was pending
    pty.send(ACK)
    assert len(memory(pty.emu).documents("x_report")) == 1


def test_disconnect_over_tcp_closes_the_connection_and_keeps_the_answer(emu):
    arm_wire_fault(memory(emu), "disconnect", 0x40, point="after")
    w = Wire(emu, "tcp")
    w.send(ENQ)
    w.expect(NAK)
    w.send(X_REPORT)
    w.expect(ACK)
    assert w.sock.recv(10) == b""                  # closed by the register
    w.close()
    w = Wire(emu, "tcp")                           # reconnect: the answer is pending
    w.send(ENQ)
    w.expect(ACK + X_REPORT_OK)
    w.send(ACK)
    w.close()


def test_disconnect_on_the_pty_is_silence_until_the_faults_are_cleared(pty):
    mem = memory(pty.emu)
    arm_wire_fault(mem, "disconnect", "any")
    pty.send(ENQ)
    pty.expect(NAK)
    pty.send(STATUS_PWD1)
    pty.quiet(0.3)
    pty.send(ENQ)
    pty.quiet(0.3)
    mem.clear_faults()
    pty.send(ENQ)
    pty.expect(NAK)


def test_paper_runs_out_in_the_middle_of_a_receipt(pty):
    mem = memory(pty.emu)
    pty.command(OPEN_SHIFT)
    pty.command(bytes.fromhex("02 06 8D 01 00 00 00 00 8A"))           # open a sale receipt
    arm_wire_fault(mem, "paper_runs_out", 0x80)
    sale = sale_frame("Кофе", 1000, 15000)
    p = pty.command(sale)
    assert p == b"\x80\x6b"                        # no paper
    status = short_status(pty)
    assert (status[5], status[6]) == (0x08, 2)     # open sale receipt, paper out while printing
    assert mem.set_paper(True) == "continue"
    assert short_status(pty)[6] == 3               # waiting for continue-printing
    assert pty.command(bytes.fromhex("02 05 B0 1E 00 00 00 AB"))[:2] == b"\xb0\x00"
    assert pty.command(sale)[:2] == b"\x80\x00"


def sale_frame(text: str, quantity: int, price: int) -> bytes:
    """0x80 as pyshtrih sends it (research/fiscal.md §1.7): pwd, qty, price, dept, taxes, text."""
    return encode_frame(b"\x80" + (1).to_bytes(4, "little") + quantity.to_bytes(5, "little")
                        + price.to_bytes(5, "little") + b"\x00" + b"\x00\x00\x00\x00"
                        + text.encode("cp1251").ljust(48, b"\x00"))


def test_command_keys():
    assert command_key(0x80) == "0x80" and command_key(0xFF46) == "0xFF46"
    assert command_key("0xff46") == "0xFF46" and command_key(None) == "any"
    with pytest.raises(ValueError):
        command_key(0x1234)
    with pytest.raises(ValueError):
        arm_wire_fault(FiscalMemory.__new__(FiscalMemory), "no_such_fault")


# processes ------------------------------------------------------------------------------------
def test_a_killed_emulator_process_keeps_its_fiscal_memory(memory_path):
    with ShtrihEmulatorProcess(memory_path, tcp=0) as proc:
        w = Wire.__new__(Wire)
        w.sock = socket.create_connection(("127.0.0.1", proc.tcp_port))
        w.fd, w.kind = w.sock.fileno(), "tcp"
        w.command(OPEN_SHIFT)
        w.close()
        proc.kill()
        assert proc.proc.returncode == -signal.SIGKILL
    with ShtrihEmulatorProcess(memory_path) as proc:
        fd = os.open(proc.pty_path, os.O_RDWR | os.O_NOCTTY)
        w = Wire.__new__(Wire)
        w.fd, w.sock, w.kind = fd, None, "pty"
        assert short_status(w)[5] == 2             # the shift is still open
        w.close()
        assert proc.stop() == 0


def test_cli_prints_the_pty_and_tcp_and_stops_on_sigterm(tmp_path):
    code = "from hub.cli_emulate import emulate; emulate()"
    proc = subprocess.Popen([sys.executable, "-c", code, "shtrih", "--pty", "--tcp", "0",
                             "--data-dir", str(tmp_path)], stdout=subprocess.PIPE, text=True,
                            cwd=ROOT)
    try:
        lines = []
        while (line := proc.stdout.readline().strip()) != "ready":
            assert line, "the emulator ended before it was ready"
            lines.append(line)
        assert any(line.startswith("/dev/") for line in lines)
        port = int(next(x for x in lines if x.startswith("tcp: 127.0.0.1:")).rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port)) as s:
            s.sendall(ENQ)
            assert s.recv(1) == NAK
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(10) == 0
        assert (tmp_path / "registers" / "shtrih.sqlite").exists()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.stdout.close()
