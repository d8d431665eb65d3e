"""``GET /api/v1/jobs/activity``: documents printed and jobs failed, minute by minute, over the
last hours — the dashboard's chart, and a load graph for an integrator's monitoring."""
from __future__ import annotations

from flask import g
from marshmallow import RAISE, Schema, fields, validate

from fiscal.ledger import job_activity
from fiscal.ledger.models import utcnow
from hub.api.auth import ledger, requires
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema, timestamp

bp = Blueprint("job_activity", __name__, url_prefix="/api/v1",
               description="The print queue's activity over time")

MAX_HOURS = 24


class ActivityQuerySchema(Schema):
    class Meta:
        unknown = RAISE

    hours = fields.Integer(load_default=3, validate=validate.Range(1, MAX_HOURS), metadata={
        "description": f"How many hours back, to now (1 to {MAX_HOURS})"})


class MinuteSchema(Schema):
    minute = timestamp("The minute's start (UTC)", required=True)
    printed = fields.Integer(required=True, metadata={"description": "Documents printed"})
    failed = fields.Integer(required=True, metadata={
        "description": "Jobs that failed or came to need attention"})


class ActivitySchema(Schema):
    minutes = fields.List(fields.Nested(MinuteSchema), required=True, metadata={
        "description": "One entry per minute, oldest first; the last is the current minute"})
    printed = fields.Integer(required=True, metadata={"description": "In all the window"})
    failed = fields.Integer(required=True, metadata={"description": "In all the window"})


@bp.route("/jobs/activity", methods=["GET"])
@requires(bp, "read")
@bp.arguments(ActivityQuerySchema(), location="query", unknown=RAISE)
@bp.alt_response(200, schema=ActivitySchema, success=True, description="Per minute")
@bp.alt_response(422, schema=ErrorSchema, description="hours is not valid")
def job_activity_view(args: dict):
    """The print queue's activity

    Documents printed and jobs that failed (or came to need attention), per minute over the
    last hours, for every register of the account.
    """
    with ledger().session(readonly=True) as s:
        rows = job_activity.per_minute(s, g.account_id, utcnow(), args["hours"] * 60)
    return {"minutes": [{**r, "minute": r["minute"].isoformat()} for r in rows],
            "printed": sum(r["printed"] for r in rows),
            "failed": sum(r["failed"] for r in rows)}
