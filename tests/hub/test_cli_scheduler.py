"""``fiscalhub scheduler --once`` runs what is due and exits; ``fiscalhub scheduler runs`` lists
what ran."""
import json
from datetime import timedelta

from click.testing import CliRunner
from sqlalchemy import select, update

from fiscal.ledger.models import Job, Register, utcnow
from hub.cli import main


def test_once_runs_the_due_work_and_runs_lists_it(ledger, account, register):
    opened = utcnow() - timedelta(hours=23, minutes=45)
    with ledger.session() as s:
        s.execute(update(Register).where(Register.id == register["id"]).values(state={
            "shift_open": True, "shift_number": 3, "shift_opened_at": opened.isoformat()}))
    cli = CliRunner()
    once = cli.invoke(main, ["scheduler", "--once"])
    assert once.exit_code == 0, once.output
    assert f"shift_guard:{register['id']} 3: done (attempt 1)" in once.output
    assert once.output.rstrip().endswith("1 run(s)")
    with ledger.session(readonly=True) as s:
        assert s.scalar(select(Job.idempotency_key).where(Job.kind == "close_shift")) == \
            f"shift_guard:{register['id']}:3"
    again = cli.invoke(main, ["scheduler", "--once"])
    assert again.exit_code == 0 and again.output.strip() == "0 run(s)"

    listed = cli.invoke(main, ["scheduler", "runs", "--json"])
    assert listed.exit_code == 0, listed.output
    (run,) = json.loads(listed.output)["items"]
    assert (run["name"], run["period"], run["state"], run["account_id"]) == (
        f"shift_guard:{register['id']}", "3", "done", account["id"])
    text = cli.invoke(main, ["scheduler", "runs", "--name", "shift_guard"]).output
    assert f"done    1  shift_guard:{register['id']}  3" in text
    assert cli.invoke(main, ["scheduler", "runs", "--state", "failed"]).output == ""
