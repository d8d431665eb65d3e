"""``/hooks/<connection id>``: where source systems send their events, and the connector's own
synchronous routes under it (``/hooks/<connection id>/search`` …).

The URL names the connection; the connector authenticates the request (``verify``: a shared
secret, Basic, a key in the query, a signature) — no API key is involved. Answers:

* 202 ``{"events": [...]}`` — every event stored and accepted (a redelivery: the same answer,
  ``duplicate: true``, nothing created);
* 422 ``event_rejected`` — an event was stored but could not be translated (the reason, per
  event; an operator fixes the connection and replays it); 400 ``malformed_request`` — the
  connector could not parse the request (stored as a rejected ``unparsed`` event);
* 401 ``unauthorized`` — not authentic, nothing stored; 404 — no such connection;
  413 — a body over 1 MiB; 503 ``connector_unavailable`` — the connector is not installed or
  the connection's settings no longer load (the source system should deliver again later).
"""
from __future__ import annotations

import logging
from datetime import timezone

from flask import Blueprint, current_app, jsonify, request

from fiscal.ledger.connections import live_connection
from fiscal.model import EventState
from hub.api.errors import ApiError
from hub.connection_runtime import ConnectorUnavailable, load_connector
from hub.connectors import InboundRequest, SourceEvent, VerificationFailed
from hub.intake import Intake
from hub.route_context import RouteContext

log = logging.getLogger(__name__)
bp = Blueprint("hooks", __name__)
MAX_BODY = 1024 * 1024


def intake() -> Intake:
    return current_app.extensions["fiscalhub.intake"]


def inbound_request() -> InboundRequest:
    from fiscal.ledger.models import utcnow
    if request.content_length is not None and request.content_length > MAX_BODY:
        raise ApiError(413, "too_large", f"The body is over {MAX_BODY} bytes")
    body = request.get_data(cache=True)
    if len(body) > MAX_BODY:
        raise ApiError(413, "too_large", f"The body is over {MAX_BODY} bytes")
    return InboundRequest(method=request.method, path=request.path,
                          headers={k: v for k, v in request.headers.items()},
                          query={k: request.args[k] for k in request.args}, body=body,
                          received_at=utcnow().astimezone(timezone.utc))


def _connection_and_connector(connection_id: str):
    with intake().ledger.session(readonly=True) as s:
        conn = live_connection(s, connection_id) if "\x00" not in connection_id else None
    if conn is None:
        raise ApiError(404, "not_found", f"No connection {connection_id!r}")
    try:
        return conn, load_connector(intake().host, conn)
    except ConnectorUnavailable as exc:
        raise ApiError(503, "connector_unavailable", exc.reason, exc.errors or None,
                       headers={"Retry-After": "60"})


def _verified(connector, inbound: InboundRequest) -> None:
    try:
        connector.verify(inbound)
    except VerificationFailed as exc:
        raise ApiError(401, "unauthorized", f"The request is not authentic: {exc.reason}")
    except Exception as exc:
        log.exception("connector %s raised in verify", connector.name)
        raise ApiError(503, "connector_error", f"{connector.name} failed to verify the request: "
                                               f"{type(exc).__name__}",
                       headers={"Retry-After": "60"})


def _parsed(connector, inbound: InboundRequest) -> list[SourceEvent] | str:
    """The request's events, or the reason they could not be read."""
    try:
        events = connector.parse(inbound)
    except VerificationFailed as exc:
        return exc.reason
    except Exception as exc:
        log.warning("connector %s raised in parse", connector.name, exc_info=True)
        return f"{type(exc).__name__}: {exc}"
    if not isinstance(events, (list, tuple)) or not all(
            isinstance(e, SourceEvent) and isinstance(e.event_id, str) and e.event_id
            for e in events):
        return "parse did not return a list of SourceEvent with event IDs"
    return list(events)


def answer(outcomes) -> tuple:
    body = {"events": [o.to_json() for o in outcomes]}
    rejected = [o for o in outcomes if o.state == EventState.REJECTED]
    if not rejected:
        return jsonify(body), 202
    first = rejected[0]
    message = (f"Event {first.event_id} was stored but rejected: {first.reason}"
               if len(rejected) == 1 else
               f"{len(rejected)} of {len(outcomes)} events were stored but rejected; the "
               "first: " + (first.reason or ""))
    errors = {o.event_id: [o.reason or "rejected"] for o in rejected}
    return jsonify({"code": "event_rejected", "message": message, "errors": errors,
                    **body}), 422


@bp.route("/hooks/<connection_id>", methods=["POST", "PUT"])
def receive(connection_id: str):
    conn, connector = _connection_and_connector(connection_id)
    inbound = inbound_request()
    _verified(connector, inbound)
    events = _parsed(connector, inbound)
    if isinstance(events, str):
        outcome = intake().reject_unparsed(conn, inbound.to_json(), inbound.body, events)
        return jsonify({"code": "malformed_request",
                        "message": f"{connector.title or connector.name} could not read the "
                                   f"request: {outcome.reason}",
                        "events": [outcome.to_json()]}), 400
    return answer(intake().accept_events(conn, connector, events, inbound.to_json()))


@bp.route("/hooks/<connection_id>/<path:rule>", methods=["GET", "POST", "PUT", "DELETE"])
def connector_route(connection_id: str, rule: str):
    conn, connector = _connection_and_connector(connection_id)
    wanted = "/" + rule
    route = next((r for r in connector.routes() if r.rule == wanted), None)
    if route is None:
        raise ApiError(404, "not_found", f"{connector.name} has no route {wanted!r}")
    if request.method not in route.methods:
        raise ApiError(405, "method_not_allowed", f"{wanted} takes "
                                                  f"{', '.join(route.methods)}")
    inbound = inbound_request()
    _verified(connector, inbound)
    context = RouteContext(intake(), conn, connector)
    try:
        status, body = getattr(connector, route.view)(inbound, context)
    except ApiError:
        raise
    except Exception as exc:
        log.exception("connector %s failed in route %s", connector.name, wanted)
        raise ApiError(502, "connector_error", f"{connector.name} failed to answer {wanted}: "
                                               f"{type(exc).__name__}")
    finally:
        context.http.close()
    return jsonify(body), status
