"""The Shtrih-M link layer ("стандартный нижний уровень", protocol v1): frames and handshakes.

Frames, the stream parser and the event/action types live in ``shtrih_frames`` and are
re-exported here, so ``from fiscal.protocols.shtrih import ...`` is the one import to use.

Protocol v1 has no sequence numbers, so a frame sent twice is executed twice. The two state
machines here therefore never resend a frame the register may have accepted:

* ``HostExchange`` runs ONE command as the host (the driver does the reading and writing). It
  resends the frame only after the register has said, by NAKing an ENQ, that it is idle with no
  answer pending, then stayed quiet for a reply time (a NAK read late may be stale, with the
  register's ACK queued behind it) — and only while nothing but NAKs has come back since the
  frame went out. A NAK to the frame itself is not trusted either (a mangled ACK looks like
  one): the host asks ENQ first. Anything else the register sent after the frame (an ACK, a
  frame, even garbage) is taken as a sign it may have executed it: from then on the host only
  asks for the answer (ENQ) and ends ``ambiguous`` if it cannot get it.
* ``DeviceLink`` is the register's side, for the emulator; it behaves like the real register,
  including executing a new frame even when an unread answer is pending.

Bytes that arrive in the same read as a reply the host has already acted on were sent before the
register saw what the host sent in response, so they cannot be a reply to it: the host drops
them (it still notes that they came). The driver should hand over everything a read returns
(read what is waiting, not one byte at a time), but correctness does not depend on it.
"""
from __future__ import annotations

from fiscal.protocols.shtrih_frames import (ACK, ADMIN_PASSWORD, CASHIER_PASSWORD, CONTROLS, ENQ,
                                            MAX_PAYLOAD, NAK, STX, Action, BadFrame, Control,
                                            Done, Event, Execute, Fail, Frame, FrameAssembler,
                                            FrameError, Send, Wait, decode_frame, encode_frame,
                                            join_command, lrc, split_command)

__all__ = ["ACK", "ADMIN_PASSWORD", "CASHIER_PASSWORD", "CONTROLS", "ENQ", "MAX_PAYLOAD", "NAK",
           "STX", "Action", "BadFrame", "Control", "DeviceLink", "Done", "Event", "Execute",
           "Fail", "Frame", "FrameAssembler", "FrameError", "HostExchange", "Send", "Wait",
           "decode_frame", "encode_frame", "join_command", "lrc", "split_command"]


# --- the host's side -----------------------------------------------------------------------
_HANDSHAKE, _SENT, _ANSWER, _POLL, _CONFIRM, _FINISHED = (
    "handshake", "sent", "answer", "poll", "confirm", "finished")
_MAX_IDLE_READS = 1000      # reads that bring only noise or frame pieces before we stop waiting


