"""One error format for every 4xx and 5xx: {"code", "message", "errors"?}; and JSON numbers
read as Decimal everywhere a request body is read."""
import json
from decimal import Decimal

import pytest
from flask import request

from receipts import receipt_job


def post(client, auth, body, **headers):
    data = body if isinstance(body, (str, bytes)) else json.dumps(body)
    return client.post("/api/v1/jobs", data=data, headers={**auth, **headers},
                       content_type="application/json")


def assert_error(resp, status, code):
    assert resp.status_code == status, resp.data
    assert resp.mimetype == "application/json"
    body = json.loads(resp.data)
    assert body["code"] == code and body["message"]
    assert set(body) <= {"code", "message", "errors"}
    return body


def test_field_errors_are_paths_with_string_keys_not_under_a_location(client, auth, register):
    body = receipt_job(register["id"])
    body["receipt"]["items"][1]["vat"] = "vat99"
    err = assert_error(post(client, auth, body), 422, "validation_failed")
    assert list(err["errors"]) == ["receipt"]                  # not {"json": {...}}
    assert "vat" in err["errors"]["receipt"]["items"]["1"]


def test_a_bad_idempotency_header_names_the_header(client, auth, register):
    err = assert_error(post(client, auth, receipt_job(register["id"]),
                            **{"Idempotency-Key": "k" * 129}), 422, "validation_failed")
    assert list(err["errors"]) == ["Idempotency-Key"]
    other = assert_error(post(client, auth, receipt_job(register["id"]) | {"idempotency_key": "a"},
                              **{"Idempotency-Key": "b"}), 422, "validation_failed")
    assert list(other["errors"]) == ["idempotency_key"]


def test_unauthorized_carries_the_challenge(client, register):
    resp = client.get("/api/v1/jobs")
    assert_error(resp, 401, "unauthorized")
    assert resp.headers["WWW-Authenticate"] == "Bearer"
    bad = client.get("/api/v1/jobs", headers={"Authorization": "Bearer fh_x_y"})
    assert_error(bad, 401, "unauthorized")
    assert "invalid_token" in bad.headers["WWW-Authenticate"]


def test_authentication_comes_before_validation(client, register):
    assert_error(post(client, {}, "{not json"), 401, "unauthorized")
    assert_error(client.get("/api/v1/jobs?limit=0"), 401, "unauthorized")


def test_werkzeug_errors_use_the_same_format(client, auth):
    assert_error(client.get("/api/v1/no-such-thing", headers=auth), 404, "not_found")
    resp = client.delete("/api/v1/jobs", headers=auth)
    assert_error(resp, 405, "method_not_allowed")
    assert "POST" in resp.headers["Allow"]
    resp = client.post("/api/v1/health")
    assert_error(resp, 405, "method_not_allowed")


@pytest.mark.parametrize("body,code", [
    ("", "empty_body"), ("   ", "empty_body"), ('{"kind": ', "malformed_json"),
    ("[1, 2]", "malformed_json"), ('"receipt"', "malformed_json"), ("null", "malformed_json"),
    ('{"kind": "cut", "amount": NaN}', "malformed_json"),
    ('{"kind": "cut", "amount": Infinity}', "malformed_json"),
    (b"\xff\xfe{}", "malformed_json"), ("[" * 5000 + "]" * 5000, "malformed_json"),
])
def test_bodies_that_are_not_a_json_object_are_400(client, auth, register, body, code):
    assert_error(post(client, auth, body), 400, code)


def test_nul_characters_are_refused_at_their_field(client, auth, register):
    body = receipt_job(register["id"])
    body["receipt"]["items"][0]["name"] = "Борщ\u0000"
    err = assert_error(post(client, auth, body), 422, "validation_failed")
    assert err["errors"] == {"receipt": {"items": {"0": {"name": [
        "NUL characters (\\u0000) are not allowed"]}}}}
    err = assert_error(client.get("/api/v1/jobs", query_string={"register": "a\u0000"},
                                  headers=auth), 422, "validation_failed")
    assert list(err["errors"]) == ["register"]
    assert_error(client.get("/api/v1/jobs/a%00b", headers=auth), 404, "not_found")


def test_numbers_are_read_exactly_a_float_would_round_the_other_way(client, auth, register):
    # 2.675 as a binary float is 2.67499999…, which rounds half-up to 2.67; exactly, 2.68.
    body = receipt_job(register["id"], total="702.68",
                       payments=[{"type": "cash", "amount": "1000.00"}])
    body["receipt"]["items"][1].update(price="__P__", amount="__P__")
    raw = json.dumps(body).replace('"__P__"', "2.675")
    resp = post(client, auth, raw)
    assert resp.status_code == 201, resp.json
    assert resp.json["receipt"]["items"][1]["price"] == "2.68"


def test_request_get_json_reads_decimals(app):
    with app.test_request_context(method="POST", data='{"a": 0.1, "b": [1e-7], "c": 3}',
                                  content_type="application/json"):
        data = request.get_json()
    assert data == {"a": Decimal("0.1"), "b": [Decimal("1e-7")], "c": 3}
    assert isinstance(data["a"], Decimal) and isinstance(data["c"], int)


def test_an_unexpected_error_is_a_500_in_the_same_format(client, auth, monkeypatch):
    def boom(*args, **kwargs):
        raise RuntimeError("the database went away")
    monkeypatch.setattr("hub.api.jobs.list_jobs", boom)
    err = assert_error(client.get("/api/v1/jobs", headers=auth), 500, "internal_error")
    assert "database" not in err["message"]                  # no internals in the answer


def test_health_503_is_an_error_that_carries_the_report(settings, ledger, register):
    from hub.app import create_app
    settings.redis_url = "redis://127.0.0.1:1/0"
    resp = create_app(settings).test_client().get("/api/v1/health")
    body = json.loads(resp.data)
    assert resp.status_code == 503 and body["code"] == "unavailable"
    assert body["message"].startswith("Redis does not answer")
    assert body["status"] == "unavailable" and body["database"]["ok"] is True
