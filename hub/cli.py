"""The ``fiscalhub`` command."""
from __future__ import annotations

import json
import logging
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import click

from hub.config import Settings


def _settings(data_dir: str | None) -> Settings:
    if data_dir:
        os.environ["FISCALHUB_DATA_DIR"] = str(Path(data_dir).resolve())
    s = Settings()
    s.export()
    return s


data_dir_option = click.option("--data-dir", type=click.Path(file_okay=False),
                               help="Where SQLite, the embedded Redis and the virtual registers "
                                    "live (default ./var, or FISCALHUB_DATA_DIR).")


@click.group()
def main() -> None:
    """fiscalhub: PMS/POS systems to fiscal registers, every document exactly once."""
    logging.basicConfig(level=logging.WARNING, format="%(asctime)s %(levelname)s %(message)s")


@main.group()
def db() -> None:
    """The ledger database."""


@db.command("upgrade")
@data_dir_option
def db_upgrade(data_dir) -> None:
    """Create or migrate the ledger's tables."""
    from fiscal.ledger.migrate import upgrade
    s = _settings(data_dir)
    upgrade(s.database_url)
    click.echo(f"ledger is up to date: {s.database_url}")


@main.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def web(data_dir, host, port) -> None:
    """Serve the web app and the API."""
    from werkzeug.serving import run_simple

    from hub.app import create_app
    s = _settings(data_dir)
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    run_simple(host, port, create_app(s), threaded=True, use_reloader=False)


@main.command()
@data_dir_option
@click.option("--register", "registers", multiple=True,
              help="Serve only this register (repeatable); default: every register.")
@click.option("--no-relay", is_flag=True, help="Do not run the outbox relay and the sweeper.")
def worker(data_dir, registers, no_relay) -> None:
    """Print jobs: one worker process per register, plus the outbox relay and the sweeper."""
    from fiscal.ledger.db import Ledger
    from hub.queues import connect
    from hub.relay import Relay, RelayLoop
    from hub.worker import Supervisor
    s = _settings(data_dir)
    if not s.redis_url:
        raise click.UsageError("REDIS_URL is not set (fiscalhub up starts an embedded Redis)")
    sup = Supervisor(s, list(registers) or None)
    loop = None
    if not no_relay:
        from hub.plugins import default_host
        ledger = Ledger(s.database_url, observers=[default_host().job_changes_observer])
        loop = RelayLoop(Relay(ledger, connect(s.redis_url), s.job_timeout),
                         sweep_every=s.sweep_interval)
        loop.start()
    _stop_on_signals(sup.stopping.set)
    sup.run()
    if loop:
        loop.stop()


def _stop_on_signals(stop) -> None:
    def handler(signum, frame):
        stop()
    signal.signal(signal.SIGTERM, handler)
    signal.signal(signal.SIGINT, handler)


@main.command()
@data_dir_option
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=8000, show_default=True, type=int)
def up(data_dir, host, port) -> None:
    """Run everything on embedded defaults: Redis, SQLite, web, workers, the scheduler,
    a demo register."""
    from fiscal.ledger.db import Ledger
    from hub.embedded import DemoEmulator, RedisServer, ensure_demo, migrate
    s = _settings(data_dir or os.environ.get("FISCALHUB_DATA_DIR") or "var")
    redis_server = None
    if not s.redis_url:
        redis_server = RedisServer(s.data_dir / "redis").start()
        s.redis_url = redis_server.url
        s.export()
    migrate(s.database_url)
    url = f"http://{host}:{port}"
    emulator = DemoEmulator(s.data_dir).start()
    demo = ensure_demo(Ledger(s.database_url), s.data_dir, url, emulator.device)
    exe = [sys.executable, "-m", "hub.cli"]
    children = [
        subprocess.Popen(exe + ["web", "--host", host, "--port", str(port)]),
        subprocess.Popen(exe + ["worker"]),
        subprocess.Popen(exe + ["scheduler"]),
    ]
    stopping = threading.Event()
    _stop_on_signals(stopping.set)
    click.echo(f"fiscalhub is running at {url}\n"
               f"  dashboard: {url}/overview — log in as {demo.get('username')} / "
               f"{demo.get('password')}\n"
               f"  API key:   {demo['api_key']}\n"
               f"  register:  {demo['register_id']} ({demo['driver']}, {demo['device']})\n"
               f"  data:      {s.data_dir} (demo.json has these)\n"
               f"  try: curl -H 'Authorization: Bearer {demo['api_key']}' {url}/api/v1/health\n"
               "Press Ctrl-C to stop.", err=False)
    try:
        while not stopping.is_set():
            if any(c.poll() is not None for c in children):
                click.echo("a fiscalhub process stopped; shutting down", err=True)
                break
            stopping.wait(0.5)
    finally:
        for c in children:
            if c.poll() is None:
                c.terminate()
        for c in children:
            try:
                c.wait(40)
            except subprocess.TimeoutExpired:
                c.kill()
        emulator.stop()
        if redis_server:
            redis_server.stop()
        click.echo("fiscalhub stopped")


