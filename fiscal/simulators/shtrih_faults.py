"""Byte-level faults of the Shtrih-M emulator, armed in the register's ``FiscalMemory``.

A test in any process arms a fault with ``arm_wire_fault`` (or ``FiscalMemory.arm_fault`` with
``on=command_key(code)`` or ``"any"``); the emulator takes it (one use per command frame, or per
answer transmission for the answer faults) and counts ``times`` down; ``times=None`` keeps it
until ``FiscalMemory.clear_faults()``.

Faults taken when a good command frame arrives:

* ``nak_frame`` — answer NAK instead of ACK; the command is not executed;
* ``lose_ack`` — execute, but send no ACK (the answer follows, after ``seconds`` if given);
* ``delay_answer`` — execute; the answer comes ``seconds`` later (default 1 s);
* ``stop_answering`` — the register goes silent for ``seconds`` (default 5 s); ``point``
  ``before`` (default): the frame is ignored and not executed; ``after``: ACK, execute, the
  answer is kept pending (an ENQ after the silence gets ACK + the answer);
* ``disconnect`` — over TCP the connection is closed; on the pty the register stops answering
  for ``seconds`` (default: until the faults are cleared); ``point`` as for ``stop_answering``
  (``after``: executed, the answer stays pending for the next ENQ);
* ``paper_runs_out`` — the paper ends (``SimulatedRegister.paper_runs_out``): ``point``
  ``before`` (default) the command executes (a printing command is refused with 0x6B), or
  ``after`` it.

Faults taken when an answer frame is transmitted (first sending or a resend after ENQ):

* ``drop_answer_byte`` — one byte of the answer frame is not sent (``byte`` = index in the
  frame STX..LRC, default -1: the LRC, so the answer is truncated);
* ``corrupt_answer_byte`` — one byte of the answer frame is XORed with 0xFF (``byte`` as above,
  default -1: the LRC, so the answer has a bad LRC).
"""
from __future__ import annotations

from typing import Iterable

from fiscal.simulators.fiscal_memory import Fault, FiscalMemory

FRAME_FAULTS = frozenset({"nak_frame", "lose_ack", "delay_answer", "stop_answering",
                          "disconnect", "paper_runs_out"})
ANSWER_FAULTS = frozenset({"drop_answer_byte", "corrupt_answer_byte"})
WIRE_FAULTS = FRAME_FAULTS | ANSWER_FAULTS
DEFAULT_SECONDS = {"delay_answer": 1.0, "stop_answering": 5.0}


def command_key(command: int | str | None) -> str:
    """The ``on`` value for a command: ``0x80``, ``0xFF46`` (upper-case hex), or ``any``."""
    if command is None or command == "any":
        return "any"
    if isinstance(command, str):
        command = int(command, 16) if command.lower().startswith("0x") else int(command)
    if not 0 <= command <= 0xFFFF or 0xFF < command < 0xFF00:
        raise ValueError(f"not a Shtrih command code: {command!r}")
    return f"0x{command:04X}" if command > 0xFF else f"0x{command:02X}"


def arm_wire_fault(memory: FiscalMemory, fault: str, command: int | str | None = None,
                   times: int | None = 1, seconds: float | None = None,
                   byte: int | None = None, point: str | None = None) -> int:
    """Arm a byte-level fault for ``command`` (a code such as ``0x80`` / ``0xFF46``; None or
    ``"any"`` for every command); returns the fault's id."""
    if fault not in WIRE_FAULTS:
        raise ValueError(f"unknown emulator fault {fault!r}; known: {sorted(WIRE_FAULTS)}")
    if point not in (None, "before", "after"):
        raise ValueError("point is 'before' or 'after'")
    return memory.arm_fault(fault, on=command_key(command), times=times, seconds=seconds,
                            point=point, code=byte)


def take(memory: FiscalMemory, command: int, kinds: Iterable[str]) -> Fault | None:
    return memory.take_fault(command_key(command), frozenset(kinds))


def seconds_of(fault: Fault, default: float | None = None) -> float | None:
    if fault.seconds is not None:
        return float(fault.seconds)
    return DEFAULT_SECONDS.get(fault.fault, default)


def mangle(data: bytes, frame: bytes, fault: Fault) -> bytes:
    """``data`` (which contains the answer ``frame``) with one of the frame's bytes dropped or
    corrupted as the answer fault says."""
    at = data.find(frame)
    if at < 0 or not frame:
        return data
    index = fault.code if fault.code is not None else -1
    if not -len(frame) <= index < len(frame):
        index = -1
    index %= len(frame)
    pos = at + index
    if fault.fault == "drop_answer_byte":
        return data[:pos] + data[pos + 1:]
    return data[:pos] + bytes([data[pos] ^ 0xFF]) + data[pos + 1:]
