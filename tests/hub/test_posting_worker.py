"""Posting workers: which connections get one, the lock that keeps a connection's postings to
one process, and real ``python -m hub.worker --postings`` processes sending to a PMS on
127.0.0.1 — including one killed with ``kill -9`` in the middle of a posting."""
import json
import os
import signal
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from fiscal.ledger import connections
from fiscal.ledger.models import Connection
from hub import worker as worker_module
from hub.queues import posting_lock_key
from hub.worker import Supervisor, WorkerLock, posting_connections
from posting_helpers import add_connection, add_posting, folio_host, row

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]


@pytest.fixture
def conns(ledger, account, register):
    """Connections of every sort: only the first sends postings."""
    ids = {name: add_connection(ledger, account["id"], register["id"], connector, name)
           for name, connector in (("pms", "testfolio"), ("pos", "nopostings"),
                                   ("old", "uninstalled"), ("gone", "testfolio"))}
    with ledger.session() as s:
        connections.delete_connection(s, s.get(Connection, ids["gone"]), actor="test")
    return ids


class FakeChild:
    returncode = None

    def poll(self):
        return None


def test_one_posting_worker_per_live_connection_whose_connector_sends_postings(
        settings, ledger, register, conns, monkeypatch):
    assert posting_connections(ledger, folio_host()) == [conns["pms"]]
    spawned = []
    monkeypatch.setattr(Supervisor, "_spawn", lambda self, key: spawned.append(key)
                        or FakeChild())
    sup = Supervisor(settings, host=folio_host())
    sup.step()
    assert spawned == [register["id"], f"postings:{conns['pms']}"]
    sup.step()
    assert len(spawned) == 2                               # alive: not started again
    with ledger.session() as s:
        connections.delete_connection(s, s.get(Connection, conns["pms"]), actor="test")
    monkeypatch.setattr(Supervisor, "_stop_child", lambda self, child: spawned.append("stop"))
    sup.step()
    assert spawned[2:] == ["stop"] and list(sup.children) == [register["id"]]


def test_a_supervisor_of_chosen_registers_leaves_postings_to_the_one_serving_all(
        settings, ledger, register, conns, monkeypatch):
    spawned = []
    monkeypatch.setattr(Supervisor, "_spawn", lambda self, key: spawned.append(key)
                        or FakeChild())
    Supervisor(settings, [register["id"]], host=folio_host()).step()
    assert spawned == [register["id"]]
    Supervisor(settings, [register["id"]], host=folio_host(), postings=True).step()
    assert spawned[1:] == [register["id"], f"postings:{conns['pms']}"]


def test_a_broken_plugin_host_does_not_stop_the_register_workers(settings, register, conns,
                                                                 monkeypatch):
    class Broken:
        @property
        def pm(self):
            raise RuntimeError("plugin failed to load")
    spawned = []
    monkeypatch.setattr(Supervisor, "_spawn", lambda self, key: spawned.append(key)
                        or FakeChild())
    Supervisor(settings, host=Broken()).step()
    assert spawned == [register["id"]]


def test_a_connections_posting_lock_admits_one_process(redis):
    key = posting_lock_key("c-1")
    first, second = WorkerLock(redis, key, "host.1"), WorkerLock(redis, key, "host.2")
    assert first.acquire(wait=1)
    assert not second.acquire(wait=0.3)
    assert redis.get(key) == b"host.1"
    second.release()                                      # not its lock: nothing happens
    assert redis.get(key) == b"host.1"
    first.release()
    assert second.acquire(wait=1) and redis.get(key) == b"host.2"
    second.release()


def test_the_worker_command_says_how_to_call_it(capsys):
    assert worker_module.main(["--postings"]) == 2
    assert worker_module.main(["--register", "r", "x"]) == 2
    assert "usage: python -m hub.worker REGISTER_ID | --postings CONNECTION_ID" in \
        capsys.readouterr().err


