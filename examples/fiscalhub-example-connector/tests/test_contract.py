"""The contract every fiscalhub connector must pass, and a TinyPOS bill going through a real hub
to a Shtrih-M register — with fiscalhub's pytest plugin (enabled in conftest.py).

Run from this directory, with the package installed (``pip install -e .``) in fiscalhub's
environment: ``pytest``.
"""
import json
from decimal import Decimal
from pathlib import Path

from fiscalhub.testing import check_connector
from fiscalhub_example_connector import ExampleConnector

GOLDEN = Path(__file__).resolve().parent.parent / "golden"
SETTINGS = json.loads((GOLDEN / "settings.json").read_text())


def test_the_connector_passes_the_contract_kit():
    assert check_connector(ExampleConnector, entry_point="example", golden_dir=GOLDEN) == []


def test_the_installed_entry_point_is_this_connector_and_passes_the_kit(fiscalhub_contract):
    assert fiscalhub_contract("example", golden_dir=GOLDEN) is ExampleConnector


def test_a_closed_bill_is_printed_once_on_the_register(fiscalhub_connection):
    pos = fiscalhub_connection("example", settings=SETTINGS)
    answer = pos.deliver_request(GOLDEN / "closed_bill.request.json")
    assert answer.status_code == 202, answer.json
    [event] = answer.json["events"]
    assert event["state"] == "accepted" and len(event["job_ids"]) == 1

    [job] = pos.print_all()
    assert job["state"] == "printed" and job["receipt"]["total"] == "850.50"
    [receipt] = pos.register.receipts()
    assert (receipt.operation, receipt.total) == ("sell", Decimal("850.50"))
    assert receipt.fd_number == job["result"]["fd_number"]
    assert [i["name"] for i in receipt.details["items"]] == ["Борщ", "Чай"]
    [tip] = pos.postings()
    assert (tip["kind"], tip["amount"], tip["target"]) == ("tip", "50.00", "Иванова А.")

    again = pos.deliver_request(GOLDEN / "closed_bill.request.json")      # a redelivery
    assert again.status_code == 202 and again.json["events"][0]["duplicate"] is True
    assert [j["id"] for j in pos.print_all()] == [job["id"]]
    assert len(pos.register.receipts()) == 1 and len(pos.events()) == 1


def test_a_request_with_a_wrong_secret_is_refused_and_nothing_is_stored(fiscalhub_connection):
    pos = fiscalhub_connection("example", settings=SETTINGS)
    request = json.loads((GOLDEN / "closed_bill.request.json").read_text())
    answer = pos.deliver(request["body"], headers={"X-TinyPOS-Secret": "not the secret"})
    assert answer.status_code == 401
    assert pos.events() == [] and pos.jobs() == []
