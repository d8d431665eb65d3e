"""POST/GET /api/v1/jobs: good input, idempotency, and every kind of bad input (each a 4xx that
names the field, none creating a job)."""
import json

import pytest
from sqlalchemy import func, select

from fiscal.ledger.models import Job
from receipts import receipt_job


def job_count(ledger):
    with ledger.session() as s:
        return s.scalar(select(func.count()).select_from(Job))


def post(client, auth, body, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/v1/jobs", data=data, headers={**auth, **headers},
                       content_type="application/json")


def test_receipt_is_accepted_with_201_and_readable(client, auth, register):
    resp = post(client, auth, receipt_job(register["id"]))
    assert resp.status_code == 201, resp.json
    job = resp.json
    assert job["state"] == "received" and job["kind"] == "receipt"
    assert job["total"] == "850.50"
    assert job["receipt"]["items"][0]["quantity"] == "2.000"
    assert resp.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    got = client.get(f"/api/v1/jobs/{job['id']}", headers=auth)
    assert got.status_code == 200
    assert got.json["history"][0]["to"] == "received"
    assert got.json["receipt"]["payments"] == [{"type": "cash", "amount": "1000.00"}]


def test_json_numbers_are_read_as_decimals_not_floats(client, auth, register, ledger):
    body = json.dumps(receipt_job(register["id"])).replace('"150.50"', "150.5")
    resp = post(client, auth, body)
    assert resp.status_code == 201, resp.json
    assert resp.json["receipt"]["items"][1]["price"] == "150.50"


def test_same_idempotency_key_returns_the_first_job_with_200(client, auth, register, ledger):
    first = post(client, auth, receipt_job(register["id"]), **{"Idempotency-Key": "order-77"})
    again = post(client, auth, receipt_job(register["id"]), **{"Idempotency-Key": "order-77"})
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"]
    assert job_count(ledger) == 1


def test_key_in_the_body_works_like_the_header(client, auth, register, ledger):
    body = receipt_job(register["id"]) | {"idempotency_key": "order-78"}
    assert post(client, auth, body).status_code == 201
    assert post(client, auth, body).status_code == 200
    assert job_count(ledger) == 1


def test_reused_key_with_different_content_is_409(client, auth, register, ledger):
    post(client, auth, receipt_job(register["id"]), **{"Idempotency-Key": "k"})
    other = receipt_job(register["id"], paperless=False, total="850.50")
    other["receipt"]["items"][1]["name"] = "Кофе"
    resp = post(client, auth, other, **{"Idempotency-Key": "k"})
    assert resp.status_code == 409
    assert "idempotency_key" in resp.json["errors"]
    assert job_count(ledger) == 1


@pytest.mark.parametrize("headers,message", [
    ({}, "Authorization: Bearer"),
    ({"Authorization": "Bearer fh_deadbeef_nope"}, "not valid"),
    ({"Authorization": "Basic abc"}, "Bearer <key>"),
])
def test_missing_or_wrong_api_key_is_401(client, register, ledger, headers, message):
    resp = post(client, {}, receipt_job(register["id"]), **headers)
    assert resp.status_code == 401
    assert message in resp.json["message"]
    assert job_count(ledger) == 0


def test_malformed_json_is_400(client, auth, register, ledger):
    resp = post(client, auth, '{"kind": "receipt", ')
    assert resp.status_code == 400
    assert resp.json["code"] == "malformed_json"
    assert post(client, auth, "[1, 2]").status_code == 400
    assert post(client, auth, "").json["code"] == "empty_body"
    assert job_count(ledger) == 0


def test_wrong_types_name_the_field(client, auth, register, ledger):
    body = receipt_job(register["id"])
    body["receipt"]["items"][0]["quantity"] = "two"
    body["receipt"]["paperless"] = "perhaps"
    resp = post(client, auth, body)
    assert resp.status_code == 422
    fields = resp.json["errors"]["receipt"]
    assert "quantity" in fields["items"]["0"]
    assert "paperless" in fields
    assert job_count(ledger) == 0


def test_negative_quantity_on_a_sale_is_refused(client, auth, register, ledger):
    body = receipt_job(register["id"])
    body["receipt"]["items"][0].update(quantity="-2", amount="-700.00")
    resp = post(client, auth, body)
    assert resp.status_code == 422
    assert "quantity" in resp.json["errors"]["receipt"]["items"]["0"]
    assert job_count(ledger) == 0


def test_total_that_does_not_add_up_is_refused_with_the_sum(client, auth, register, ledger):
    resp = post(client, auth, receipt_job(register["id"], total="900.00"))
    assert resp.status_code == 422
    (message,) = resp.json["errors"]["receipt"]["total"]
    assert "850.50" in message
    assert job_count(ledger) == 0


def test_unknown_register_is_refused(client, auth, register, ledger):
    resp = post(client, auth, receipt_job("no-such-register"))
    assert resp.status_code == 422
    assert "no-such-register" in resp.json["errors"]["register"][0]
    assert job_count(ledger) == 0


def test_register_of_another_account_is_unknown(client, auth, ledger, register):
    from fiscal.ledger import accounts, registers
    with ledger.session() as s:
        other = accounts.create_account(s, "Other venue")
        foreign = registers.add_register(s, other.id, name="x", driver="virtual",
                                         url="virtual://x").id
    resp = post(client, auth, receipt_job(foreign))
    assert resp.status_code == 422 and "register" in resp.json["errors"]
    assert client.get("/api/v1/jobs", headers=auth).json["items"] == []


def test_another_accounts_job_is_not_found(client, auth, ledger, register):
    from fiscal.ledger import accounts
    job_id = post(client, auth, receipt_job(register["id"])).json["id"]
    with ledger.session() as s:
        other = accounts.create_account(s, "Other venue")
        _, key = accounts.issue_api_key(s, other.id, "k")
    resp = client.get(f"/api/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {key}"})
    assert resp.status_code == 404


def test_unknown_job_is_404(client, auth, register):
    resp = client.get("/api/v1/jobs/nope", headers=auth)
    assert resp.status_code == 404 and resp.json["code"] == "not_found"


def test_cash_and_service_jobs(client, auth, register):
    cash = post(client, auth, {"kind": "cash_in", "register": register["id"], "amount": "5000"})
    assert cash.status_code == 201 and cash.json["amount"] == "5000.00"
    assert cash.json["total"] == "5000.00"
    bad = post(client, auth, {"kind": "cash_in", "register": register["id"]})
    assert bad.status_code == 422 and "amount" in bad.json["errors"]
    z = post(client, auth, {"kind": "close_shift", "register": register["id"]})
    assert z.status_code == 201 and z.json["total"] is None
