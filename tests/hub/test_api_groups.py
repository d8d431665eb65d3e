"""/api/v1/register-groups: add, list, read, edit, delete; a job sent to a group prints on its
first active, least-loaded register — and the refusals: bad members, wrong role, another
account's group or register (404 / 422, nothing changes)."""
import json

import pytest
from sqlalchemy import select

from fiscal.ledger import registers
from fiscal.ledger.models import AuditEntry, RegisterGroup, RegisterGroupMember
from receipts import receipt_job


@pytest.fixture
def regs(ledger, account, register, data_dir):
    """Three registers of the account: the fixture's and two more."""
    ids = [register["id"]]
    with ledger.session() as s:
        for name in ("Bar", "Terrace"):
            ids.append(registers.add_register(
                s, account["id"], name=name, driver="virtual",
                url=f"virtual://{data_dir / (name + '.sqlite')}").id)
    return ids


def create(client, auth, name="Restaurant", register_ids=()):
    return client.post("/api/v1/register-groups", headers=auth,
                       json={"name": name, "register_ids": list(register_ids)})


def to_group(client, auth, group_id):
    job = receipt_job("x")
    del job["register"]
    return client.post("/api/v1/jobs", data=json.dumps({**job, "register_group": group_id}),
                       headers=auth, content_type="application/json")


def group_rows(ledger, account_id):
    """Every group of the account with its members, to show that nothing changed."""
    with ledger.session(readonly=True) as s:
        groups = s.scalars(select(RegisterGroup).where(RegisterGroup.account_id == account_id))
        return [({c.name: getattr(g, c.name) for c in RegisterGroup.__table__.columns},
                 [(m.register_id, m.position) for m in s.scalars(
                     select(RegisterGroupMember).where(RegisterGroupMember.group_id == g.id)
                     .order_by(RegisterGroupMember.position))]) for g in groups]


def test_add_list_read_edit_delete(client, auth, ledger, account, regs):
    resp = create(client, auth, "Restaurant", [regs[1], regs[0]])
    assert resp.status_code == 201, resp.json
    group = resp.json
    assert resp.headers["Location"].endswith(f"/api/v1/register-groups/{group['id']}")
    assert (group["name"], group["register_ids"]) == ("Restaurant", [regs[1], regs[0]])
    create(client, auth, "Bar", [])
    listed = client.get("/api/v1/register-groups", headers=auth).json["items"]
    assert [g["name"] for g in listed] == ["Bar", "Restaurant"]
    url = f"/api/v1/register-groups/{group['id']}"
    assert client.get(url, headers=auth).json == group

    edited = client.patch(url, json={"register_ids": [regs[2], regs[1], regs[0]]}, headers=auth)
    assert edited.status_code == 200 and edited.json["register_ids"] == [regs[2], regs[1],
                                                                          regs[0]]
    renamed = client.patch(url, json={"name": " Hall "}, headers=auth).json
    assert renamed["name"] == "Hall" and renamed["register_ids"] == [regs[2], regs[1], regs[0]]

    assert client.delete(url, headers=auth).status_code == 204
    assert client.get(url, headers=auth).status_code == 404
    assert client.delete(url, headers=auth).status_code == 404
    assert [g["name"] for g in client.get("/api/v1/register-groups",
                                          headers=auth).json["items"]] == ["Bar"]
    with ledger.session(readonly=True) as s:
        actions = [e.action for e in s.scalars(select(AuditEntry).where(
            AuditEntry.target_id == group["id"]).order_by(AuditEntry.id))]
    assert actions == ["register_group.create", "register_group.edit", "register_group.edit",
                       "register_group.delete"]


def test_a_job_for_the_group_goes_to_the_first_active_least_loaded_register(client, auth,
                                                                            regs):
    group = create(client, auth, "Restaurant", [regs[1], regs[2]]).json
    first = to_group(client, auth, group["id"])
    assert first.status_code == 201, first.json
    assert (first.json["register"], first.json["register_group"]) == (regs[1], group["id"])
    second = to_group(client, auth, group["id"]).json           # regs[1] has one waiting
    assert second["register"] == regs[2]
    assert to_group(client, auth, group["id"]).json["register"] == regs[1]   # a tie: in order
    client.post(f"/api/v1/registers/{regs[1]}/suspend", headers=auth)
    assert to_group(client, auth, group["id"]).json["register"] == regs[2]
    client.delete(f"/api/v1/registers/{regs[2]}", headers=auth)       # it leaves the group
    assert client.get(f"/api/v1/register-groups/{group['id']}",
                      headers=auth).json["register_ids"] == [regs[1]]
    refused = to_group(client, auth, group["id"])
    assert refused.status_code == 422 and "register_group" in refused.json["errors"]


