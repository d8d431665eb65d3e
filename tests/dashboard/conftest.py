"""Browser tests of the dashboard: the whole product as ``fiscalhub up`` starts it (web app,
register workers, relay, scheduler, a Redis server, the Shtrih-M emulator on a pty) on
127.0.0.1, driven by Playwright in the system Chromium (Debian's ``chromium``; no browser is
downloaded). Every test saves a screenshot under ``tests/artifacts/`` and fails if the page
asked anything of a host other than 127.0.0.1.

One stack serves the whole session (starting it costs seconds); tests make their own
registers, users and jobs, so they do not depend on each other's leftovers.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests

from dashboard_helpers import ARTIFACTS, log_in
from fiscal.ledger import users as ledger_users
from hub.embedded import free_port

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage"]
LOCAL_SCHEMES = ("data", "about", "blob", "chrome-error")


def chromium_path() -> str:
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    pytest.fail("Chromium is not installed: scripts/test.sh installs Debian's chromium "
                "(apt-get install chromium)", pytrace=False)


class Stack:
    """``fiscalhub up`` in a child process; ``url``, ``demo`` (demo.json), ``api(...)``."""

    def __init__(self, data_dir: Path):
        self.data_dir = data_dir
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen | None = None
        self.demo: dict = {}
        self.http = requests.Session()

    def start(self, timeout: float = 60) -> "Stack":
        env = {k: v for k, v in os.environ.items()
               if k not in ("DATABASE_URL", "REDIS_URL", "FISCALHUB_DATA_DIR")}
        env["FISCALHUB_SWEEP_INTERVAL"] = "1"
        self.log = open(self.data_dir / "up.log", "w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "hub.cli", "up", "--data-dir", str(self.data_dir),
             "--port", str(self.port)], env=env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            demo = self.data_dir / "demo.json"
            if demo.exists():
                try:
                    self.demo = json.loads(demo.read_text())
                    self.http.headers["Authorization"] = f"Bearer {self.demo['api_key']}"
                    health = self.http.get(f"{self.url}/api/v1/health", timeout=2)
                    if health.status_code == 200 and health.json()["workers"]:
                        return self
                except (requests.RequestException, ValueError, KeyError):
                    pass
            if self.proc.poll() is not None:
                break
            time.sleep(0.2)
        self.stop()
        raise RuntimeError("fiscalhub up did not start: "
                           + (self.data_dir / "up.log").read_text())

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        self.log.close()

    def api(self, method: str, path: str, **kwargs) -> requests.Response:
        """The account API with the demo account's key (for setting up and checking)."""
        return self.http.request(method, f"{self.url}/api/v1{path}", timeout=15, **kwargs)

    def wait_job(self, job_id: str, states=("printed",), timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            job = self.api("GET", f"/jobs/{job_id}").json()
            if job["state"] in states or time.monotonic() > deadline:
                return job
            time.sleep(0.2)


_running: list[Stack] = []


@pytest.fixture(scope="session")
def stack(tmp_path_factory):
    s = Stack(tmp_path_factory.mktemp("dashboard")).start()
    _running.append(s)
    yield s
    s.stop()


def pytest_runtest_teardown(item, nextitem):
    """Stop the stack once the dashboard's tests are over: its processes (web, workers,
    scheduler, emulator, Redis) would otherwise share the two cores with the rest of the
    suite until the session ends."""
    here = Path(__file__).parent
    if nextitem is None or Path(str(nextitem.path)).parent != here:
        while _running:
            _running.pop().stop()


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield b
        b.close()


def _artifact_name(nodeid: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])[:120] + ".png"


@pytest.fixture
def page(browser, stack, request):
    """A fresh browser context on the stack. Dialogs (confirmations) are accepted; every
    request the page makes is recorded and must stay on 127.0.0.1."""
    context = browser.new_context(base_url=stack.url, viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    requested: list[str] = []
    context.on("request", lambda r: requested.append(r.url))
    pg = context.new_page()
    pg.on("dialog", lambda d: d.accept())
    pg.requested = requested
    yield pg
    ARTIFACTS.mkdir(exist_ok=True)
    try:
        pg.screenshot(path=str(ARTIFACTS / _artifact_name(request.node.nodeid)), full_page=True)
    finally:
        context.close()
    outside = [u for u in requested if urlsplit(u).scheme not in LOCAL_SCHEMES
               and urlsplit(u).hostname != "127.0.0.1"]
    assert not outside, f"the page asked hosts other than 127.0.0.1: {outside}"


@pytest.fixture
def owner_page(page, stack):
    """The page, logged in as the demo account's owner."""
    log_in(page, stack.demo["username"], stack.demo["password"])
    return page


@pytest.fixture
def people(ledger, account):
    """A user per role, with a password of their own."""
    made = {}
    with ledger.session() as s:
        for role in ("owner", "admin", "operator", "viewer"):
            user, password = ledger_users.create_user(
                s, account["id"], login=f"{role}-1", name=f"{role.title()} One", role=role,
                actor="tests", must_change_password=False)
            made[role] = {"id": user.id, "login": user.login, "password": password}
    return made
