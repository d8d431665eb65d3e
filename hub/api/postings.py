"""``/api/v1/postings``: the postings the account's connections owe their source systems (room
charges onto folios, tips, voids, the day's revenue) — listed, counted, read with their
history, and the operator's three ways to settle one: repeat it, cancel it, mark it posted.

Each action is one ledger transaction with its audit entry, and every state change is a
compare-and-set: a posting the worker (or another operator) moved meanwhile is answered 409
with the state it is in now, and nothing changes.
"""
from __future__ import annotations

from flask import g
from marshmallow import RAISE

from fiscal.ledger import audit
from fiscal.ledger import postings as ledger_postings
from fiscal.ledger.models import Connection, Posting
from fiscal.ledger.tenancy import owned
from fiscal.model import PostingState as P
from fiscal.states import IllegalTransition, StaleState
from hub.api.auth import ledger, requires
from hub.api.errors import ApiError, invalid
from hub.api.parsing import OptionalBodyBlueprint
from hub.api.posting_schemas import (CancelPostingSchema, MarkPostedSchema, PostingCountsSchema,
                                     PostingDetailsSchema, PostingFilterArgs, PostingListArgs,
                                     PostingPageSchema, RepeatPostingSchema, decode_cursor,
                                     encode_cursor, posting_json)
from hub.api.schemas import ErrorSchema

bp = OptionalBodyBlueprint("postings", __name__, url_prefix="/api/v1",
                           description="Postings to source systems (room charges, tips, "
                                       "revenue)")

MALFORMED = "The body is not JSON, or not a JSON object"
NOT_FOUND = "No such posting in this account"
CANCELLABLE = (P.PENDING, P.FAILED, P.NEEDS_ATTENTION)
WHY = {P.POSTED: "it is on the target already",
       P.CANCELLED: "it was cancelled",
       P.SENDING: "the connection's worker is sending it now",
       P.PENDING: "it is waiting to be sent (or for its next try)",
       P.FAILED: "the target refused it or the tries ran out: repeat or cancel it",
       P.NEEDS_ATTENTION: "it may be on the target: look, then mark it posted, repeat it "
                          "with not_posted, or cancel it"}


def owned_posting(s, account_id: str, posting_id: str) -> Posting:
    """The account's posting; 404 for a missing one and for another account's alike."""
    row = owned(s, Posting, account_id, posting_id) if "\x00" not in posting_id else None
    if row is None:
        raise ApiError(404, "not_found", f"No posting {posting_id!r} in this account")
    return row


def details(s, posting_id: str) -> dict:
    return posting_json(s.get(Posting, posting_id), ledger_postings.history(s, posting_id))


def _refused(code: str, posting: Posting, what: str) -> ApiError:
    return ApiError(409, code, f"Posting {posting.id} is {posting.state}: {what} "
                    f"({WHY[P(posting.state)]})")


def _changed(code: str, posting_id: str, exc: StaleState | IllegalTransition) -> ApiError:
    now = getattr(exc, "actual", None) or getattr(exc, "current", None)
    return ApiError(409, code, f"Posting {posting_id} changed meanwhile: it is {now} now; "
                    "nothing was changed")


def _note(reason: str | None) -> str:
    return f": {reason}" if reason else ""


@bp.route("/postings", methods=["GET"])
@requires(bp, "read")
@bp.arguments(PostingListArgs(), location="query", unknown=RAISE)
@bp.alt_response(200, schema=PostingPageSchema, success=True, description="A page of postings")
@bp.alt_response(422, schema=ErrorSchema, description="A filter is not valid (errors names it)")
def list_postings(args: dict):
    """List postings

    Newest first, filtered by connection, state and kind; pass next_cursor as cursor for the
    next page.
    """
    after = decode_cursor(args["cursor"]) if "cursor" in args else None
    with ledger().session(readonly=True) as s:
        rows, more = ledger_postings.page(
            s, g.account_id, limit=args["limit"], after=after,
            connection_id=args.get("connection"), states=args.get("state"),
            kinds=args.get("kind"))
        return {"items": [posting_json(r) for r in rows],
                "next_cursor": encode_cursor(rows[-1]) if more else None}


@bp.route("/postings/counts", methods=["GET"])
@requires(bp, "read")
@bp.arguments(PostingFilterArgs(), location="query", unknown=RAISE)
@bp.alt_response(200, schema=PostingCountsSchema, success=True, description="The counts")
@bp.alt_response(422, schema=ErrorSchema, description="A filter is not valid (errors names it)")
def count_postings(args: dict):
    """Count postings per state

    How many postings (of a connection, of some kinds) are in each state — every state, 0
    included — and in all: failed and needs_attention are the ones waiting for an operator.
    """
    where = [Posting.account_id == g.account_id]
    if "connection" in args:
        where.append(Posting.connection_id == args["connection"])
    if args.get("kind"):
        where.append(Posting.kind.in_(args["kind"]))
    with ledger().session(readonly=True) as s:
        by_state = ledger_postings.count_by_state(s, *where)
    return {"by_state": by_state, "total": sum(by_state.values())}


@bp.route("/postings/<posting_id>", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=PostingDetailsSchema, success=True,
                 description="The posting with its history")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def get_posting(posting_id: str):
    """Read a posting

    The posting — kind, target, amount, state, tries, when the next try is due, what the
    target answered or why it failed — and its history: every state change, who or what made
    it and why.
    """
    with ledger().session(readonly=True) as s:
        return details(s, owned_posting(s, g.account_id, posting_id).id)


