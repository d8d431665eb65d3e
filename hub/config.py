"""Settings from the environment (and the command line, which sets the environment).

``FISCALHUB_DATA_DIR`` (default ``./var``): SQLite, the embedded Redis, virtual registers.
``DATABASE_URL``: the ledger (default SQLite in the data directory).
``REDIS_URL``: the queues (``fiscalhub up`` starts an embedded Redis when it is unset).
``FISCALHUB_SESSION_IDLE_MINUTES`` (default 30): a dashboard session ends after this long idle.
``FISCALHUB_COOKIE_SECURE`` (``1`` behind HTTPS): the session cookie goes over HTTPS only.
``FISCALHUB_TRANSLATE_TIMEOUT`` (default 5 s): a connector's translate taking longer is
refused (its event kept as rejected).
``FISCALHUB_SCHEDULER_INTERVAL`` (default 15 s): how often ``fiscalhub scheduler`` looks for
due work (end of day, the shift guard, polling, plugins' periodic jobs).
``FISCALHUB_SHIFT_GUARD_MARGIN_MINUTES`` (default 30): the shift guard queues a Z report when a
register's shift has been open for 24 hours less this margin.
``FISCALHUB_SCHEDULER_RUN_TIMEOUT_MINUTES`` (default 10): a scheduled run still going after this
long is taken to have died with its scheduler, and runs again.
"""
from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from fiscal.ledger.db import database_url


@dataclass
class Settings:
    data_dir: Path = field(default_factory=lambda: Path(
        os.environ.get("FISCALHUB_DATA_DIR", "var")).resolve())
    database_url: str = ""
    redis_url: str = field(default_factory=lambda: os.environ.get("REDIS_URL", ""))
    # How long a print job may take on the register before RQ stops it (seconds).
    job_timeout: int = field(default_factory=lambda: int(os.environ.get(
        "FISCALHUB_JOB_TIMEOUT", "180")))
    sweep_interval: float = field(default_factory=lambda: float(os.environ.get(
        "FISCALHUB_SWEEP_INTERVAL", "5")))

    # How long a connector's translate may take before its event is kept as rejected.
    translate_timeout: float = field(default_factory=lambda: float(os.environ.get(
        "FISCALHUB_TRANSLATE_TIMEOUT", "5")))

    # The scheduler (docs/scheduler.md): how often it looks for due work (seconds), how long
    # before 24 hours the shift guard closes a shift, when a run is taken for dead (minutes).
    scheduler_interval: float = field(default_factory=lambda: float(os.environ.get(
        "FISCALHUB_SCHEDULER_INTERVAL", "15")))
    shift_guard_margin_minutes: float = field(default_factory=lambda: float(os.environ.get(
        "FISCALHUB_SHIFT_GUARD_MARGIN_MINUTES", "30")))
    scheduler_run_timeout_minutes: float = field(default_factory=lambda: float(os.environ.get(
        "FISCALHUB_SCHEDULER_RUN_TIMEOUT_MINUTES", "10")))

    # A dashboard session ends after this many minutes without a request.
    session_idle_minutes: float = field(default_factory=lambda: float(os.environ.get(
        "FISCALHUB_SESSION_IDLE_MINUTES", "30")))
    # Send the session cookie over HTTPS only (set it when the hub is behind TLS).
    cookie_secure: bool = field(default_factory=lambda: os.environ.get(
        "FISCALHUB_COOKIE_SECURE", "") in ("1", "true", "yes"))

    def __post_init__(self):
        self.data_dir = Path(self.data_dir).resolve()
        if not self.database_url:
            self.database_url = database_url(self.data_dir)

    def export(self) -> None:
        """Put the settings into the environment, for child processes."""
        os.environ["FISCALHUB_DATA_DIR"] = str(self.data_dir)
        os.environ["DATABASE_URL"] = self.database_url
        if self.redis_url:
            os.environ["REDIS_URL"] = self.redis_url
