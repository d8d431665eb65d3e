"""Postings through the outbox relay and the sweeper (a real redis-server, real SQLite): the relay
hands posting rows to the connection's queue beside print jobs, an RQ worker runs them through
``hub.tasks.send_posting``, and the sweeper enqueues postings that are due again or whose worker
died."""
import json
import os
from datetime import timedelta

import pytest
import responses
from rq import SimpleWorker
from rq.job import Job as RQJob
from rq.job import JobStatus
from rq.serializers import JSONSerializer

from fiscal.ledger import connections
from fiscal.ledger.models import Connection, utcnow
from hub import tasks
from hub.postings import PostingService
from hub.queues import enqueue_posting, posting_lock_key, posting_queue, register_queue
from posting_helpers import CHARGES, LOOKUP, Clock, add_posting, folio_host, row, set_state
from receipts import receipt_job


@pytest.fixture
def run_postings(redis, ledger, monkeypatch):
    """Run a connection's posting queue to empty in this process, through hub.tasks, with a
    posting service whose plugin host has the test PMS connector."""
    def run(connection_id: str, clock=None) -> None:
        monkeypatch.setattr(tasks, "_posting_service",
                            PostingService(ledger, folio_host(), clock=clock, worker="test"))
        w = SimpleWorker([posting_queue(redis, connection_id)], connection=redis,
                         serializer=JSONSerializer, name=f"postings-test-{os.getpid()}")
        w.work(burst=True, logging_level="WARNING")
    return run


def queued_ids(redis, queue) -> list[str]:
    return queue.get_job_ids()


def started(redis, posting_id: str, worker: str) -> None:
    """Mark the posting's RQ job as taken up by ``worker``, as RQ does."""
    rq_job = RQJob.fetch(posting_id, connection=redis, serializer=JSONSerializer)
    rq_job.set_status(JobStatus.STARTED)
    rq_job.worker_name = worker
    rq_job.save()


def test_the_relay_dispatches_postings_to_their_connections_queue_beside_print_jobs(
        client, auth, register, relay, redis, ledger, conn, posting, run_worker, run_postings,
        pms):
    job = client.post("/api/v1/jobs", data=json.dumps(receipt_job(register["id"])),
                      headers=auth, content_type="application/json").json
    assert relay.dispatch() == 2
    assert relay.dispatch() == 0                          # each row once
    postings_q = posting_queue(redis, conn)
    assert postings_q.name == f"postings.{conn}"
    assert queued_ids(redis, postings_q) == [posting]
    rq_job = RQJob.fetch(posting, connection=redis, serializer=JSONSerializer)
    assert rq_job.func_name == "hub.tasks.send_posting" and rq_job.args == [posting]
    assert queued_ids(redis, register_queue(redis, register["id"])) == [job["id"]]
    # The print job went received → queued; the posting stays pending until it is sent.
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=auth).json["state"] == "queued"
    assert row(ledger, posting)["state"] == "pending"

    pms.post(CHARGES, status=201, json={"id": "TX-1"})
    run_postings(conn)
    assert row(ledger, posting)["state"] == "posted"
    assert rq_job.refresh() is None and rq_job.return_value() == {"state": "posted",
                                                                 "detail": "posted"}
    run_worker(register["id"])
    assert client.get(f"/api/v1/jobs/{job['id']}", headers=auth).json["state"] == "printed"


def test_a_posting_delivered_twice_by_redis_is_sent_once(relay, redis, conn, posting,
                                                         run_postings, pms, ledger):
    relay.dispatch()
    enqueue_posting(redis, f"postings.{conn}", posting)      # a duplicate delivery
    pms.post(CHARGES, status=201, json={"id": "TX-2"})
    run_postings(conn)
    assert row(ledger, posting)["state"] == "posted" and len(pms.calls) == 1


