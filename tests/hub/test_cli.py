"""CLI commands that need no running hub."""
import sqlite3

from click.testing import CliRunner

from hub.cli import main


def test_db_upgrade_creates_the_ledger_in_the_data_dir(tmp_path, monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    result = CliRunner().invoke(main, ["db", "upgrade", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "up to date" in result.output
    tables = {r[0] for r in sqlite3.connect(tmp_path / "fiscalhub.db").execute(
        "SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"accounts", "api_keys", "registers", "jobs", "job_history", "job_attempts",
            "outbox", "alembic_version"} <= tables


def test_worker_without_redis_says_what_is_missing(tmp_path, monkeypatch):
    monkeypatch.delenv("REDIS_URL", raising=False)
    result = CliRunner().invoke(main, ["worker", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "REDIS_URL" in result.output


def test_jobs_without_a_hub_says_how_to_find_one(tmp_path, monkeypatch):
    monkeypatch.delenv("FISCALHUB_URL", raising=False)
    monkeypatch.delenv("FISCALHUB_API_KEY", raising=False)
    result = CliRunner().invoke(main, ["jobs", "--data-dir", str(tmp_path)])
    assert result.exit_code == 2 and "--api-key" in result.output


def test_every_command_group_is_registered():
    assert {"up", "web", "worker", "db", "job", "jobs", "emulate", "account"} <= set(main.commands)