# real processes ------------------------------------------------------------------------------
class PMS(ThreadingHTTPServer):
    """A PMS on 127.0.0.1 that keeps the charges posted to it; ``hold`` makes it take a charge
    and then not answer (until released), as a PMS whose reply is lost."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), PMSHandler)
        self.charges: list[dict] = []
        self.hold = threading.Event()
        self.release = threading.Event()
        self.got = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/api"


class PMSHandler(BaseHTTPRequestHandler):
    def do_POST(self):
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.charges.append(body)
        self.server.got.set()
        if self.server.hold.is_set():
            self.server.release.wait(30)
            return
        self._answer(201, {"id": f"TX-{len(self.server.charges)}"})

    def do_GET(self):
        self._answer(200, {"charges": self.server.charges})

    def _answer(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture
def pms():
    server = PMS()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def installed(tmp_path):
    """The test PMS connector installed as a plugin (an entry point), for worker processes."""
    site = tmp_path / "site"
    dist = site / "fiscalhub_test_folio-1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fiscalhub-test-folio\n"
                                   "Version: 1.0\n")
    (dist / "entry_points.txt").write_text("[fiscalhub]\ntestfolio = fiscalhub_test_folio\n")
    (site / "fiscalhub_test_folio.py").write_text(
        "from posting_helpers import FolioConnector\n\n\n"
        "def fiscalhub_register_connectors():\n    return [FolioConnector]\n")
    return os.pathsep.join([str(site), str(HERE), str(ROOT)])


@pytest.fixture
def start_worker(settings, installed):
    env = {**os.environ, "PYTHONPATH": installed, "FISCALHUB_LOCK_TTL": "2"}
    env.pop("FISCALHUB_DISABLED_PLUGINS", None)
    procs = []

    def start(connection_id):
        proc = subprocess.Popen([sys.executable, "-m", "hub.worker", "--postings",
                                 connection_id], env=env, cwd=ROOT)
        procs.append(proc)
        return proc
    yield start
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def pms_connection(ledger, account, register, pms) -> str:
    with ledger.session() as s:
        return connections.create_connection(
            s, account["id"], connector="testfolio", name="PMS", settings={"url": pms.url},
            actor="test", register_id=register["id"]).id


def wait_for(predicate, timeout=30.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


@pytest.mark.slow
def test_a_posting_worker_process_posts_the_charge_once(ledger, account, register, pms,
                                                       relay, redis, start_worker):
    conn = pms_connection(ledger, account, register, pms)
    posting = add_posting(ledger, account["id"], conn)
    relay.dispatch()
    proc = start_worker(conn)
    wait_for(lambda: row(ledger, posting)["state"] == "posted", what="the posting")
    assert row(ledger, posting)["result"] == {"reference": "TX-1"}
    assert pms.charges == [{"kind": "room_charge", "amount": "1500.00", "key": "chk-1042",
                            "outlet": "Restaurant"}]
    assert redis.get(posting_lock_key(conn)).decode().endswith(f".postings.{conn[:8]}")
    proc.terminate()
    assert proc.wait(20) == 0
    assert redis.get(posting_lock_key(conn)) is None      # released on the way out


@pytest.mark.slow
def test_a_posting_worker_killed_mid_send_is_settled_by_the_next_one(
        ledger, account, register, pms, relay, start_worker):
    """The PMS took the charge but the worker died before the answer: the next worker asks
    the PMS, finds it, and posts nothing more."""
    conn = pms_connection(ledger, account, register, pms)
    posting = add_posting(ledger, account["id"], conn)
    pms.hold.set()
    relay.dispatch()
    first = start_worker(conn)
    assert pms.got.wait(30)
    assert row(ledger, posting)["state"] == "sending"
    first.send_signal(signal.SIGKILL)
    first.wait(10)
    pms.hold.clear()
    pms.release.set()
    start_worker(conn)

    def settled():
        relay.sweep()
        return row(ledger, posting)["state"] != "sending"
    wait_for(settled, what="the interrupted posting")
    r = row(ledger, posting)
    assert r["state"] == "posted" and r["result"] == {"confirmed": "posting_arrived"}
    assert len(pms.charges) == 1                          # exactly one charge on the folio
    assert r["history"][-1][2] == ("an earlier attempt was interrupted; the target confirms "
                                   "the posting arrived")
