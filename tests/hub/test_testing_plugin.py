"""fiscalhub.testing as a vendor uses it: the example connector's package, copied into a fresh
directory as a vendor's repository (its own ``tests/`` enabling the plugin with
``pytest_plugins``), installed by a dist-info with its entry point, and its tests run by a new
pytest process — plus a few more vendor-style tests written here, over the fixtures a vendor
overrides and the failures the plugin reports; and docs/writing-a-connector.md names every
fixture."""
import importlib.metadata
import os
import re
import shutil
import textwrap
from pathlib import Path

import pytest

from connector_helpers import EXAMPLE, MODULE

pytest_plugins = ["pytester"]
ROOT = Path(__file__).resolve().parents[2]

MORE_TESTS = '''
from decimal import Decimal

import pytest

from fiscalhub.testing import check_connector, installed_as
from fiscalhub_example_connector import ExampleConnector

SECRET = {"X-TinyPOS-Secret": "tinypos-example-secret"}


def bill(n, total="120.00"):
    return {"event_id": f"evt-{n}", "type": "bill.closed",
            "bill": {"id": f"B-{n}", "lines": [{"name": "Кофе", "qty": "1", "price": total}],
                     "payments": [{"method": "card", "amount": total}]}}


@pytest.fixture
def fiscalhub_register(fiscalhub_virtual_register):     # the vendor's choice: no pty
    return fiscalhub_virtual_register


@pytest.fixture
def app():                                             # a vendor's own fixture names stay theirs
    return "the vendor's app"


def test_the_vendors_fixture_names_are_left_alone(app, fiscalhub_app):
    assert app == "the vendor's app" and fiscalhub_app.name == "fiscalhub"


def test_three_bills_print_once_each_on_the_overridden_register(fiscalhub_connection,
                                                                fiscalhub_virtual_register):
    pos = fiscalhub_connection("example")
    assert pos.register is fiscalhub_virtual_register
    for n, total in enumerate(["120.00", "99.90", "1500.00"]):
        assert pos.deliver(bill(n, total), headers=SECRET).status_code == 202
    jobs = pos.print_all()
    assert [j["state"] for j in jobs] == ["printed"] * 3
    receipts = fiscalhub_virtual_register.receipts()
    assert sorted(r.total for r in receipts) == [Decimal("99.90"), Decimal("120.00"),
                                                 Decimal("1500.00")]
    assert sorted(r.fd_number for r in receipts) == sorted(j["result"]["fd_number"] for j in jobs)
    assert [e["event_id"] for e in pos.events()] == ["evt-0", "evt-1", "evt-2"]


def test_an_unsupported_event_is_kept_as_rejected_with_the_reason(fiscalhub_connection):
    pos = fiscalhub_connection("example")
    answer = pos.deliver({"event_id": "evt-9", "type": "bill.split", "bill": {}}, headers=SECRET)
    assert answer.status_code == 422
    [event] = pos.events()
    assert event["state"] == "rejected" and "bill.split" in event["reason"]
    assert pos.jobs() == [] and pos.print_all() == []


def test_the_contract_fixture_names_every_problem(fiscalhub_contract, fiscalhub_host):
    assert installed_as("example", fiscalhub_host) == (ExampleConnector, "example")

    class Renamed(ExampleConnector):
        name = "tinypos"
    with pytest.raises(AssertionError, match="'tinypos' is not installed"):
        fiscalhub_contract(Renamed)
    with pytest.raises(AssertionError) as failed:
        fiscalhub_contract("example", entry_point="tinypos")
    assert "name 'example' is not its entry point's 'tinypos'" in str(failed.value)
    assert check_connector(Renamed, entry_point="example") == [
        "name 'tinypos' is not its entry point's 'example'"]


@pytest.mark.parametrize("turn", [1, 2])
def test_each_test_gets_an_empty_redis_and_its_own_ledger(turn, fiscalhub_redis,
                                                          fiscalhub_account, fiscalhub_ledger):
    from fiscal.ledger.models import Account
    assert fiscalhub_redis.dbsize() == 0
    fiscalhub_redis.set("left-behind", turn)
    with fiscalhub_ledger.session(readonly=True) as s:
        assert [a.id for a in s.query(Account)] == [fiscalhub_account["id"]]
'''


def test_the_example_packages_tests_and_a_vendors_pass_with_the_plugin(pytester, monkeypatch):
    repo = pytester.path / "fiscalhub-example-connector"
    shutil.copytree(EXAMPLE, repo, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", ".pytest_cache"))
    (repo / "tests" / "test_more_fixtures.py").write_text(textwrap.dedent(MORE_TESTS))
    site = pytester.path / "site"           # the package "installed": its dist-info, entry point
    dist = site / "fiscalhub_example_connector-0.1.0.dist-info"
    dist.mkdir(parents=True)
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: fiscalhub-example-connector\n"
                                   "Version: 0.1.0\n")
    (dist / "entry_points.txt").write_text(f"[fiscalhub]\nexample = {MODULE}\n")
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join(
        [str(site), str(repo), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])]))
    monkeypatch.delenv("FISCALHUB_DISABLED_PLUGINS", raising=False)
    monkeypatch.chdir(repo)

    result = pytester.runpytest_subprocess("-v", "-p", "no:cacheprovider", timeout=240)

    result.assert_outcomes(passed=10)
    result.stdout.fnmatch_lines_random([
        "*test_contract.py::test_the_connector_passes_the_contract_kit PASSED*",
        "*test_contract.py::test_the_installed_entry_point_is_this_connector_and_passes_the_kit "
        "PASSED*",
        "*test_contract.py::test_a_closed_bill_is_printed_once_on_the_register PASSED*",
        "*test_contract.py::test_a_request_with_a_wrong_secret_is_refused_and_nothing_is_stored "
        "PASSED*",
        "*test_more_fixtures.py::test_three_bills_print_once_each_on_the_overridden_register "
        "PASSED*",
        "*test_more_fixtures.py::test_the_contract_fixture_names_every_problem PASSED*",
    ])
    assert f"rootdir: {repo}" in result.stdout.str()      # run as the vendor's own project


def test_the_plugin_loads_only_where_a_conftest_asks_for_it(request):
    assert not [ep for ep in importlib.metadata.entry_points(group="pytest11")
                if ep.value.split(".")[0] == "fiscalhub"]
    assert request.config.pluginmanager.get_plugin("fiscalhub.testing") is None
    with pytest.raises(pytest.FixtureLookupError):
        request.getfixturevalue("fiscalhub_app")


def test_every_fixture_is_documented_in_writing_a_connector():
    from fiscalhub import testing
    section = (ROOT / "docs" / "writing-a-connector.md").read_text().split(
        "## Testing your connector")[1]
    documented = {name for row in re.findall(r"^\| (`fiscalhub_[^|]*)\|", section, re.M)
                  for name in re.findall(r"`(fiscalhub_\w+)`", row)}
    defined = {name for name in vars(testing) if name.startswith("fiscalhub_")}
    assert documented == defined
