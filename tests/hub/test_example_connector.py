"""The example connector (examples/fiscalhub-example-connector) keeps the contract: its
settings example loads, its secret is masked, verify rejects a tampered request, translate is
pure, and it sends tips back. (Installed with pip for real: test_example_installed.py.)"""
import json

import pytest

from hub import connectors as c
from hub import plugins
from tests.hub.connector_helpers import GOLDEN, fake_install


@pytest.fixture
def example(tmp_path, monkeypatch):
    fake_install(tmp_path, monkeypatch)
    yield c.connectors(plugins.PluginHost(plugins.make_plugin_manager(disabled=[])))["example"]
    plugins._host_for.cache_clear()


def test_the_name_is_the_entry_points_and_the_settings_example_loads(example):
    assert example.name == "example" and example.version == "0.1.0"
    settings = example.load_settings(example.settings_example)
    assert example.masked_settings(settings)["secret"] == "********"
    assert set(example.secret_settings) <= set(example.settings_schema().fields)


def test_verify_rejects_a_tampered_or_unsigned_request(example):
    connector = example.from_settings(json.loads((GOLDEN / "settings.json").read_text()))
    doc = json.loads((GOLDEN / "closed_bill.request.json").read_text())
    connector.verify(c.InboundRequest.from_json(doc))
    for headers in ({"X-TinyPOS-Secret": "tinypos-example-secreT"}, {}):
        with pytest.raises(c.VerificationFailed):
            connector.verify(c.InboundRequest.from_json(dict(doc, headers=headers)))


def test_translate_is_pure_the_event_is_not_changed(example):
    connector = example.from_settings(example.settings_example)
    doc = json.loads((GOLDEN / "closed_bill.request.json").read_text())
    [event] = connector.parse(c.InboundRequest.from_json(doc))
    before = json.dumps(event.to_json(), sort_keys=True)
    first, second = connector.translate(event), connector.translate(event)
    assert first == second and c.check_intents(first) == first
    assert json.dumps(event.to_json(), sort_keys=True) == before
    assert event.occurred_at.isoformat() == "2026-11-20T21:14:03+03:00"


def _example(monkeypatch, tmp_path, **settings):
    fake_install(tmp_path, monkeypatch)
    cls = c.connectors(plugins.default_host())["example"]
    return cls, cls.from_settings({"secret": "tinypos-example-secret", **settings})


TIPS = "http://tinypos.test/api/tips"


def test_the_example_sends_a_tip_with_its_idempotency_key(monkeypatch, tmp_path):
    import requests
    import responses
    from decimal import Decimal
    cls, connector = _example(monkeypatch, tmp_path, tips_url=TIPS)
    assert cls.supports("send_posting") and cls.idempotent_postings is True
    tip = c.PostingIntent(kind="tip", target="Иванова А.", amount=Decimal("50.00"),
                          payload={"bill": "B-1042"}, idempotency_key="tinypos:B-1042:tip")
    with responses.RequestsMock() as mock:
        mock.post(TIPS, json={"tip_id": 77}, status=201)
        assert connector.send_posting(tip, requests.Session()) == {"tip_id": 77}
        sent = mock.calls[0].request
        assert json.loads(sent.body) == {"bill": "B-1042", "waiter": "Иванова А.",
                                         "amount": "50.00"}
        assert sent.headers["Idempotency-Key"] == "tinypos:B-1042:tip"
    with responses.RequestsMock() as mock:
        mock.post(TIPS, json={"error": "bill closed"}, status=409)
        with pytest.raises(c.PostingRefused, match="409"):
            connector.send_posting(tip, requests.Session())
    with responses.RequestsMock() as mock:
        mock.post(TIPS, status=503, headers={"Retry-After": "12"})
        with pytest.raises(c.PostingNotDelivered) as caught:
            connector.send_posting(tip, requests.Session())
        assert caught.value.retry_after == 12.0
    with responses.RequestsMock() as mock:
        mock.post(TIPS, body=requests.ConnectTimeout("connect timed out"))
        with pytest.raises(c.PostingNotDelivered):
            connector.send_posting(tip, requests.Session())
    with responses.RequestsMock() as mock:
        mock.post(TIPS, body=requests.ReadTimeout("read timed out"))
        with pytest.raises(requests.ReadTimeout):        # may have arrived: ambiguous
            connector.send_posting(tip, requests.Session())
    unset = cls.from_settings({"secret": "tinypos-example-secret"})
    with pytest.raises(c.PostingRefused, match="tips_url is not set"):
        unset.send_posting(tip, requests.Session())
