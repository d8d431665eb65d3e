"""Shared fixtures: a real redis-server process, a migrated SQLite ledger, an account with an
API key and a virtual register, the Flask app, and a way to run the register's worker."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from fiscal.ledger.db import Ledger
# the building blocks fiscalhub's pytest plugin for vendors (fiscalhub.testing) is made of
from fiscalhub.testkit import (add_register, copy_ledger, create_account, dispose_ledger,
                               flushed_redis, migrate_template, reset_database,
                               run_register_worker, start_redis)


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


@pytest.fixture
def redis(redis_server):
    client = flushed_redis(redis_server.url)
    yield client
    client.flushall()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """Run the Alembic migrations once; each test copies the result."""
    return migrate_template(tmp_path_factory.mktemp("template") / "fiscalhub.db")


@pytest.fixture
def data_dir(tmp_path, monkeypatch) -> Path:
    d = tmp_path / "data"
    d.mkdir()
    monkeypatch.setenv("FISCALHUB_DATA_DIR", str(d))
    return d


@pytest.fixture
def database_url(data_dir, migrated_template, monkeypatch) -> str:
    test_url = os.environ.get("FISCALHUB_TEST_DATABASE_URL")
    if test_url:
        reset_database(test_url)
        url = test_url
    else:
        url = copy_ledger(migrated_template, data_dir)
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    if not test_url:
        # Each test has its own file: close its pooled connections (a suite of a thousand
        # tests would otherwise run out of file descriptors pyserial's select() can take).
        dispose_ledger(url)


@pytest.fixture
def ledger(database_url) -> Ledger:
    return Ledger(database_url)


@pytest.fixture
def account(ledger):
    account_id, key = create_account(ledger, "Hotel Sever", "tests")
    return {"id": account_id, "key": key}


@pytest.fixture
def register(ledger, account, data_dir):
    url = f"virtual://{data_dir / 'front-desk.sqlite'}"
    reg_id = add_register(ledger, account["id"], name="Front desk", driver="virtual", url=url)
    return {"id": reg_id, "url": url, "memory": data_dir / "front-desk.sqlite"}


@pytest.fixture
def settings(data_dir, database_url, redis_server, monkeypatch):
    from hub.config import Settings
    monkeypatch.setenv("REDIS_URL", redis_server.url)
    return Settings(data_dir=data_dir, database_url=database_url, redis_url=redis_server.url)


@pytest.fixture
def app(settings, redis):
    from hub.app import create_app
    return create_app(settings)


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def auth(account):
    return {"Authorization": f"Bearer {account['key']}"}


@pytest.fixture
def relay(ledger, redis):
    from hub.relay import Relay
    return Relay(ledger, redis, grace=0, held_retry=0)


@pytest.fixture
def run_worker(redis, settings):
    """Run a register's queue to empty in this process (an RQ SimpleWorker in burst mode)."""
    def run(register_id: str, name: str = "test-worker") -> None:
        run_register_worker(redis, register_id, name)
    return run