class HostExchange:
    """One command as the host runs it, sans-io (research/fiscal.md §1.1).

    ``start()``, ``on_bytes()`` and ``on_timeout()`` each return actions; the last one is always
    ``Wait``, ``Done`` or ``Fail``. ``log`` records every decision; ``discarded`` holds stale
    answers read (and ACKed) before the command was sent — answers to an earlier command whose
    reply the host never got. ``reply_timeout`` bounds the wait for the register's one-byte
    replies (SH-PROTO-EN asks for at least 10 s for the reply to ENQ); ``answer_timeout`` is how
    long the command may take to execute.
    """

    def __init__(self, payload: bytes, answer_timeout: float = 30.0, *,
                 reply_timeout: float = 10.0, max_sends: int = 3, max_enq: int = 3,
                 max_rereads: int = 3, max_handshakes: int = 5):
        self.payload = bytes(payload)
        self.frame = encode_frame(self.payload)
        self.answer_timeout = answer_timeout
        self.reply_timeout = reply_timeout
        self.max_sends, self.max_enq = max_sends, max_enq
        self.max_rereads, self.max_handshakes = max_rereads, max_handshakes
        self.log: list[str] = []
        self.discarded: list[bytes] = []
        self.frames_sent = 0
        self.result: Done | Fail | None = None
        self._asm = FrameAssembler()
        self._state = ""
        self._wait = reply_timeout
        self._maybe_executed = False   # since the frame went out, something other than NAK came
        self._accepted = False         # the register ACKed the frame
        self._stale_expected = False   # ACK to the handshake ENQ: a stale answer follows
        self._resent_expected = False  # ACK to a poll ENQ: the answer is being sent again
        self._silent_enqs = 0          # handshake ENQs that got no reply at all
        self._handshakes = 0
        self._rereads = 0
        self._silent_polls = 0
        self._waited = 0.0             # silence since the frame went out, in seconds
        self._idle_reads = 0

    @property
    def state(self) -> str:
        return self._state

    def start(self) -> list[Action]:
        if self._state:
            raise RuntimeError("the exchange has already started")
        self._state = _HANDSHAKE
        self.log.append("send ENQ")
        return [Send(bytes([ENQ])), self._wait_for(self.reply_timeout)]

    def on_bytes(self, data: bytes) -> list[Action]:
        self._check_running()
        if self._state != _HANDSHAKE and any(b != NAK for b in data):
            self._maybe_executed = True
        events = self._asm.feed(data)
        for index, event in enumerate(events):
            actions = self._on_event(event)
            if actions:
                self._idle_reads = 0
                if index + 1 < len(events) or self._asm.partial:
                    self._asm.reset()
                    self.log.append(f"dropped {len(events) - index - 1} stale event(s) "
                                    "that arrived with the reply")
                return actions
        self._idle_reads += 1
        if self._idle_reads > _MAX_IDLE_READS:
            self.log.append("only noise keeps arriving")
            return self.on_timeout()
        # A frame in pieces: its rest follows within a byte timeout, not a command's time.
        return [Wait(self.reply_timeout if self._asm.partial else self._wait)]

    def on_timeout(self) -> list[Action]:
        self._check_running()
        self._idle_reads = 0
        if self._asm.partial:
            dropped = self._asm.reset()
            self.log.append(f"truncated frame ({len(dropped)} bytes)")
            if self._state == _HANDSHAKE:
                return [Send(bytes([NAK]))] + self._enq_again("truncated stale answer")
            return self._reread("truncated answer")
        if self._state == _CONFIRM:
            self.log.append("still quiet: the frame never arrived")
            return self._send_frame()
        if self._state == _HANDSHAKE:
            if self._stale_expected:
                return self._enq_again("the stale answer did not come")
            self._silent_enqs += 1
            if self._silent_enqs >= self.max_enq:
                return self._finish(Fail("offline", f"no reply to {self._silent_enqs} ENQ"))
            self.log.append("no reply to ENQ: send ENQ")
            return [Send(bytes([ENQ])), self._wait_for(self.reply_timeout)]
        self._waited += self._wait
        if self._state == _ANSWER and self._resent_expected:
            return self._reread("no answer after ACK to ENQ")
        if self._state == _POLL:
            self._silent_polls += 1
            if self._waited >= self.answer_timeout and self._silent_polls >= self.max_enq:
                return self._finish(Fail("ambiguous", "no answer within "
                                         f"{self.answer_timeout:g} s; the register may have "
                                         "executed the command"))
        self.log.append(f"silence in {self._state}: send ENQ")
        return self._poll()

    # -- events --------------------------------------------------------------------------
    def _on_event(self, event: Event) -> list[Action] | None:
        if isinstance(event, Frame):
            if self._state == _HANDSHAKE:
                self.discarded.append(event.payload)
                self._stale_expected = False
                return [Send(bytes([ACK]))] + self._enq_again("stale answer read and discarded")
            return self._accept(event.payload)
        if isinstance(event, BadFrame):
            if self._state == _HANDSHAKE:
                return [Send(bytes([NAK]))] + self._enq_again("garbled stale answer")
            return self._reread("bad answer LRC")
        byte = event.byte
        if self._state == _HANDSHAKE:
            if byte == NAK:
                self.log.append("register idle")
                return self._send_frame()
            if byte == ACK:
                self.log.append("ACK to ENQ: a stale answer is pending")
                self._stale_expected = True
            return None
        if byte == ACK and self._state in (_SENT, _POLL, _CONFIRM):
            to_frame = self._state != _POLL
            self.log.append("frame accepted" if to_frame else "ACK to ENQ: the answer is pending")
            self._accepted = self._accepted or to_frame
            self._resent_expected = not to_frame
            self._state = _ANSWER
            # after ACK to the frame the register executes; after ACK to ENQ it re-sends at once
            self._wait = self._remaining() if to_frame else self.reply_timeout
            return None
        if byte == NAK and self._state == _SENT:
            # Maybe a real NAK, maybe a mangled ACK: ask whether the register is idle first.
            self.log.append("NAK to the frame: send ENQ to confirm the register is idle")
            return self._poll()
        if byte == NAK and self._state == _POLL:
            if self._maybe_executed or self._accepted:
                return self._finish(Fail("ambiguous", "the register is idle but its answer "
                                         "never arrived; it may have executed the command"))
            if self.frames_sent >= self.max_sends:
                return self._finish(Fail("not_sent", f"the register did not accept the frame "
                                         f"in {self.frames_sent} tries"))
            # A NAK read now may be stale (sent before our ENQ, read late): before resending,
            # stay quiet for a reply time, so that an ACK or answer still queued behind it shows.
            self.log.append("register idle, nothing pending: wait for quiet, then resend")
            self._state = _CONFIRM
            return [self._wait_for(self.reply_timeout)]
        self.log.append(f"ignored 0x{byte:02X} in {self._state}")
        return None

    # -- steps ---------------------------------------------------------------------------
    def _send_frame(self) -> list[Action]:
        self.frames_sent += 1
        self._state = _SENT
        self.log.append(f"send frame ({self.frames_sent}/{self.max_sends})")
        return [Send(self.frame), self._wait_for(self.reply_timeout)]

    def _enq_again(self, why: str) -> list[Action]:
        self._handshakes += 1
        self._stale_expected = False
        if self._handshakes > self.max_handshakes:
            return self._finish(Fail("not_sent", f"{why}; the register would not become idle"))
        self.log.append(f"{why}: send ENQ")
        return [Send(bytes([ENQ])), self._wait_for(self.reply_timeout)]

    def _poll(self) -> list[Action]:
        self._state = _POLL
        return [Send(bytes([ENQ])), self._wait_for(self.reply_timeout)]

    def _reread(self, why: str) -> list[Action]:
        self._rereads += 1
        if self._rereads > self.max_rereads:
            return self._finish(Fail("ambiguous", f"{why} {self._rereads} times; the register "
                                     "executed the command but its answer could not be read"))
        self.log.append(f"{why}: send NAK, ENQ")
        self._state = _POLL
        return [Send(bytes([NAK, ENQ])), self._wait_for(self.reply_timeout)]

    def _accept(self, answer: bytes) -> list[Action]:
        asked, got = split_command(self.payload)[0], _answered(answer)
        # A two-byte command answered with another FF xx code carries the result code in its
        # low byte (the vendor's JavaPOS driver reads it so); decode_answer deals with it.
        jpos_error = asked > 0xFF and answer[0] == 0xFF and len(answer) == 2
        if got != asked and not jpos_error:
            return [Send(bytes([ACK]))] + self._finish(Fail(
                "ambiguous", f"an answer to command 0x{got:02X} arrived instead"))
        self.log.append("answer received: send ACK")
        return [Send(bytes([ACK]))] + self._finish(Done(answer))

    def _finish(self, result: Done | Fail) -> list[Action]:
        self._state = _FINISHED
        self.result = result
        self.log.append(f"{type(result).__name__.lower()}"
                        + (f" {result.kind}: {result.reason}" if isinstance(result, Fail) else ""))
        return [result]

    def _remaining(self) -> float:
        return max(self.answer_timeout - self._waited, self.reply_timeout)

    def _wait_for(self, seconds: float) -> Wait:
        self._wait = seconds
        return Wait(seconds)

    def _check_running(self) -> None:
        if self._state in ("", _FINISHED):
            raise RuntimeError("the exchange is not running")


