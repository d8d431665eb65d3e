"""A Shtrih-M register (ШТРИХ-М-01Ф) that speaks the serial protocol byte for byte.

``ShtrihEmulator(memory_path)`` is the device: the register side of the link
(``fiscal.protocols.shtrih.DeviceLink``) over a pty (``start_pty() -> slave path``) and/or TCP on
127.0.0.1 (``start_tcp(port) -> port``; ``socket://127.0.0.1:PORT`` for pyserial), serving ONE
device — one link state and one fiscal memory — whichever port the bytes come from. Each good
command frame is executed by ``shtrih_commands_handler.ShtrihCommandHandler`` on a
``SimulatedRegister`` over the ``FiscalMemory`` at ``memory_path`` (the virtual register's format:
several processes may share it). Commands run on an executor thread while the port threads keep
reading, so an ENQ during a command gets no answer, as on the real device; a frame that stops
short is dropped after the register's 50 ms inter-byte timeout.

``baud=N`` simulates the line rate (each byte written takes 10/N s, 8N1); ``delay`` is added
before every answer. Byte-level faults are armed in the memory (``shtrih_faults``).

Run it in the background (``with ShtrihEmulator(path) as emu: path = emu.start_pty()``), in a
child process for kill tests (``shtrih_process.ShtrihEmulatorProcess``), or from the command
line: ``python -m fiscal.simulators.shtrih --memory PATH [--pty] [--tcp PORT] [--baud N]``
(what ``fiscalhub emulate shtrih`` runs).
"""
from __future__ import annotations

import logging
import os
import queue
import select
import socket
import threading
import time
from dataclasses import dataclass
from typing import Callable

from fiscal.protocols import shtrih as P
from fiscal.simulators import shtrih_faults as F
from fiscal.simulators.fiscal_memory import Fault, FiscalMemory
from fiscal.simulators.register import SimulatedRegister
from fiscal.simulators.shtrih_commands_handler import MODEL_NAME, ShtrihCommandHandler
from fiscal.simulators.shtrih_ports import Port, PtyPort, TcpPort

__all__ = ["ShtrihEmulator", "MODEL_NAME"]

log = logging.getLogger(__name__)
_ACK, _NAK = bytes([P.ACK]), bytes([P.NAK])
BYTE_TIMEOUT = 0.05          # the register's inter-byte timeout: a partial frame is dropped


@dataclass
class _Job:
    port: Port
    command: int
    payload: bytes
    extra_delay: float = 0.0
    then: str | None = None             # None, "silent", "disconnect", "paper"
    fault: Fault | None = None


