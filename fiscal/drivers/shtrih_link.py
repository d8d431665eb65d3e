"""The host end of a Shtrih-M line over pyserial: runs the protocol's sans-io ``HostExchange``
on a real port (a device path, a pty, ``socket://host:port`` for registers on Ethernet, or any
other pyserial URL) and turns its outcome into the driver contract's errors.

All the protocol decisions (when to resend, when to ask with ENQ, when to give up) live in
``fiscal.protocols.shtrih``; this module only moves bytes and keeps time.
"""
from __future__ import annotations

import logging

import serial

from fiscal.drivers.base import Ambiguous, NotPrinted, RegisterOffline
from fiscal.protocols.shtrih import Done, Fail, HostExchange, Send, Wait

log = logging.getLogger(__name__)

# Vendor answer timeouts per command, in seconds (the official JavaPOS driver's defaults,
# research/fiscal.md §1.1): reports and shift commands print for a long time.
ANSWER_TIMEOUTS = {0x10: 3.0, 0x11: 3.0, 0x16: 60.0, 0x40: 30.0, 0x41: 65.0, 0xE0: 120.0,
                   0xFF61: 40.0, 0xFF67: 40.0}
DEFAULT_ANSWER_TIMEOUT = 30.0


class ShtrihLink:
    """One open line to one register; ``exchange`` runs one command on it."""

    def __init__(self, url: str, baudrate: int = 115200, timeout_scale: float = 1.0):
        self.url = url
        self.baudrate = baudrate
        self.timeout_scale = timeout_scale
        # The register answers ENQ within 10 s at most (SH-PROTO-EN); scaled down in tests.
        self.reply_timeout = 10.0 * timeout_scale
        self.port: serial.SerialBase | None = None
        self.last_log: list[str] = []
        self.bytes_sent = 0             # on the wire, both ways, since the link was made
        self.bytes_received = 0

    def open(self) -> None:
        try:
            self.port = serial.serial_for_url(self.url, baudrate=self.baudrate, timeout=1.0,
                                              write_timeout=10.0)
        except (serial.SerialException, OSError, ValueError) as exc:
            raise RegisterOffline("no_connection", f"Cannot open {self.url}: {exc}",
                                  "Check the register's cable (or network) and power") from exc

    def close(self) -> None:
        if self.port is not None:
            try:
                self.port.close()
            except Exception:           # closing a dead line must not hide the real error
                pass
            self.port = None

    def answer_timeout(self, command: int) -> float:
        return ANSWER_TIMEOUTS.get(command, DEFAULT_ANSWER_TIMEOUT) * self.timeout_scale

    def exchange(self, command: int, payload: bytes) -> bytes:
        """Send one command payload; return the answer payload (command + code + data).

        Raises ``RegisterOffline`` (no answer to ENQ: nothing was sent), ``NotPrinted`` (the
        register refused the frame every time: it never took it) or ``Ambiguous`` (the frame
        may have been executed and its answer could not be read)."""
        if self.port is None:
            self.open()
        ex = HostExchange(payload, answer_timeout=self.answer_timeout(command),
                          reply_timeout=self.reply_timeout)
        try:
            actions = ex.start()
            while True:
                actions = self._perform(ex, actions)
                if isinstance(actions, Done):
                    return actions.answer
                if isinstance(actions, Fail):
                    raise self._failure(command, actions)
        except (serial.SerialException, OSError) as exc:
            self.close()
            if ex.frames_sent:
                raise Ambiguous("line_lost", f"The line to the register broke during command "
                                f"0x{command:02X}: {exc}",
                                "The hub checks the register's fiscal memory first") from exc
            raise RegisterOffline("line_lost", f"The line to the register broke: {exc}",
                                  "Check the register's cable (or network) and power") from exc
        finally:
            self.last_log = list(ex.log)

    def _perform(self, ex: HostExchange, actions):
        """Carry out the actions in order; the batch ends with Wait (read, and return what
        the exchange says next), Done or Fail (returned)."""
        for action in actions:
            if isinstance(action, Send):
                self.port.write(action.data)
                self.port.flush()
                self.bytes_sent += len(action.data)
            elif isinstance(action, Wait):
                return self._read(ex, action.seconds)
            else:
                return action
        raise RuntimeError("the exchange ended a step without Wait, Done or Fail")

    def _read(self, ex: HostExchange, seconds: float) -> list:
        self.port.timeout = max(seconds, 0.001)
        first = self.port.read(1)
        if not first:
            return ex.on_timeout()
        waiting = self.port.in_waiting
        rest = self.port.read(waiting) if waiting else b""
        self.bytes_received += 1 + len(rest)
        return ex.on_bytes(first + rest)

    def _failure(self, command: int, fail: Fail):
        where = f"command 0x{command:02X}"
        if fail.kind == "offline":
            return RegisterOffline("no_answer", f"The register does not answer ({fail.reason})",
                                   "Check that the register is on and connected")
        if fail.kind == "not_sent":
            return NotPrinted("line_errors", f"The register did not accept {where} "
                              f"({fail.reason})", "Check the cable; the job is retried")
        return Ambiguous("no_answer", f"No answer to {where} ({fail.reason})",
                         "The hub checks the register's fiscal memory before anything else")

