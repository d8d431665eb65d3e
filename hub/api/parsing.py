"""How the API reads requests: JSON numbers as ``Decimal`` (never float), one error format for
bodies that are not a JSON object, and query strings read the way the print queue expects.

* :class:`DecimalJSONProvider` is the app's JSON provider, so ``request.get_json()``,
  :func:`json_body` and the webargs parser below all read ``1.5`` as ``Decimal("1.5")``.
* :class:`Blueprint` is flask-smorest's, with :data:`parser` as its arguments parser.
"""
from __future__ import annotations

from decimal import Decimal

import flask_smorest
from flask import current_app, request
from flask.json.provider import DefaultJSONProvider
from marshmallow import fields, missing
from webargs.flaskparser import FlaskParser

from hub.api.errors import ApiError, invalid


def _no_constants(name: str):
    raise ValueError(f"{name} is not a JSON number")


class DecimalJSONProvider(DefaultJSONProvider):
    """Flask's JSON provider, reading every JSON number with a fraction or an exponent as a
    ``Decimal``; ``NaN`` and ``Infinity`` (not JSON) are refused. Answers keep the key order
    and write non-ASCII text as is."""

    sort_keys = False
    ensure_ascii = False

    def loads(self, s, **kwargs):
        kwargs.setdefault("parse_float", Decimal)
        kwargs.setdefault("parse_constant", _no_constants)
        return super().loads(s, **kwargs)


NUL_MESSAGE = "NUL characters (\\u0000) are not allowed"


def nul_errors(value) -> dict | list | None:
    """Where ``value`` has a string with a NUL character (no database stores those), in the
    API's error format; None when nowhere."""
    if isinstance(value, str):
        return [NUL_MESSAGE] if "\x00" in value else None
    items = (value.items() if isinstance(value, dict)
             else enumerate(value) if isinstance(value, list) else ())
    errors = {}
    for key, inner in items:
        found = [NUL_MESSAGE] if isinstance(key, str) and "\x00" in key else nul_errors(inner)
        if found:
            errors[str(key)] = found
    return errors or None


def load_json_object(raw: bytes) -> dict:
    """A request body as a JSON object (400 ``empty_body`` / ``malformed_json`` otherwise;
    422 for a string with a NUL character)."""
    if not raw.strip():
        raise ApiError(400, "empty_body", "The request has no body; send a JSON object")
    try:
        data = current_app.json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise ApiError(400, "malformed_json", f"The body is not valid JSON: {exc}")
    if not isinstance(data, dict):
        raise ApiError(400, "malformed_json", "The body must be a JSON object")
    try:
        errors = nul_errors(data)
    except RecursionError:
        raise ApiError(400, "malformed_json", "The body is nested too deeply")
    if errors:
        raise invalid(errors, "The request body is not valid")
    return data


def json_body() -> dict:
    """The current request's JSON object, numbers as Decimal (never float)."""
    return load_json_object(request.get_data(cache=True))


class ApiParser(FlaskParser):
    """webargs' Flask parser with the API's reading rules:

    * a JSON body goes through :func:`load_json_object` (Decimal numbers, 400 for an empty,
      malformed or non-object body), whatever the Content-Type says;
    * in a query string a list field takes every occurrence and comma-separated values
      (``state=queued,held&state=failed``; an empty value is a value, and an error); any
      other field takes the last occurrence.
    """

    def _raw_load_json(self, req):
        return load_json_object(req.get_data(cache=True))

    def load_querystring(self, req, schema):
        by_key = {f.data_key or name: f for name, f in schema.fields.items()}
        errors = {key: [NUL_MESSAGE] for key, values in req.args.lists()
                  if nul_errors([key, *values])}
        if errors:
            raise invalid(errors, "The query parameters are not valid")
        out = {}
        for key in req.args:
            values = req.args.getlist(key)
            field = by_key.get(key)
            if isinstance(field, fields.List):
                out[key] = [v for value in values for v in value.split(",")]
            else:
                out[key] = values[-1]
        return out


class OptionalBodyParser(ApiParser):
    """:class:`ApiParser` for actions whose body is optional: no body at all reads as none; a
    body that is there must be a JSON object (whitespace alone is not)."""

    def _raw_load_json(self, req):
        if not req.get_data(cache=True):
            return missing
        return super()._raw_load_json(req)


parser = ApiParser()


class Blueprint(flask_smorest.Blueprint):
    """flask-smorest's Blueprint with :data:`parser`. An operation that reads a JSON body also
    documents the 400 every such body can get (empty, not JSON, not an object), unless the view
    documents its own 400."""

    ARGUMENTS_PARSER = parser

    def arguments(self, schema, *, location="json", **kwargs):
        inner = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return inner

        def decorator(func):
            wrapper = inner(func)
            wrapper._apidoc["arguments"]["responses"].setdefault(400, "BAD_REQUEST")
            return wrapper
        return decorator


class OptionalBodyBlueprint(Blueprint):
    """A Blueprint for actions whose JSON body may be left out (:class:`OptionalBodyParser`)."""

    ARGUMENTS_PARSER = OptionalBodyParser()
