"""The OpenAPI document: flask-smorest's ``Api`` with the API's error format, the bearer
scheme, and how our own marshmallow fields are described."""
from __future__ import annotations

from decimal import Decimal

import flask_smorest
from marshmallow import validate

from fiscal.schemas import Money, Quantity
from hub.api import errors
from hub.api.schemas import ErrorSchema

DESCRIPTION = (
    "Canonical fiscal jobs in, printed fiscal documents out, each exactly once.\n\n"
    "Authenticate with an API key: `Authorization: Bearer <key>`. Every 4xx and 5xx answer is "
    "`{\"code\": \"…\", \"message\": \"…\", \"errors\": {…}}`; `errors` is there when particular "
    "fields are wrong and maps each field path to its messages. Money is a decimal string "
    "(\"700.00\"); JSON numbers in requests are read exactly, never as binary floats.")


class Api(flask_smorest.Api):
    """flask-smorest's Api with the API's error format, and no catch-all ``default`` error
    response in the spec (each operation documents the errors it answers)."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None

    def _register_error_handlers(self):
        errors.install(self._app)

    def _register_pagination_header(self):
        pass                    # page-number pagination is not used: the queue pages by cursor

    def _register_etag_headers(self):
        pass                    # nor ETags


def _number(value):
    value = Decimal(value)
    return int(value) if value == value.to_integral_value() else float(value)


def money2properties(self, field, ret: dict, **kwargs) -> dict:
    """Money and quantities are read from a decimal string ("700.00") or a JSON number (read
    exactly) and always written as strings; the number's bounds are those of the field."""
    if not isinstance(field, Money):
        return {}
    for key in ("x-minimum", "x-maximum"):
        ret.pop(key, None)
    number: dict = {"type": "number"}
    for v in field.validators:
        if isinstance(v, validate.Range) and v.min is not None:
            number["minimum"] = _number(v.min)
            if not v.min_inclusive:
                number["exclusiveMinimum"] = True
        if isinstance(v, validate.Range) and v.max is not None:
            number["maximum"] = _number(v.max)
            if not v.max_inclusive:
                number["exclusiveMaximum"] = True
    places = 3 if isinstance(field, Quantity) else 2
    return {"anyOf": [{"type": "string"}, number], "example": "2.000" if places == 3 else "700.00",
            "description": f"A decimal: a string (\"{'1.500' if places == 3 else '700.00'}\") "
                           f"or a JSON number, rounded half-up to {places} places"}


def nullable_ref(self, field, ret: dict, **kwargs) -> dict:
    """A nullable nested object is ``{"allOf": [{"$ref": …}], "nullable": true}`` (apispec's
    ``anyOf`` with any object would let every object pass)."""
    any_of = ret.get("anyOf")
    if (field.allow_none and isinstance(any_of, list) and len(any_of) == 2
            and any_of[0] == {"type": "object", "nullable": True} and "$ref" in any_of[1]):
        del ret["anyOf"]
        return {"allOf": [any_of[1]], "nullable": True}
    return {}


def describe(api: Api) -> None:
    """Our fields, the security scheme and the shared 401 answer."""
    api.ma_plugin.converter.add_attribute_function(money2properties)
    api.ma_plugin.converter.add_attribute_function(nullable_ref)
    spec = api.spec
    spec.components.security_scheme("bearerAuth", {
        "type": "http", "scheme": "bearer",
        "description": "An API key of the account: `Authorization: Bearer fh_…`"})
    spec.components.security_scheme("sessionCookie", {
        "type": "apiKey", "in": "cookie", "name": "fiscalhub_session",
        "description": "A user's session (POST /api/v1/session). Requests that change "
                       "something must also send the session's CSRF token in X-CSRF-Token."})
    spec.components.response("Forbidden", {
        "description": "Authenticated, but not allowed: the role may not do this (forbidden), "
                       "a one-time password must be changed first (password_change_required), "
                       "or a change made with the session cookie lacks its CSRF token "
                       "(csrf_failed)",
        "content": {"application/json": {"schema": "Error"}}})
    spec.components.response("Unauthorized", {
        "description": "No API key or session; a malformed Authorization header; a key that is "
                       "unknown or deleted (unauthorized); a session that ended "
                       "(session_ended, with its reason: expired, logged_out, blocked, password_reset, unknown)",
        "headers": {"WWW-Authenticate": {"description": "`Bearer`, `Bearer "
                                                        "error=\"invalid_token\"`, or `Cookie`",
                                         "schema": {"type": "string"}}},
        "content": {"application/json": {"schema": "Error"}}})
