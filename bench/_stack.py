"""Shared plumbing of the benchmarks: a throw-away fiscalhub stack and an HTTP load generator.

``Stack`` builds, in a fresh temp dir: a real ``redis-server`` (``hub.embedded.RedisServer``), a
migrated SQLite ledger, an account with an API key and a virtual register; it exports
``DATABASE_URL``, ``FISCALHUB_DATA_DIR`` and ``REDIS_URL`` (and ``PYTHONPATH``) so that child
processes find all of it. Leaving the ``with`` block (normally, on an exception, on Ctrl-C or
on SIGTERM) stops every process it started, Redis, and removes the temp dir.

Nothing here asserts a speed: the scripts print figures and ratios.
"""
from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from fiscal.samples import sample_receipt  # noqa: E402

PYTHON = sys.executable


def quiet_logging() -> None:
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(name)s %(message)s")
    for name in ("rq", "rq.worker", "werkzeug", "alembic", "hub", "fiscal", "urllib3"):
        logging.getLogger(name).setLevel(logging.WARNING)


def sigterm_as_interrupt() -> None:
    """SIGINT, SIGTERM and SIGHUP unwind like Ctrl-C, so every ``finally`` cleans up (SIGINT
    too: a shell starts background jobs with SIGINT ignored)."""
    def raise_interrupt(signum, frame):
        raise KeyboardInterrupt(f"signal {signum}")
    signal.signal(signal.SIGINT, signal.default_int_handler)
    signal.signal(signal.SIGTERM, raise_interrupt)
    signal.signal(signal.SIGHUP, raise_interrupt)


def run_on_a_stack(args, run) -> int:
    """``run(stack)`` on a throw-away :class:`Stack`, quiet, cleaned up on any signal."""
    quiet_logging()
    sigterm_as_interrupt()
    try:
        with Stack(keep=args.keep, trace_locks=args.trace_locks) as stack:
            return run(stack)
    except KeyboardInterrupt:
        print("\ninterrupted; cleaned up", file=sys.stderr)
        return 130


def receipt_job(register_id: str) -> dict:
    """The canonical receipt the tests post (850.50, two items, cash)."""
    return sample_receipt(register_id)


def common_options(p) -> None:
    """Options both benchmarks take."""
    p.add_argument("--server", choices=("subprocess", "thread"), default="subprocess")
    p.add_argument("--keep", action="store_true", help="keep the temp dir (logs, ledger)")
    p.add_argument("--trace-locks", action="store_true",
                   help="time every ledger BEGIN IMMEDIATE in every process (adds overhead)")


