"""``fiscalhub translate``: the example connector's golden payloads give their expected intents,
the same every time, with no database or Redis; every failure exits 1 with a message."""
import json

import pytest
from click.testing import CliRunner

from hub.cli_translate import translate
from tests.hub.connector_helpers import GOLDEN, fake_install

SETTINGS = str(GOLDEN / "settings.json")
CASES = sorted(p.name[:-len(".request.json")] for p in GOLDEN.glob("*.request.json"))


@pytest.fixture(autouse=True)
def example_installed(tmp_path, monkeypatch):
    site = tmp_path / "site"
    site.mkdir()
    fake_install(site, monkeypatch)


def run(*args):
    return CliRunner().invoke(translate, list(args))


def write(tmp_path, name, data):
    path = tmp_path / name
    path.write_text(json.dumps(data, ensure_ascii=False) if not isinstance(data, str) else data)
    return str(path)


def test_there_are_golden_cases():
    assert {"closed_bill", "opened_bill"} <= set(CASES)


@pytest.mark.parametrize("case", CASES)
def test_golden_payloads_translate_to_the_expected_intents_deterministically(case):
    args = ["--connector", "example", "--settings", SETTINGS, str(GOLDEN / f"{case}.request.json")]
    first, second = run(*args), run(*args)
    assert first.exit_code == 0, first.output
    expected = json.loads((GOLDEN / f"{case}.expected.json").read_text())
    assert json.loads(first.output) == expected
    assert second.output == first.output


def test_a_parsed_event_is_translated_without_verifying(tmp_path):
    body = json.loads(json.loads((GOLDEN / "closed_bill.request.json").read_text())["body"])
    event = {"event": {"event_id": body["event_id"], "type": body["type"], "payload": body["bill"]}}
    out = run("--connector", "example", "--settings", SETTINGS, write(tmp_path, "e.json", event))
    assert out.exit_code == 0, out.output
    expected = json.loads((GOLDEN / "closed_bill.expected.json").read_text())
    assert json.loads(out.output) == expected


def golden_request():
    return json.loads((GOLDEN / "closed_bill.request.json").read_text())


@pytest.mark.parametrize("settings, event, extra, message", [
    ({"taxation": "vat"}, golden_request(), [],
     'invalid settings: {"secret": ["Missing data for required field."], "taxation": '
     '["Must be one of: osn, usn_income, usn_income_outcome, esn, patent."]}'),
    ({"secret": "another-secret"}, golden_request(), [],
     "verification failed: wrong X-TinyPOS-Secret"),
    ({"secret": "tinypos-example-secret"},
     dict(golden_request(), body=json.dumps({"event_id": "e9", "type": "bill.split"})), [],
     "translation failed: event e9: TinyPOS event type 'bill.split' is not supported"),
    ({"secret": "tinypos-example-secret"},
     {"event": {"event_id": "e8", "type": "bill.closed",
                "payload": {"id": "B-1", "lines": [{"name": "Чай", "qty": "1", "price": "10",
                                                    "vat": "vat99"}],
                            "payments": [{"method": "cash", "amount": "10"}]}}}, [],
     "translation failed: event e8: intent 0: invalid job: {'receipt': {'items': {0: {'vat'"),
    ({"secret": "tinypos-example-secret"}, {"event": {"type": "bill.closed"}}, [],
     "translation failed: the event is malformed"),
    ({"secret": "tinypos-example-secret"}, golden_request(), ["--connector", "nope"],
     "unknown connector 'nope'; installed: clock_pms, example, lightspeed"),
])
def test_errors_exit_1_with_a_message(tmp_path, settings, event, extra, message):
    out = run("--connector", "example", "--settings", write(tmp_path, "s.json", settings),
              *extra, write(tmp_path, "e.json", event))
    assert out.exit_code == 1
    assert message in out.output


def test_a_bad_signature_can_be_skipped_for_captured_payloads(tmp_path):
    settings = write(tmp_path, "s.json", {"secret": "another-secret"})
    out = run("--connector", "example", "--settings", settings, "--skip-verify",
              str(GOLDEN / "closed_bill.request.json"))
    assert out.exit_code == 0, out.output


@pytest.mark.parametrize("content, message", [("{not json", "is not JSON"),
                                              ("[1, 2]", "must each hold a JSON object")])
def test_unreadable_files_exit_1(tmp_path, content, message):
    out = run("--connector", "example", "--settings", write(tmp_path, "s.json", content),
              str(GOLDEN / "closed_bill.request.json"))
    assert out.exit_code == 1 and message in out.output
    out = run("--connector", "example", "--settings", str(tmp_path / "missing.json"),
              str(GOLDEN / "closed_bill.request.json"))
    assert out.exit_code == 1 and "cannot read the settings file" in out.output
