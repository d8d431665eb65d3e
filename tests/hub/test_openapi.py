"""The OpenAPI document at /api/v1/openapi.json: valid OpenAPI 3, naming every endpoint with its
parameters, its errors and the bearer scheme; and a schemathesis run over the whole spec,
in-process, with a real API key: no 5xx, and every answer as the spec says (status code,
content type, headers, body)."""
import json
import os

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (content_type_conformance, ignored_auth,
                                               negative_data_rejection,
                                               response_headers_conformance,
                                               response_schema_conformance,
                                               status_code_conformance)

from receipts import receipt_job

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_headers_conformance, response_schema_conformance, negative_data_rejection,
          ignored_auth]


R = "/api/v1/registers/{register_id}"
OPERATIONS = [
    "GET /api/v1/jobs/activity",
    "POST /api/v1/session", "DELETE /api/v1/session", "GET /api/v1/me", "PATCH /api/v1/me",
    "POST /api/v1/me/password",
    "GET /api/v1/users", "POST /api/v1/users", "GET /api/v1/users/{user_id}",
    "PATCH /api/v1/users/{user_id}", "DELETE /api/v1/users/{user_id}",
    "POST /api/v1/users/{user_id}/block", "POST /api/v1/users/{user_id}/unblock",
    "POST /api/v1/users/{user_id}/password",
    "GET /api/v1/api-keys", "POST /api/v1/api-keys", "DELETE /api/v1/api-keys/{key_id}",
    "GET /api/v1/audit-log",
    "GET /api/v1/registers", "POST /api/v1/registers", f"GET {R}", f"PATCH {R}",
    f"DELETE {R}", f"POST {R}/suspend", f"POST {R}/activate",
    *(f"POST {R}/{action}" for action in ("open-shift", "x-report", "close-shift", "cash-in",
                                          "cash-out", "cancel-receipt", "reprint-last", "cut")),
    "GET /api/v1/register-groups", "POST /api/v1/register-groups",
    "GET /api/v1/register-groups/{group_id}", "PATCH /api/v1/register-groups/{group_id}",
    "DELETE /api/v1/register-groups/{group_id}",
    "GET /api/v1/cashiers", "POST /api/v1/cashiers", "GET /api/v1/cashiers/{cashier_id}",
    "PATCH /api/v1/cashiers/{cashier_id}", "DELETE /api/v1/cashiers/{cashier_id}",
    "GET /api/v1/jobs", "POST /api/v1/jobs", "GET /api/v1/jobs/counts",
    "GET /api/v1/jobs/{job_id}", "POST /api/v1/jobs/{job_id}/repeat",
    "POST /api/v1/jobs/{job_id}/refund", "POST /api/v1/jobs/cancel", "POST /api/v1/receipts",
    "GET /api/v1/connectors", "GET /api/v1/connections", "POST /api/v1/connections",
    "GET /api/v1/connections/{connection_id}", "PATCH /api/v1/connections/{connection_id}",
    "DELETE /api/v1/connections/{connection_id}",
    "GET /api/v1/connections/{connection_id}/events",
    "GET /api/v1/connections/{connection_id}/events/{event_id}",
    "POST /api/v1/connections/{connection_id}/events/{event_id}/replay",
    "GET /api/v1/connections/{connection_id}/health", "GET /api/v1/scheduled-runs",
    "GET /api/v1/postings", "GET /api/v1/postings/counts", "GET /api/v1/postings/{posting_id}",
    "POST /api/v1/postings/{posting_id}/repeat", "POST /api/v1/postings/{posting_id}/cancel",
    "POST /api/v1/postings/{posting_id}/mark-posted",
    "GET /api/v1/plugins", "GET /api/v1/health",
]
# Open to anyone: the health check (more with a key), logging in and out.
PUBLIC = {"GET /api/v1/health", "POST /api/v1/session", "DELETE /api/v1/session"}


@pytest.fixture
def spec(client):
    resp = client.get("/api/v1/openapi.json")
    assert resp.status_code == 200 and resp.mimetype == "application/json"
    return json.loads(resp.data)