def test_a_deleted_group_takes_no_jobs_and_its_jobs_keep_its_name(client, auth, regs):
    group = create(client, auth, "Restaurant", [regs[0]]).json
    job = to_group(client, auth, group["id"]).json
    client.delete(f"/api/v1/register-groups/{group['id']}", headers=auth)
    refused = to_group(client, auth, group["id"])
    assert refused.status_code == 422 and "register_group" in refused.json["errors"]
    assert client.get(f"/api/v1/jobs/{job['id']}",
                      headers=auth).json["register_group"] == group["id"]


@pytest.mark.parametrize("body,field", [
    ({"name": ""}, "name"), ({"name": "   "}, "name"), ({"name": "x" * 201}, "name"),
    ({"register_ids": "r1"}, "register_ids"), ({"register_ids": ["no-such"]}, "register_ids"),
    ({"colour": "red"}, "colour")])
def test_bad_input_is_422_naming_the_field(client, auth, ledger, account, regs, body, field):
    resp = client.post("/api/v1/register-groups", json={"name": "G", **body}, headers=auth)
    assert resp.status_code == 422 and field in resp.json["errors"], resp.json
    assert group_rows(ledger, account["id"]) == []


def test_a_register_listed_twice_or_removed_is_refused(client, auth, ledger, account, regs):
    twice = create(client, auth, "G", [regs[0], regs[1], regs[0]])
    assert twice.status_code == 422 and "more than once" in twice.json["errors"][
        "register_ids"][0]
    client.delete(f"/api/v1/registers/{regs[2]}", headers=auth)
    removed = create(client, auth, "G", [regs[0], regs[2]])
    assert removed.status_code == 422 and regs[2] in removed.json["errors"]["register_ids"][0]
    group = create(client, auth, "G", [regs[0]]).json
    before = group_rows(ledger, account["id"])
    edit = client.patch(f"/api/v1/register-groups/{group['id']}",
                        json={"name": "New", "register_ids": [regs[2]]}, headers=auth)
    assert edit.status_code == 422 and group_rows(ledger, account["id"]) == before


# --- who may -------------------------------------------------------------------------------

@pytest.mark.parametrize("role", ["viewer", "operator"])
def test_viewers_and_operators_see_groups_but_may_not_change_them(client, auth, as_user, ledger,
                                                                  account, regs, role):
    group = create(client, auth, "G", [regs[0]]).json
    before = group_rows(ledger, account["id"])
    user = as_user(role)
    assert user.get("/api/v1/register-groups").json["items"] == [group]
    assert user.get(f"/api/v1/register-groups/{group['id']}").status_code == 200
    url = f"/api/v1/register-groups/{group['id']}"
    for resp in (user.post("/api/v1/register-groups", json={"name": "X"}),
                 user.patch(url, json={"name": "X"}), user.delete(url)):
        assert resp.status_code == 403 and resp.json["code"] == "forbidden"
    assert group_rows(ledger, account["id"]) == before


def test_an_admin_manages_groups(as_user, regs):
    admin = as_user("admin")
    group = admin.post("/api/v1/register-groups", json={"name": "G", "register_ids": regs[:1]})
    assert group.status_code == 201
    assert admin.delete(f"/api/v1/register-groups/{group.json['id']}").status_code == 204


# --- tenant isolation -----------------------------------------------------------------------

def test_another_accounts_group_is_404_and_their_registers_cannot_join(
        client, auth, ledger, account, regs, other_account):
    theirs = create(client, other_account["auth"], "Their group",
                    [other_account["register_id"]]).json
    before = group_rows(ledger, other_account["id"])
    url = f"/api/v1/register-groups/{theirs['id']}"
    for resp in (client.get(url, headers=auth),
                 client.patch(url, json={"name": "Mine", "register_ids": regs[:1]},
                              headers=auth),
                 client.delete(url, headers=auth)):
        assert resp.status_code == 404 and resp.json["code"] == "not_found"
    assert client.get("/api/v1/register-groups", headers=auth).json["items"] == []
    refused = to_group(client, auth, theirs["id"])
    assert refused.status_code == 422 and "register_group" in refused.json["errors"]
    joined = create(client, auth, "Mine", [regs[0], other_account["register_id"]])
    assert joined.status_code == 422 and "register_ids" in joined.json["errors"]
    assert group_rows(ledger, other_account["id"]) == before
    assert group_rows(ledger, account["id"]) == []
