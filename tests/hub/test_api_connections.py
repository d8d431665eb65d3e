"""/api/v1/connectors and /api/v1/connections: a connector configured per account, its settings
checked by the connector's schema and its secrets never shown; tenant isolation and roles."""
import json

import pytest

from fiscal.ledger import groups
from fiscal.ledger.models import AuditEntry, Connection
from sample_connectors import LAB_SECRET

C = "/api/v1/connections"


def deliver(client, conn_id, body, secret=LAB_SECRET):
    return client.post(f"/hooks/{conn_id}", data=json.dumps(body),
                       headers={"X-Lab-Secret": secret, "Content-Type": "application/json"})


def test_connectors_are_listed_with_their_settings_as_form_fields(lab_client, auth):
    resp = lab_client.get("/api/v1/connectors", headers=auth)
    assert resp.status_code == 200
    lab = {c["name"]: c for c in resp.json["items"]}["lab"]
    assert lab["title"] == "Lab POS" and lab["version"] == "1.0"
    fields = {f["name"]: f for f in lab["settings"]}
    assert fields["secret"] == {"name": "secret", "type": "string", "required": True,
                                "secret": True, "default": None, "choices": None,
                                "description": None}
    assert fields["mode"]["choices"] == ["ok", "raise", "invalid", "slow", "refuse"]
    assert fields["mode"]["default"] == "ok" and fields["price"]["type"] == "number"
    assert lab["settings_example"] == {"secret": "********", "mode": "ok"}


def test_a_connection_is_created_shown_and_listed_with_its_secret_masked(
        lab_client, auth, register, ledger):
    resp = lab_client.post(C, headers=auth, json={
        "connector": "lab", "name": "Karaoke bar", "register_id": register["id"],
        "settings": {"secret": LAB_SECRET, "mode": "ok"}, "time_zone": "Asia/Vladivostok"})
    assert resp.status_code == 201, resp.json
    conn = resp.json
    assert resp.headers["Location"].endswith(f"{C}/{conn['id']}")
    assert conn["settings"] == {"secret": "********", "mode": "ok"}
    assert conn["webhook_url"] == f"http://localhost/hooks/{conn['id']}"
    assert (conn["time_zone"], conn["closing_time"]) == ("Asia/Vladivostok", "05:30")
    assert conn["register_id"] == register["id"] and conn["register_group_id"] is None
    assert conn["connector_installed"] is True and conn["last_event_at"] is None
    assert lab_client.get(f"{C}/{conn['id']}", headers=auth).json == conn
    assert lab_client.get(C, headers=auth).json["items"] == [conn]
    assert LAB_SECRET not in json.dumps(lab_client.get(C, headers=auth).json)
    with ledger.session(readonly=True) as s:
        assert s.get(Connection, conn["id"]).settings["secret"] == LAB_SECRET
        entries = s.query(AuditEntry).filter_by(target_id=conn["id"]).all()
        assert [e.action for e in entries] == ["connection.create"]
        assert LAB_SECRET not in json.dumps(entries[0].details)


def test_a_connection_routes_to_a_group(lab_client, auth, register, ledger, account):
    with ledger.session() as s:
        group = groups.create_group(s, account["id"], name="Bars", actor="test",
                                    register_ids=[register["id"]])
    resp = lab_client.post(C, headers=auth, json={
        "connector": "lab", "name": "Bars", "register_group_id": group.id,
        "settings": {"secret": LAB_SECRET}})
    assert resp.status_code == 201 and resp.json["register_group_id"] == group.id
    answer = deliver(lab_client, resp.json["id"], {"id": "g1"})
    assert answer.status_code == 202, answer.json
    job = lab_client.get(f"/api/v1/jobs/{answer.json['events'][0]['job_ids'][0]}", headers=auth)
    assert (job.json["register"], job.json["register_group"]) == (register["id"], group.id)
    assert job.json["source"]["connection_id"] == resp.json["id"]


@pytest.mark.parametrize("body, field", [
    ({"connector": "nope"}, "connector"),
    ({"settings": {"secret": "short"}}, "settings"),
    ({"settings": {"secret": LAB_SECRET, "mode": "dance"}}, "settings"),
    ({"settings": {"secret": LAB_SECRET, "colour": "red"}}, "settings"),
    ({"register_id": None}, "register_id"),
    ({"register_id": "no-such-register"}, "register_id"),
    ({"time_zone": "Mars/Olympus"}, "time_zone"),
    ({"closing_time": "25:00"}, "closing_time"),
    ({"closing_time": "5:30"}, "closing_time"),
    ({"name": ""}, "name"),
    ({"surprise": 1}, "surprise"),
])
def test_a_bad_connection_is_refused_by_field_and_nothing_is_stored(
        lab_client, auth, register, ledger, body, field):
    full = {"connector": "lab", "name": "Till", "register_id": register["id"],
            "settings": {"secret": LAB_SECRET}, **body}
    resp = lab_client.post(C, headers=auth, json=full)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"], resp.json
    with ledger.session(readonly=True) as s:
        assert s.query(Connection).count() == 0


