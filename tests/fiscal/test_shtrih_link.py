"""HostExchange (the driver's side) and DeviceLink (the emulator's side) driven against each
other in memory, over a wire that can drop, corrupt or duplicate bytes (research/fiscal.md §1.1).

The wire is a tiny lockstep loop with a simulated clock: what the host sends is delivered at
once (then the register's inter-byte timeout passes); what the register sends back waits in the
host's input, which each read takes whole or in pieces; a ``Wait`` with nothing to read
advances the clock and times out.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable

import pytest
from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st

from fiscal.protocols.shtrih import (ACK, ENQ, NAK, DeviceLink, Done, Execute, Fail,
                                     HostExchange, Send, Wait, encode_frame)

REPLY, ANSWER = 1.0, 5.0

# A transmission filter: (direction "h2d" / "d2h", index of the transmission, bytes) -> bytes.
Filter = Callable[[str, int, bytes], bytes]


class Register:
    """A DeviceLink with a fake engine: every execution gets a distinct answer."""

    def __init__(self, delay: float = 0.0, mute: bool = False):
        self.link = DeviceLink()
        self.delay, self.mute = delay, mute
        self.executed: list[bytes] = []
        self.answers: list[bytes] = []
        self.busy_until: float | None = None
        self.due = b""

    def execute(self, payload: bytes) -> bytes:
        self.executed.append(payload)
        answer = payload[:1] + b"\x00" + bytes([len(self.executed)]) + payload[1:4]
        self.answers.append(answer)
        return answer


class Wire:
    def __init__(self, register: Register, fault: Filter | None = None,
                 read_size: Callable[[int], int] | None = None):
        self.register = register
        self.fault = fault or (lambda direction, index, data: data)
        self.read_size = read_size or (lambda available: available)   # bytes one read returns
        self.clock = 0.0
        self.inbox = bytearray()                 # bytes on their way to the host
        self.sent = {"h2d": [], "d2h": []}       # transmissions as sent, before faults
        self.host_payloads: set[bytes] = set()
        self.false_accepts = 0                   # frames the 1-byte LRC let through garbled

    def _transmit(self, direction: str, data: bytes) -> bytes:
        self.sent[direction].append(data)
        return self.fault(direction, len(self.sent[direction]) - 1, data)

    def _to_host(self, data: bytes) -> None:
        self.inbox += self._transmit("d2h", data)

    def _to_register(self, data: bytes) -> None:
        reg = self.register
        for out in reg.link.feed(self._transmit("h2d", data)):
            if isinstance(out, Send):
                self._to_host(out.data)
            else:
                assert isinstance(out, Execute)
                if out.payload not in self.host_payloads:
                    self.false_accepts += 1
                answer = reg.execute(out.payload)
                if reg.mute:
                    continue
                if reg.delay:
                    reg.busy_until, reg.due = self.clock + reg.delay, answer
                else:
                    self._answer(answer)
        assert reg.link.on_byte_timeout() == []

    def _answer(self, answer: bytes) -> None:
        for out in self.register.link.answer(answer):
            self._to_host(out.data)

    def run(self, exchange: HostExchange, limit: int = 2000) -> Done | Fail:
        self.host_payloads.add(exchange.payload)
        actions = exchange.start()
        for _ in range(limit):
            *sends, last = actions
            for send in sends:
                assert isinstance(send, Send), actions
                self._to_register(send.data)
            if isinstance(last, (Done, Fail)):
                if isinstance(last, Done) and last.answer not in self.register.answers:
                    self.false_accepts += 1
                return last
            assert isinstance(last, Wait)
            reg = self.register
            if not self.inbox and reg.busy_until is not None \
                    and reg.busy_until <= self.clock + last.seconds:
                self.clock, reg.busy_until = reg.busy_until, None
                self._answer(reg.due)
            if self.inbox:
                size = max(1, min(len(self.inbox), self.read_size(len(self.inbox))))
                data, self.inbox = bytes(self.inbox[:size]), self.inbox[size:]
                actions = exchange.on_bytes(data)
            else:
                self.clock += last.seconds
                actions = exchange.on_timeout()
        raise AssertionError(f"exchange did not finish: {exchange.log}")


def exchange(payload: bytes) -> HostExchange:
    return HostExchange(payload, answer_timeout=ANSWER, reply_timeout=REPLY)


def nth(direction: str, predicate: Callable[[bytes], bool], change: Callable[[bytes], bytes],
        times: int = 1) -> Filter:
    """Apply ``change`` to the first ``times`` transmissions in ``direction`` that match."""
    left = [times]

    def fault(d: str, index: int, data: bytes) -> bytes:
        if d == direction and left[0] and predicate(data):
            left[0] -= 1
            return change(data)
        return data
    return fault


def both(*filters: Filter) -> Filter:
    def fault(d: str, index: int, data: bytes) -> bytes:
        for f in filters:
            data = f(d, index, data)
        return data
    return fault


def is_frame(data: bytes) -> bool:
    return data[:1] == b"\x02"


def drop(data: bytes) -> bytes:
    return b""


def flip_last(data: bytes) -> bytes:
    return data[:-1] + bytes([data[-1] ^ 0x01])


STATUS = bytes.fromhex("10 01 00 00 00")               # 0x10 short status, password 1
STATUS_FRAME = bytes.fromhex("02 05 10 01 00 00 00 14")
ANSWER_1 = bytes.fromhex("10 00 01 01 00 00")          # what Register answers first


# --- scenarios -----------------------------------------------------------------------------
def test_clean_exchange_bytes_on_the_wire():
    wire = Wire(Register())
    ex = exchange(STATUS)
    assert wire.run(ex) == Done(ANSWER_1)
    assert wire.sent["h2d"] == [b"\x05", STATUS_FRAME, b"\x06"]
    assert wire.sent["d2h"] == [b"\x15", b"\x06", encode_frame(ANSWER_1)]
    assert wire.register.executed == [STATUS]
    assert wire.register.link.pending is None            # our ACK cleared it
    assert ex.frames_sent == 1 and ex.discarded == [] and ex.result == Done(ANSWER_1)
    assert ex.log[-1] == "done"


def test_nak_to_the_frame_then_success():
    wire = Wire(Register(), nth("h2d", is_frame, flip_last))
    ex = exchange(STATUS)
    assert wire.run(ex) == Done(ANSWER_1)
    # NAK to the frame → ENQ confirms the register is idle → the frame again
    assert wire.sent["h2d"] == [b"\x05", STATUS_FRAME, b"\x05", STATUS_FRAME, b"\x06"]
    assert wire.sent["d2h"][:3] == [b"\x15", b"\x15", b"\x15"]
    assert wire.register.executed == [STATUS] and ex.frames_sent == 2


def test_register_that_naks_every_frame_never_executes():
    wire = Wire(Register(), nth("h2d", is_frame, flip_last, times=99))
    ex = exchange(STATUS)
    result = wire.run(ex)
    assert isinstance(result, Fail) and result.kind == "not_sent"
    assert ex.frames_sent == 3 and wire.register.executed == []


def test_lost_ack_to_the_frame_answer_fetched_with_enq():
    # The register's ACK and its first answer are lost: the host must not resend the frame.
    wire = Wire(Register(), both(nth("d2h", lambda d: d == b"\x06", drop),
                                 nth("d2h", is_frame, drop)))
    ex = exchange(STATUS)
    assert wire.run(ex) == Done(ANSWER_1)
    assert wire.sent["h2d"] == [b"\x05", STATUS_FRAME, b"\x05", b"\x06"]
    assert wire.register.executed == [STATUS] and ex.frames_sent == 1
    assert "ACK to ENQ: the answer is pending" in ex.log


def test_lost_ack_but_the_answer_arrives():
    wire = Wire(Register(), nth("d2h", lambda d: d == b"\x06", drop))
    ex = exchange(STATUS)
    assert wire.run(ex) == Done(ANSWER_1)
    assert wire.sent["h2d"] == [b"\x05", STATUS_FRAME, b"\x06"]
    assert wire.register.executed == [STATUS]


def test_ack_mangled_into_nak_is_not_taken_for_a_refusal():
    # A naive host resends on NAK and the command runs twice; ours asks ENQ first.
    wire = Wire(Register(delay=2.0), nth("d2h", lambda d: d == b"\x06", lambda d: b"\x15"))
    ex = exchange(STATUS)
    assert wire.run(ex) == Done(ANSWER_1)
    assert wire.register.executed == [STATUS] and ex.frames_sent == 1


def test_frame_lost_entirely_is_resent_once_the_register_says_idle():
    wire = Wire(Register(), nth("h2d", is_frame, drop))
    ex = exchange(STATUS)
    assert wire.run(ex) == Done(ANSWER_1)
    assert wire.sent["h2d"] == [b"\x05", STATUS_FRAME, b"\x05", STATUS_FRAME, b"\x06"]
    assert wire.register.executed == [STATUS] and ex.frames_sent == 2
    assert "register idle, nothing pending: wait for quiet, then resend" in ex.log
    assert wire.clock == 2 * REPLY      # the missing ACK, then a quiet reply time to resend


def test_corrupted_answer_is_nakked_and_read_again():
    wire = Wire(Register(), nth("d2h", is_frame, flip_last))
    ex = exchange(STATUS)
    assert wire.run(ex) == Done(ANSWER_1)
    assert wire.sent["h2d"] == [b"\x05", STATUS_FRAME, bytes([NAK, ENQ]), b"\x06"]
    assert wire.sent["d2h"] == [b"\x15", b"\x06", encode_frame(ANSWER_1),
                                b"\x06", encode_frame(ANSWER_1)]
    assert wire.register.executed == [STATUS] and ex.frames_sent == 1


def test_truncated_answer_is_read_again():
    wire = Wire(Register(), nth("d2h", is_frame, lambda d: d[:-2]))
    ex = exchange(STATUS)
    assert wire.run(ex) == Done(ANSWER_1)
    assert wire.register.executed == [STATUS]
    assert "truncated frame (7 bytes)" in ex.log


def test_stale_pending_answer_at_the_first_enq_is_read_and_discarded():
    register = Register()
    wire = Wire(register, nth("h2d", lambda d: d == b"\x06", drop))   # host's ACK lost
    first = bytes.fromhex("13 01 00 00 00")
    assert wire.run(exchange(first)) == Done(bytes.fromhex("13 00 01 01 00 00"))
    assert register.link.pending is not None
    ex = exchange(STATUS)
    assert wire.run(ex) == Done(bytes.fromhex("10 00 02 01 00 00"))
    assert ex.discarded == [bytes.fromhex("13 00 01 01 00 00")]
    assert wire.sent["h2d"][3:] == [b"\x05", b"\x06", b"\x05", STATUS_FRAME, b"\x06"]
    assert register.executed == [first, STATUS]


def test_silent_register_is_offline_and_nothing_was_sent():
    wire = Wire(Register(), lambda d, i, data: data if d == "h2d" else b"")
    ex = exchange(STATUS)
    assert wire.run(ex) == Fail("offline", "no reply to 3 ENQ")
    assert wire.sent["h2d"] == [b"\x05"] * 3
    assert ex.frames_sent == 0 and wire.register.executed == []
    assert wire.clock == 3 * REPLY


def test_register_that_executes_but_never_answers_is_ambiguous():
    wire = Wire(Register(mute=True))
    ex = exchange(STATUS)
    result = wire.run(ex)
    assert isinstance(result, Fail) and result.kind == "ambiguous"
    assert wire.register.executed == [STATUS] and ex.frames_sent == 1
    assert wire.sent["h2d"] == [b"\x05", STATUS_FRAME] + [b"\x05"] * 3
    assert wire.clock == ANSWER + 3 * REPLY


def test_register_whose_answers_never_get_through_is_ambiguous():
    # It ACKs every ENQ but each answer frame is lost: the host re-asks a bounded number of times.
    wire = Wire(Register(), lambda d, i, data: b"" if d == "d2h" and is_frame(data) else data)
    ex = exchange(STATUS)
    result = wire.run(ex)
    assert result.kind == "ambiguous" and "4 times" in result.reason
    assert wire.register.executed == [STATUS] and ex.frames_sent == 1
    assert wire.sent["h2d"] == [b"\x05", STATUS_FRAME, b"\x05"] + [bytes([NAK, ENQ])] * 3


def test_slow_register_with_lost_ack_is_polled_until_it_answers():
    wire = Wire(Register(delay=3.5), nth("d2h", lambda d: d == b"\x06", drop))
    ex = exchange(STATUS)
    assert wire.run(ex) == Done(ANSWER_1)
    assert wire.register.executed == [STATUS] and ex.frames_sent == 1
    assert wire.clock == 3.5


def test_register_idle_after_accepting_is_ambiguous_not_resent():
    # It ACKed the frame; its answer was lost and the host's ENQ reached it mangled into ACK,
    # which cleared the answer: now it says idle, but the frame must not go out again.
    enqs = []

    def fault(direction: str, index: int, data: bytes) -> bytes:
        if direction == "d2h" and is_frame(data):
            return b""
        if direction == "h2d" and data == b"\x05":
            enqs.append(index)
            return b"\x06" if len(enqs) == 2 else data
        return data
    register = Register()
    wire = Wire(register, fault)
    ex = exchange(STATUS)
    result = wire.run(ex)
    assert register.executed == [STATUS] and ex.frames_sent == 1
    assert result.kind == "ambiguous" and "idle" in result.reason
    assert wire.sent["h2d"] == [b"\x05", STATUS_FRAME, b"\x05", b"\x05"]


def test_garbled_answer_then_idle_register_is_ambiguous_not_resent():
    # No ACK to the frame ever arrived, but a garbled answer did: the command ran. The host's
    # NAK to it reached the register as ACK and cleared it, so ENQ now gets NAK.
    wire = Wire(Register(), byte_faults([("d2h", 1, 0, "drop", 0), ("d2h", 2, 3, "set", 0xAA),
                                         ("h2d", 2, 0, "set", ACK)]))
    ex = exchange(STATUS)
    result = wire.run(ex)
    assert wire.register.executed == [STATUS] and ex.frames_sent == 1
    assert result.kind == "ambiguous"
    assert wire.sent["h2d"] == [b"\x05", STATUS_FRAME, bytes([NAK, ENQ])]


def test_duplicated_bytes():
    wire = Wire(Register(), lambda d, i, data: bytes(b for b in data for _ in range(2))
                if len(data) == 1 else data)
    assert wire.run(exchange(STATUS)) == Done(ANSWER_1)
    assert wire.register.executed == [STATUS]


def test_bytes_read_together_with_an_acted_on_reply_are_dropped():
    ex = exchange(STATUS)
    ex.start()
    # two NAKs in one read: the first makes the host send the frame; the second was sent before
    # the register saw the frame, so it is no NAK to it
    assert ex.on_bytes(b"\x15\x15") == [Send(STATUS_FRAME), Wait(REPLY)]
    assert ex.state == "sent"
    assert ex.log[-1] == "dropped 1 stale event(s) that arrived with the reply"
    assert ex.on_bytes(b"\x06") == [Wait(ANSWER)] and ex.state == "answer"
    assert ex.on_bytes(encode_frame(ANSWER_1)[:4]) == [Wait(REPLY)]       # the rest is coming
    assert ex.on_bytes(encode_frame(ANSWER_1)[4:]) == [Send(b"\x06"), Done(ANSWER_1)]


def test_exchange_refuses_calls_after_it_finished():
    wire = Wire(Register())
    ex = exchange(STATUS)
    wire.run(ex)
    with pytest.raises(RuntimeError):
        ex.on_timeout()
    with pytest.raises(RuntimeError):
        ex.start()


def test_device_link_rules():
    link = DeviceLink()
    assert link.feed(b"\x05") == [Send(b"\x15")]
    assert link.feed(STATUS_FRAME[:-1] + b"\x00") == [Send(b"\x15")]          # bad LRC
    assert link.feed(STATUS_FRAME + b"\x05") == [Send(b"\x06"), Execute(STATUS)]  # ENQ: silent
    with pytest.raises(RuntimeError):
        DeviceLink().answer(b"\x10\x00")
    answer = encode_frame(ANSWER_1)
    assert link.answer(ANSWER_1) == [Send(answer)]
    assert link.feed(b"\x15") == []                       # NAK: not resent until ENQ
    assert link.feed(b"\x05") == [Send(b"\x06"), Send(answer)]
    assert link.feed(b"\x06") == [] and link.pending is None
    assert link.feed(b"\x05") == [Send(b"\x15")]
    link.feed(b"\x02\x05\x10")                            # a frame cut short
    link.on_byte_timeout()
    assert link.feed(b"\x05") == [Send(b"\x15")]


# --- property: at most once ----------------------------------------------------------------
# A fault hits one byte: (direction, which transmission, offset in it, what happens). Bytes are
# replaced by the protocol's own STX/ENQ/ACK/NAK half the time: that is what fools a link layer.
fault_st = st.tuples(st.sampled_from(["h2d", "d2h"]), st.integers(0, 15),
                     st.one_of(st.just(0), st.integers(0, 30)),
                     st.sampled_from(["drop", "dup", "set"]),
                     st.one_of(st.sampled_from([0x02, 0x05, 0x06, 0x15]), st.integers(0, 255)))
command_st = st.tuples(st.sampled_from([0x10, 0x13, 0x17, 0x40, 0x80, 0x85, 0xE0, 0xFC]),
                       st.binary(max_size=24))


def byte_faults(faults) -> Filter:
    table = {(d, t, o): (kind, value) for d, t, o, kind, value in faults}

    def fault(direction: str, index: int, data: bytes) -> bytes:
        out = bytearray()
        for offset, byte in enumerate(data):
            kind, value = table.get((direction, index, offset), (None, byte))
            if kind == "drop":
                continue
            out += bytes([byte, byte]) if kind == "dup" else bytes([value])
        return bytes(out)
    return fault


# Known traps, always tried: the register's ACK to the frame mangled into NAK (a host that
# resends on NAK runs the command twice); its ACK lost, the answer garbled and the host's NAK
# mangled into ACK, which clears the answer (only the garbled answer shows it ran); a doubled
# ENQ and NAK leave stale NAKs queued in front of the ACK, read one byte at a time.
@example(commands=[(0x10, b"")], faults=[("d2h", 1, 0, "set", NAK)], delay=0.0, reads="all")
@example(commands=[(0x10, b"")], delay=0.0, reads="all", faults=[
    ("d2h", 1, 0, "drop", 0), ("d2h", 2, 3, "set", 0xAA), ("h2d", 2, 0, "set", ACK)])
@example(commands=[(0x10, b"")], delay=0.0, reads="one", faults=[
    ("h2d", 0, 0, "dup", 0), ("d2h", 0, 0, "dup", 0)])
@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(commands=st.lists(command_st, min_size=1, max_size=5),
       faults=st.lists(fault_st, max_size=8), delay=st.sampled_from([0.0, 0.0, 0.5, 3.0]),
       reads=st.sampled_from(["all", "one"]) | st.lists(st.integers(1, 40), min_size=1))
def test_each_command_runs_at_most_once_and_done_means_exactly_once(commands, faults, delay,
                                                                     reads):
    """Whatever single bytes are dropped, doubled or replaced (by anything, control bytes
    included), and however the host's reads split what arrives: no command runs twice; Done
    means it ran exactly once and this is its answer; offline / not_sent mean it never ran."""
    payloads = [bytes([cmd, n]) + d for n, (cmd, d) in enumerate(commands)]
    register = Register(delay=delay)
    sizes = itertools.cycle([1] if reads == "one" else [] if reads == "all" else reads)
    read_size = None if reads == "all" else lambda available: next(sizes)
    wire = Wire(register, byte_faults(faults), read_size)
    results = [wire.run(exchange(p)) for p in payloads]
    # A garbled frame that still passes the 1-byte LRC is beyond what the protocol can detect.
    assume(wire.false_accepts == 0)
    for payload, result in zip(payloads, results):
        runs = [i for i, p in enumerate(register.executed) if p == payload]
        assert len(runs) <= 1, (payload, results)
        if isinstance(result, Done):
            assert len(runs) == 1 and result.answer == register.answers[runs[0]]
        elif result.kind in ("offline", "not_sent"):
            assert runs == []
        else:
            assert result.kind == "ambiguous"
    assert set(register.executed) <= set(payloads)
    if not faults:
        assert all(isinstance(r, Done) for r in results)
