"""``/api/v1/connectors`` and ``/api/v1/connections``: the connectors installed, and the
account's connections — a connector configured with its settings (validated by the
connector's schema, secrets never shown), where its jobs print, and its business day.

Another account's connection answers 404 like one that does not exist.
"""
from __future__ import annotations

from flask import current_app, g, request, url_for
from marshmallow import ValidationError, missing

from fiscal.ledger import connections as ledger_connections
from fiscal.ledger.connections import ConnectionRefused
from fiscal.ledger.models import Connection
from hub.api.auth import ledger, requires
from hub.api.connection_schemas import (MASK, ConnectionCreateSchema, ConnectionEditSchema,
                                        ConnectionListSchema, ConnectionRecordSchema,
                                        ConnectorListSchema)
from hub.api.errors import ApiError, invalid
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema
from hub.connectors import Connector, connectors

bp = Blueprint("connections", __name__, url_prefix="/api/v1",
               description="Connectors and the account's connections")
LOCATION = {"Location": {"description": "The connection's URL", "schema": {"type": "string"}}}
NOT_FOUND = "No such connection in this account (or it was deleted)"
_TYPES = {"String": "string", "Email": "string", "Url": "string", "Integer": "integer",
          "Boolean": "boolean", "Decimal": "number", "Float": "number", "Number": "number",
          "Dict": "object", "Nested": "object", "List": "array", "Date": "string",
          "DateTime": "string", "Time": "string"}


def host():
    return current_app.extensions["fiscalhub.host"]


def installed() -> dict[str, type[Connector]]:
    return connectors(host())


def setting_fields(cls: type[Connector]) -> list[dict]:
    """The connector's settings schema as a list of fields, for a form."""
    out = []
    for name, field in cls.settings_schema().fields.items():
        if field.dump_only:
            continue
        choices = next((list(v.choices) for v in field.validators if hasattr(v, "choices")),
                       None)
        default = field.load_default
        out.append({"name": field.data_key or name,
                    "type": _TYPES.get(type(field).__name__, "string"),
                    "required": field.required, "secret": name in cls.secret_settings,
                    "default": None if default is missing or callable(default) else default,
                    "choices": choices,
                    "description": field.metadata.get("description")})
    return out


def connector_json(cls: type[Connector]) -> dict:
    return {"name": cls.name, "title": cls.title or cls.name, "version": str(cls.version),
            "settings": setting_fields(cls),
            "settings_example": cls.masked_settings(cls.settings_example),
            "features": [f for f in Connector.OPTIONAL if cls.supports(f)]}


def masked(conn: Connection, cls: type[Connector] | None) -> dict:
    if cls is None:         # not installed: which settings are secrets is unknown
        return {k: MASK for k in (conn.settings or {})}
    return cls.masked_settings(conn.settings or {})


def connection_json(conn: Connection, found: dict | None = None) -> dict:
    cls = (found if found is not None else installed()).get(conn.connector)
    return {"id": conn.id, "connector": conn.connector, "name": conn.name,
            "settings": masked(conn, cls), "register_id": conn.register_id,
            "register_group_id": conn.register_group_id, "time_zone": conn.time_zone,
            "closing_time": conn.closing_time,
            "webhook_url": request.host_url.rstrip("/") + f"/hooks/{conn.id}",
            "connector_installed": cls is not None,
            "created_at": conn.created_at.isoformat(), "updated_at": conn.updated_at.isoformat(),
            "last_event_at": conn.last_event_at.isoformat() if conn.last_event_at else None}


def connection_or_404(s, connection_id: str) -> Connection:
    conn = (ledger_connections.get_connection(s, g.account_id, connection_id)
            if "\x00" not in connection_id else None)
    if conn is None:
        raise ApiError(404, "not_found", f"No connection {connection_id!r} in this account")
    return conn


def checked_settings(cls: type[Connector], settings: dict) -> dict:
    """Settings as stored: what was given, once the connector's schema loads it."""
    try:
        cls.load_settings(settings)
    except ValidationError as exc:
        raise invalid({"settings": exc.messages}, f"The settings are not valid for "
                                                  f"{cls.name}")
    return settings


def merged_settings(cls: type[Connector], stored: dict, given: dict) -> dict:
    """``given`` over ``stored``: null removes a setting, the mask keeps a stored secret."""
    out = dict(stored)
    for key, value in given.items():
        if value is None:
            out.pop(key, None)
        elif value == MASK and key in cls.secret_settings and key in stored:
            continue
        else:
            out[key] = value
    return out


def _refused(exc: ConnectionRefused) -> ApiError:
    return invalid({exc.field: [exc.message]}, "The connection is not valid")


