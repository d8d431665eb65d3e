"""/api/v1/registers: add (binding ID), list with live state, read, edit, suspend, activate,
remove — and the refusals: wrong role, bad input, a removed register, another account's
register (404, nothing changes). The worker runs for real (relay + RQ + virtual register)."""
import json
import re

import pytest
from sqlalchemy import func, select

from fiscal import printing
from fiscal.ledger import jobs as ledger_jobs
from fiscal.ledger.models import AuditEntry, Job, Register, RegisterGroupMember
from fiscal.model import JobState
from fiscal.simulators.fiscal_memory import FiscalMemory
from receipts import receipt_job

BINDING_ID = re.compile(r"^[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}-[A-HJ-NP-Z2-9]{4}$")


@pytest.fixture(autouse=True)
def immediate_retries(monkeypatch):
    monkeypatch.setattr(printing, "RETRY_DELAYS", (0, 0, 0, 0, 0))


def add(client, auth, **fields):
    body = {"name": "Bar", "driver": "virtual", "url": "virtual://bar", **fields}
    return client.post("/api/v1/registers", json=body, headers=auth)


def post_job(client, auth, job):
    return client.post("/api/v1/jobs", data=json.dumps(job), headers=auth,
                       content_type="application/json")


def print_all(relay, run_worker, register_id):
    relay.dispatch()
    run_worker(register_id)


def job_state(client, auth, job_id):
    return client.get(f"/api/v1/jobs/{job_id}", headers=auth).json


def memory_of(data_dir, name):
    return FiscalMemory(data_dir / "registers" / f"{name}.sqlite")


def register_row(ledger, register_id):
    """Every column of a register row, to show that nothing changed."""
    with ledger.session(readonly=True) as s:
        reg = s.get(Register, register_id)
        return {c.name: getattr(reg, c.name) for c in Register.__table__.columns}


def jobs_of(ledger, register_id):
    with ledger.session(readonly=True) as s:
        return s.scalar(select(func.count()).select_from(Job)
                        .where(Job.register_id == register_id))


def audit_actions(ledger, account_id):
    with ledger.session(readonly=True) as s:
        return [(e.action, e.target_id) for e in s.scalars(
            select(AuditEntry).where(AuditEntry.account_id == account_id)
            .order_by(AuditEntry.id))]


# --- adding ------------------------------------------------------------------------------

def test_adding_a_register_gives_it_a_binding_id_and_says_how_it_binds(client, auth, ledger,
                                                                       account):
    resp = add(client, auth, name="  Front desk ", driver="shtrih", url="/dev/ttyUSB0",
               settings={"universal_cashier": False})
    assert resp.status_code == 201, resp.json
    reg = resp.json
    assert resp.headers["Location"].endswith(f"/api/v1/registers/{reg['id']}")
    assert BINDING_ID.match(reg["binding_id"])
    assert reg["binding_id"] in reg["binding_hint"] and "/dev/ttyUSB0" in reg["binding_hint"]
    assert (reg["name"], reg["driver"], reg["url"]) == ("Front desk", "shtrih", "/dev/ttyUSB0")
    assert reg["settings"] == {"paperless": False, "universal_cashier": False,
                               "auto_open_shift": True, "close_shift_at_end_of_day": False}
    assert (reg["serial_number"], reg["binding_conflict"], reg["suspended"], reg["removed"],
            reg["removed_at"], reg["pending_jobs"]) == (None, None, False, False, None, 0)
    assert reg["live"]["online"] is False and reg["live"]["last_fd_number"] is None
    assert client.get(resp.headers["Location"], headers=auth).json == reg
    assert ("register.create", reg["id"]) in audit_actions(ledger, account["id"])


@pytest.mark.parametrize("driver,url", [
    ("shtrih", "/dev/ttyUSB0"), ("shtrih", "/dev/pts/3"), ("shtrih", "COM3"),
    ("shtrih", "socket://10.0.0.5:7778"), ("shtrih", "rfc2217://kassa.local:4000"),
    ("virtual", "virtual://front-desk_2")])