class ShtrihEmulator:
    """The device. Thread-safe; ``stop()`` (or leaving the ``with`` block) ends every thread."""

    def __init__(self, memory_path: str | os.PathLike, baud: int | None = None,
                 delay: float = 0.0):
        self.memory_path = str(memory_path)
        self.memory = FiscalMemory(self.memory_path, model=MODEL_NAME)
        self.register = SimulatedRegister(self.memory)
        self.handler = ShtrihCommandHandler(self.register)
        self.baud, self.delay = baud, float(delay)
        self.pty_path: str | None = None
        self.tcp_port: int | None = None
        self._lock = threading.RLock()          # the link, the mute state, the writes
        self._link = P.DeviceLink()
        self._pending: tuple[int, bytes] | None = None   # command and frame of the last answer
        self._mute_until = 0.0
        self._mute_generation: int | None = None         # muted until faults are cleared
        self._stopping = threading.Event()
        self._stop_r, self._stop_w = os.pipe()
        self._jobs: queue.Queue[_Job | None] = queue.Queue()
        self._threads: list[threading.Thread] = []
        self._ports: list[Port] = []
        self._listener: socket.socket | None = None
        self._spawn(self._executor, "shtrih-executor")

    # public ---------------------------------------------------------------------------------
    def start_pty(self) -> str:
        """Serve on a new pty (raw mode); returns the slave's path for the host to open."""
        port = PtyPort(self.baud)
        self._ports.append(port)
        self.pty_path = port.path
        self._spawn(lambda: self._serve_port(port), "shtrih-pty")
        return port.path

    def start_tcp(self, port: int = 0) -> int:
        """Listen on 127.0.0.1:``port`` (0: any free port); returns the port."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(4)
        self._listener = listener
        self.tcp_port = listener.getsockname()[1]
        self._spawn(self._accept, "shtrih-tcp")
        return self.tcp_port

    def stop(self) -> None:
        if self._stopping.is_set():
            return
        self._stopping.set()
        os.write(self._stop_w, b"x")
        self._jobs.put(None)
        for port in list(self._ports):
            if isinstance(port, TcpPort):
                port.close()
        for t in self._threads:
            if t is not threading.current_thread():
                t.join(timeout=5)
        for port in list(self._ports):
            port.close()
        if self._listener is not None:
            self._listener.close()
        for fd in (self._stop_r, self._stop_w):
            os.close(fd)

    def __enter__(self) -> "ShtrihEmulator":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()

    # threads --------------------------------------------------------------------------------
    def _spawn(self, target: Callable[[], None], name: str) -> None:
        t = threading.Thread(target=target, name=name, daemon=True)
        self._threads.append(t)
        t.start()

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            ready, _, _ = select.select([self._listener, self._stop_r], [], [])
            if self._stop_r in ready or self._stopping.is_set():
                return
            try:
                sock, _ = self._listener.accept()
            except OSError:
                continue
            port = TcpPort(sock, self.baud)
            self._ports.append(port)
            self._spawn(lambda: self._serve_port(port), "shtrih-tcp-conn")

    def _serve_port(self, port: Port) -> None:
        quiet = 0.5
        try:
            while not self._stopping.is_set() and not port.closed:
                ready, _, _ = select.select([port, self._stop_r], [], [], quiet)
                if self._stop_r in ready:
                    return
                if port in ready:
                    data = port.read()
                    if data:
                        self._received(port, data)
                        quiet = BYTE_TIMEOUT
                elif quiet == BYTE_TIMEOUT:         # the host went quiet mid-frame?
                    with self._lock:
                        self._link.on_byte_timeout()
                    quiet = 0.5
        except Exception:                               # pragma: no cover - logged, not lost
            log.exception("shtrih emulator: %s port failed", port.kind)
        finally:
            if isinstance(port, TcpPort):
                port.close()
                port.sock.close()
                if port in self._ports:
                    self._ports.remove(port)

    def _executor(self) -> None:
        while (job := self._jobs.get()) is not None:
            try:
                answer = self.handler.handle(job.payload)
                if job.then == "paper":
                    self.register.paper_runs_out()
            except Exception:                           # the handler never should raise
                log.exception("shtrih emulator: command 0x%X failed", job.command)
                answer = self.handler.error(job.command, 0x30)
            if self._stopping.wait(self.delay + job.extra_delay):
                return
            self._deliver(job, answer)

    # the device -----------------------------------------------------------------------------
    def _muted(self) -> bool:
        if self._mute_generation is not None:
            if self.memory.faults_generation() == self._mute_generation:
                return True
            self._mute_generation = None
        return time.monotonic() < self._mute_until

    def _mute(self, seconds: float | None) -> None:
        """Stop answering for ``seconds`` (None: until the faults are cleared)."""
        if seconds is None:
            self._mute_generation = self.memory.faults_generation()
        else:
            self._mute_until = time.monotonic() + seconds

    def _received(self, port: Port, data: bytes) -> None:
        with self._lock:
            if self._muted():
                return                                  # deaf: the bytes are lost
            out = bytearray()
            for item in self._link.feed(data):
                if isinstance(item, P.Execute):
                    self._execute(port, item.payload, out)
                else:
                    out += self._resend_faults(item.data)
            port.write(bytes(out))

    def _execute(self, port: Port, payload: bytes, out: bytearray) -> None:
        """A good frame arrived (its ACK is the last byte of ``out``): apply a frame fault,
        then queue the command for the executor."""
        command = P.split_command(payload)[0]
        fault = F.take(self.memory, command, F.FRAME_FAULTS)
        name = fault.fault if fault is not None else None
        job = _Job(port, command, payload, fault=fault)
        point = (fault.point or "before") if fault is not None else None
        acked = out.endswith(_ACK)
        if name in ("nak_frame", "stop_answering", "disconnect") and point == "before":
            if acked:
                del out[-1]
            self._link = P.DeviceLink()                 # the frame is forgotten
            if name == "nak_frame":
                out += _NAK
            elif name == "stop_answering":
                self._mute(F.seconds_of(fault))
            elif isinstance(port, TcpPort):
                port.write(bytes(out))
                out.clear()
                port.close()
            else:
                self._mute(F.seconds_of(fault))
            return
        if name == "lose_ack":
            if acked:
                del out[-1]
            job.extra_delay = F.seconds_of(fault) or 0.0
        elif name == "delay_answer":
            job.extra_delay = F.seconds_of(fault) or 0.0
        elif name in ("stop_answering", "disconnect"):      # point "after"
            job.then = "silent" if name == "stop_answering" else "disconnect"
        elif name == "paper_runs_out":
            if point == "after":
                job.then = "paper"
            else:
                self.register.paper_runs_out()
        self._jobs.put(job)

    def _deliver(self, job: _Job, answer: bytes) -> None:
        with self._lock:
            sends = self._link.answer(answer)
            frame = P.encode_frame(answer)
            self._pending = (job.command, frame)
            data = b"".join(s.data for s in sends)
            if job.then == "silent":
                self._mute(F.seconds_of(job.fault))
                return
            if job.then == "disconnect":
                if isinstance(job.port, TcpPort):
                    job.port.close()
                else:
                    self._mute(F.seconds_of(job.fault))
                return
            fault = F.take(self.memory, job.command, F.ANSWER_FAULTS)
            if fault is not None:
                data = F.mangle(data, frame, fault)
            job.port.write(data)

    def _resend_faults(self, data: bytes) -> bytes:
        """An answer resent after ENQ may be hit by an answer fault too."""
        if self._pending is None or self._pending[1] not in data:
            return data
        command, frame = self._pending
        fault = F.take(self.memory, command, F.ANSWER_FAULTS)
        return F.mangle(data, frame, fault) if fault is not None else data


def __getattr__(name: str):
    """``ShtrihEmulatorProcess``, ``serve`` and ``main`` live in ``shtrih_process``."""
    if name in ("ShtrihEmulatorProcess", "serve", "main"):
        from fiscal.simulators import shtrih_process
        return getattr(shtrih_process, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if __name__ == "__main__":
    from fiscal.simulators.shtrih_process import main
    main()
