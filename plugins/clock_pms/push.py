"""Clock's PUSH notifications: Amazon SNS envelopes posted to
``https://<hub>/hooks/<connection id>/push?secret=<push_secret>`` (research §2.1).

The envelope is JSON with ``Type`` (``SubscriptionConfirmation``, ``Notification``,
``UnsubscribeConfirmation``), ``MessageId``, ``Subject`` (Clock's event) and ``Message`` (a JSON
string with Clock's ids). The SNS signature is not checked (it needs the signing certificate
fetched from AWS); the ``secret`` in the URL authenticates the push.

- ``SubscriptionConfirmation``: the ``SubscribeURL`` is fetched (GET) only when it is https on a
  host ending ``.amazonaws.com`` (else 400, nothing fetched) → 200.
- ``Notification`` whose subject contains ``payment`` or ``credit_item`` (Clock does not name
  its payment subjects; ASSUMED): the credit item, its folio (with charges and credit items)
  and its booking are read from Clock and ONE event ``payment:<credit item id>`` is stored.
  ``folio_void`` (documented, carries ``closed``): event ``folio_void:<folio id>`` likewise.
  Any other subject → 200 ``{"ignored": subject}``.
- Reading Clock fails → 503 (SNS retries up to 3 times, 20 s apart) — except a refusal (4xx,
  e.g. a deleted booking or a missing grant), which will not heal: the event is stored with
  ``read_error`` and rejected for an operator. Stored → 200 with the
  outcomes, also when the event was rejected: it is kept for an operator to replay, and SNS
  must not redeliver it.

Ids in ``Message`` are ASSUMED: credit item ``credit_item_id``/``payment_id``/``id``; folio
``folio_id``; booking ``booking_id`` (else the folio's ``booking_id``, or its ``source_id``
when ``source_type`` is a booking).
"""
from __future__ import annotations

import json
from urllib.parse import urlsplit

from hub.connectors import SourceEvent, VerificationFailed

from .errors import ClockError, ClockRefused
from .guest_payments import first, rows

ENRICHED = ("credit_item", "folio", "booking", "charges", "credit_items")


