"""fiscalhub's pytest plugin for connector vendors. Enable it in your ``conftest.py``::

    pytest_plugins = ["fiscalhub.testing"]

(it is not loaded automatically: a pytest run that does not ask for it never sees it). Every
fixture's name starts with ``fiscalhub_``, so none clashes with yours; all of it is real — a
``redis-server`` process, a migrated SQLite ledger per test, the hub's Flask app with the
plugins installed in your environment, the Shtrih-M emulator on a pty driven by the real driver.

=============================  ====================================================================
``fiscalhub_contract``         ``fiscalhub_contract("acme", golden_dir=…)``: the contract kit over
                               your installed connector; fails with every problem in words
``fiscalhub_connection``       factory: ``fiscalhub_connection("acme", settings={…})`` → a
                               :class:`~fiscalhub.testkit.ConnectionHandle` (``id``, ``deliver``,
                               ``deliver_request``, ``events``, ``jobs``, ``postings``,
                               ``print_all``) routed to ``fiscalhub_register``
``fiscalhub_register``         where connections print: ``fiscalhub_emulator`` unless you
                               override it (e.g. with ``fiscalhub_virtual_register``)
``fiscalhub_emulator``         the Shtrih-M emulator on a pty and its ``shtrih`` register
                               (:class:`~fiscalhub.testkit.EmulatedRegister`: ``id``,
                               ``receipts()``, ``documents()``, ``memory``, ``emulator``)
``fiscalhub_virtual_register`` a ``virtual`` register (no pty), the same interface
``fiscalhub_app`` / ``_client`` the hub's Flask app (and its test client) with
                               ``fiscalhub_host``'s plugins
``fiscalhub_host``             the plugin host: the installed plugins (entry points of group
                               ``fiscalhub``); override it to give your own
``fiscalhub_account``          ``{"id", "key", "auth"}``: an account, its API key, the header
``fiscalhub_ledger``           the ledger (``fiscal.ledger.db.Ledger``) of this test
``fiscalhub_redis``            a client of the session's ``redis-server``, emptied for each test
``fiscalhub_settler``          the relay and the register workers, run until jobs settle
=============================  ====================================================================

``check_connector`` (and ``run_translate``, ``no_network``, ``golden_cases``) are the contract
kit's plain functions, re-exported from :mod:`hub.connector_kit`::

    def test_contract():
        assert check_connector(AcmeConnector, entry_point="acme", golden_dir=GOLDEN) == []
"""
from __future__ import annotations

from pathlib import Path

import pytest

from fiscalhub import testkit
from hub.connector_kit import check_connector, golden_cases, no_network, run_translate

__all__ = ["check_connector", "run_translate", "no_network", "golden_cases", "installed_as"]


# Redis and the ledger ---------------------------------------------------------------------------
@pytest.fixture(scope="session")
def fiscalhub_redis_server(tmp_path_factory):
    server = testkit.start_redis(tmp_path_factory.mktemp("fiscalhub-redis"))
    yield server
    server.stop()


@pytest.fixture
def fiscalhub_redis(fiscalhub_redis_server):
    client = testkit.flushed_redis(fiscalhub_redis_server.url)
    yield client
    client.flushall()


@pytest.fixture(scope="session")
def fiscalhub_ledger_template(tmp_path_factory) -> Path:
    """The migrations, run once a session; each test's ledger is a copy."""
    return testkit.migrate_template(tmp_path_factory.mktemp("fiscalhub-template")
                                    / "fiscalhub.db")


@pytest.fixture
def fiscalhub_data_dir(tmp_path, monkeypatch) -> Path:
    """This test's data directory (``FISCALHUB_DATA_DIR``): the ledger, the registers' memory."""
    directory = tmp_path / "fiscalhub"
    directory.mkdir()
    monkeypatch.setenv("FISCALHUB_DATA_DIR", str(directory))
    return directory


@pytest.fixture
def fiscalhub_ledger(fiscalhub_data_dir, fiscalhub_ledger_template, monkeypatch):
    """A migrated SQLite ledger of this test's own (``DATABASE_URL`` points at it, for the
    register workers)."""
    from fiscal.ledger.db import Ledger
    url = testkit.copy_ledger(fiscalhub_ledger_template, fiscalhub_data_dir)
    monkeypatch.setenv("DATABASE_URL", url)
    yield Ledger(url)
    testkit.dispose_ledger(url)


@pytest.fixture
def fiscalhub_settings(fiscalhub_data_dir, fiscalhub_ledger, fiscalhub_redis_server,
                       monkeypatch):
    from hub.config import Settings
    monkeypatch.setenv("REDIS_URL", fiscalhub_redis_server.url)
    return Settings(data_dir=fiscalhub_data_dir, database_url=fiscalhub_ledger.url,
                    redis_url=fiscalhub_redis_server.url)


# the hub ----------------------------------------------------------------------------------------
@pytest.fixture
def fiscalhub_host():
    """The plugin host: fiscalhub's built-ins and every plugin installed by entry point (minus
    ``FISCALHUB_DISABLED_PLUGINS``). Override this fixture to test a plugin that is not
    installed, e.g. ``PluginHost(make_plugin_manager(load_entrypoints=False,
    extra=[("acme", acme_module)]))``."""
    from hub.plugins import PluginHost, make_plugin_manager
    return PluginHost(make_plugin_manager())