def test_the_connection_urls_each_driver_takes(client, auth, driver, url):
    assert add(client, auth, driver=driver, url=url).status_code == 201


@pytest.mark.parametrize("body,field", [
    ({"driver": "atol"}, "driver"),
    ({"driver": "virtual", "url": "virtual:///etc/passwd"}, "url"),
    ({"driver": "virtual", "url": "/dev/ttyUSB0"}, "url"),
    ({"driver": "shtrih", "url": "socket://10.0.0.5"}, "url"),
    ({"driver": "shtrih", "url": "socket://10.0.0.5:70000"}, "url"),
    ({"driver": "shtrih", "url": "loop://"}, "url"),
    ({"driver": "shtrih", "url": "ttyUSB0"}, "url"),
    ({"name": "   "}, "name"),
    ({"name": "x" * 201}, "name"),
    ({"settings": {"paperless": "yes"}}, "settings"),
    ({"settings": {"baudrate": 9600}}, "settings"),
    ({"binding_id": "AAAA-BBBB-CCCC"}, "binding_id"),
])
def test_bad_input_is_422_naming_the_field_and_adds_nothing(client, auth, ledger, body, field):
    resp = add(client, auth, **body)
    assert resp.status_code == 422, resp.json
    assert resp.json["code"] == "validation_failed" and field in resp.json["errors"]
    assert client.get("/api/v1/registers", headers=auth).json["items"] == []


def test_a_missing_field_or_body(client, auth):
    resp = client.post("/api/v1/registers", json={"name": "Bar"}, headers=auth)
    assert resp.status_code == 422 and {"driver", "url"} <= set(resp.json["errors"])
    assert client.post("/api/v1/registers", headers=auth).status_code == 400


# --- listing, live state ------------------------------------------------------------------

def test_the_list_shows_the_live_state_after_the_worker_talked_to_it(client, auth, register,
                                                                     relay, run_worker):
    job_id = post_job(client, auth, receipt_job(register["id"])).json["id"]
    print_all(relay, run_worker, register["id"])
    assert job_state(client, auth, job_id)["state"] == "printed"
    post_job(client, auth, receipt_job(register["id"]))         # waits: not relayed yet
    (reg,) = client.get("/api/v1/registers", headers=auth).json["items"]
    memory = FiscalMemory(register["memory"])
    live = reg["live"]
    assert live["online"] is True and live["last_seen_at"] is not None
    assert live["shift_open"] is True and live["shift_opened_at"] is not None
    assert live["paper"] == "ok" and live["receipt_open"] is False
    assert live["last_fd_number"] == memory.documents("receipt")[0].fd_number
    assert live["fn_number"] and live["fn_expires_on"]
    assert re.match(r"^\d+\.\d{2}$", live["cash_in_drawer"])
    assert reg["pending_jobs"] == 1
    assert reg["serial_number"] and reg["serial_number"] in reg["binding_hint"]
    assert client.get(f"/api/v1/registers/{register['id']}", headers=auth).json == reg


def test_removed_registers_are_listed_only_when_asked(client, auth, register):
    other = add(client, auth).json
    assert client.delete(f"/api/v1/registers/{other['id']}", headers=auth).status_code == 200
    ids = [r["id"] for r in client.get("/api/v1/registers", headers=auth).json["items"]]
    assert ids == [register["id"]]
    both = client.get("/api/v1/registers?include_removed=true", headers=auth).json["items"]
    assert [(r["id"], r["removed"]) for r in both] == [(register["id"], False),
                                                        (other["id"], True)]
    bad = client.get("/api/v1/registers?include_removed=yes", headers=auth)
    assert bad.status_code == 422 and "include_removed" in bad.json["errors"]
    assert client.get("/api/v1/registers?page=2", headers=auth).status_code == 422


