"""``/api/v1/scheduled-runs``: what the scheduler did for the account — each connection's end of
day, its polls, the shift guard's Z reports on the account's registers — one run per period,
newest first, with its result or the cause of its failure (docs/scheduler.md).

Pages are a keyset on the run's id, as in the audit log. Plugins' own periodic jobs belong to
no account and are listed by ``fiscalhub scheduler runs`` only.
"""
from __future__ import annotations

from flask import g
from marshmallow import RAISE, Schema, fields, validate

from fiscal.ledger import scheduled_runs as runs_ledger
from fiscal.ledger.models import ScheduledRun
from hub.api.auth import ledger, requires
from hub.api.errors import bad_cursor
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema, timestamp

bp = Blueprint("scheduled_runs", __name__, url_prefix="/api/v1",
               description="What the scheduler ran: end of day, polling, the shift guard")


class RunQuerySchema(Schema):
    """The page and the filters (query parameters); unknown parameters are refused."""

    class Meta:
        unknown = RAISE

    limit = fields.Integer(load_default=50, validate=validate.Range(1, runs_ledger.MAX_LIMIT),
                           metadata={"description": f"Runs per page (1 to "
                                                    f"{runs_ledger.MAX_LIMIT})"})
    cursor = fields.String(validate=validate.Length(max=40), metadata={
        "description": "The next_cursor of the previous page"})
    connection = fields.String(validate=validate.Length(1, 36), metadata={
        "description": "Only runs for this connection (its id): its end of day and polls"})
    name = fields.String(validate=validate.Length(1, 200), metadata={
        "example": "end_of_day",
        "description": "A run's name (end_of_day:<connection id>, poll:<connection id>, "
                       "shift_guard:<register id>), or just its kind (end_of_day, poll, "
                       "shift_guard) for every run of that kind"})
    state = fields.String(validate=validate.OneOf(runs_ledger.STATES), metadata={
        "description": "running, done or failed"})


class RunSchema(Schema):
    id = fields.Integer(required=True, metadata={"description": "Grows with every run"})
    name = fields.String(required=True, metadata={"example": "end_of_day:0c5e…"})
    kind = fields.String(required=True, metadata={
        "example": "end_of_day", "description": "end_of_day, poll or shift_guard"})
    period = fields.String(required=True, metadata={
        "example": "2026-11-21", "description": "The period it ran for: the business day "
                                                "(end of day), the slot's start (poll), the "
                                                "shift number (shift guard)"})
    connection_id = fields.String(required=True, allow_none=True)
    register_id = fields.String(required=True, allow_none=True, metadata={
        "description": "The register (shift guard runs)"})
    state = fields.String(required=True, metadata={"enum": list(runs_ledger.STATES)})
    attempts = fields.Integer(required=True, metadata={
        "description": "1, and one more for each retry or take-over"})
    due_at = timestamp("When the period fell due", required=True)
    started_at = timestamp("When its last attempt started", required=True)
    finished_at = timestamp("When its last attempt ended", required=True, allow_none=True)
    result = fields.Dict(required=True, allow_none=True, metadata={
        "description": "What it did: the end-of-day event with its jobs and postings and the "
                       "Z reports queued (or why not); the events a poll took in; the Z "
                       "report the shift guard queued"})
    error = fields.String(required=True, allow_none=True, metadata={
        "description": "Why its last attempt failed, in words"})


class RunPageSchema(Schema):
    """A page of runs, newest first."""

    items = fields.List(fields.Nested(RunSchema), required=True)
    next_cursor = fields.String(required=True, allow_none=True, metadata={
        "description": "Pass it as cursor for the next page (with the same filters); null on "
                       "the last page"})


def run_json(run: ScheduledRun) -> dict:
    kind, _, subject = run.name.partition(":")
    iso = (lambda at: at.isoformat() if at else None)
    return {"id": run.id, "name": run.name, "kind": kind, "period": run.period,
            "connection_id": run.connection_id,
            "register_id": subject if kind == "shift_guard" else None,
            "state": run.state, "attempts": run.attempts, "due_at": iso(run.due_at),
            "started_at": iso(run.started_at), "finished_at": iso(run.finished_at),
            "result": run.result, "error": run.error}


@bp.route("/scheduled-runs", methods=["GET"])
@requires(bp, "read")
@bp.arguments(RunQuerySchema(), location="query", unknown=RAISE)
@bp.alt_response(200, schema=RunPageSchema, success=True, description="A page of runs")
@bp.alt_response(422, schema=ErrorSchema, description="A parameter is not valid (errors "
                 "names it), or the cursor is not one this API gave out")
def list_scheduled_runs(args: dict):
    """List the scheduler's runs

    End of day, polling and the shift guard, newest first; filter by connection, name (or
    kind) and state; pass next_cursor as cursor (with the same filters) for the next page.
    """
    with ledger().session(readonly=True) as s:
        try:
            rows, next_cursor = runs_ledger.list_runs(
                s, account_id=g.account_id, connection_id=args.get("connection"),
                name=args.get("name"), state=args.get("state"), limit=args["limit"],
                cursor=args.get("cursor"))
        except runs_ledger.InvalidCursor:
            raise bad_cursor() from None
        return {"items": [run_json(r) for r in rows], "next_cursor": next_cursor}