@main.group()
def job() -> None:
    """Fiscal jobs."""


@job.command("submit")
@click.argument("file", type=click.File("rb"))
@click.option("--url", envvar="FISCALHUB_URL", help="The hub (default: demo.json's url).")
@click.option("--api-key", envvar="FISCALHUB_API_KEY", help="Default: demo.json's key.")
@data_dir_option
def job_submit(file, url, api_key, data_dir) -> None:
    """Submit the canonical job in FILE (JSON; '-' for stdin) and print the answer."""
    import requests
    url, api_key = _client(url, api_key, data_dir)
    body = file.read()
    resp = requests.post(f"{url}/api/v1/jobs", data=body, timeout=30,
                         headers={"Authorization": f"Bearer {api_key}",
                                  "Content-Type": "application/json"})
    click.echo(json.dumps(resp.json(), indent=2, ensure_ascii=False))
    if resp.status_code >= 400:
        sys.exit(1)


@main.command()
@click.option("--url", envvar="FISCALHUB_URL")
@click.option("--api-key", envvar="FISCALHUB_API_KEY")
@click.option("--state", help="Only jobs in this state (comma-separated for several).")
@click.option("--register", help="Only jobs of this register.")
@click.option("--limit", default=20, show_default=True)
@data_dir_option
def jobs(url, api_key, state, register, limit, data_dir) -> None:
    """List the newest jobs of the print queue."""
    import requests
    url, api_key = _client(url, api_key, data_dir)
    params = {"limit": limit, **({"state": state} if state else {}),
              **({"register": register} if register else {})}
    resp = requests.get(f"{url}/api/v1/jobs", params=params, timeout=30,
                        headers={"Authorization": f"Bearer {api_key}"})
    if resp.status_code >= 400:
        click.echo(json.dumps(resp.json(), indent=2, ensure_ascii=False), err=True)
        sys.exit(1)
    for j in resp.json()["items"]:
        fd = (j.get("result") or {}).get("fd_number")
        click.echo(f"{j['created_at'][:19]}  {j['id']}  {j['kind']:<13} {j['state']:<16}"
                   f" {j.get('total') or '':>10}  {'FD ' + str(fd) if fd else ''}")


def _client(url, api_key, data_dir):
    demo_path = Path(data_dir or os.environ.get("FISCALHUB_DATA_DIR") or "var") / "demo.json"
    demo = json.loads(demo_path.read_text()) if demo_path.exists() else {}
    url, api_key = url or demo.get("url"), api_key or demo.get("api_key")
    if not url or not api_key:
        raise click.UsageError("give --url and --api-key (or run next to fiscalhub up's "
                               "data directory, whose demo.json has them)")
    return url.rstrip("/"), api_key


from hub.cli_emulate import emulate  # noqa: E402

main.add_command(emulate)

from hub.cli_accounts import account_group  # noqa: E402

main.add_command(account_group(data_dir_option, _settings))

from hub.cli_plugins import plugins  # noqa: E402

main.add_command(plugins)

from hub.cli_translate import translate  # noqa: E402

main.add_command(translate)

from hub.cli_scheduler import scheduler_group  # noqa: E402

main.add_command(scheduler_group(data_dir_option, _settings))

if __name__ == "__main__":
    main()