# --- editing -------------------------------------------------------------------------------

def test_edit_changes_only_what_is_given(client, auth, ledger, account, register):
    with ledger.session() as s:      # a driver option the API does not show must survive
        reg = s.get(Register, register["id"])
        reg.settings = {**reg.settings, "timeout_scale": 0.5}
    url = f"/api/v1/registers/{register['id']}"
    resp = client.patch(url, json={"name": "Reception", "settings": {"paperless": True}},
                        headers=auth)
    assert resp.status_code == 200, resp.json
    assert resp.json["name"] == "Reception" and resp.json["url"] == register["url"]
    assert resp.json["settings"] == {"paperless": True, "universal_cashier": True,
                                     "auto_open_shift": True,
                                     "close_shift_at_end_of_day": False}
    assert register_row(ledger, register["id"])["settings"]["timeout_scale"] == 0.5
    resp = client.patch(url, json={"url": "virtual://reception"}, headers=auth)
    assert resp.json["url"] == "virtual://reception"
    with ledger.session(readonly=True) as s:
        edits = [e.details["changes"] for e in s.scalars(select(AuditEntry).where(
            AuditEntry.action == "register.edit").order_by(AuditEntry.id))]
    assert edits == [{"name": ["Front desk", "Reception"],
                      "settings.paperless": [False, True]},
                     {"url": [register["url"], "virtual://reception"]}]


@pytest.mark.parametrize("body,field", [
    ({"url": "socket://10.0.0.5:7778"}, "url"), ({"driver": "shtrih"}, "driver"),
    ({"settings": {"auto_open_shift": None}}, "settings"), ({"name": ""}, "name")])
def test_a_bad_edit_is_422_and_changes_nothing(client, auth, ledger, register, body, field):
    before = register_row(ledger, register["id"])
    resp = client.patch(f"/api/v1/registers/{register['id']}", json=body, headers=auth)
    assert resp.status_code == 422 and field in resp.json["errors"]
    assert register_row(ledger, register["id"]) == before


# --- suspend and activate -------------------------------------------------------------------

def test_a_suspended_register_holds_its_jobs_and_prints_them_once_activated(
        client, auth, ledger, account, register, relay, run_worker):
    url = f"/api/v1/registers/{register['id']}"
    resp = client.post(f"{url}/suspend", headers=auth)
    assert resp.status_code == 200 and resp.json["suspended"] is True
    assert client.post(f"{url}/suspend", headers=auth).status_code == 200    # already: fine
    job = post_job(client, auth, receipt_job(register["id"]))
    assert job.status_code == 201
    print_all(relay, run_worker, register["id"])
    held = job_state(client, auth, job.json["id"])
    assert held["state"] == "held" and held["history"][-1]["cause"] == "the register is suspended"
    assert FiscalMemory(register["memory"]).documents("receipt") == []
    assert client.get(url, headers=auth).json["pending_jobs"] == 1

    resp = client.post(f"{url}/activate", headers=auth)
    assert resp.status_code == 200
    assert resp.json["jobs_released"] == 1 and resp.json["register"]["suspended"] is False
    print_all(relay, run_worker, register["id"])
    assert job_state(client, auth, job.json["id"])["state"] == "printed"
    assert len(FiscalMemory(register["memory"]).documents("receipt")) == 1
    actions = [a for a, _ in audit_actions(ledger, account["id"])]
    assert actions.count("register.suspend") == 1 and actions.count("register.activate") == 1


# --- removing ------------------------------------------------------------------------------

def _job_in(ledger, account, register_id, *states):
    """A job of the register walked through ``states`` by the ledger (as a worker would)."""
    with ledger.session() as s:
        job, _ = ledger_jobs.create_job(s, account_id=account["id"], register_id=register_id,
                                        job_json={"kind": "x_report"}, kind="x_report",
                                        actor="test")
        current = JobState.RECEIVED
        for state in states:
            if state == JobState.SENDING:
                ledger_jobs.start_attempt(s, s.get(Job, job.id), worker="w", baseline={})
            else:
                ledger_jobs.transition(s, job.id, current, state, actor="test", cause="test")
            current = state
        return job.id


