"""One error shape for the whole API: ``{"error": code, "message": text, "fields": {...}}``.

Client mistakes are 4xx with a message that names the field; nothing a client sends makes a 500.
"""
from __future__ import annotations

import json
from decimal import Decimal

from flask import Flask, jsonify, request
from werkzeug.exceptions import HTTPException


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, fields: dict | None = None,
                 headers: dict | None = None):
        super().__init__(message)
        self.status, self.code, self.message = status, code, message
        self.fields, self.headers = fields, headers or {}


def error_response(status: int, code: str, message: str, fields: dict | None = None):
    body = {"error": code, "message": message}
    if fields:
        body["fields"] = fields
    return jsonify(body), status


def json_body() -> dict:
    """The request's JSON object, numbers as Decimal (never float)."""
    raw = request.get_data(cache=True)
    if not raw.strip():
        raise ApiError(400, "empty_body", "The request has no body; send a JSON object")
    try:
        data = json.loads(raw, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ApiError(400, "malformed_json", f"The body is not valid JSON: {exc}")
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_json", "The body must be a JSON object")
    return data


def stringify_keys(messages):
    """marshmallow keys list positions as ints; JSON object keys are strings."""
    if isinstance(messages, dict):
        return {str(k): stringify_keys(v) for k, v in messages.items()}
    if isinstance(messages, list):
        return [stringify_keys(m) for m in messages]
    return messages


def install(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(exc: ApiError):
        resp, status = error_response(exc.status, exc.code, exc.message,
                                      stringify_keys(exc.fields) if exc.fields else None)
        resp.headers.update(exc.headers)
        return resp, status

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return error_response(exc.code or 500, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def _unexpected(exc: Exception):
        app.logger.exception("unexpected error")
        return error_response(500, "internal_error", "Something went wrong on our side; "
                              "the request may be retried with the same Idempotency-Key")
