"""Shared fixtures: a real redis-server process, a migrated SQLite ledger, an account with an
API key and a virtual register, the Flask app, and a way to run the register's worker."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from rq import SimpleWorker
from rq.serializers import JSONSerializer

from fiscal.ledger import accounts, registers
from fiscal.ledger.db import Ledger
from fiscal.ledger.migrate import upgrade


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory):
    from hub.embedded import RedisServer
    server = RedisServer(tmp_path_factory.mktemp("redis")).start()
    yield server
    server.stop()


@pytest.fixture
def redis(redis_server):
    from redis import Redis
    client = Redis.from_url(redis_server.url)
    client.flushall()
    yield client
    client.flushall()


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory) -> Path:
    """Run the Alembic migrations once; each test copies the result."""
    path = tmp_path_factory.mktemp("template") / "fiscalhub.db"
    url = f"sqlite:///{path}"
    upgrade(url)
    from fiscal.ledger.db import get_engine
    get_engine(url).dispose()       # checkpoints the WAL into the file we copy
    assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    return path


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
        _reset_database(test_url)
        url = test_url
    else:
        shutil.copy(migrated_template, data_dir / "fiscalhub.db")
        url = f"sqlite:///{data_dir / 'fiscalhub.db'}"
    monkeypatch.setenv("DATABASE_URL", url)
    yield url
    if not test_url:
        # Each test has its own file: close its pooled connections (a suite of a thousand
        # tests would otherwise run out of file descriptors pyserial's select() can take).
        from fiscal.ledger.db import dispose_engines
        dispose_engines(url)


def _reset_database(url: str) -> None:
    from fiscal.ledger.db import get_engine
    from fiscal.ledger.models import Base
    engine = get_engine(url)
    with engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE IF EXISTS alembic_version")
    Base.metadata.drop_all(engine)
    upgrade(url)


@pytest.fixture
def ledger(database_url) -> Ledger:
    return Ledger(database_url)


@pytest.fixture
def account(ledger):
    with ledger.session() as s:
        acc = accounts.create_account(s, "Hotel Sever")
        _, key = accounts.issue_api_key(s, acc.id, "tests")
    return {"id": acc.id, "key": key}


@pytest.fixture
def register(ledger, account, data_dir):
    with ledger.session() as s:
        reg = registers.add_register(s, account["id"], name="Front desk", driver="virtual",
                                     url=f"virtual://{data_dir / 'front-desk.sqlite'}")
        return {"id": reg.id, "url": reg.url, "memory": data_dir / "front-desk.sqlite"}


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
    from hub import tasks
    from hub.queues import register_queue

    def run(register_id: str, name: str = "test-worker") -> None:
        tasks.configure(name)
        w = SimpleWorker([register_queue(redis, register_id)], connection=redis,
                         serializer=JSONSerializer, name=f"{name}-{os.getpid()}")
        w.work(burst=True, logging_level="WARNING")
    return run
