"""Binding a register to its device: the binding ID is bound to the device's factory serial
number at the first contact, never reused after a removal; a different device on the line
(or one device for two registers) is a conflict the register shows until the right device is
back. The worker runs for real (relay + RQ + virtual register)."""
import pytest

from fiscal.ledger.registers import BindingConflict, bind_or_check, record_state
from receipts import receipt_job
from test_api_registers import add, job_state, memory_of, post_job, print_all


def test_the_binding_id_is_never_reused_and_the_device_can_be_added_again(
        client, auth, relay, run_worker):
    first = add(client, auth, url="virtual://bar").json
    post_job(client, auth, receipt_job(first["id"]))
    print_all(relay, run_worker, first["id"])
    serial = client.get(f"/api/v1/registers/{first['id']}", headers=auth).json["serial_number"]
    client.delete(f"/api/v1/registers/{first['id']}", headers=auth)
    again = add(client, auth, url="virtual://bar").json        # the same device, a new register
    assert again["binding_id"] != first["binding_id"] and again["id"] != first["id"]
    job = post_job(client, auth, receipt_job(again["id"])).json["id"]
    print_all(relay, run_worker, again["id"])
    assert job_state(client, auth, job)["state"] == "printed"
    reg = client.get(f"/api/v1/registers/{again['id']}", headers=auth).json
    assert reg["serial_number"] == serial and reg["binding_conflict"] is None


# --- conflicts ---------------------------------------------------------------------------

def _bound(client, auth, relay, run_worker, name="Bar", url="virtual://bar"):
    """A register added through the API and bound by printing one receipt on it."""
    reg = add(client, auth, name=name, url=url).json
    job = post_job(client, auth, receipt_job(reg["id"])).json["id"]
    print_all(relay, run_worker, reg["id"])
    assert job_state(client, auth, job)["state"] == "printed"
    return client.get(f"/api/v1/registers/{reg['id']}", headers=auth).json


def test_another_device_on_the_line_is_shown_as_a_conflict_until_the_right_one_is_back(
        client, auth, relay, run_worker, data_dir):
    reg = _bound(client, auth, relay, run_worker)
    url, serial = f"/api/v1/registers/{reg['id']}", reg["serial_number"]
    assert serial and reg["binding_conflict"] is None

    client.patch(url, json={"url": "virtual://stranger"}, headers=auth)   # another device
    post_job(client, auth, receipt_job(reg["id"]))
    print_all(relay, run_worker, reg["id"])
    shown = client.get(url, headers=auth).json
    assert reg["binding_id"] in shown["binding_conflict"] and serial in shown["binding_conflict"]
    assert shown["serial_number"] == serial            # still bound to the first device
    assert memory_of(data_dir, "stranger").documents("receipt") == []

    client.patch(url, json={"url": "virtual://bar"}, headers=auth)        # the right one
    job = post_job(client, auth, receipt_job(reg["id"])).json["id"]
    print_all(relay, run_worker, reg["id"])
    assert job_state(client, auth, job)["state"] == "printed"
    assert client.get(url, headers=auth).json["binding_conflict"] is None


def test_a_job_for_a_register_with_a_binding_conflict_says_why_it_does_not_print(
        client, auth, relay, run_worker):
    reg = _bound(client, auth, relay, run_worker)
    client.patch(f"/api/v1/registers/{reg['id']}", json={"url": "virtual://stranger"},
                 headers=auth)
    job = post_job(client, auth, receipt_job(reg["id"])).json["id"]
    print_all(relay, run_worker, reg["id"])
    seen = job_state(client, auth, job)
    assert seen["state"] == "held"
    assert seen["error"]["code"] == "binding_conflict"


def test_one_device_cannot_serve_two_registers(client, auth, relay, run_worker):
    first = _bound(client, auth, relay, run_worker, name="One", url="virtual://shared")
    second = add(client, auth, name="Two", url="virtual://shared").json
    post_job(client, auth, receipt_job(second["id"]))
    print_all(relay, run_worker, second["id"])
    shown = client.get(f"/api/v1/registers/{second['id']}", headers=auth).json
    assert first["id"] in shown["binding_conflict"] and shown["serial_number"] is None
    assert first["serial_number"] in shown["binding_conflict"]


def test_the_ledger_binds_on_first_contact_and_refuses_another_serial(client, auth, ledger,
                                                                       register):
    with ledger.session() as s:
        bind_or_check(s, register["id"], "0012345678", "SHTRIH-M-01F")
    url = f"/api/v1/registers/{register['id']}"
    assert client.get(url, headers=auth).json["serial_number"] == "0012345678"
    with ledger.session() as s:
        with pytest.raises(BindingConflict):
            bind_or_check(s, register["id"], "0087654321", "SHTRIH-M-01F")
    shown = client.get(url, headers=auth).json
    assert "0087654321" in shown["binding_conflict"] and "0012345678" in shown["binding_conflict"]
    with ledger.session() as s:     # a status from another device does not clear it
        record_state(s, register["id"], {"serial_number": "0087654321"})
    assert client.get(url, headers=auth).json["binding_conflict"]
    with ledger.session() as s:     # the bound device answered again
        record_state(s, register["id"], {"serial_number": "0012345678"})
    assert client.get(url, headers=auth).json["binding_conflict"] is None


