"""The Shtrih-M emulator as a process: for kill tests and the command line.

``ShtrihEmulatorProcess(memory_path, pty=True, tcp=None)`` runs
``python -m fiscal.simulators.shtrih_process`` and waits until it serves; ``serve`` is the
command line's loop (``fiscalhub emulate shtrih`` calls it): it prints ``memory: PATH``, the
pty's slave path on a line of its own, ``tcp: 127.0.0.1:PORT``, then ``ready``, and stops
cleanly on SIGINT/SIGTERM (printing ``stopped``).
"""
from __future__ import annotations

import argparse
import os
import select
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Callable

from fiscal.simulators.shtrih import ShtrihEmulator

__all__ = ["ShtrihEmulatorProcess", "serve", "main"]


class ShtrihEmulatorProcess:
    """The emulator in a child process: ``start()`` waits until it serves and sets
    ``pty_path`` / ``tcp_port``; ``kill()`` is SIGKILL, ``stop()`` SIGTERM (a clean stop)."""

    def __init__(self, memory_path: str | os.PathLike, *, pty: bool = True,
                 tcp: int | None = None, baud: int | None = None, delay: float = 0.0):
        self.memory_path = str(memory_path)
        self.args = ["--memory", self.memory_path]
        if pty:
            self.args.append("--pty")
        if tcp is not None:
            self.args += ["--tcp", str(tcp)]
        if baud:
            self.args += ["--baud", str(baud)]
        if delay:
            self.args += ["--delay", str(delay)]
        self.proc: subprocess.Popen | None = None
        self.pty_path: str | None = None
        self.tcp_port: int | None = None

    def start(self, timeout: float = 15.0) -> "ShtrihEmulatorProcess":
        root = str(Path(__file__).resolve().parents[2])
        env = {**os.environ, "PYTHONPATH": os.pathsep.join(
            p for p in (root, os.environ.get("PYTHONPATH")) if p)}
        self.proc = subprocess.Popen([sys.executable, "-m", "fiscal.simulators.shtrih_process",
                                      *self.args], stdout=subprocess.PIPE, bufsize=0, env=env)
        assert self.proc.stdout is not None
        fd, buf = self.proc.stdout.fileno(), b""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:        # raw reads: no buffer hides a line from select
            if not select.select([fd], [], [], 0.1)[0]:
                if self.proc.poll() is not None:
                    break
                continue
            chunk = os.read(fd, 4096)
            if not chunk:
                break
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode().strip()
                if line.startswith("/dev/"):
                    self.pty_path = line
                elif line.startswith("tcp: "):
                    self.tcp_port = int(line.rsplit(":", 1)[1])
                elif line == "ready":
                    return self
        self.kill()
        raise RuntimeError("the Shtrih emulator process did not start")

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(10)

    def stop(self, timeout: float = 10.0) -> int | None:
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        if self.proc.stdout:
            self.proc.stdout.close()
        return self.proc.returncode

    def __enter__(self) -> "ShtrihEmulatorProcess":
        return self.start() if self.proc is None else self

    def __exit__(self, *exc) -> None:
        self.stop()


# the command line -----------------------------------------------------------------------------
def serve(memory_path: str | os.PathLike, *, pty: bool = True, tcp: int | None = None,
          baud: int | None = None, delay: float = 0.0,
          echo: Callable[[str], None] = print) -> None:
    """Run the emulator until SIGINT or SIGTERM; prints the pty's slave path on a line of its
    own, ``tcp: 127.0.0.1:PORT``, then ``ready``."""
    stopping = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda signum, frame: stopping.set())
    with ShtrihEmulator(memory_path, baud=baud, delay=delay) as emu:
        echo(f"memory: {emu.memory_path}")
        if pty:
            echo(emu.start_pty())
        if tcp is not None:
            echo(f"tcp: 127.0.0.1:{emu.start_tcp(tcp)}")
        echo("ready")
        while not stopping.wait(0.5):
            pass
    echo("stopped")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(prog="python -m fiscal.simulators.shtrih",
                                 description="A Shtrih-M register emulator (ШТРИХ-М-01Ф).")
    ap.add_argument("--memory", required=True, help="the fiscal memory (SQLite) file")
    ap.add_argument("--pty", action="store_true", help="serve on a pty (the default)")
    ap.add_argument("--tcp", type=int, metavar="PORT", help="serve on 127.0.0.1:PORT (0: any)")
    ap.add_argument("--baud", type=int, help="simulate this line rate (8N1)")
    ap.add_argument("--delay", type=float, default=0.0, help="seconds before every answer")
    a = ap.parse_args(argv)
    pty = a.pty or a.tcp is None
    serve(a.memory, pty=pty, tcp=a.tcp, baud=a.baud, delay=a.delay,
          echo=lambda line: print(line, flush=True))


if __name__ == "__main__":
    main()
