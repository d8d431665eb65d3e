"""``GET /api/v1/connections/{id}/health``: is the connection working? What the hub knows
(rejected events waiting for a fix, postings stuck or failed, the last event) and, when the
connector offers a health check, what the source system says.
"""
from __future__ import annotations

import logging

from flask import current_app
from marshmallow import Schema, fields
from sqlalchemy import func, select

from fiscal.ledger import postings as ledger_postings
from fiscal.ledger.models import Posting, StoredEvent, utcnow
from fiscal.model import EventState, PostingState
from hub.api.auth import ledger, requires
from hub.api.connections import connection_or_404
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema, timestamp
from hub.connection_runtime import ConnectorUnavailable, http_session, load_connector
from hub.connectors import NotSupported

log = logging.getLogger(__name__)
bp = Blueprint("connection_health", __name__, url_prefix="/api/v1",
               description="Whether a connection is working")


class ConnectionHealthSchema(Schema):
    ok = fields.Boolean(required=True, metadata={
        "description": "False when something needs a person: a rejected event, a failed or "
                       "stuck posting, the connector unavailable, or the source system "
                       "reporting a problem"})
    problems = fields.List(fields.String(), required=True, metadata={
        "description": "What is wrong, in words, most urgent first"})
    rejected_events = fields.Integer(required=True)
    postings = fields.Dict(keys=fields.String(), values=fields.Integer(), required=True,
                           metadata={"description": "How many postings are in each state"})
    last_event_at = timestamp("When it last received an event", required=True,
                              allow_none=True)
    source = fields.Dict(required=True, allow_none=True, metadata={
        "description": "The connector's own check of the source system ({ok, detail}); "
                       "null when the connector has none"})
    checked_at = timestamp("When this was checked", required=True)


def source_health(conn) -> dict | None:
    """The connector's health check, never raising: a crash is a problem to show."""
    try:
        connector = load_connector(current_app.extensions["fiscalhub.host"], conn)
    except ConnectorUnavailable as exc:
        return {"ok": False, "detail": exc.reason}
    if not type(connector).supports("health"):
        return None
    try:
        answer = connector.health(http_session(conn))
    except NotSupported:
        return None
    except Exception as exc:
        log.warning("connector %s health check failed", conn.connector, exc_info=True)
        return {"ok": False, "detail": f"the health check failed: {type(exc).__name__}: {exc}"}
    return {"ok": bool(answer.get("ok")), "detail": str(answer.get("detail", ""))}


@bp.route("/connections/<connection_id>/health", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=ConnectionHealthSchema, success=True,
                 description="The connection's health")
@bp.alt_response(404, schema=ErrorSchema, description="No such connection in this account")
def connection_health(connection_id: str):
    """Check a connection

    What needs a person, in words: rejected events, failed postings and postings that need
    attention, the connector unavailable, and the source system's own answer when the
    connector can ask it.
    """
    with ledger().session(readonly=True) as s:
        conn = connection_or_404(s, connection_id)
        rejected = s.scalar(select(func.count()).select_from(StoredEvent).where(
            StoredEvent.connection_id == conn.id, StoredEvent.state == EventState.REJECTED))
        postings = ledger_postings.count_by_state(s, Posting.connection_id == conn.id)
    source = source_health(conn)
    problems = []
    if source is not None and not source["ok"]:
        problems.append(f"the source system: {source['detail']}")
    if postings[PostingState.NEEDS_ATTENTION]:
        problems.append(f"{postings[PostingState.NEEDS_ATTENTION]} posting(s) may or may not "
                        "have arrived: check them on the source system and settle them")
    if postings[PostingState.FAILED]:
        problems.append(f"{postings[PostingState.FAILED]} posting(s) failed: fix the cause "
                        "and repeat them")
    if rejected:
        problems.append(f"{rejected} event(s) were rejected: fix the connection and replay "
                        "them")
    return {"ok": not problems, "problems": problems, "rejected_events": rejected,
            "postings": postings,
            "last_event_at": conn.last_event_at.isoformat() if conn.last_event_at else None,
            "source": source, "checked_at": utcnow().isoformat()}
