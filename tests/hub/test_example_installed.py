"""The example connector for real: ``pip install`` of examples/fiscalhub-example-connector as
its own package, ``fiscalhub plugins`` listing it, and the hub — served over HTTP on
127.0.0.1, its plugin host loading the pip-installed entry point — taking a TinyPOS webhook
whose receipt the Shtrih-M emulator prints, exactly once, through the real driver on a pty."""
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from connector_helpers import EXAMPLE, GOLDEN, MODULE
from fiscalhub.testkit import Settler, shtrih_register
from hub import plugins

ROOT = Path(__file__).resolve().parents[2]


def pip_install(source: Path, target: Path) -> subprocess.CompletedProcess:
    """``pip install --no-deps --target``; setuptools comes from the configured index into an
    isolated build environment, as ``pip install -e .`` in scripts/test.sh gets it. Where that
    index cannot be reached, the build falls back on this environment's setuptools."""
    def run(*extra):
        return subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--quiet",
                               "--disable-pip-version-check", *extra, "--target", str(target),
                               str(source)], capture_output=True, text=True, timeout=300)
    done = run()
    if done.returncode != 0 and importlib.util.find_spec("setuptools") is not None:
        done = run("--no-build-isolation")
    return done


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    tmp = tmp_path_factory.mktemp("example-installed")
    source, target = tmp / "src", tmp / "site"
    # built from a copy: setuptools leaves build/ and *.egg-info in the tree it builds
    shutil.copytree(EXAMPLE, source, ignore=shutil.ignore_patterns(
        "build", "*.egg-info", "__pycache__", "golden", "tests"))
    done = pip_install(source, target)
    assert done.returncode == 0, done.stdout + done.stderr
    assert (target / f"{MODULE}.py").exists()
    return target


def test_fiscalhub_plugins_lists_the_installed_package_with_its_version(site, tmp_path):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(site), str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    env.pop("FISCALHUB_DISABLED_PLUGINS", None)

    def plugins_cli(*args):
        done = subprocess.run([sys.executable, "-m", "hub.cli", "plugins", *args], cwd=tmp_path,
                              env=env, capture_output=True, text=True, timeout=60)
        assert done.returncode == 0, done.stderr
        return done.stdout
    assert re.search(r"^example +fiscalhub-example-connector 0\.1\.0 +"
                     r"fiscalhub_register_connectors$", plugins_cli(), re.M)
    listed = json.loads(plugins_cli("--json"))["items"]
    assert {"name": "example", "builtin": False, "package": "fiscalhub-example-connector",
            "version": "0.1.0", "hooks": ["fiscalhub_register_connectors"]} in listed


@pytest.fixture
def installed(site, monkeypatch):
    """This process's plugin host finds the pip-installed copy (and only for this test)."""
    monkeypatch.syspath_prepend(str(site))
    monkeypatch.delenv("FISCALHUB_DISABLED_PLUGINS", raising=False)
    before = sys.modules.pop(MODULE, None)
    plugins._host_for.cache_clear()
    yield site
    plugins._host_for.cache_clear()
    sys.modules.pop(MODULE, None)
    if before is not None:
        sys.modules[MODULE] = before


@pytest.fixture
def hub_url(settings, redis, installed):
    """The hub on werkzeug's threaded server (``fiscalhub web``'s) on 127.0.0.1, its plugin
    host the process's default one: the installed entry points."""
    from werkzeug.serving import make_server

    from hub.app import create_app
    from hub.connectors import connectors
    app = create_app(settings)
    example = connectors(app.extensions["fiscalhub.host"])["example"]
    assert Path(sys.modules[example.__module__].__file__).parent == installed
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="hub-http", daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    server.server_close()
    thread.join(10)


@pytest.fixture
def shtrih(ledger, account, data_dir):
    with shtrih_register(ledger, account["id"], data_dir, name="Restaurant bar") as register:
        yield register


def test_a_tinypos_webhook_is_printed_once_on_the_shtrih_emulator(hub_url, shtrih, account,
                                                                  ledger, redis):
    http = requests.Session()
    http.headers["Authorization"] = f"Bearer {account['key']}"
    made = http.post(f"{hub_url}/api/v1/connections", timeout=30, json={
        "connector": "example", "name": "TinyPOS", "register_id": shtrih.id,
        "settings": json.loads((GOLDEN / "settings.json").read_text())})
    assert made.status_code == 201, made.text
    connection = made.json()
    assert connection["webhook_url"] == f"{hub_url}/hooks/{connection['id']}"
    assert connection["settings"]["secret"] == "********"

    pos = requests.Session()            # TinyPOS: no API key, its shared secret in a header
    request = json.loads((GOLDEN / "closed_bill.request.json").read_text())
    delivered = pos.post(connection["webhook_url"], data=request["body"].encode(),
                         headers=request["headers"], timeout=30)
    assert delivered.status_code == 202, delivered.text
    [event] = delivered.json()["events"]
    assert (event["event_id"], event["state"], event["duplicate"]) == ("evt_7f3a", "accepted",
                                                                       False)
    assert len(event["job_ids"]) == 1 and len(event["posting_ids"]) == 1     # receipt + tip

    settler = Settler(ledger, redis)
    assert settler.settle(event["job_ids"]) == {event["job_ids"][0]: "printed"}
    job = http.get(f"{hub_url}/api/v1/jobs/{event['job_ids'][0]}", timeout=30).json()
    [receipt] = shtrih.receipts()
    assert receipt.fd_number == job["result"]["fd_number"]
    assert receipt.fiscal_sign == job["result"]["fiscal_sign"]
    assert (receipt.operation, receipt.total) == ("sell", Decimal("850.50"))
    assert [(i["name"], Decimal(i["quantity"]), Decimal(i["price"]), Decimal(i["amount"]))
            for i in receipt.details["items"]] == [
        ("Борщ", Decimal("2"), Decimal("350.00"), Decimal("700.00")),
        ("Чай", Decimal("1"), Decimal("150.50"), Decimal("150.50"))]

    again = pos.post(connection["webhook_url"], data=request["body"].encode(),
                     headers=request["headers"], timeout=30)
    assert again.status_code == 202, again.text
    [same] = again.json()["events"]
    assert same["duplicate"] is True
    assert (same["id"], same["job_ids"], same["posting_ids"]) == (
        event["id"], event["job_ids"], event["posting_ids"])
    assert settler.relay.dispatch() == 0                  # nothing new in the outbox
    settler.settle(event["job_ids"])
    assert [d.fd_number for d in shtrih.receipts()] == [receipt.fd_number]
    jobs = http.get(f"{hub_url}/api/v1/jobs", params={"connection": connection["id"]},
                    timeout=30).json()["items"]
    assert [j["id"] for j in jobs] == event["job_ids"]
    events = http.get(f"{hub_url}/api/v1/connections/{connection['id']}/events",
                      timeout=30).json()["items"]
    assert [e["event_id"] for e in events] == ["evt_7f3a"]
