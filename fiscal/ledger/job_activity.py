"""How busy an account's registers were, minute by minute: documents printed and jobs that
failed (or came to need attention), from the jobs' history. The dashboard's chart and
``GET /api/v1/jobs/activity`` read it; ``ix_job_history_at`` keeps it to the window asked."""
from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from fiscal.ledger.models import Job, JobEvent

PROBLEMS = ("failed", "needs_attention")


def minute_of(at: datetime) -> datetime:
    return at.replace(second=0, microsecond=0)


def per_minute(session: Session, account_id: str, until: datetime,
               minutes: int) -> list[dict]:
    """``minutes`` rows, oldest first, the last one being ``until``'s minute: ``minute``
    (its start), ``printed``, ``failed`` (into failed or needs_attention)."""
    last = minute_of(until)
    first = last - timedelta(minutes=minutes - 1)
    rows = {first + timedelta(minutes=i): {"printed": 0, "failed": 0} for i in range(minutes)}
    q = (select(JobEvent.at, JobEvent.to_state)
         .join(Job, Job.id == JobEvent.job_id)
         .where(JobEvent.at >= first, JobEvent.at < last + timedelta(minutes=1),
                Job.account_id == account_id,
                JobEvent.to_state.in_(("printed",) + PROBLEMS)))
    for at, state in session.execute(q):
        bucket = rows.get(minute_of(at))
        if bucket is not None:
            bucket["printed" if state == "printed" else "failed"] += 1
    return [{"minute": m, **counts} for m, counts in rows.items()]
