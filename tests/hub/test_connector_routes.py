"""A connector's own synchronous routes (/hooks/<connection id>/<rule>) and plugins' extra web
routes (fiscalhub_register_routes)."""
import json

from flask import Blueprint

from fiscal.ledger.models import Job, StoredEvent
from hub.hookspecs import hookimpl
from sample_connectors import LAB_SECRET

H = {"X-Lab-Secret": LAB_SECRET}


def test_a_route_is_verified_then_answered_by_the_connector(lab_client, lab_connection):
    conn = lab_connection()
    resp = lab_client.get(f"/hooks/{conn['id']}/search?term=ivan", headers=H)
    assert resp.status_code == 200
    assert resp.json == {"items": [{"room": "101", "guest": "Ivan Petrov"}],
                         "connection": conn["id"]}
    refused = lab_client.get(f"/hooks/{conn['id']}/search?term=ivan",
                             headers={"X-Lab-Secret": "wrong-secret"})
    assert refused.status_code == 401 and refused.json["code"] == "unauthorized"


def test_a_synchronous_charge_is_stored_like_a_webhook_event(lab_client, lab_connection,
                                                            ledger):
    conn = lab_connection()
    body = json.dumps({"id": "charge-1", "items": 1})
    first = lab_client.post(f"/hooks/{conn['id']}/charge", data=body, headers=H)
    again = lab_client.post(f"/hooks/{conn['id']}/charge", data=body, headers=H)
    assert first.status_code == again.status_code == 200
    assert first.json["state"] == "accepted" and len(first.json["job_ids"]) == 1
    assert again.json == {**first.json, "duplicate": True}
    with ledger.session(readonly=True) as s:
        assert (s.query(StoredEvent).count(), s.query(Job).count()) == (1, 1)


def test_unknown_routes_wrong_methods_and_crashes_answer_clearly(lab_client, lab_connection):
    conn = lab_connection()
    missing = lab_client.get(f"/hooks/{conn['id']}/nothing-here", headers=H)
    assert missing.status_code == 404 and "has no route '/nothing-here'" in missing.json["message"]
    wrong = lab_client.post(f"/hooks/{conn['id']}/search", headers=H)
    assert wrong.status_code == 405 and wrong.json["code"] == "method_not_allowed"
    crashed = lab_client.get(f"/hooks/{conn['id']}/broken", headers=H)
    assert crashed.status_code == 502 and crashed.json["code"] == "connector_error"
    assert lab_client.get("/hooks/no-such/search", headers=H).status_code == 404


def test_plugins_add_web_routes(settings, redis):
    from hub.app import create_app
    from sample_connectors import lab_host
    extra = Blueprint("acme_status", __name__)

    @extra.get("/connectors/acme/status")
    def status():
        return {"acme": "fine"}

    class Routes:
        @hookimpl
        def fiscalhub_register_routes(self):
            return [extra]
    client = create_app(settings, host=lab_host(("acme", Routes()))).test_client()
    assert client.get("/connectors/acme/status").json == {"acme": "fine"}
