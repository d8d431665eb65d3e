"""The ledger: intake in one transaction, idempotency per account, compare-and-set."""
import threading

import pytest
from sqlalchemy import func, select

from fiscal.ledger import accounts, jobs
from fiscal.ledger.models import Job, JobEvent, Outbox
from fiscal.states import IllegalTransition, StaleState

JOB = {"kind": "x_report", "register": "r"}


def _create(ledger, account, register, key="k-1", job=JOB):
    with ledger.session() as s:
        row, created = jobs.create_job(s, account_id=account["id"], register_id=register["id"],
                                       job_json=job, kind=job["kind"], actor="test",
                                       idempotency_key=key)
        return row.id, created


def test_intake_writes_job_history_and_outbox_together(ledger, account, register):
    job_id, created = _create(ledger, account, register)
    assert created
    with ledger.session() as s:
        assert s.get(Job, job_id).state == "received"
        assert [e.to_state for e in jobs.history(s, job_id)] == ["received"]
        box = s.scalars(select(Outbox)).all()
        assert [(b.job_id, b.queue) for b in box] == [(job_id, f"register.{register['id']}")]


def test_same_key_returns_first_job_and_writes_nothing(ledger, account, register):
    first, _ = _create(ledger, account, register)
    again, created = _create(ledger, account, register)
    assert (again, created) == (first, False)
    with ledger.session() as s:
        assert s.scalar(select(func.count()).select_from(Job)) == 1
        assert s.scalar(select(func.count()).select_from(Outbox)) == 1


def test_same_key_with_other_content_is_a_conflict(ledger, account, register):
    _create(ledger, account, register)
    with pytest.raises(jobs.IdempotencyConflict):
        _create(ledger, account, register, job={"kind": "cut", "register": "r"})


def test_key_is_unique_per_account_not_globally(ledger, account, register):
    with ledger.session() as s:
        other = accounts.create_account(s, "KTV Zvezda").id
    _create(ledger, account, register)
    with ledger.session() as s:
        _, created = jobs.create_job(s, account_id=other, register_id=register["id"],
                                     job_json=JOB, kind="x_report", actor="t",
                                     idempotency_key="k-1")
    assert created


def test_concurrent_submissions_with_one_key_create_one_job(ledger, account, register):
    results = []

    def submit():
        results.append(_create(ledger, account, register, key="race"))
    threads = [threading.Thread(target=submit) for _ in range(8)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert len({r[0] for r in results}) == 1
    assert sum(1 for r in results if r[1]) == 1


def test_transition_is_compare_and_set(ledger, account, register):
    job_id, _ = _create(ledger, account, register)
    with ledger.session() as s:
        jobs.transition(s, job_id, "received", "queued", actor="relay", cause="queued")
    with pytest.raises(StaleState) as err, ledger.session() as s:
        jobs.transition(s, job_id, "received", "queued", actor="relay", cause="again")
    assert err.value.actual == "queued"
    with ledger.session() as s:
        events = jobs.history(s, job_id)
        assert [(e.from_state, e.to_state, e.actor) for e in events] == [
            (None, "received", "test"), ("received", "queued", "relay")]


def test_illegal_transition_is_an_error_not_an_overwrite(ledger, account, register):
    job_id, _ = _create(ledger, account, register)
    with pytest.raises(IllegalTransition), ledger.session() as s:
        jobs.transition(s, job_id, "received", "printed", actor="x", cause="skip ahead")
    with ledger.session() as s:
        assert s.get(Job, job_id).state == "received"
        assert s.scalar(select(func.count()).select_from(JobEvent)) == 1
