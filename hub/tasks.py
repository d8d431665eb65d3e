"""RQ job functions. They take ledger ids only and never build the Flask app."""
from __future__ import annotations

from fiscal.ledger.db import Ledger, database_url
from fiscal.printing import PrintService
from hub.drivers import make_driver

_service: PrintService | None = None
_worker_name: str | None = None


def configure(worker_name: str) -> None:
    global _worker_name, _service
    _worker_name, _service = worker_name, None


def service() -> PrintService:
    global _service
    if _service is None:
        _service = PrintService(Ledger(database_url()), make_driver, worker=_worker_name)
    return _service


def print_job(job_id: str) -> dict:
    outcome = service().run(job_id)
    return {"state": outcome.state, "detail": outcome.detail}
