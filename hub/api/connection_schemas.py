"""The shapes of ``/api/v1/connectors`` and ``/api/v1/connections`` (requests and answers), and
how a connection and its events are shown: secrets masked, always.

A connector's settings are validated by the connector's own schema in the view (the body's
``settings`` is any object here); a secret setting is shown as ``"********"``, and sending
``"********"`` back keeps the stored secret (a settings form round-trips).
"""
from __future__ import annotations

import json

from marshmallow import RAISE, Schema, fields, validate

from fiscal.ledger.connections import DEFAULT_CLOSING_TIME, DEFAULT_TIME_ZONE, NAME_MAX
from fiscal.ledger.source_events import MAX_LIMIT
from fiscal.model import EventState
from hub.api.schemas import timestamp

MASK = "********"
# Headers whose values are credentials whatever the connector (the raw request is shown).
_CREDENTIAL_HEADERS = {"authorization", "proxy-authorization", "cookie"}
_CREDENTIAL_WORDS = ("secret", "token", "signature", "password", "apikey", "api-key",
                     "api_key")


def _time_zone(**kw) -> fields.String:
    return fields.String(validate=validate.Length(1, 64), metadata={
        "example": "Europe/Moscow", "description": "The IANA time zone of its business day "
                                                   f"(default {DEFAULT_TIME_ZONE})"}, **kw)


def _closing_time(**kw) -> fields.String:
    return fields.String(metadata={
        "example": "05:30", "pattern": "^([01][0-9]|2[0-3]):[0-5][0-9]$",
        "description": "When its business day ends, local time HH:MM (default "
                       f"{DEFAULT_CLOSING_TIME}): end of day runs then"}, **kw)


def _register_id() -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(1, 64), metadata={
        "description": "Its jobs print on this register (or give register_group_id)"})


def _register_group_id() -> fields.String:
    return fields.String(allow_none=True, validate=validate.Length(1, 64), metadata={
        "description": "Its jobs print on this group's registers (or give register_id)"})


class ConnectionCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    connector = fields.String(required=True, validate=validate.Length(1, 64), metadata={
        "example": "example", "description": "An installed connector (GET /connectors)"})
    name = fields.String(required=True, validate=validate.Length(1, NAME_MAX), metadata={
        "example": "Restaurant POS"})
    settings = fields.Dict(keys=fields.String(), load_default=dict, metadata={
        "description": "Validated by the connector's settings schema",
        "example": {"secret": "tinypos-example-secret", "taxation": "osn"}})
    time_zone = _time_zone(load_default=DEFAULT_TIME_ZONE)
    closing_time = _closing_time(load_default=DEFAULT_CLOSING_TIME)
    register_id = _register_id()
    register_group_id = _register_group_id()


class ConnectionEditSchema(Schema):
    """The fields to change. ``settings`` are merged into the stored ones (null removes a
    setting; ``"********"`` keeps a stored secret); routing given replaces the routing."""

    class Meta:
        unknown = RAISE

    name = fields.String(validate=validate.Length(1, NAME_MAX))
    settings = fields.Dict(keys=fields.String())
    time_zone = _time_zone()
    closing_time = _closing_time()
    register_id = _register_id()
    register_group_id = _register_group_id()


class ConnectionRecordSchema(Schema):
    id = fields.String(required=True, metadata={"format": "uuid"})
    connector = fields.String(required=True)
    name = fields.String(required=True)
    settings = fields.Dict(required=True, metadata={"description": "Secrets as \"********\""})
    register_id = fields.String(required=True, allow_none=True)
    register_group_id = fields.String(required=True, allow_none=True)
    time_zone = fields.String(required=True)
    closing_time = fields.String(required=True)
    webhook_url = fields.String(required=True, metadata={
        "description": "Where the source system sends its events (its own routes live "
                       "under it)"})
    connector_installed = fields.Boolean(required=True, metadata={
        "description": "False when its connector is not installed or was disabled"})
    created_at = timestamp("When it was added", required=True)
    updated_at = timestamp("When it was last changed", required=True)
    last_event_at = timestamp("When it last received an event", required=True,
                              allow_none=True)


