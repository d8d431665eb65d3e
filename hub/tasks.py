"""RQ job functions. They take ledger ids only and never build the Flask app."""
from __future__ import annotations

from fiscal.ledger.db import Ledger, database_url
from fiscal.printing import PrintService
from hub.drivers import make_driver
from hub.plugins import default_host
from hub.postings import PostingService

_service: PrintService | None = None
_posting_service: PostingService | None = None
_worker_name: str | None = None


def configure(worker_name: str) -> None:
    global _worker_name, _service, _posting_service
    _worker_name, _service, _posting_service = worker_name, None, None


def service() -> PrintService:
    global _service
    if _service is None:
        # plugins observing job states are told of the worker's changes too
        ledger = Ledger(database_url(), observers=[default_host().job_changes_observer])
        _service = PrintService(ledger, make_driver, worker=_worker_name)
    return _service


def print_job(job_id: str) -> dict:
    outcome = service().run(job_id)
    return {"state": outcome.state, "detail": outcome.detail}


def posting_service() -> PostingService:
    global _posting_service
    if _posting_service is None:
        _posting_service = PostingService(Ledger(database_url()), default_host(),
                                          worker=_worker_name)
    return _posting_service


def send_posting(posting_id: str) -> dict:
    outcome = posting_service().run(posting_id)
    return {"state": outcome.state, "detail": outcome.detail}