def parse_ts(value) -> float:
    """A ledger (SQLite text) or RQ datetime, as a UTC epoch."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    k = min(len(s) - 1, max(0, round(p / 100 * (len(s) - 1))))
    return s[k]


class Stack:
    def __init__(self, keep: bool = False, trace_locks: bool = False):
        self.keep = keep
        self.trace_locks = trace_locks
        self.lock_file: Path | None = None
        self.dir: Path | None = None
        self.redis_server = None
        self.children: list[subprocess.Popen] = []
        self.threads_to_stop: list = []
        self._saved_env: dict[str, str | None] = {}

    # setting up ------------------------------------------------------------------------------
    def __enter__(self) -> "Stack":
        try:
            self._start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _setenv(self, key: str, value: str) -> None:
        self._saved_env.setdefault(key, os.environ.get(key))
        os.environ[key] = value

    def _start(self) -> None:
        from hub.embedded import RedisServer
        from fiscal.ledger import accounts, registers
        from fiscal.ledger.db import Ledger, get_engine
        from fiscal.ledger.migrate import upgrade

        # short path: the Redis unix socket must fit in sun_path
        self.dir = Path(tempfile.mkdtemp(prefix="fhbench-", dir="/tmp"))
        self.data_dir = self.dir / "data"
        self.data_dir.mkdir()
        self.db_path = self.data_dir / "fiscalhub.db"
        self.database_url = f"sqlite:///{self.db_path}"
        self.redis_server = RedisServer(self.dir / "redis").start()
        self.redis_url = self.redis_server.url
        self._setenv("FISCALHUB_DATA_DIR", str(self.data_dir))
        self._setenv("DATABASE_URL", self.database_url)
        self._setenv("REDIS_URL", self.redis_url)
        pp = os.environ.get("PYTHONPATH")
        self._setenv("PYTHONPATH", str(ROOT) + (os.pathsep + pp if pp else ""))

        upgrade(self.database_url)
        quiet_logging()                  # alembic's fileConfig may have touched logging
        get_engine(self.database_url).dispose()
        self.ledger = Ledger(self.database_url)
        self.memory_path = self.data_dir / "bench-register.sqlite"
        with self.ledger.session() as s:
            acc = accounts.create_account(s, "Bench venue")
            _, self.api_key = accounts.issue_api_key(s, acc.id, "bench")
            reg = registers.add_register(s, acc.id, name="Bench register", driver="virtual",
                                         url=f"virtual://{self.memory_path}")
            self.account_id, self.register_id = acc.id, reg.id
        from hub.queues import connect
        self.redis = connect(self.redis_url)
        if self.trace_locks:
            # children import bench/_locktrace/sitecustomize.py at start-up; we install it here
            self.lock_file = self.dir / "locks.tsv"
            self.lock_file.touch()
            self._setenv("FISCALHUB_BENCH_LOCKTRACE", str(self.lock_file))
            self._setenv("PYTHONPATH", str(ROOT / "bench" / "_locktrace") + os.pathsep
                         + os.environ["PYTHONPATH"])
            from bench._locktrace.sitecustomize import install
            install(str(self.lock_file))

    # processes -------------------------------------------------------------------------------
    def spawn(self, args: list[str], log_name: str) -> subprocess.Popen:
        """A child in its own process group (Ctrl-C on the terminal reaches only us; we stop
        the children in order), output to a log file in the temp dir."""
        log = open(self.dir / f"{log_name}.log", "ab")
        proc = subprocess.Popen(args, cwd=str(ROOT), env=os.environ.copy(), stdout=log,
                                stderr=subprocess.STDOUT, start_new_session=True)
        log.close()
        proc.log_path = self.dir / f"{log_name}.log"
        self.children.append(proc)
        return proc

    def stop(self, proc: subprocess.Popen, timeout: float = 15.0) -> None:
        """SIGTERM the child (a supervisor stops its register workers, RQ finishes the current
        job), then SIGKILL whatever is left of its process group."""
        if proc.poll() is None:
            try:
                proc.terminate()
                proc.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)      # grandchildren (register workers)
        except (ProcessLookupError, PermissionError):
            pass
        if proc.poll() is None:
            proc.wait(5)
        if proc in self.children:
            self.children.remove(proc)

    def log_tail(self, proc, lines: int = 30) -> str:
        try:
            return "\n".join(Path(proc.log_path).read_text(errors="replace")
                             .splitlines()[-lines:])
        except OSError:
            return ""

    def close(self) -> None:
        for stop in reversed(self.threads_to_stop):
            try:
                stop()
            except Exception:
                pass
        self.threads_to_stop.clear()
        for proc in list(reversed(self.children)):
            try:
                self.stop(proc)
            except Exception:
                pass
        if self.redis_server is not None:
            try:
                self.redis_server.stop()
            except Exception:
                try:
                    self.redis_server.stop(kill=True)
                except Exception:
                    pass
            self.redis_server = None
        try:
            from fiscal.ledger.db import get_engine
            if self.dir is not None:
                get_engine(self.database_url).dispose()
        except Exception:
            pass
        if self.dir is not None and not self.keep:
            shutil.rmtree(self.dir, ignore_errors=True)
        elif self.dir is not None:
            print(f"(kept {self.dir})")
        for key, value in self._saved_env.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
        self._saved_env.clear()

    # HTTP servers ------------------------------------------------------------------------------
    def serve(self, app: str, mode: str) -> str:
        """Serve ``app`` ("hub": ``create_app(Settings())``; "bare": bench/_serve.py's echo app)
        with werkzeug's threaded server on 127.0.0.1; returns the base URL once it answers."""
        if mode == "subprocess":
            from hub.embedded import free_port
            port = free_port()
            proc = self.spawn([PYTHON, str(ROOT / "bench" / "_serve.py"), app, str(port)],
                              f"web-{app}")
            url = f"http://127.0.0.1:{port}"
        else:
            from werkzeug.serving import make_server
            from bench._serve import build_app
            server = make_server("127.0.0.1", 0, build_app(app), threaded=True)
            thread = threading.Thread(target=server.serve_forever, name=f"web-{app}",
                                      daemon=True)
            thread.start()
            self.threads_to_stop.append(server.shutdown)
            url, proc = f"http://127.0.0.1:{server.server_port}", None
        import requests
        deadline = time.monotonic() + 20
        while True:
            try:
                if requests.get(url + "/", timeout=2).status_code == 200:
                    return url
            except requests.RequestException:
                pass
            if proc is not None and proc.poll() is not None:
                raise RuntimeError(f"{app} server exited:\n{self.log_tail(proc)}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{app} server did not answer at {url}")
            time.sleep(0.05)

    # --trace-locks ---------------------------------------------------------------------------
    def lock_reset(self) -> None:
        """Forget the BEGINs so far (the writers append, so truncating is safe)."""
        if self.lock_file is not None:
            os.truncate(self.lock_file, 0)

    def lock_report(self) -> str:
        if self.lock_file is None:
            return ""
        by_role: dict[str, list[float]] = {}
        for line in self.lock_file.read_text().splitlines():
            parts = line.split("\t")
            if len(parts) == 3:
                by_role.setdefault(parts[1], []).append(float(parts[2]))
        out = ["  waits for the ledger's write lock (BEGIN IMMEDIATE), measured phase only:",
               f"    {'process':<40} {'BEGINs':>7} {'waited':>8} {'p50':>7} {'p99':>8} "
               f"{'max':>8} {'>100ms':>7}"]
        for role, v in sorted(by_role.items()):
            out.append(f"    {role:<40} {len(v):7d} {sum(v) / 1000:7.2f}s "
                       f"{percentile(v, 50):5.1f}ms {percentile(v, 99):6.1f}ms {max(v):6.1f}ms "
                       f"{sum(x > 100 for x in v):7d}")
        return "\n".join(out)

    # reading the ledger without taking its write lock --------------------------------------------
    def ledger_query(self, sql: str, params: tuple = ()) -> list[tuple]:
        """A plain deferred read (WAL: does not block the writers). The ledger's own sessions
        begin with BEGIN IMMEDIATE, which would compete with the system being measured."""
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=30)
        try:
            return conn.execute(sql, params).fetchall()
        finally:
            conn.close()