def _answered(answer: bytes) -> int:
    """The command code an answer names (FF xx for the FN commands)."""
    return (answer[0] << 8 | answer[1]) if answer[0] == 0xFF and len(answer) > 1 else answer[0]


# --- the register's side -------------------------------------------------------------------
class DeviceLink:
    """The register's link layer, sans-io, for the emulator.

    ``feed`` returns ``Send`` and ``Execute`` items in order; after an ``Execute`` the emulator
    calls ``answer(payload)`` once the command has run. The answer stays pending until the host
    ACKs it; ENQ gets ACK + the answer again (NAK when idle, nothing while executing).
    """

    def __init__(self) -> None:
        self._asm = FrameAssembler()
        self.pending: bytes | None = None     # the answer frame the host has not ACKed
        self.executing = False
        self.log: list[str] = []

    def feed(self, data: bytes) -> list[Send | Execute]:
        out: list[Send | Execute] = []
        for event in self._asm.feed(data):
            if isinstance(event, Frame):
                if self.executing:
                    self.log.append("frame while executing: ignored")
                    continue
                if self.pending is not None:
                    # The host chose not to read it; a real register executes the new frame.
                    self.log.append("new frame: the unread answer is dropped")
                    self.pending = None
                self.executing = True
                out += [Send(bytes([ACK])), Execute(event.payload)]
            elif isinstance(event, BadFrame):
                if not self.executing:
                    out.append(Send(bytes([NAK])))
            elif event.byte == ENQ:
                if self.executing:
                    continue
                if self.pending is not None:
                    out += [Send(bytes([ACK])), Send(self.pending)]
                else:
                    out.append(Send(bytes([NAK])))
            elif event.byte == ACK and self.pending is not None and not self.executing:
                self.pending = None
            # NAK: the answer stays pending until the next ENQ; it is not resent now.
        return out

    def answer(self, payload: bytes) -> list[Send]:
        if not self.executing:
            raise RuntimeError("answer() without a command being executed")
        self.executing = False
        self.pending = encode_frame(payload)
        return [Send(self.pending)]

    def on_byte_timeout(self) -> list[Send]:
        """The host went quiet for the inter-byte timeout: a partial frame is dropped."""
        if self._asm.partial:
            self.log.append(f"partial frame dropped ({len(self._asm.reset())} bytes)")
        return []
