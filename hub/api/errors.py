"""One error format for every 4xx and 5xx the API answers::

    {"code": "validation_failed", "message": "The request body is not valid",
     "errors": {"receipt": {"items": {"0": {"quantity": ["Not a valid number."]}}}}}

``code`` is for machines, ``message`` for people, ``errors`` (only when the problem is in
particular fields) maps each field path — nested objects as marshmallow reports them, list
positions as string keys — to its messages. Our own refusals raise :class:`ApiError`; webargs'
validation errors, werkzeug's HTTP errors (404, 405, 413, …) and anything unexpected (500) are
rewritten into the same shape. Nothing a client sends makes a 500.
"""
from __future__ import annotations

import re

from flask import Flask, current_app, jsonify
from werkzeug.exceptions import HTTPException

# webargs puts validation messages under the location they came from; we report field paths.
WEBARGS_LOCATIONS = {
    "json": "The request body is not valid",
    "query": "The query parameters are not valid",
    "querystring": "The query parameters are not valid",
    "headers": "The request headers are not valid",
    "view_args": "The path is not valid",
    "path": "The path is not valid",
    "form": "The form is not valid",
}
# Headers of a werkzeug HTTP error worth keeping (405's Allow, 401's WWW-Authenticate, …).
KEPT_HEADERS = ("Allow", "WWW-Authenticate", "Retry-After")


class ApiError(Exception):
    """A refusal in the API's error format (``errors``: field path → messages)."""

    def __init__(self, status: int, code: str, message: str, errors: dict | None = None,
                 headers: dict | None = None, extra: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.errors, self.headers = errors, headers or {}
        self.extra = extra or {}        # more top-level keys (a session's end ``reason``)


def invalid(errors: dict, message: str = "The request is not valid") -> ApiError:
    """A 422 ``validation_failed`` naming the fields in ``errors``."""
    return ApiError(422, "validation_failed", message, errors)


def bad_cursor() -> ApiError:
    """A 422 for a ``cursor`` parameter this API did not give out."""
    return invalid({"cursor": ["Not a cursor this API gave out (use next_cursor)"]},
                   "The query parameters are not valid")


def stringify_keys(messages):
    """marshmallow keys list positions as ints; JSON object keys are strings."""
    if isinstance(messages, dict):
        return {str(k): stringify_keys(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [stringify_keys(m) for m in messages]
    return messages


def error_body(code: str, message: str, errors: dict | None = None) -> dict:
    body = {"code": code, "message": message}
    if errors:
        body["errors"] = stringify_keys(errors if isinstance(errors, dict)
                                        else {"_schema": errors})
    return body


def error_response(status: int, code: str, message: str, errors: dict | None = None,
                   headers: dict | None = None, extra: dict | None = None):
    resp = jsonify({**error_body(code, message, errors), **(extra or {})})
    resp.status_code = status
    resp.headers.update(headers or {})
    return resp


def code_of(exc: HTTPException) -> str:
    """``Method Not Allowed`` → ``method_not_allowed``."""
    return re.sub(r"[^a-z0-9]+", "_", (exc.name or "error").lower()).strip("_") or "error"


def handle_api_error(exc: ApiError):
    return error_response(exc.status, exc.code, exc.message, exc.errors, exc.headers, exc.extra)


def handle_http_exception(exc: HTTPException):
    status = exc.code or 500
    data = getattr(exc, "data", None) or {}          # what webargs' abort() attached
    headers = {k: v for k, v in exc.get_headers() if k in KEPT_HEADERS}
    headers.update(data.get("headers") or {})
    if "messages" in data:                            # a webargs validation error
        messages = data["messages"]
        message = "The request is not valid"
        if isinstance(messages, dict) and len(messages) == 1:
            (location, inner), = messages.items()
            if location in WEBARGS_LOCATIONS:
                message, messages = WEBARGS_LOCATIONS[location], inner
        return error_response(status, "validation_failed", message, messages, headers)
    if status == 500:
        return _internal_error(exc)
    return error_response(status, code_of(exc), data.get("message") or exc.description
                          or exc.name, data.get("errors"), headers)


def _internal_error(exc: Exception):
    current_app.logger.exception("unexpected error", exc_info=exc)
    return error_response(500, "internal_error", "Something went wrong on our side; the request "
                          "may be retried with the same Idempotency-Key")


def install(app: Flask) -> None:
    """Register the handlers (after flask-smorest's, which they replace)."""
    app.register_error_handler(ApiError, handle_api_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, _internal_error)
    from hub.api import refusals
    refusals.install(app)
