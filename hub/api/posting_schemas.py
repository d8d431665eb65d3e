"""Requests and answers of ``/api/v1/postings`` (:mod:`hub.api.postings`), and how a posting
looks in the API. Request schemas refuse unknown fields; money is written as a string."""
from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from marshmallow import Schema, fields, validate

from fiscal.ledger import keyset
from fiscal.ledger.models import Posting, PostingEvent
from fiscal.model import PostingState
from hub.api.errors import bad_cursor
from hub.api.schemas import JobEventSchema, StrictBoolean, money, timestamp

MAX_PAGE = 200
CENTS = Decimal("0.01")
STATES = [s.value for s in PostingState]


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


def posting_json(p: Posting, history: list[PostingEvent] | None = None) -> dict:
    out = {"id": p.id, "state": p.state, "kind": p.kind, "target": p.target,
           "amount": str(Decimal(p.amount).quantize(CENTS)), "payload": p.payload or {},
           "connection": p.connection_id, "source_event": p.source_event_id,
           "idempotency_key": p.idempotency_key, "attempts": p.attempts,
           "not_before": _iso(p.not_before), "result": p.result, "error": p.error,
           "created_by": p.created_by, "created_at": _iso(p.created_at),
           "updated_at": _iso(p.updated_at)}
    if history is not None:
        out["history"] = [{"at": _iso(e.at), "from": e.from_state, "to": e.to_state,
                           "by": e.actor, "cause": e.cause, "details": e.details}
                          for e in history]
    return out


def encode_cursor(p: Posting) -> str:
    return keyset.encode_cursor(p.created_at, p.id)


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        return keyset.decode_cursor(cursor)
    except keyset.InvalidCursor:
        raise bad_cursor() from None


def _several(what: str) -> str:
    return (f"Only postings of these {what}s: repeat the parameter or separate values by "
            f"commas ({what}=a,b)")


def _reason(description: str, **kwargs) -> fields.String:
    return fields.String(validate=validate.Length(
        min=1, max=500, error="The reason must be 1 to 500 characters"),
        metadata={"description": description}, **kwargs)


# requests ------------------------------------------------------------------------------------
class PostingFilterArgs(Schema):
    """The filters the list and the counts both take (query parameters)."""

    connection = fields.String(validate=validate.Length(max=128), metadata={
        "description": "Only postings of this connection"})
    kind = fields.List(fields.String(validate=validate.Length(min=1, max=64)), metadata={
        "description": _several("kind") + "; kinds are the connector's (room_charge, tip, "
                                          "void, end_of_day, …)"})


class PostingListArgs(PostingFilterArgs):
    state = fields.List(fields.String(validate=validate.OneOf(STATES)),
                        metadata={"description": _several("state")})
    limit = fields.Integer(load_default=50, validate=validate.Range(1, MAX_PAGE),
                           metadata={"description": "Postings per page"})
    cursor = fields.String(metadata={"description": "The next_cursor of the previous page"})


class RepeatPostingSchema(Schema):
    """Send a failed or needs-attention posting again."""

    not_posted = StrictBoolean(metadata={
        "description": "Required (true) for a needs_attention posting: the operator states "
                       "that it is not on the target (look at the folio or the day's revenue "
                       "first), so sending it again cannot post it twice"})
    reason = _reason("Why, for the posting's history (optional)")


class CancelPostingSchema(Schema):
    """Give up on a posting: it will not be sent."""

    reason = _reason("Why (goes into its history and the audit log), e.g. \"posted by hand "
                     "on folio 1204\"", required=True)


class MarkPostedSchema(Schema):
    """Settle a needs-attention posting the operator found on the target."""

    reference = fields.String(validate=validate.Length(min=1, max=200), metadata={
        "description": "What the target calls it (the folio line or transaction number), "
                       "kept in its result"})
    reason = _reason("A note for its history (optional)")


# answers -------------------------------------------------------------------------------------
class PostingSchema(Schema):
    """A posting: money a connection owes its source system (a room charge onto a folio, a
    tip, a void, the day's revenue), and where it stands."""

    id = fields.String(required=True, metadata={"format": "uuid"})
    state = fields.String(required=True, validate=validate.OneOf(STATES))
    kind = fields.String(required=True, metadata={"example": "room_charge"})
    target = fields.String(required=True, metadata={
        "description": "Where it goes on the target (a folio, a room, an account)",
        "example": "folio-1204"})
    amount = money("The money posted", required=True)
    payload = fields.Dict(required=True, metadata={"description": "The connector's details"})
    connection = fields.String(required=True, metadata={"description": "Its connection"})
    source_event = fields.String(required=True, allow_none=True, metadata={
        "description": "The stored source event it was translated from"})
    idempotency_key = fields.String(required=True, metadata={
        "description": "Unique per connection: the source's own key for it"})
    attempts = fields.Integer(required=True, metadata={
        "description": "Tries since it was created or last repeated"})
    not_before = timestamp("A pending posting: when the next try is due", required=True,
                           allow_none=True)
    result = fields.Dict(required=True, allow_none=True, metadata={
        "description": "What the target answered (its reference), or how it was confirmed"})
    error = fields.Dict(required=True, allow_none=True, metadata={
        "description": "The last failure: code, message, retryable, action (what to do)"})
    created_by = fields.String(required=True)
    created_at = timestamp("When it was created", required=True)
    updated_at = timestamp("When its state last changed", required=True)


class PostingEventSchema(JobEventSchema):
    """A change of a posting's state: when, from and to what, who or what made it, and why."""


class PostingDetailsSchema(PostingSchema):
    """A posting with its history."""

    history = fields.List(fields.Nested(PostingEventSchema), required=True)


class PostingPageSchema(Schema):
    """A page of postings, newest first."""

    items = fields.List(fields.Nested(PostingSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass it as cursor for the next page; null on the last page"})


PostingStateCountsSchema = Schema.from_dict(
    {state: fields.Integer(required=True) for state in STATES}, name="PostingStateCounts")


class PostingCountsSchema(Schema):
    by_state = fields.Nested(PostingStateCountsSchema, required=True, metadata={
        "description": "Every state, 0 included"})
    total = fields.Integer(required=True)