class ConnectionListSchema(Schema):
    items = fields.List(fields.Nested(ConnectionRecordSchema), required=True)


class SettingFieldSchema(Schema):
    name = fields.String(required=True)
    type = fields.String(required=True, metadata={"example": "string"})
    required = fields.Boolean(required=True)
    secret = fields.Boolean(required=True)
    default = fields.Raw(required=True, allow_none=True)
    choices = fields.List(fields.Raw(), required=True, allow_none=True)
    description = fields.String(required=True, allow_none=True)


class ConnectorSchema(Schema):
    name = fields.String(required=True, metadata={"example": "example"})
    title = fields.String(required=True)
    version = fields.String(required=True)
    settings = fields.List(fields.Nested(SettingFieldSchema), required=True, metadata={
        "description": "The settings its schema takes, for a form"})
    settings_example = fields.Dict(required=True, metadata={"description": "Secrets masked"})
    features = fields.List(fields.String(), required=True, metadata={
        "description": "The optional parts it offers: routes, send_posting, search, poll, "
                       "end_of_day, health, …"})


class ConnectorListSchema(Schema):
    items = fields.List(fields.Nested(ConnectorSchema), required=True)


class EventQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    state = fields.String(validate=validate.OneOf([s.value for s in EventState]))
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_LIMIT))
    cursor = fields.String(validate=validate.Length(max=200), metadata={
        "description": "The next_cursor of the previous page"})


class EventSchema(Schema):
    id = fields.String(required=True, metadata={"format": "uuid"})
    event_id = fields.String(required=True, metadata={"description": "The source's own ID"})
    type = fields.String(required=True)
    state = fields.String(required=True, metadata={"enum": [s.value for s in EventState]})
    reason = fields.String(required=True, allow_none=True)
    errors = fields.Dict(required=True, allow_none=True)
    received_at = timestamp("When it arrived first", required=True)
    processed_at = timestamp("When it was last translated", required=True, allow_none=True)
    replays = fields.Integer(required=True)
    job_ids = fields.List(fields.String(), required=True)
    posting_ids = fields.List(fields.String(), required=True)


class EventDetailsSchema(EventSchema):
    payload = fields.Dict(required=True, allow_none=True, metadata={
        "description": "The event as the connector parsed it"})
    request = fields.Dict(required=True, allow_none=True, metadata={
        "description": "The request as received, credentials masked"})


class EventPageSchema(Schema):
    items = fields.List(fields.Nested(EventSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True)


def _usable(secrets: list) -> list[str]:
    return [s for s in secrets if isinstance(s, str) and len(s) >= 4]


def mask_values(value, secrets: list[str]):
    """``value`` (JSON) with every occurrence of a secret in its strings masked."""
    secrets = _usable(secrets)
    if isinstance(value, str):
        for secret in secrets:
            value = value.replace(secret, MASK)
        return value
    if isinstance(value, dict):
        return {k: mask_values(v, secrets) for k, v in value.items()}
    if isinstance(value, list):
        return [mask_values(v, secrets) for v in value]
    return value


def mask_request(raw: dict | None, secrets: list[str]) -> dict | None:
    """The stored request as the API shows it: credential headers, credential-named headers
    and query parameters, and every occurrence of a secret setting's value masked."""
    if raw is None:
        return None
    secrets = _usable(secrets)

    def hide(name: str, value) -> str:
        text = str(value)
        lowered = name.lower()
        if lowered in _CREDENTIAL_HEADERS or any(w in lowered for w in _CREDENTIAL_WORDS):
            return MASK
        for secret in secrets:
            text = text.replace(secret, MASK)
        return text
    body = str(raw.get("body") or "")
    for secret in secrets:
        body = body.replace(secret, MASK)
        body = body.replace(json.dumps(secret)[1:-1], MASK)
    return {**raw, "headers": {k: hide(k, v) for k, v in (raw.get("headers") or {}).items()},
            "query": {k: hide(k, v) for k, v in (raw.get("query") or {}).items()},
            "body": body}
