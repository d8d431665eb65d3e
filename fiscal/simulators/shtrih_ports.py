"""The Shtrih-M emulator's ports: a pty (raw mode) and accepted TCP connections.

``write`` simulates the line rate when ``baud`` is set (each byte takes 10/baud s, 8N1) and
drops what cannot be written, as a serial line loses bytes nobody reads.
"""
from __future__ import annotations

import logging
import os
import socket
import time
import tty

log = logging.getLogger("fiscal.simulators.shtrih")


class Port:
    """One connection to the device: the pty master or an accepted TCP socket."""

    kind = "port"

    def __init__(self, baud: int | None):
        self.baud = baud
        self.closed = False

    def fileno(self) -> int:
        raise NotImplementedError

    def _write_some(self, data: bytes) -> None:
        raise NotImplementedError

    def read(self) -> bytes:
        raise NotImplementedError

    def write(self, data: bytes) -> None:
        if self.closed or not data:
            return
        try:
            if not self.baud:
                self._write_some(data)
                return
            per_byte, start = 10.0 / self.baud, time.monotonic()
            for i in range(len(data)):
                pause = start + i * per_byte - time.monotonic()
                if pause > 0:
                    time.sleep(pause)
                self._write_some(data[i:i + 1])
            pause = start + len(data) * per_byte - time.monotonic()
            if pause > 0:
                time.sleep(pause)
        except OSError as exc:          # nobody listening: the bytes are lost, as on a line
            log.debug("shtrih emulator: write to %s failed: %s", self.kind, exc)

    def close(self) -> None:
        self.closed = True


class PtyPort(Port):
    kind = "pty"

    def __init__(self, baud: int | None):
        super().__init__(baud)
        self.master, self.slave = os.openpty()
        tty.setraw(self.slave)          # no echo, no line editing, 8 bits through
        tty.setraw(self.master)
        os.set_blocking(self.master, False)
        self.path = os.ttyname(self.slave)   # the slave stays open: no EIO between clients

    def fileno(self) -> int:
        return self.master

    def read(self) -> bytes:
        try:
            return os.read(self.master, 4096)
        except (BlockingIOError, InterruptedError):
            return b""

    def _write_some(self, data: bytes) -> None:
        while data:
            try:
                n = os.write(self.master, data)
            except BlockingIOError:     # the client does not read: drop the rest
                return
            data = data[n:]

    def close(self) -> None:
        if not self.closed:
            super().close()
            for fd in (self.master, self.slave):
                try:
                    os.close(fd)
                except OSError:
                    pass


class TcpPort(Port):
    kind = "tcp"

    def __init__(self, sock: socket.socket, baud: int | None):
        super().__init__(baud)
        self.sock = sock
        sock.settimeout(10.0)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def fileno(self) -> int:
        return self.sock.fileno()

    def read(self) -> bytes:
        try:
            data = self.sock.recv(4096)
        except OSError:
            data = b""
        if not data:
            self.closed = True
        return data

    def _write_some(self, data: bytes) -> None:
        self.sock.sendall(data)

    def close(self) -> None:
        """Close the connection (the port thread notices and ends)."""
        if not self.closed:
            super().close()
            try:
                self.sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
