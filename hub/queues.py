"""RQ over Redis: one queue per register and one per connection (its postings), JSON
serializer, RQ job id = ledger job id (posting id).

Enqueueing the same job twice is harmless: the print service (the posting service) looks at
the ledger state first.
"""
from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.job import Job as RQJob
from rq.serializers import JSONSerializer

from fiscal.ledger.jobs import queue_name
from fiscal.ledger.postings import queue_name as posting_queue_name

PRINT_TASK = "hub.tasks.print_job"
POSTING_TASK = "hub.tasks.send_posting"
# A posting is one HTTP call, and maybe a second asking whether it arrived (each at most
# hub.connection_runtime.HTTP_TIMEOUT).
POSTING_TIMEOUT = 120
# Results are not needed (the ledger has them); keep Redis small.
RESULT_TTL = 3600
FAILURE_TTL = 7 * 24 * 3600


def connect(url: str) -> Redis:
    return Redis.from_url(url, socket_timeout=10, socket_connect_timeout=5,
                          health_check_interval=30)


def register_queue(redis: Redis, register_id: str, job_timeout: int = 180) -> Queue:
    return Queue(queue_name(register_id), connection=redis, serializer=JSONSerializer,
                 default_timeout=job_timeout)


def enqueue_print(redis: Redis, queue: str, job_id: str, job_timeout: int = 180,
                  at_front: bool = False) -> None:
    q = Queue(queue, connection=redis, serializer=JSONSerializer, default_timeout=job_timeout)
    q.enqueue_call(PRINT_TASK, args=(job_id,), job_id=job_id, result_ttl=RESULT_TTL,
                   failure_ttl=FAILURE_TTL, description=f"print {job_id}", at_front=at_front)


def posting_queue(redis: Redis, connection_id: str, job_timeout: int = POSTING_TIMEOUT) -> Queue:
    return Queue(posting_queue_name(connection_id), connection=redis, serializer=JSONSerializer,
                 default_timeout=job_timeout)


def enqueue_posting(redis: Redis, queue: str, posting_id: str,
                    job_timeout: int = POSTING_TIMEOUT, at_front: bool = False) -> None:
    q = Queue(queue, connection=redis, serializer=JSONSerializer, default_timeout=job_timeout)
    q.enqueue_call(POSTING_TASK, args=(posting_id,), job_id=posting_id, result_ttl=RESULT_TTL,
                   failure_ttl=FAILURE_TTL, description=f"posting {posting_id}",
                   at_front=at_front)


def rq_status(redis: Redis, job_id: str) -> tuple[str | None, str | None]:
    """(RQ status, worker name) of a job, or (None, None) when Redis does not know it."""
    try:
        job = RQJob.fetch(job_id, connection=redis, serializer=JSONSerializer)
    except Exception:
        return None, None
    status = job.get_status(refresh=False)
    return (status.value if status is not None else None), job.worker_name


def register_lock_key(register_id: str) -> str:
    return f"fiscalhub:register-worker:{register_id}"


def posting_lock_key(connection_id: str) -> str:
    return f"fiscalhub:posting-worker:{connection_id}"


def waiting_in_queue(redis: Redis, queue: str, rq_job_id: str) -> bool:
    """Whether an RQ job that says ``queued`` is still in its queue. A worker killed as it took
    the job leaves it ``queued`` in RQ's intermediate list, where nobody runs it until RQ's
    maintenance (minutes later): the sweeper enqueues it again (harmless: the ledger state
    decides what runs)."""
    return redis.lpos(f"rq:queue:{queue}", rq_job_id) is not None
