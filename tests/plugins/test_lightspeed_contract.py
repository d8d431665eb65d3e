"""The Lightspeed connector against the contract kit: its golden requests (plugins/lightspeed/
golden: a bill split between the room and a card, a card bill with an apportioned service
charge and a line discount, a void) translate to exactly their expected intents, purely and
without a socket; a request with its apiKey tampered with is refused; it is installed as the
``lightspeed`` entry point of the ``fiscalhub`` group."""
from __future__ import annotations

import importlib.metadata
import json
from pathlib import Path

import pytest

import plugins.lightspeed
from hub.connector_kit import check_connector, golden_cases, run_translate
from hub.connectors import InboundRequest, VerificationFailed
from plugins.lightspeed.connector import LightspeedConnector

GOLDEN = Path(plugins.lightspeed.__file__).parent / "golden"
SETTINGS = json.loads((GOLDEN / "settings.json").read_text())


def test_the_connector_passes_the_contract_kit():
    assert check_connector(LightspeedConnector, entry_point="lightspeed",
                           golden_dir=GOLDEN) == []


def test_the_golden_cases_are_the_three_bills():
    assert [case for case, _, _ in golden_cases(GOLDEN)] == [
        "card_service_charge", "room_and_card", "void"]


def test_it_is_installed_as_the_lightspeed_entry_point():
    [entry] = [e for e in importlib.metadata.entry_points(group="fiscalhub")
               if e.name == "lightspeed"]
    assert entry.value == "plugins.lightspeed.plugin"
    assert entry.load().fiscalhub_register_connectors() == [LightspeedConnector]


@pytest.mark.parametrize("case", ["room_and_card", "void"])
def test_a_tampered_api_key_is_refused(case):
    doc = json.loads((GOLDEN / f"{case}.request.json").read_text())
    connector = LightspeedConnector(LightspeedConnector.load_settings(SETTINGS))
    connector.verify(InboundRequest.from_json(doc))            # the golden key passes
    for bad in (SETTINGS["api_key"] + "x", SETTINGS["api_key"][:-1], "", "x" * 30):
        with pytest.raises(VerificationFailed):
            connector.verify(InboundRequest.from_json(dict(doc, query={"apiKey": bad})))
    with pytest.raises(VerificationFailed):                       # no key anywhere
        connector.verify(InboundRequest.from_json(dict(doc, query={})))
    with pytest.raises(VerificationFailed):
        run_translate(LightspeedConnector, SETTINGS,
                      dict(doc, query={"apiKey": SETTINGS["api_key"] + "x"}))


def test_the_golden_room_charge_goes_to_the_linked_pms_connection():
    doc = json.loads((GOLDEN / "room_and_card.request.json").read_text())
    [event] = run_translate(LightspeedConnector, SETTINGS, doc)["events"]
    [posting] = [i for i in event["intents"] if i["intent"] == "posting"]
    assert posting["connection"] == SETTINGS["pms_connection_id"] == "clock-connection-1"
    assert posting["amount"] == "2150.00"
    assert posting["payload"]["lines"][-1] == {"template": "Tips", "amount": "150.00",
                                               "tip": True}