@bp.route("/postings/<posting_id>/repeat", methods=["POST"])
@requires(bp, "jobs.act")
@bp.arguments(RepeatPostingSchema(), required=False, description="Optional: the reason; for a "
              "needs_attention posting, the statement that it is not on the target")
@bp.alt_response(200, schema=PostingDetailsSchema, success=True,
                 description="The posting, pending again (its history shows the repeat)")
@bp.alt_response(400, schema=ErrorSchema, description=MALFORMED)
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description="not_repeatable: the posting is not "
                 "failed or needs_attention; connection_deleted: its connection was deleted, "
                 "nothing would send it")
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid, or not_posted is "
                 "missing for a needs_attention posting")
def repeat_posting(body: dict, posting_id: str):
    """Send a posting again

    A failed posting (the target refused it, or the tries ran out) goes back to pending under
    the same idempotency key, its tries counted afresh; the connection's worker sends it. A
    needs_attention posting may already be on the target: send not_posted: true — the
    operator's statement, kept in its history — once you have looked and it is not there.
    """
    reason = body.get("reason")
    with ledger().session() as s:
        posting = owned_posting(s, g.account_id, posting_id)
        if posting.state not in (P.FAILED, P.NEEDS_ATTENTION):
            raise _refused("not_repeatable", posting, "only a failed or needs_attention "
                           "posting can be sent again")
        conn = s.get(Connection, posting.connection_id)
        if conn.deleted_at is not None:
            raise ApiError(409, "connection_deleted", f"Connection {conn.id} was deleted: "
                           "nothing would send this posting; post it by hand and cancel it")
        if posting.state == P.NEEDS_ATTENTION and body.get("not_posted") is not True:
            raise invalid({"not_posted": [
                f"Posting {posting.id} needs attention: it may be on the target already. Look "
                f"for it there ({posting.target}); if it is not there, send not_posted: true"]})
        from_state = posting.state
        try:
            ledger_postings.send_again(s, posting, actor=g.actor,
                                       cause=f"repeated by {g.actor}{_note(reason)}",
                                       details={"previous_error": posting.error}
                                       if posting.error else None)
        except (StaleState, IllegalTransition) as exc:
            raise _changed("not_repeatable", posting_id, exc)
        audit.record(s, g.account_id, g.actor, "posting.repeat", "posting", posting_id,
                     {"from": from_state, "reason": reason})
        return details(s, posting_id)


@bp.route("/postings/<posting_id>/cancel", methods=["POST"])
@requires(bp, "jobs.act")
@bp.arguments(CancelPostingSchema(), description="The reason")
@bp.alt_response(200, schema=PostingDetailsSchema, success=True,
                 description="The posting, cancelled")
@bp.alt_response(400, schema=ErrorSchema, description=MALFORMED)
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description="not_cancellable: the posting is posted, "
                 "cancelled or being sent")
@bp.alt_response(422, schema=ErrorSchema, description="The reason is missing, or a field is "
                 "not valid (errors names it)")
def cancel_posting(body: dict, posting_id: str):
    """Cancel a posting

    A pending, failed or needs_attention posting will not be sent (e.g. it was posted by hand,
    or the guest settled it otherwise). The reason goes into its history and the audit log.
    A posting the worker is sending cannot be cancelled.
    """
    reason = body["reason"]
    with ledger().session() as s:
        posting = owned_posting(s, g.account_id, posting_id)
        if posting.state not in CANCELLABLE:
            raise _refused("not_cancellable", posting, "only a pending, failed or "
                           "needs_attention posting can be cancelled")
        from_state = posting.state
        try:
            ledger_postings.cancel(s, posting, actor=g.actor,
                                   cause=f"cancelled by {g.actor}: {reason}")
        except (StaleState, IllegalTransition) as exc:
            raise _changed("not_cancellable", posting_id, exc)
        audit.record(s, g.account_id, g.actor, "posting.cancel", "posting", posting_id,
                     {"from": from_state, "reason": reason, "kind": posting.kind,
                      "amount": str(posting.amount)})
        return details(s, posting_id)


@bp.route("/postings/<posting_id>/mark-posted", methods=["POST"])
@requires(bp, "jobs.act")
@bp.arguments(MarkPostedSchema(), required=False, description="Optional: the target's "
              "reference and a note")
@bp.alt_response(200, schema=PostingDetailsSchema, success=True,
                 description="The posting, posted")
@bp.alt_response(400, schema=ErrorSchema, description=MALFORMED)
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description="not_needs_attention: only a "
                 "needs_attention posting can be marked posted")
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid (errors names it)")
def mark_posted(body: dict, posting_id: str):
    """Mark a posting as posted

    For a needs_attention posting the operator found on the target (on the folio, in the
    day's revenue): it is settled as posted, with the target's reference if given, and is
    never sent again.
    """
    reference, reason = body.get("reference"), body.get("reason")
    with ledger().session() as s:
        posting = owned_posting(s, g.account_id, posting_id)
        if posting.state != P.NEEDS_ATTENTION:
            raise _refused("not_needs_attention", posting, "only a needs_attention posting "
                           "can be marked posted")
        ref = f" as {reference}" if reference else ""
        try:
            ledger_postings.mark_posted(
                s, posting, actor=g.actor,
                cause=f"found on the target{ref} by {g.actor}{_note(reason)}",
                result={"marked_posted_by": g.actor, "reference": reference})
        except (StaleState, IllegalTransition) as exc:
            raise _changed("not_needs_attention", posting_id, exc)
        audit.record(s, g.account_id, g.actor, "posting.mark_posted", "posting", posting_id,
                     {"reference": reference, "reason": reason})
        return details(s, posting_id)