def test_the_sweeper_enqueues_a_pending_posting_once_its_backoff_has_run_out(
        relay, redis, ledger, account, conn, pms, run_postings):
    pms.post(CHARGES, status=503)
    due = add_posting(ledger, account["id"], conn, key="chk-due")
    relay.dispatch()
    run_postings(conn, clock=Clock(utcnow() - timedelta(hours=1)))   # tried an hour ago
    later = add_posting(ledger, account["id"], conn, key="chk-later")
    relay.dispatch()
    run_postings(conn)                                                # tried just now
    assert [row(ledger, p)["state"] for p in (due, later)] == ["pending", "pending"]
    assert relay.sweep()["postings_due"] == 1             # its next try was due 50 min ago
    assert queued_ids(redis, posting_queue(redis, conn)) == [due]
    assert relay.sweep()["postings_due"] == 0             # queued already: not twice
    pms.replace(responses.POST, CHARGES, status=201, json={"id": "TX-3"})
    run_postings(conn)
    assert row(ledger, due)["state"] == "posted" and row(ledger, due)["attempts"] == 2
    assert row(ledger, later)["state"] == "pending" and row(ledger, later)["attempts"] == 1


def test_the_sweeper_enqueues_a_pending_posting_redis_lost(relay, redis, ledger, conn,
                                                           posting):
    relay.dispatch()
    assert relay.sweep()["postings_due"] == 0             # waiting in its queue
    redis.flushall()                                      # a Redis restart without AOF
    assert relay.sweep()["postings_due"] == 1
    assert queued_ids(redis, posting_queue(redis, conn)) == [posting]


def test_the_sweeper_enqueues_a_posting_whose_worker_died_as_it_took_it(relay, redis, ledger,
                                                                        conn, posting):
    """RQ moves a job to an intermediate list before it marks it started: a worker killed in
    between leaves it 'queued' where nobody runs it."""
    relay.dispatch()
    queue = f"rq:queue:postings.{conn}"
    redis.lmove(queue, f"{queue}:intermediate", "LEFT", "RIGHT")
    assert relay.sweep()["postings_due"] == 1
    assert queued_ids(redis, posting_queue(redis, conn)) == [posting]
    assert relay.sweep()["postings_due"] == 0


def test_the_sweeper_enqueues_a_posting_left_sending_and_its_worker_settles_it(
        relay, redis, ledger, account, conn, posting, run_postings, pms):
    other = add_posting(ledger, account["id"], conn, key="chk-next")
    relay.dispatch()
    # Its worker took it from the queue, committed sending, and died.
    redis.lrem(f"rq:queue:postings.{conn}", 0, posting)
    started(redis, posting, "host.1.postings")
    set_state(ledger, posting, "pending", "sending", attempts=1)
    counts = relay.sweep()
    assert counts["postings_orphaned"] == 1
    # First in line: settled before the next posting goes out.
    assert queued_ids(redis, posting_queue(redis, conn)) == [posting, other]
    pms.get(LOOKUP, json={"charges": []})
    pms.post(CHARGES, status=201, json={"id": "TX-4"})
    run_postings(conn)
    assert row(ledger, posting)["state"] == "posted" and row(ledger, posting)["attempts"] == 2
    assert row(ledger, other)["state"] == "posted"
    assert [c.request.method for c in pms.calls] == ["GET", "POST", "POST"]


def test_the_sweeper_leaves_a_posting_its_live_worker_is_sending(relay, redis, ledger, conn,
                                                                posting):
    relay.dispatch()
    set_state(ledger, posting, "pending", "sending", attempts=1)
    started(redis, posting, "host.1.postings")
    redis.set(posting_lock_key(conn), "host.1.postings")
    assert relay.sweep()["postings_orphaned"] == 0
    redis.set(posting_lock_key(conn), "host.2.postings")   # the lock went to a new process
    assert relay.sweep()["postings_orphaned"] == 1


def test_the_postings_of_a_deleted_connection_are_not_swept(relay, redis, ledger, conn,
                                                            posting):
    with ledger.session() as s:
        connections.delete_connection(s, s.get(Connection, conn), actor="test")
    assert relay.sweep()["postings_due"] == 0
    assert queued_ids(redis, posting_queue(redis, conn)) == []