@bp.route("/connectors", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=ConnectorListSchema, success=True,
                 description="The installed connectors")
def list_connectors():
    """List the installed connectors

    Each with its settings (a form's fields), an example, and the optional parts it offers.
    """
    return {"items": [connector_json(cls) for _, cls in sorted(installed().items())]}


@bp.route("/connections", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=ConnectionListSchema, success=True,
                 description="The connections, by name")
def list_connections():
    """List connections"""
    found = installed()
    with ledger().session(readonly=True) as s:
        return {"items": [connection_json(c, found)
                          for c in ledger_connections.list_connections(s, g.account_id)]}


@bp.route("/connections", methods=["POST"])
@requires(bp, "connections.manage")
@bp.arguments(ConnectionCreateSchema, example={
    "connector": "example", "name": "Restaurant POS", "register_id": "…",
    "settings": {"secret": "tinypos-example-secret", "taxation": "osn"}})
@bp.alt_response(201, schema=ConnectionRecordSchema, headers=LOCATION, success=True,
                 description="The new connection (secrets masked)")
@bp.alt_response(400, schema=ErrorSchema, description="The body is empty or not a JSON object")
@bp.alt_response(422, schema=ErrorSchema, description="A field or a setting is not valid "
                                                      "(errors names it)")
def create_connection(body: dict):
    """Add a connection

    A connector configured for this account. Give `register_id` or `register_group_id`: where
    the jobs it produces print (unless a job names its register). The answer's `webhook_url`
    is where the source system sends its events.
    """
    cls = installed().get(body["connector"])
    if cls is None:
        raise invalid({"connector": [f"No installed connector {body['connector']!r} "
                                     f"(installed: {', '.join(sorted(installed())) or 'none'})"]},
                      "The connection is not valid")
    settings = checked_settings(cls, body["settings"])
    with ledger().session() as s:
        try:
            conn = ledger_connections.create_connection(
                s, g.account_id, connector=cls.name, name=body["name"], settings=settings,
                actor=g.actor, register_id=body.get("register_id"),
                register_group_id=body.get("register_group_id"), time_zone=body["time_zone"],
                closing_time=body["closing_time"])
        except ConnectionRefused as exc:
            raise _refused(exc)
        answer = connection_json(conn)
    return answer, 201, {"Location": url_for("connections.get_connection",
                                             connection_id=answer["id"])}


@bp.route("/connections/<connection_id>", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=ConnectionRecordSchema, success=True,
                 description="The connection (secrets masked)")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def get_connection(connection_id: str):
    """Read a connection"""
    with ledger().session(readonly=True) as s:
        return connection_json(connection_or_404(s, connection_id))


@bp.route("/connections/<connection_id>", methods=["PATCH"])
@requires(bp, "connections.manage")
@bp.arguments(ConnectionEditSchema, example={"settings": {"taxation": "usn_income"}})
@bp.alt_response(200, schema=ConnectionRecordSchema, success=True,
                 description="The changed connection (secrets masked)")
@bp.alt_response(400, schema=ErrorSchema, description="The body is empty or not a JSON object")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(422, schema=ErrorSchema, description="A field or a setting is not valid "
                                                      "(errors names it)")
def edit_connection(body: dict, connection_id: str):
    """Edit a connection

    `settings` are merged into the stored ones: a setting given as null is removed, and a
    secret given as `"********"` (as the API shows it) keeps its stored value. Giving
    `register_id` or `register_group_id` replaces the routing. Events received since are
    translated with the new settings; rejected ones can be replayed.
    """
    with ledger().session() as s:
        conn = connection_or_404(s, connection_id)
        changes = {k: v for k, v in body.items() if k != "settings"}
        if "settings" in body:
            cls = installed().get(conn.connector)
            if cls is None:
                raise ApiError(409, "connector_unavailable", f"Connector {conn.connector!r} "
                               "is not installed: its settings cannot be checked")
            changes["settings"] = checked_settings(
                cls, merged_settings(cls, conn.settings or {}, body["settings"]))
        try:
            ledger_connections.edit_connection(s, conn, actor=g.actor, **changes)
        except ConnectionRefused as exc:
            raise _refused(exc)
        return connection_json(conn)


@bp.route("/connections/<connection_id>", methods=["DELETE"])
@requires(bp, "connections.manage")
@bp.alt_response(204, success=True, description="Deleted")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def delete_connection(connection_id: str):
    """Delete a connection

    Its webhook answers 404 from now on and the scheduler leaves it alone. The jobs and
    postings it produced stay in the print queue and the postings list.
    """
    with ledger().session() as s:
        ledger_connections.delete_connection(s, connection_or_404(s, connection_id),
                                             actor=g.actor)
    return "", 204