@dataclass
class LoadResult:
    started: float = 0.0           # epoch of the first request
    elapsed: float = 0.0           # first request sent → last answer received (s)
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    bodies: list[dict] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else float("nan")


def post_many(url: str, bodies: list[bytes], headers_for, clients: int,
              keep_bodies: bool = False) -> LoadResult:
    """POST every body once from ``clients`` threads (one ``requests.Session`` each);
    ``headers_for(i)`` gives request i's headers."""
    import requests
    result = LoadResult()
    lock = threading.Lock()
    next_index = iter(range(len(bodies)))
    start_gate = threading.Barrier(clients + 1)

    def client():
        session = requests.Session()
        lat, sts, out, errs = [], {}, [], []
        start_gate.wait()
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                break
            t = time.perf_counter()
            try:
                r = session.post(url, data=bodies[i], headers=headers_for(i), timeout=60)
                lat.append(time.perf_counter() - t)
                sts[r.status_code] = sts.get(r.status_code, 0) + 1
                if keep_bodies or r.status_code >= 400:
                    try:
                        body = r.json()
                    except ValueError:
                        body = {"raw": r.text[:300]}
                    if r.status_code >= 400:
                        errs.append(f"{r.status_code}: {json.dumps(body)[:300]}")
                    else:
                        out.append(body)
            except requests.RequestException as exc:
                errs.append(repr(exc))
        session.close()
        with lock:
            result.latencies.extend(lat)
            result.bodies.extend(out)
            result.errors.extend(errs)
            for k, v in sts.items():
                result.statuses[k] = result.statuses.get(k, 0) + v

    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    result.started = time.time()
    t0 = time.perf_counter()
    start_gate.wait()
    for t in threads:
        t.join()
    result.elapsed = time.perf_counter() - t0
    return result


def describe_latency(res: LoadResult) -> str:
    ms = [x * 1000 for x in res.latencies]
    return (f"p50 {percentile(ms, 50):6.1f} ms  p90 {percentile(ms, 90):6.1f} ms  "
            f"p99 {percentile(ms, 99):6.1f} ms  max {max(ms) if ms else float('nan'):6.1f} ms")
