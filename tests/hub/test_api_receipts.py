"""POST /api/v1/receipts: a receipt composed in a form becomes a canonical receipt job (amounts
and total computed, defaults applied), is printed, and every refusal names the form's field."""
import pytest

from queue_helpers import audit_actions, job_count, post, print_all, printed_job

URL = "/api/v1/receipts"


def form(register_id, **overrides):
    body = {"register": register_id, "cashier_name": "Иванова А.", "operation": "sell",
            "taxation": "usn_income", "vat": "none", "payment_object": "service",
            "items": [{"name": "Проживание, 1 ночь", "price": "4500.00"},
                      {"name": "Завтрак", "price": "450.00", "quantity": "2",
                       "vat": "vat20", "payment_object": "commodity"}],
            "payment_type": "electronic", "customer_email": "guest@example.com"}
    body.update(overrides)
    return body


def test_a_manual_receipt_is_composed_and_printed(client, auth, register, relay, run_worker,
                                                  ledger, account):
    resp = post(client, auth, URL, form(register["id"]))
    assert resp.status_code == 201, resp.json
    job = resp.json
    assert resp.headers["Location"] == f"/api/v1/jobs/{job['id']}"
    assert job["kind"] == "receipt" and job["state"] == "received" and job["total"] == "5400.00"
    receipt = job["receipt"]
    assert receipt["operation"] == "sell" and receipt["taxation"] == "usn_income"
    first, second = receipt["items"]
    assert (first["quantity"], first["amount"], first["vat"], first["payment_object"],
            first["payment_method"]) == ("1.000", "4500.00", "none", "service", "full_payment")
    assert (second["amount"], second["vat"], second["payment_object"]) == (
        "900.00", "vat20", "commodity")
    assert receipt["payments"] == [{"type": "electronic", "amount": "5400.00"}]
    assert receipt["customer"] == {"email": "guest@example.com"}
    assert job["cashier"] == {"name": "Иванова А."}
    assert ("job.manual_receipt", job["id"]) in audit_actions(ledger, account["id"])
    print_all(relay, run_worker, register["id"])
    got = client.get(f"/api/v1/jobs/{job['id']}", headers=auth).json
    assert got["state"] == "printed" and got["result"]["total"] == "5400.00"


def test_payments_total_method_and_customer_phone(client, auth, register):
    body = form(register["id"], payment_method="full_prepayment", total="5400.00",
                payments=[{"type": "cash", "amount": "5000"},
                          {"type": "electronic", "amount": "1000.00"}],
                customer_phone="+79991234567", paperless=True)
    del body["payment_type"], body["customer_email"]
    resp = post(client, auth, URL, body)
    assert resp.status_code == 201, resp.json
    receipt = resp.json["receipt"]
    assert {i["payment_method"] for i in receipt["items"]} == {"full_prepayment"}
    assert receipt["payments"][0] == {"type": "cash", "amount": "5000.00"}
    assert receipt["customer"] == {"phone": "+79991234567"} and receipt["paperless"] is True


@pytest.mark.parametrize("change,field", [
    ({"total": "100.00"}, "total"),
    ({"payments": [{"type": "cash", "amount": "1.00"}], "payment_type": None}, "payments"),
    ({"payments": [{"type": "cash", "amount": "9000.00"}]}, "payment_type"),
    ({"payment_type": None}, "payments"),
    ({"customer_email": "not-an-email"}, "customer_email"),
    ({"customer_email": None, "customer_phone": "12345"}, "customer_phone"),
    ({"customer_email": None, "paperless": True}, "customer_email"),
    ({"cashier_inn": "123"}, "cashier_inn"),
    ({"cashier_name": None, "cashier_inn": "500100732259"}, "cashier_inn"),
    ({"cashier_id": "nobody", "cashier_name": None}, "cashier_id"),
    ({"cashier_id": "x"}, "cashier_name"),
    ({"register": "nope"}, "register"),
    ({"register": None}, "register"),
    ({"operation": "gift"}, "operation"),
    ({"taxation": None}, "taxation"),
    ({"vat": None}, "items"),
    ({"items": []}, "items"),
    ({"items": [{"name": "Чай", "price": "-1"}]}, "items"),
    ({"items": [{"name": "Чай", "price": "10", "amount": "11.00"}]}, "items"),
    ({"items": [{"name": "Чай", "price": "10", "quantity": "0"}]}, "items"),
    ({"refund_of": "x"}, "refund_of"),
    ({"colour": "red"}, "colour"),
])
def test_refusals_name_the_forms_field(client, auth, register, ledger, change, field):
    body = form(register["id"])
    for key, value in change.items():
        if value is None:
            body.pop(key, None)
        else:
            body[key] = value
    resp = post(client, auth, URL, body)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"], resp.json
    assert job_count(ledger) == 0