def test_removing_cancels_what_was_not_sent_and_keeps_what_was_printed(
        client, auth, ledger, account, register, relay, run_worker):
    rid = register["id"]
    printed = post_job(client, auth, receipt_job(rid)).json["id"]
    print_all(relay, run_worker, rid)
    FiscalMemory(register["memory"]).arm_fault("paper_out", on="receipt")
    failed = post_job(client, auth, receipt_job(rid)).json["id"]
    print_all(relay, run_worker, rid)
    queued = post_job(client, auth, receipt_job(rid)).json["id"]
    relay.dispatch()
    received = post_job(client, auth, receipt_job(rid)).json["id"]
    held = _job_in(ledger, account, rid, JobState.QUEUED, JobState.HELD)
    sending = _job_in(ledger, account, rid, JobState.QUEUED, JobState.SENDING)
    attention = _job_in(ledger, account, rid, JobState.QUEUED, JobState.SENDING,
                        JobState.NEEDS_ATTENTION)
    states = {j: job_state(client, auth, j)["state"] for j in (printed, failed, queued, received)}
    assert states == {printed: "printed", failed: "failed", queued: "queued",
                      received: "received"}
    group = client.post("/api/v1/register-groups", json={"name": "G", "register_ids": [rid]},
                        headers=auth).json

    resp = client.delete(f"/api/v1/registers/{rid}", headers=auth)
    assert resp.status_code == 200, resp.json
    assert {k: v for k, v in resp.json.items() if k != "register"} == {
        "jobs_cancelled": 4, "jobs_still_sending": 1, "jobs_needing_attention": 1,
        "jobs_printed": 1}
    assert resp.json["register"]["removed"] is True and resp.json["register"]["removed_at"]
    for job_id in (failed, queued, received, held):
        job = job_state(client, auth, job_id)
        assert job["state"] == "cancelled"
        assert job["history"][-1]["cause"] == "the register was removed"
    assert job_state(client, auth, printed)["state"] == "printed"
    assert job_state(client, auth, sending)["state"] == "sending"
    assert job_state(client, auth, attention)["state"] == "needs_attention"
    listed = client.get(f"/api/v1/jobs?register={rid}&state=printed", headers=auth).json
    assert [j["id"] for j in listed["items"]] == [printed]
    assert client.get(f"/api/v1/register-groups/{group['id']}",
                      headers=auth).json["register_ids"] == []
    with ledger.session(readonly=True) as s:
        assert s.scalars(select(RegisterGroupMember)).all() == []

    print_all(relay, run_worker, rid)             # the relay still hands over `received`
    assert len(FiscalMemory(register["memory"]).documents("receipt")) == 1
    assert job_state(client, auth, received)["state"] == "cancelled"


def test_a_removed_register_can_be_read_but_not_changed_or_used(client, auth, ledger, register):
    url = f"/api/v1/registers/{register['id']}"
    client.delete(url, headers=auth)
    before = register_row(ledger, register["id"])
    got = client.get(url, headers=auth)
    assert got.status_code == 200 and got.json["removed"] and got.json["removed_at"]
    assert "retired" in got.json["binding_hint"]
    for call in (lambda: client.patch(url, json={"name": "X"}, headers=auth),
                 lambda: client.patch(url, json={"url": "not a url"}, headers=auth),
                 lambda: client.post(f"{url}/suspend", headers=auth),
                 lambda: client.post(f"{url}/activate", headers=auth),
                 lambda: client.delete(url, headers=auth),
                 lambda: client.post(f"{url}/open-shift", headers=auth)):
        resp = call()
        assert resp.status_code == 409 and resp.json["code"] == "register_removed", resp.json
    job = post_job(client, auth, receipt_job(register["id"]))
    assert job.status_code == 422 and "register" in job.json["errors"]
    assert register_row(ledger, register["id"]) == before


