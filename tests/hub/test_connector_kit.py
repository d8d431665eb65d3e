"""The contract kit over every registered connector, and what it says of broken ones."""
import json
import shutil

import pytest

from connector_helpers import GOLDEN, fake_install
from hub.connector_kit import check_connector
from hub.connectors import connectors
from hub.plugins import default_host


@pytest.fixture
def example(tmp_path, monkeypatch):
    fake_install(tmp_path, monkeypatch)
    return connectors(default_host())["example"]


def test_every_registered_connector_passes_the_kit(example):
    found = connectors(default_host())
    assert found, "no connector is registered"
    for name, cls in found.items():
        golden = GOLDEN if name == "example" else None
        assert check_connector(cls, entry_point=name, golden_dir=golden) == [], name


def test_a_name_that_is_not_the_entry_points_is_named(example):
    assert check_connector(example, entry_point="tinypos") == [
        "name 'example' is not its entry point's 'tinypos'"]


def test_a_settings_example_that_does_not_load_is_named(example):
    class Broken(example):
        settings_example = {"secret": "short"}
    problems = check_connector(Broken)
    assert len(problems) == 1 and problems[0].startswith("settings_example does not load")
    assert "secret" in problems[0]


def test_impure_translation_a_wrong_golden_file_and_a_lax_verify_are_named(example, tmp_path):
    golden = tmp_path / "golden"
    shutil.copytree(GOLDEN, golden)
    expected = golden / "closed_bill.expected.json"
    doc = json.loads(expected.read_text())
    doc["connector"] = "something else"
    expected.write_text(json.dumps(doc))
    calls = []

    class Impure(example):
        def translate(self, event):
            calls.append(event)               # state kept between calls …
            intents = super().translate(event)
            return intents[:1] if len(calls) % 2 == 0 else intents   # … changes the answer

        def verify(self, request):
            pass                                # accepts anything
    problems = check_connector(Impure, golden_dir=golden)
    assert "closed_bill: translating twice gave different intents (not pure)" in problems
    assert "closed_bill: the intents differ from closed_bill.expected.json" in problems
    assert "closed_bill: verify accepted the request tampered with" in problems


def test_translation_that_opens_a_connection_is_named(example):
    import socket

    class Chatty(example):
        def translate(self, event):
            socket.create_connection(("127.0.0.1", 9), timeout=1)
            return super().translate(event)
    problems = check_connector(Chatty, golden_dir=GOLDEN)
    assert any("NetworkUsed" in p for p in problems), problems


def test_a_missing_expected_file_and_no_golden_requests_are_named(example, tmp_path):
    (tmp_path / "only.request.json").write_text((GOLDEN / "closed_bill.request.json")
                                                .read_text())
    assert check_connector(example, golden_dir=tmp_path) == [
        "only: no only.expected.json beside only.request.json"]
    empty = tmp_path / "empty"
    empty.mkdir()
    assert check_connector(example, golden_dir=empty) == [
        f"no golden requests (*.request.json) in {empty}"]