@pytest.fixture
def fiscalhub_app(fiscalhub_settings, fiscalhub_redis, fiscalhub_host):
    from hub.app import create_app
    return create_app(fiscalhub_settings, host=fiscalhub_host)


@pytest.fixture
def fiscalhub_client(fiscalhub_app):
    return fiscalhub_app.test_client()


@pytest.fixture
def fiscalhub_account(fiscalhub_ledger) -> dict:
    """``{"id": account id, "key": API key, "auth": {"Authorization": "Bearer …"}}``."""
    account_id, key = testkit.create_account(fiscalhub_ledger, "Test venue")
    return {"id": account_id, "key": key, "auth": {"Authorization": f"Bearer {key}"}}


# registers and work -----------------------------------------------------------------------------
@pytest.fixture
def fiscalhub_emulator(fiscalhub_ledger, fiscalhub_account, fiscalhub_data_dir):
    """The Shtrih-M emulator on a pty, and a ``shtrih`` register of the account on it."""
    with testkit.shtrih_register(fiscalhub_ledger, fiscalhub_account["id"],
                                 fiscalhub_data_dir) as register:
        yield register


@pytest.fixture
def fiscalhub_virtual_register(fiscalhub_ledger, fiscalhub_account, fiscalhub_data_dir):
    return testkit.virtual_register(fiscalhub_ledger, fiscalhub_account["id"],
                                    fiscalhub_data_dir)


@pytest.fixture
def fiscalhub_register(fiscalhub_emulator):
    """Where ``fiscalhub_connection`` routes by default. Override it in your conftest —
    ``def fiscalhub_register(fiscalhub_virtual_register): return fiscalhub_virtual_register``
    — to print without a pty."""
    return fiscalhub_emulator


@pytest.fixture
def fiscalhub_settler(fiscalhub_ledger, fiscalhub_redis, fiscalhub_settings):
    return testkit.Settler(fiscalhub_ledger, fiscalhub_redis)


@pytest.fixture
def fiscalhub_connection(request, fiscalhub_client, fiscalhub_account, fiscalhub_host,
                         fiscalhub_settler):
    """``fiscalhub_connection("acme", settings={…}, register=None, name=None, **fields)`` makes
    a connection through ``POST /api/v1/connections`` (settings default to the connector's
    ``settings_example``; ``register`` — an :class:`~fiscalhub.testkit.EmulatedRegister` or a
    register id — to ``fiscalhub_register``; ``fields`` go into the request as they are, e.g.
    ``time_zone``) and returns a :class:`~fiscalhub.testkit.ConnectionHandle`."""
    from hub.connectors import connectors

    def make(connector: str, settings: dict | None = None, *, register=None,
             name: str | None = None, **fields) -> testkit.ConnectionHandle:
        if settings is None:
            installed = connectors(fiscalhub_host)
            assert connector in installed, _not_installed(connector, installed)
            settings = installed[connector].settings_example
        body = {"connector": connector, "name": name or f"{connector} test connection",
                "settings": settings, **fields}
        if "register_group_id" not in fields:
            if register is None:
                register = request.getfixturevalue("fiscalhub_register")
            body["register_id"] = getattr(register, "id", register)
        resp = fiscalhub_client.post("/api/v1/connections", json=body,
                                     headers=fiscalhub_account["auth"])
        assert resp.status_code == 201, f"the connection was refused: {resp.json}"
        return testkit.ConnectionHandle(fiscalhub_client, fiscalhub_account["auth"], resp.json,
                                        register if not isinstance(register, str) else None,
                                        fiscalhub_settler)
    return make


# the contract -----------------------------------------------------------------------------------
def installed_as(connector, host) -> tuple[type, str]:
    """``(class, entry point name)`` of a connector installed in ``host``, given its name or
    its class: the entry point is the name of the plugin that registers it. AssertionError
    when no plugin of the host registers it."""
    from hub.connectors import connectors
    found = connectors(host)
    cls = found.get(connector) if isinstance(connector, str) else connector
    assert cls is not None and cls in found.values(), _not_installed(connector, found)
    for impl in host.pm.hook.fiscalhub_register_connectors.get_hookimpls():
        kwargs = {"hub": host} if "hub" in impl.argnames else {}
        if cls in (impl.function(**kwargs) or ()):
            return cls, impl.plugin_name
    raise AssertionError(f"no plugin registers {cls!r}")  # pragma: no cover - found above


def _not_installed(connector, found: dict) -> str:
    name = connector if isinstance(connector, str) else getattr(connector, "name", connector)
    return (f"connector {name!r} is not installed (installed: {', '.join(sorted(found)) or 'none'})"
            ": install your package into this environment (pip install -e .) so that its "
            "entry point in the 'fiscalhub' group is found")


@pytest.fixture
def fiscalhub_contract(fiscalhub_host):
    """``fiscalhub_contract("acme", golden_dir=HERE / "golden")`` (or the class): finds the
    connector among the installed plugins and runs :func:`check_connector` with the name of
    the entry point that registers it; fails listing every problem, else returns the class."""
    def check(connector, golden_dir: str | Path | None = None,
              entry_point: str | None = None) -> type:
        cls, plugin_name = installed_as(connector, fiscalhub_host)
        problems = check_connector(cls, entry_point=entry_point or plugin_name,
                                   golden_dir=Path(golden_dir) if golden_dir else None)
        assert problems == [], (f"{cls.__name__} breaks the connector contract:\n  "
                                + "\n  ".join(problems))
        return cls
    return check