def envelope(body: bytes) -> dict:
    """The SNS envelope, or ValueError naming what is wrong."""
    try:
        doc = json.loads(body or b"")
    except ValueError:
        raise ValueError("the body is not JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("Type"), str):
        raise ValueError("the body is not an Amazon SNS envelope (no Type)")
    return doc


def message(doc: dict) -> dict:
    raw = doc.get("Message")
    if isinstance(raw, dict):
        return raw
    try:
        parsed = json.loads(raw) if isinstance(raw, str) and raw.strip() else {}
    except ValueError:
        parsed = {}
    return parsed if isinstance(parsed, dict) else {}


def kind_of(subject: str) -> str | None:
    s = (subject or "").strip().lower()
    if s == "folio_void":
        return "folio_void"
    if "payment" in s or "credit_item" in s:
        return "payment"
    return None


def subscribe_url_ok(url) -> bool:
    try:
        parts = urlsplit(str(url or ""))
    except ValueError:
        return False
    host = (parts.hostname or "").lower()
    return parts.scheme == "https" and host.endswith(".amazonaws.com")


def _booking_id(msg: dict, folio) -> str | None:
    found = first(msg, "booking_id") or first(folio, "booking_id")
    if found is None and "booking" in str(first(folio, "source_type") or "").lower():
        found = first(folio, "source_id")
    return str(found) if found is not None else None


def enrich(client, subject: str, msg: dict, kind: str) -> SourceEvent:
    """Read what the translation needs from Clock (raises ClockError) — or, when the message
    lacks the ids, the bare event (translate rejects it, naming what is missing)."""
    folio_id = first(msg, "folio_id")
    credit_id = first(msg, "credit_item_id", "payment_id", "id") if kind == "payment" else None
    payload = {"subject": subject, "message": msg}
    if folio_id is None or (kind == "payment" and credit_id is None):
        ident = credit_id if kind == "payment" else folio_id
        return SourceEvent(f"{kind}:{ident if ident is not None else 'unknown'}", kind, payload)
    ident = credit_id if kind == "payment" else folio_id
    try:
        if kind == "payment":
            payload["credit_item"] = client.credit_item(folio_id, credit_id)
        payload["folio"] = client.folio(folio_id)
        payload["charges"] = rows(client.folio_charges(folio_id))
        payload["credit_items"] = rows(client.folio_credit_items(folio_id))
        booking_id = _booking_id(msg, payload["folio"])
        payload["booking"] = client.booking(booking_id) if booking_id else None
    except ClockRefused as exc:
        # A 4xx will not heal within SNS's three retries: keep the event (rejected, naming
        # the refusal) where an operator sees it, rather than lose the payment.
        payload = {"subject": subject, "message": msg, "read_error": str(exc)}
    return SourceEvent(f"{kind}:{ident}", kind, payload)


def event_from_enriched(subject: str, msg: dict) -> SourceEvent | None:
    """A notification whose Message already carries what :func:`enrich` reads."""
    kind = kind_of(subject)
    if kind is None:
        return None
    payload = {"subject": subject, "message": {k: v for k, v in msg.items() if k not in ENRICHED}}
    for key in ENRICHED:
        payload[key] = msg.get(key)
    payload["charges"] = payload["charges"] or []
    payload["credit_items"] = payload["credit_items"] or []
    if kind == "payment":
        ident = first(msg.get("credit_item"), "id", "credit_item_id")
    else:
        ident = first(msg, "folio_id") or first(msg.get("folio"), "id", "folio_id")
    return SourceEvent(f"{kind}:{ident}", kind, payload)


def parse(request) -> list[SourceEvent]:
    """For ``/hooks/<id>`` and the contract kit: an ENRICHED notification (Message carrying
    ``credit_item`` or, for ``folio_void``, ``folio``) becomes its event; a notification of
    another subject is nothing to do ([]); a plain notification, a subscription confirmation
    or a non-SNS body is refused (stored as unparsed for an operator): Clock's pushes belong
    on ``/hooks/<id>/push``, which reads the payment from Clock."""
    try:
        doc = envelope(request.body)
    except ValueError as exc:
        raise VerificationFailed(str(exc)) from None
    if doc["Type"] != "Notification":
        raise VerificationFailed(f"SNS {doc['Type']} must be sent to /hooks/<connection "
                                 "id>/push")
    subject, msg = str(doc.get("Subject") or ""), message(doc)
    if kind_of(subject) is None:
        return []
    if "credit_item" not in msg and "folio" not in msg:
        raise VerificationFailed(f"the {subject} notification carries only ids: send Clock's "
                                 "pushes to /hooks/<connection id>/push")
    return [event_from_enriched(subject, msg)]


def handle(request, context, client) -> tuple[int, dict]:
    """The ``/push`` route (after ``verify``)."""
    try:
        doc = envelope(request.body)
    except ValueError as exc:
        return 400, {"code": "malformed_request", "message": str(exc)}
    kind = doc["Type"]
    if kind == "SubscriptionConfirmation":
        url = doc.get("SubscribeURL")
        if not subscribe_url_ok(url):
            return 400, {"code": "bad_subscribe_url",
                         "message": "SubscribeURL must be https on a host ending .amazonaws.com"}
        try:
            answer = context.http.get(url, timeout=(5, 15))
        except Exception as exc:                                  # noqa: BLE001
            return 503, {"code": "subscribe_failed", "message": f"{type(exc).__name__}: {exc}"}
        if answer.status_code >= 300:
            return 503, {"code": "subscribe_failed",
                         "message": f"the SubscribeURL answered {answer.status_code}"}
        return 200, {"subscribed": True, "topic": doc.get("TopicArn")}
    if kind == "UnsubscribeConfirmation":
        return 200, {"unsubscribed": True}
    if kind != "Notification":
        return 400, {"code": "malformed_request", "message": f"unknown SNS Type {kind!r}"}
    subject, msg = str(doc.get("Subject") or ""), message(doc)
    what = kind_of(subject)
    if what is None:
        return 200, {"ignored": subject}
    try:
        event = (event_from_enriched(subject, msg) if "credit_item" in msg
                 else enrich(client, subject, msg, what))
    except ClockError as exc:
        return 503, {"code": "clock_unavailable",
                     "message": f"could not read the {subject} from Clock PMS+: {exc}"}
    outcomes = context.accept([event], request.to_json())
    out = {"events": [o.to_json() for o in outcomes]}
    rejected = [o for o in outcomes if o.state == "rejected"]
    if rejected:
        out["note"] = ("stored but rejected: " + "; ".join(o.reason or "" for o in rejected)
                       + " — kept for an operator to fix and replay")
    return 200, out
