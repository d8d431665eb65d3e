"""``/api/v1/connections/{id}/events``: what a connection received — each event once, with the
jobs and postings it produced, or the reason it was rejected — and the replay of a rejected
event once the connection is fixed.
"""
from __future__ import annotations

from flask import current_app, g
from marshmallow import RAISE

from fiscal.ledger import postings as ledger_postings
from fiscal.ledger import source_events as events_ledger
from fiscal.ledger.keyset import InvalidCursor
from fiscal.ledger.models import StoredEvent
from hub.api.auth import ledger, requires
from hub.api.connection_schemas import (EventDetailsSchema, EventPageSchema, EventQuerySchema,
                                        mask_request, mask_values)
from hub.api.connections import connection_or_404, installed
from hub.api.errors import ApiError, bad_cursor
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema
from hub.connection_runtime import ConnectorUnavailable, load_connector

bp = Blueprint("connection_events", __name__, url_prefix="/api/v1",
               description="The events a connection received")
E = "/connections/<connection_id>/events"
NOT_FOUND = "No such connection in this account, or no such event of it"


def event_json(s, row: StoredEvent, details: bool = False, secrets: list | None = None) -> dict:
    out = {"id": row.id, "event_id": row.event_id, "type": row.type, "state": row.state,
           "reason": row.reason, "errors": row.errors,
           "received_at": row.received_at.isoformat(),
           "processed_at": row.processed_at.isoformat() if row.processed_at else None,
           "replays": row.replays,
           "job_ids": [j.id for j in events_ledger.jobs_for_event(s, row.id)],
           "posting_ids": [p.id for p in ledger_postings.for_event(s, row.id)]}
    if details:
        out["payload"] = mask_values(row.payload, secrets or [])
        out["request"] = mask_request(row.request, secrets or [])
    return out


def _secrets(conn) -> list[str]:
    cls = installed().get(conn.connector)
    names = cls.secret_settings if cls is not None else tuple(conn.settings or {})
    return [str(v) for k, v in (conn.settings or {}).items() if k in names and v]


def _event_or_404(s, conn, event_id: str) -> StoredEvent:
    row = s.get(StoredEvent, event_id) if "\x00" not in event_id else None
    if row is None or row.connection_id != conn.id:
        raise ApiError(404, "not_found", f"No event {event_id!r} of connection {conn.id}")
    return row


@bp.route(E, methods=["GET"])
@requires(bp, "read")
@bp.arguments(EventQuerySchema(), location="query", unknown=RAISE)
@bp.alt_response(200, schema=EventPageSchema, success=True, description="A page of events")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(422, schema=ErrorSchema, description="A parameter is not valid")
def list_events(args: dict, connection_id: str):
    """List a connection's events

    Newest first; `state=rejected` for those waiting for a fix. Pass next_cursor as cursor
    (with the same filters) for the next page.
    """
    with ledger().session(readonly=True) as s:
        conn = connection_or_404(s, connection_id)
        try:
            rows, next_cursor = events_ledger.list_events(
                s, conn.id, state=args.get("state"), limit=args["limit"],
                cursor=args.get("cursor"))
        except InvalidCursor:
            raise bad_cursor() from None
        return {"items": [event_json(s, r) for r in rows], "next_cursor": next_cursor}


@bp.route(E + "/<event_id>", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=EventDetailsSchema, success=True,
                 description="The event, with the request as received (credentials masked)")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def get_event(connection_id: str, event_id: str):
    """Read an event"""
    with ledger().session(readonly=True) as s:
        conn = connection_or_404(s, connection_id)
        return event_json(s, _event_or_404(s, conn, event_id), details=True,
                          secrets=_secrets(conn))


@bp.route(E + "/<event_id>/replay", methods=["POST"])
@requires(bp, "jobs.act")
@bp.alt_response(200, schema=EventDetailsSchema, success=True,
                 description="The event after the replay: accepted with its jobs and "
                             "postings, or still rejected with the new reason")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description="The event is not rejected "
                 "(not_rejected), was never parsed (not_replayable), or the connector is "
                 "unavailable (connector_unavailable)")
def replay_event(connection_id: str, event_id: str):
    """Replay a rejected event

    Translates the stored event again with the connection's settings as they are now and
    writes what it produces, exactly as on its first delivery.
    """
    with ledger().session(readonly=True) as s:
        conn = connection_or_404(s, connection_id)
        _event_or_404(s, conn, event_id)
    intake = current_app.extensions["fiscalhub.intake"]
    try:
        connector = load_connector(intake.host, conn)
    except ConnectorUnavailable as exc:
        raise ApiError(409, "connector_unavailable", exc.reason, exc.errors or None)
    intake.replay(conn, connector, event_id, g.actor)
    with ledger().session(readonly=True) as s:
        return event_json(s, s.get(StoredEvent, event_id), details=True,
                          secrets=_secrets(conn))
