"""The plugin host: built-in plugins through the same hooks, installed plugins by entry point,
disabling by name, misspelled hooks and driver clashes failing at startup, and the listing in
the CLI and the API."""
import json
import sys
import textwrap

import pluggy
import pytest
from click.testing import CliRunner

from fiscal.drivers.virtual import VirtualDriver
from hub import plugins
from hub.hookspecs import hookimpl


@pytest.fixture
def installed_plugin(tmp_path, monkeypatch):
    """A distribution ``acme-fiscalhub`` 1.2.3 on sys.path whose entry point ``acme`` (group
    ``fiscalhub``) registers a driver ``acme`` — found the way pip-installed plugins are."""
    (tmp_path / "acme_fiscalhub.py").write_text(textwrap.dedent('''
        from fiscal.drivers.virtual import VirtualDriver
        from hub.hookspecs import hookimpl

        class AcmeDriver(VirtualDriver):
            name = "acme"

        @hookimpl
        def fiscalhub_register_drivers():
            return [AcmeDriver]
    '''))
    dist = tmp_path / "acme_fiscalhub-1.2.3.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: acme-fiscalhub\nVersion: 1.2.3\n")
    (dist / "entry_points.txt").write_text("[fiscalhub]\nacme = acme_fiscalhub\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "acme_fiscalhub", raising=False)
    plugins._host_for.cache_clear()
    yield
    plugins._host_for.cache_clear()


def test_the_built_in_drivers_come_through_the_hook():
    host = plugins.PluginHost(plugins.make_plugin_manager(load_entrypoints=False))
    assert sorted(host.drivers()) == ["shtrih", "virtual"]
    listed = plugins.list_plugins(host.pm)
    assert [(p["name"], p["builtin"], p["hooks"]) for p in listed] == [
        ("fiscalhub.drivers", True, ["fiscalhub_register_drivers"]),
        ("fiscalhub.routing", True, ["fiscalhub_route_job"])]


def test_an_installed_plugin_is_loaded_by_its_entry_point_and_listed(installed_plugin):
    host = plugins.PluginHost(plugins.make_plugin_manager(disabled=[]))
    assert host.drivers()["acme"].__name__ == "AcmeDriver"
    acme = next(p for p in plugins.list_plugins(host.pm) if p["name"] == "acme")
    assert acme == {"name": "acme", "builtin": False, "package": "acme-fiscalhub",
                    "version": "1.2.3", "hooks": ["fiscalhub_register_drivers"]}


def test_a_plugin_is_disabled_by_name_the_built_ins_are_not(installed_plugin, monkeypatch):
    monkeypatch.setenv("FISCALHUB_DISABLED_PLUGINS", "acme, fiscalhub.drivers")
    host = plugins.default_host()
    assert "acme" not in host.drivers() and "virtual" in host.drivers()
    assert "acme" not in [p["name"] for p in plugins.list_plugins(host.pm)]


@pytest.mark.parametrize("marked", [True, False])
def test_a_misspelled_hook_fails_at_startup(marked):
    class Typo:
        def fiscalhub_register_driver(self):         # …_drivers
            return []
    if marked:
        Typo.fiscalhub_register_driver = hookimpl(Typo.fiscalhub_register_driver)
    with pytest.raises(pluggy.PluginValidationError, match="fiscalhub_register_driver"):
        plugins.make_plugin_manager(load_entrypoints=False, extra=[("typo", Typo())])


def test_two_plugins_claiming_one_driver_name_fail_at_startup():
    class Impostor(VirtualDriver):
        name = "shtrih"

    class Vendor:
        @hookimpl
        def fiscalhub_register_drivers(self):
            return [Impostor]
    host = plugins.PluginHost(plugins.make_plugin_manager(load_entrypoints=False,
                                                          extra=[("vendor", Vendor())]))
    with pytest.raises(plugins.PluginConflict, match="'shtrih' is registered by both"):
        host.drivers()


def test_routing_first_answer_wins_and_the_default_reads_the_connection():
    class Night:
        @hookimpl
        def fiscalhub_route_job(self, job):
            return {"register": "night-bar"} if job.get("night") else None
    host = plugins.PluginHost(plugins.make_plugin_manager(load_entrypoints=False,
                                                          extra=[("night", Night())]))
    connection = {"routing": {"register_group": "restaurant"}}
    assert host.route_job({"night": True}, connection) == {"register": "night-bar"}
    assert host.route_job({}, connection) == {"register_group": "restaurant"}
    assert host.route_job({}, None) is None


def test_fiscalhub_plugins_command_and_api_list_them(installed_plugin, client, auth,
                                                     monkeypatch):
    monkeypatch.delenv("FISCALHUB_DISABLED_PLUGINS", raising=False)
    from hub.cli import main
    out = CliRunner().invoke(main, ["plugins", "--json"])
    assert out.exit_code == 0, out.output
    names = [p["name"] for p in json.loads(out.output)["items"]]
    # fiscalhub's own connectors come as installed plugins of the fiscalhub package
    assert names == ["fiscalhub.drivers", "fiscalhub.routing", "acme", "clock_pms",
                     "lightspeed"]
    text = CliRunner().invoke(main, ["plugins"]).output
    assert "acme-fiscalhub 1.2.3" in text and "built in" in text
    resp = client.get("/api/v1/plugins", headers=auth)
    assert resp.status_code == 200
    assert [p["name"] for p in resp.json["items"]] == names
    assert client.get("/api/v1/plugins").status_code == 401