def test_settings_are_merged_and_a_masked_secret_is_kept(lab_client, auth, lab_connection,
                                                         ledger):
    conn = lab_connection()
    resp = lab_client.patch(f"{C}/{conn['id']}", headers=auth, json={
        "settings": {"secret": "********", "mode": "refuse"}, "closing_time": "04:00"})
    assert resp.status_code == 200, resp.json
    assert resp.json["settings"] == {"secret": "********", "mode": "refuse"}
    assert resp.json["closing_time"] == "04:00"
    with ledger.session(readonly=True) as s:
        assert s.get(Connection, conn["id"]).settings == {"secret": LAB_SECRET,
                                                          "mode": "refuse"}
    # null removes a setting (mode goes back to its default)
    resp = lab_client.patch(f"{C}/{conn['id']}", headers=auth, json={"settings": {"mode": None}})
    assert resp.json["settings"] == {"secret": "********"}
    assert deliver(lab_client, conn["id"], {"id": "after-edit"}).status_code == 202
    # a new secret replaces the old one: the old one is refused at the webhook
    lab_client.patch(f"{C}/{conn['id']}", headers=auth,
                     json={"settings": {"secret": "a-brand-new-secret"}})
    assert deliver(lab_client, conn["id"], {"id": "old"}).status_code == 401
    assert deliver(lab_client, conn["id"], {"id": "new"},
                   secret="a-brand-new-secret").status_code == 202


def test_bad_edits_are_refused_and_change_nothing(lab_client, auth, lab_connection):
    conn = lab_connection()
    for body, field in (({"settings": {"mode": "dance"}}, "settings"),
                        ({"settings": {"secret": None}}, "settings"),
                        ({"register_id": "elsewhere"}, "register_id"),
                        ({"time_zone": "Nowhere/City"}, "time_zone")):
        resp = lab_client.patch(f"{C}/{conn['id']}", headers=auth, json=body)
        assert resp.status_code == 422 and field in resp.json["errors"], (body, resp.json)
    assert lab_client.get(f"{C}/{conn['id']}", headers=auth).json == conn


def test_a_deleted_connection_is_gone_and_its_webhook_answers_404(lab_client, auth,
                                                                  lab_connection):
    conn = lab_connection()
    assert deliver(lab_client, conn["id"], {"id": "before"}).status_code == 202
    assert lab_client.delete(f"{C}/{conn['id']}", headers=auth).status_code == 204
    assert lab_client.get(f"{C}/{conn['id']}", headers=auth).status_code == 404
    assert lab_client.get(C, headers=auth).json["items"] == []
    resp = deliver(lab_client, conn["id"], {"id": "after"})
    assert resp.status_code == 404 and resp.json["code"] == "not_found"
    # the job it produced stays in the print queue
    jobs = lab_client.get(f"/api/v1/jobs?connection={conn['id']}", headers=auth).json
    assert len(jobs["items"]) == 1


def test_another_accounts_connection_answers_404(lab_client, lab_connection, other_account):
    conn = lab_connection()
    them = other_account["auth"]
    for call in (lambda: lab_client.get(f"{C}/{conn['id']}", headers=them),
                 lambda: lab_client.patch(f"{C}/{conn['id']}", headers=them,
                                          json={"name": "Mine"}),
                 lambda: lab_client.delete(f"{C}/{conn['id']}", headers=them),
                 lambda: lab_client.get(f"{C}/{conn['id']}/events", headers=them)):
        assert call().status_code == 404
    assert lab_client.get(C, headers=them).json["items"] == []
    # nor may they route a connection to our register
    resp = lab_client.post(C, headers=them, json={
        "connector": "lab", "name": "Theirs", "register_id": conn["register_id"],
        "settings": {"secret": LAB_SECRET}})
    assert resp.status_code == 422 and "register_id" in resp.json["errors"]


def test_roles(lab_app, lab_connection, people):
    from conftest import UserClient, PASSWORDS
    conn = lab_connection()
    viewer = UserClient(lab_app, "viewer", PASSWORDS["viewer"])
    operator = UserClient(lab_app, "operator", PASSWORDS["operator"])
    admin = UserClient(lab_app, "admin", PASSWORDS["admin"])
    assert viewer.get(f"{C}/{conn['id']}").json["settings"] == {"secret": "********"}
    assert operator.patch(f"{C}/{conn['id']}", json={"name": "x"}).status_code == 403
    assert operator.delete(f"{C}/{conn['id']}").status_code == 403
    assert admin.patch(f"{C}/{conn['id']}", json={"name": "Bar till"}).status_code == 200


def test_health_says_what_needs_a_person(lab_client, auth, lab_connection):
    conn = lab_connection()
    url = f"{C}/{conn['id']}/health"
    healthy = lab_client.get(url, headers=auth).json
    assert (healthy["ok"], healthy["problems"], healthy["rejected_events"]) == (True, [], 0)
    assert healthy["source"] == {"ok": True, "detail": "mode ok"}
    assert healthy["postings"]["pending"] == 0 and healthy["last_event_at"] is None
    lab_client.patch(f"{C}/{conn['id']}", headers=auth, json={"settings": {"mode": "refuse"}})
    deliver(lab_client, conn["id"], {"id": "bad"})
    sick = lab_client.get(url, headers=auth).json
    assert sick["ok"] is False and sick["rejected_events"] == 1
    assert sick["problems"] == ["the source system: mode refuse",
                                "1 event(s) were rejected: fix the connection and replay them"]
    lab_client.patch(f"{C}/{conn['id']}", headers=auth, json={"settings": {"mode": "raise"}})
    crashed = lab_client.get(url, headers=auth).json["source"]
    assert crashed == {"ok": False, "detail": "the health check failed: ConnectionError: lab "
                                              "POS is unreachable"}
    assert lab_client.get(f"{C}/nope/health", headers=auth).status_code == 404
