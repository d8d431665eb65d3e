"""``fiscalhub scheduler``: run the periodic work (docs/scheduler.md) until SIGINT or SIGTERM,
or one pass with ``--once``; ``fiscalhub scheduler runs`` lists the recorded runs."""
from __future__ import annotations

import json
import logging
import signal
import threading

import click


def scheduler_group(data_dir_option, make_settings):
    """The command, given ``hub.cli``'s ``--data-dir`` option and settings loader."""

    @click.group("scheduler", invoke_without_command=True)
    @data_dir_option
    @click.option("--once", is_flag=True, help="One pass over the due work, then exit.")
    @click.option("--interval", type=float, help="Seconds between passes (default "
                  "FISCALHUB_SCHEDULER_INTERVAL, 15).")
    @click.pass_context
    def scheduler(ctx, data_dir, once, interval) -> None:
        """Run end of day, the 24-hour shift guard, polling and plugins' periodic jobs, each
        once per period (a period missed while it was down runs once when it is back)."""
        if ctx.invoked_subcommand is not None:
            return
        from hub.scheduler import build_scheduler
        settings = make_settings(data_dir)
        sched = build_scheduler(settings)
        if once:
            reports = sched.tick()
            for report in reports:
                click.echo(report.line())
            click.echo(f"{len(reports)} run(s)")
            return
        logging.getLogger("hub.scheduler").setLevel(logging.INFO)
        stop = threading.Event()
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, lambda *_: stop.set())
        sched.run_forever(stop, interval or settings.scheduler_interval)

    @scheduler.command("runs")
    @data_dir_option
    @click.option("--limit", default=20, show_default=True, type=click.IntRange(1, 200))
    @click.option("--name", help="A run's name, or a kind: end_of_day, poll, shift_guard, or a "
                                 "plugin job's name.")
    @click.option("--state", type=click.Choice(["running", "done", "failed"]))
    @click.option("--account", help="Only this account's runs (default: every run).")
    @click.option("--json", "as_json", is_flag=True, help="Print them as JSON.")
    def runs(data_dir, limit, name, state, account, as_json) -> None:
        """List the recorded runs, newest first."""
        from fiscal.ledger import scheduled_runs
        from fiscal.ledger.db import Ledger
        from hub.api.scheduled_runs import run_json
        settings = make_settings(data_dir)
        with Ledger(settings.database_url).session(readonly=True) as s:
            rows, _ = scheduled_runs.list_runs(s, account_id=account, all_accounts=not account,
                                               name=name, state=state, limit=limit)
            items = [{**run_json(r), "account_id": r.account_id} for r in rows]
        if as_json:
            click.echo(json.dumps({"items": items}, indent=2, ensure_ascii=False))
            return
        for r in items:
            tail = r["error"] or json.dumps(r["result"], ensure_ascii=False)
            click.echo(f"{r['started_at'][:19]}  {r['state']:<7} {r['attempts']}  "
                       f"{r['name']}  {r['period']}  {tail}")

    return scheduler
