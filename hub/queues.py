"""RQ over Redis: one queue per register, JSON serializer, RQ job id = ledger job id.

Enqueueing the same job twice is harmless: the print service looks at the ledger state first.
"""
from __future__ import annotations

from redis import Redis
from rq import Queue
from rq.job import Job as RQJob
from rq.serializers import JSONSerializer

from fiscal.ledger.jobs import queue_name

PRINT_TASK = "hub.tasks.print_job"
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
