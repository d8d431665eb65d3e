"""Shtrih-M frames (protocol v1): constants, LRC, frame codec, the stream parser, events.

A frame is ``STX LEN payload LRC``; the payload is the command (one byte, or ``FF xx`` high byte
first) and its data; LRC is the XOR of LEN and the payload (research/fiscal.md §1.1). Everything
here is re-exported by ``fiscal.protocols.shtrih``; import it from there.
"""
from __future__ import annotations

from dataclasses import dataclass

STX = 0x02
ENQ = 0x05
ACK = 0x06
NAK = 0x15
CONTROLS = frozenset({ENQ, ACK, NAK})

CASHIER_PASSWORD = 1
ADMIN_PASSWORD = 30

MAX_PAYLOAD = 255


class FrameError(ValueError):
    """A frame or payload that does not follow the protocol's layout."""


def lrc(body: bytes) -> int:
    """XOR of every byte after STX: LEN, the command byte(s) and the data."""
    value = 0
    for byte in body:
        value ^= byte
    return value


def encode_frame(payload: bytes) -> bytes:
    """``STX LEN payload LRC``; the payload is 1..255 bytes (LEN is one byte)."""
    if not 1 <= len(payload) <= MAX_PAYLOAD:
        raise ValueError(f"payload of {len(payload)} bytes: a frame carries 1..255")
    body = bytes([len(payload)]) + bytes(payload)
    return bytes([STX]) + body + bytes([lrc(body)])


def decode_frame(frame: bytes) -> bytes:
    """The payload of one complete frame; ``FrameError`` on a bad STX, length or LRC."""
    if len(frame) < 4 or frame[0] != STX:
        raise FrameError(f"not a frame: {bytes(frame[:8]).hex(' ')}")
    length = frame[1]
    if length == 0 or len(frame) != length + 3:
        raise FrameError(f"LEN {length} does not match a frame of {len(frame)} bytes")
    if lrc(frame[1:-1]) != frame[-1]:
        raise FrameError(f"bad LRC 0x{frame[-1]:02X}, expected 0x{lrc(frame[1:-1]):02X}")
    return bytes(frame[2:-1])


def join_command(command: int, data: bytes = b"") -> bytes:
    """Command code + data: 0x00..0xFE is one byte, 0xFF00..0xFFFF two bytes high first."""
    if 0 <= command <= 0xFE:
        return bytes([command]) + bytes(data)
    if 0xFF00 <= command <= 0xFFFF:
        return command.to_bytes(2, "big") + bytes(data)
    raise ValueError(f"0x{command:X} is not a Shtrih-M command code")


def split_command(payload: bytes) -> tuple[int, bytes]:
    """``(command, data)`` from a payload; FF-prefixed commands take two bytes."""
    if not payload:
        raise FrameError("empty payload")
    if payload[0] == 0xFF:
        if len(payload) < 2:
            raise FrameError("FF command without its second byte")
        return 0xFF00 | payload[1], bytes(payload[2:])
    return payload[0], bytes(payload[1:])


# --- events, actions -----------------------------------------------------------------------
@dataclass(frozen=True)
class Control:
    """ENQ, ACK or NAK seen outside a frame."""
    byte: int


@dataclass(frozen=True)
class Frame:
    """A complete frame with a good LRC."""
    payload: bytes


@dataclass(frozen=True)
class BadFrame:
    """A complete frame (STX, LEN, LEN bytes, LRC) whose LRC or length is wrong."""
    raw: bytes


Event = Control | Frame | BadFrame


@dataclass(frozen=True)
class Send:
    """Write these bytes."""
    data: bytes


@dataclass(frozen=True)
class Wait:
    """Read next, with this timeout; then call ``on_bytes`` or ``on_timeout``."""
    seconds: float


@dataclass(frozen=True)
class Done:
    """The command's answer (command + result code + data); its ACK was sent just before."""
    answer: bytes


@dataclass(frozen=True)
class Fail:
    """``offline``: no reply at all, nothing sent. ``not_sent``: the register never accepted
    the frame, safe to try again. ``ambiguous``: it may have executed, the answer is lost."""
    kind: str
    reason: str


@dataclass(frozen=True)
class Execute:
    """A good command frame arrived (its ACK is already queued): execute, then ``answer()``."""
    payload: bytes


Action = Send | Wait | Done | Fail


class FrameAssembler:
    """Incremental parser of a byte stream into ``Control``, ``Frame`` and ``BadFrame`` events.

    A frame is complete after STX, LEN, LEN bytes and the LRC byte. Bytes outside a frame that
    are neither STX nor a control byte are noise: dropped and counted in ``noise``.
    """

    def __init__(self) -> None:
        self._buf = bytearray()
        self.noise = 0

    @property
    def partial(self) -> bool:
        """True while a frame has started (STX seen) and is not yet complete."""
        return bool(self._buf)

    def reset(self) -> bytes:
        """Drop a partial frame (its sender went quiet mid-frame); returns what was dropped."""
        dropped = bytes(self._buf)
        self.noise += len(dropped)
        self._buf.clear()
        return dropped

    def feed(self, data: bytes) -> list[Event]:
        events: list[Event] = []
        for byte in data:
            if not self._buf:
                if byte == STX:
                    self._buf.append(byte)
                elif byte in CONTROLS:
                    events.append(Control(byte))
                else:
                    self.noise += 1
                continue
            self._buf.append(byte)
            if len(self._buf) == self._buf[1] + 3:
                raw = bytes(self._buf)
                self._buf.clear()
                try:
                    events.append(Frame(decode_frame(raw)))
                except FrameError:
                    events.append(BadFrame(raw))
        return events