# --- the settings at work ------------------------------------------------------------------

def test_a_paperless_register_needs_the_customers_email_or_phone(client, auth, register,
                                                                 relay, run_worker):
    client.patch(f"/api/v1/registers/{register['id']}", json={"settings": {"paperless": True}},
                 headers=auth)
    refused = post_job(client, auth, receipt_job(register["id"]))
    assert refused.status_code == 422 and "customer" in refused.json["errors"]["receipt"]
    ok = post_job(client, auth, receipt_job(register["id"],
                                            customer={"email": "guest@example.com"}))
    assert ok.status_code == 201
    print_all(relay, run_worker, register["id"])
    (doc,) = FiscalMemory(register["memory"]).documents("receipt")
    assert doc.details["paperless"] is True


# --- who may -------------------------------------------------------------------------------

def test_viewers_and_operators_see_registers_but_may_not_manage_them(as_user, ledger,
                                                                     register):
    url = f"/api/v1/registers/{register['id']}"
    before = register_row(ledger, register["id"])
    for role in ("viewer", "operator"):
        user = as_user(role)
        assert user.get("/api/v1/registers").status_code == 200
        assert user.get(url).status_code == 200
        for resp in (user.post("/api/v1/registers", json={"name": "X", "driver": "virtual",
                                                          "url": "virtual://x"}),
                     user.patch(url, json={"name": "X"}), user.post(f"{url}/suspend"),
                     user.post(f"{url}/activate"), user.delete(url)):
            assert resp.status_code == 403 and resp.json["code"] == "forbidden", role
    assert register_row(ledger, register["id"]) == before
    assert len(as_user("viewer").get("/api/v1/registers").json["items"]) == 1


@pytest.mark.parametrize("role", ["owner", "admin"])
def test_owners_and_admins_manage_registers(as_user, role):
    user = as_user(role)
    resp = user.post("/api/v1/registers", json={"name": "X", "driver": "virtual",
                                                "url": "virtual://x"})
    assert resp.status_code == 201
    url = f"/api/v1/registers/{resp.json['id']}"
    assert user.patch(url, json={"name": "Y"}).json["name"] == "Y"
    assert user.post(f"{url}/suspend").json["suspended"] is True
    assert user.post(f"{url}/activate").status_code == 200
    assert user.delete(url).status_code == 200


def test_without_a_key_nothing_is_answered(client, register):
    assert client.get("/api/v1/registers").status_code == 401
    assert client.post(f"/api/v1/registers/{register['id']}/suspend").status_code == 401


# --- tenant isolation -----------------------------------------------------------------------

def test_another_accounts_register_is_404_everywhere_and_nothing_changes(
        client, auth, ledger, other_account):
    theirs = other_account["register_id"]
    before, audit_before = register_row(ledger, theirs), audit_actions(ledger,
                                                                      other_account["id"])
    url = f"/api/v1/registers/{theirs}"
    for resp in (client.get(url, headers=auth),
                 client.patch(url, json={"name": "Mine now"}, headers=auth),
                 client.post(f"{url}/suspend", headers=auth),
                 client.post(f"{url}/activate", headers=auth),
                 client.delete(url, headers=auth)):
        assert resp.status_code == 404 and resp.json["code"] == "not_found"
        assert "Karaoke" not in resp.data.decode() and "Bar" not in resp.data.decode()
    assert client.get("/api/v1/registers?include_removed=true",
                      headers=auth).json["items"] == []
    assert register_row(ledger, theirs) == before
    assert audit_actions(ledger, other_account["id"]) == audit_before
    assert jobs_of(ledger, theirs) == 0
    # and the other way round: their key does not see ours
    mine = add(client, auth).json["id"]
    assert client.get(f"/api/v1/registers/{mine}",
                      headers=other_account["auth"]).status_code == 404