@pytest.fixture
def api_schema(app, register):
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)


def test_the_spec_is_openapi_3_and_schemathesis_loads_every_operation(spec, api_schema):
    assert spec["openapi"] == "3.0.3"
    assert spec["info"]["title"] == "fiscalhub"
    api_schema.validate()                 # against the OpenAPI 3.0 meta-schema; raises if not
    operations = [op.ok() for op in api_schema.get_all_operations()]
    found = sorted(f"{op.method.upper()} {op.path}" for op in operations)
    assert found == sorted(OPERATIONS)


def test_every_operation_documents_its_parameters_and_errors(spec):
    paths = spec["paths"]
    post = paths["/api/v1/jobs"]["post"]
    assert post["requestBody"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/Job"}
    assert [p["name"] for p in post["parameters"] if p["in"] == "header"] == ["Idempotency-Key"]
    assert set(post["responses"]) == {"200", "201", "400", "401", "403", "409", "422"}
    assert "Location" in post["responses"]["201"]["headers"]

    listing = paths["/api/v1/jobs"]["get"]
    assert {p["name"] for p in listing["parameters"] if p["in"] == "query"} == {
        "register", "state", "kind", "created_from", "created_to", "amount_min", "amount_max",
        "job_id", "connection", "fd_number", "limit", "cursor"}
    assert set(listing["responses"]) == {"200", "401", "403", "422"}

    one = paths["/api/v1/jobs/{job_id}"]
    assert [p["name"] for p in one["parameters"] if p["in"] == "path"] == ["job_id"]
    assert set(one["get"]["responses"]) == {"200", "401", "403", "404"}

    health = paths["/api/v1/health"]["get"]
    assert set(health["responses"]) == {"200", "401", "503"}

    error_ref = {"$ref": "#/components/schemas/Error"}
    for path, methods in paths.items():
        for method, op in methods.items():
            if method == "parameters":
                continue
            assert "default" not in op["responses"], (method, path)
            for status, response in op["responses"].items():
                if status.startswith(("4", "5")) and "$ref" not in response:
                    body = response["content"]["application/json"]["schema"]
                    if status == "503":          # the health report, as an error
                        body = spec["components"]["schemas"][body["$ref"].split("/")[-1]]
                        assert {"code", "message"} <= set(body["required"])
                    else:
                        assert body == error_ref
    unauthorized = spec["components"]["responses"]["Unauthorized"]
    assert unauthorized["content"]["application/json"]["schema"] == error_ref
    assert "WWW-Authenticate" in unauthorized["headers"]
    assert spec["components"]["schemas"]["Error"]["required"] == ["code", "message"]


def test_the_bearer_scheme_guards_the_jobs_and_is_optional_on_health(spec):
    assert spec["components"]["securitySchemes"]["bearerAuth"] == {
        "type": "http", "scheme": "bearer",
        "description": spec["components"]["securitySchemes"]["bearerAuth"]["description"]}
    paths = spec["paths"]
    for op in (paths["/api/v1/jobs"]["post"], paths["/api/v1/jobs"]["get"],
               paths["/api/v1/jobs/{job_id}"]["get"]):
        assert op["security"] == [{"bearerAuth": []}, {"sessionCookie": []}]
        assert op["responses"]["401"] == {"$ref": "#/components/responses/Unauthorized"}
    assert paths["/api/v1/health"]["get"]["security"] == [{}, {"bearerAuth": []}]


def test_every_account_operation_takes_a_key_or_a_session_and_documents_401_403_404(spec):
    """Both ways in on every operation but the public ones; each documents the refusals, and
    each that takes an ID documents the 404 (another account's ID answers it too)."""
    for path, methods in spec["paths"].items():
        for method, op in methods.items():
            name = f"{method.upper()} {path}"
            if method == "parameters" or name in PUBLIC:
                continue
            assert op["security"] == [{"bearerAuth": []}, {"sessionCookie": []}], name
            assert {"401", "403"} <= set(op["responses"]), name
            if "{" in path:
                assert "404" in op["responses"], name


def test_money_is_a_decimal_string_or_number_in_and_a_string_out(spec):
    schemas = spec["components"]["schemas"]
    total = schemas["Receipt"]["properties"]["total"]
    assert total["anyOf"][0] == {"type": "string"}
    assert total["anyOf"][1]["type"] == "number" and total["anyOf"][1]["exclusiveMinimum"]
    assert schemas["JobRecord"]["properties"]["total"]["type"] == "string"


def test_no_documentation_ui_and_nothing_from_a_cdn(app, spec):
    doc_rules = [r.rule for r in app.url_map.iter_rules() if r.endpoint.startswith("api-docs")]
    assert doc_rules == ["/api/v1/openapi.json"]
    assert "cdn" not in json.dumps(spec).lower()


def test_printed_and_failed_jobs_answer_as_the_spec_says(api_schema, client, auth, register,
                                                         relay, run_worker):
    from fiscal.simulators.fiscal_memory import FiscalMemory
    ids = []
    for n in range(2):
        resp = client.post("/api/v1/jobs", data=json.dumps(receipt_job(register["id"])),
                           headers=auth, content_type="application/json")
        ids.append(resp.json["id"])
        relay.dispatch()
        if n == 1:
            FiscalMemory(register["memory"]).arm_fault("paper_out", on="receipt")
        run_worker(register["id"])
    operation = api_schema["/api/v1/jobs/{job_id}"]["GET"]
    states = []
    for job_id in ids:
        case = operation.Case(path_parameters={"job_id": job_id})
        resp = case.call_and_validate(headers=auth, checks=[response_schema_conformance])
        states.append(resp.json()["state"])
    assert states == ["printed", "failed"]
    page = api_schema["/api/v1/jobs"]["GET"].Case(query={"limit": 1})
    assert len(page.call_and_validate(headers=auth, checks=CHECKS).json()["items"]) == 1


def _spec_of_an_app() -> dict:
    """The spec, from an app that is never called (the run below calls the test's app)."""
    from hub.app import create_app
    from hub.config import Settings
    app = create_app(Settings(database_url="sqlite://", redis_url=""))
    return json.loads(app.test_client().get("/api/v1/openapi.json").data)


def plausible(job: dict, register_id: str) -> None:
    """Point a generated job at the real register, and make its kind match the body it has,
    so that valid jobs get past the kind rules to the ledger (schemathesis re-checks whether
    a case is still valid or invalid after this)."""
    if isinstance(job.get("register"), str):
        job["register"] = register_id
    if not isinstance(job.get("kind"), str):
        return
    for body, kind in (("receipt", "receipt"), ("correction", "correction"), ("amount", "cash_in")):
        if body in job:
            job["kind"] = kind
            for other in {"receipt", "correction", "amount"} - {body}:
                job.pop(other, None)
            return


# CI runs a bounded, repeatable run; FISCALHUB_API_FUZZ=300 explores with 300 random examples
# per operation and phase instead.
FUZZ = int(os.environ.get("FISCALHUB_API_FUZZ", "0"))
schema = schemathesis.openapi.from_dict(_spec_of_an_app())
# The real key goes in every request (the ignored_auth check takes it away to probe).
schema.config.generation.update(database="none", with_security_parameters=False,
                                deterministic=not FUZZ)


@settings(max_examples=FUZZ or 100, deadline=None, suppress_health_check=list(HealthCheck))
@schema.parametrize()
def test_the_api_answers_as_its_spec_says(case, app, auth, register):
    """Every operation, valid and invalid requests; the real register stands in for the
    generated one so that valid jobs get as far as the ledger."""
    case.operation.schema.app = case.operation.app = app     # in-process (WSGI), this test's app
    if isinstance(case.body, dict) and case.operation.path == "/api/v1/jobs":
        plausible(case.body, register["id"])
    case.call_and_validate(headers=auth, checks=CHECKS)