def test_item_errors_name_the_line(client, auth, register):
    body = form(register["id"], items=[{"name": "Чай", "price": "10", "vat": "vat20"},
                                       {"name": "Кофе", "price": "10", "amount": "99.00"}])
    resp = post(client, auth, URL, body)
    assert resp.status_code == 422
    assert list(resp.json["errors"]["items"]) == ["1"]
    assert "amount" in resp.json["errors"]["items"]["1"]


def test_idempotency_key(client, auth, register, ledger):
    body = form(register["id"], idempotency_key="manual-1")
    first, again = post(client, auth, URL, body), post(client, auth, URL, body)
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json["id"] == first.json["id"] and first.json["idempotency_key"] == "manual-1"
    clash = post(client, auth, URL, form(register["id"], idempotency_key="manual-1",
                                         payment_type="cash"))
    assert clash.status_code == 409 and clash.json["code"] == "idempotency_conflict"
    assert job_count(ledger) == 1


def test_a_manual_refund_of_a_printed_sale_is_checked_against_what_is_left(
        client, auth, register, relay, run_worker, ledger):
    sale = printed_job(client, auth, register, relay, run_worker)
    body = form(register["id"], operation="sell_refund", taxation="osn", refund_of=sale["id"],
                payment_type="cash", vat="vat20",
                items=[{"name": "Борщ", "price": "350.00", "quantity": "3"}])
    resp = post(client, auth, URL, body)
    assert resp.status_code == 422
    assert "quantity" in resp.json["errors"]["items"]["0"]
    body["items"][0]["quantity"] = "1"
    resp = post(client, auth, URL, body)
    assert resp.status_code == 201, resp.json
    assert resp.json["receipt"]["refund_of"] == sale["id"]
    assert job_count(ledger, refund_of=sale["id"]) == 1


def test_a_universal_cashier_off_register_needs_a_cashier_id(client, auth, register, ledger,
                                                             account):
    from fiscal.ledger import cashiers
    from fiscal.ledger.models import Register
    with ledger.session() as s:
        reg = s.get(Register, register["id"])
        reg.settings = {**(reg.settings or {}), "universal_cashier": False}
        anna = cashiers.create_cashier(s, account["id"], name="Анна", actor="test").id
    resp = post(client, auth, URL, form(register["id"]))
    assert resp.status_code == 422 and "cashier_id" in resp.json["errors"]
    body = form(register["id"], cashier_id=anna)
    del body["cashier_name"]
    resp = post(client, auth, URL, body)
    assert resp.status_code == 201, resp.json
    assert resp.json["cashier"] == {"name": "Анна"}


def test_roles_and_another_accounts_register(as_user, client, auth, register, ledger,
                                             other_account):
    viewer = as_user("viewer").post(URL, json=form(register["id"]))
    assert viewer.status_code == 403 and viewer.json["code"] == "forbidden"
    theirs = post(client, auth, URL, form(other_account["register_id"]))
    assert theirs.status_code == 422 and "register" in theirs.json["errors"]
    assert job_count(ledger) == 0
    operator = as_user("operator").post(URL, json=form(register["id"]))
    assert operator.status_code == 201 and operator.json["state"] == "received"
    assert client.post(URL, json=form(register["id"])).status_code == 401


def test_a_body_that_is_not_an_object_is_400(client, auth):
    for data in ("", "[1]", "{"):
        resp = client.post(URL, data=data, headers=auth, content_type="application/json")
        assert resp.status_code == 400, resp.json
