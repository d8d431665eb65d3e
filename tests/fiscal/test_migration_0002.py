"""Migration 0002 on a ledger that already holds jobs: the upgrade keeps every row (SQLite's
foreign keys would refuse a rebuilt jobs table), and so does the way back."""
import sqlite3

from alembic import command

from fiscal.ledger.db import get_engine
from fiscal.ledger.migrate import alembic_config, upgrade

T = "2026-01-01 00:00:00"


def fill_0001(path):
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA foreign_keys=ON")
        c.execute("INSERT INTO accounts VALUES ('a', 'Hotel', ?)", (T,))
        c.execute("INSERT INTO registers (id, account_id, name, binding_id, driver, url, "
                  "settings, state, suspended, created_at) "
                  "VALUES ('r', 'a', 'Desk', 'B-1', 'virtual', 'u', '{}', '{}', 0, ?)", (T,))
        for job, refund_of in (("sale", None), ("refund", "sale")):
            c.execute("INSERT INTO jobs (id, account_id, idempotency_key, request_hash, kind, "
                      "register_id, state, version, payload, attempts, retries, refund_of, "
                      "created_at, updated_at) VALUES (?, 'a', ?, 'h', 'receipt', 'r', "
                      "'printed', 1, '{}', 1, 0, ?, ?, ?)", (job, job, refund_of, T, T))
            c.execute("INSERT INTO job_history (job_id, at, to_state, actor, cause) "
                      "VALUES (?, ?, 'received', 'test', 'accepted')", (job, T))
            c.execute("INSERT INTO job_attempts (job_id, number, started_at, baseline) "
                      "VALUES (?, 1, ?, '{}')", (job, T))
            c.execute("INSERT INTO outbox (topic, job_id, queue, created_at) "
                      "VALUES ('print', ?, 'register.r', ?)", (job, T))


def snapshot(path):
    with sqlite3.connect(path) as c:
        return {t: c.execute(f"SELECT * FROM {t} ORDER BY 1").fetchall()
                for t in ("jobs", "job_history", "job_attempts", "outbox")}


def test_upgrade_and_downgrade_keep_the_jobs(tmp_path):
    path = tmp_path / "ledger.db"
    url = f"sqlite:///{path}"
    upgrade(url, "0001")
    fill_0001(path)
    before = snapshot(path)
    upgrade(url)
    with sqlite3.connect(path) as c:
        c.execute("PRAGMA foreign_keys=ON")
        c.execute("INSERT INTO cashiers (id, account_id, name, created_at) "
                  "VALUES ('c', 'a', 'Ivanova', ?)", (T,))
        c.execute("UPDATE jobs SET cashier_id = 'c', connection_id = 'conn' WHERE id = 'sale'")
        assert c.execute("SELECT id, refund_of, cashier_id, connection_id FROM jobs "
                         "ORDER BY id").fetchall() == [("refund", "sale", None, None),
                                                       ("sale", None, "c", "conn")]
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    get_engine(url).dispose()
    command.downgrade(alembic_config(url), "0001")
    assert snapshot(path) == before
    with sqlite3.connect(path) as c:
        tables = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        indexes = {r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='index' "
                                           "AND tbl_name='jobs'")}
        assert c.execute("PRAGMA foreign_key_check").fetchall() == []
    assert not tables & {"users", "user_sessions", "cashiers", "cashier_registers", "audit_log"}
    assert {"ix_jobs_account_created", "ix_jobs_state", "ix_jobs_register_state"} <= indexes
    upgrade(url)                                        # and forward again
    # later migrations add columns at the end of jobs and outbox
    width = {"jobs": 23, "outbox": 6}
    assert {k: [r[:width[k]] for r in v] if k in width else v
            for k, v in snapshot(path).items()} == before
