"""Ledger tables. Money is ``Numeric(14, 2)``; JSON columns hold canonical (string-money) JSON.

Times are stored as UTC-aware datetimes.
"""
from __future__ import annotations

from datetime import datetime, timezone
from decimal import Decimal
from typing import Any

from sqlalchemy import (JSON, BigInteger, Boolean, DateTime, ForeignKey, Index, Integer,
                        Numeric, String, Text, UniqueConstraint, TypeDecorator, text)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every backend (SQLite drops the offset)."""
    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is not None and value.tzinfo is None:
            raise ValueError("naive datetime given to the ledger")
        return value.astimezone(timezone.utc) if value is not None else None

    def process_result_value(self, value, dialect):
        if value is not None and value.tzinfo is None:
            value = value.replace(tzinfo=timezone.utc)
        return value


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime(), dict[str, Any]: JSON,
                           Decimal: Numeric(14, 2)}


class Account(Base):
    __tablename__ = "accounts"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiKey(Base):
    __tablename__ = "api_keys"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    prefix: Mapped[str] = mapped_column(String(32), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class Register(Base):
    __tablename__ = "registers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    binding_id: Mapped[str] = mapped_column(String(32), unique=True)
    driver: Mapped[str] = mapped_column(String(64))
    url: Mapped[str] = mapped_column(String(500))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    serial_number: Mapped[str | None] = mapped_column(String(64))   # bound on first contact
    binding_conflict: Mapped[str | None] = mapped_column(Text)
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)     # live state, as last seen
    last_seen_at: Mapped[datetime | None]
    suspended: Mapped[bool] = mapped_column(Boolean, default=False)
    removed_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class RegisterGroup(Base):
    __tablename__ = "register_groups"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # A deleted group keeps its row: jobs sent to it still name it (fiscal.ledger.groups).
    deleted_at: Mapped[datetime | None]


class RegisterGroupMember(Base):
    __tablename__ = "register_group_members"
    group_id: Mapped[str] = mapped_column(ForeignKey("register_groups.id"), primary_key=True)
    register_id: Mapped[str] = mapped_column(ForeignKey("registers.id"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, default=0)


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("account_id", "idempotency_key", name="uq_jobs_account_idempotency"),
        Index("ix_jobs_account_created", "account_id", "created_at", "id"),
        # The print queue's common filters keep their newest-first order in the index.
        Index("ix_jobs_account_state_created", "account_id", "state", "created_at", "id"),
        Index("ix_jobs_account_register_created", "account_id", "register_id", "created_at",
              "id"),
        Index("ix_jobs_account_fd", "account_id", "fd_number"),
        # Partial: most jobs refund nothing (and, until connectors, come from no connection).
        # A full index's statistics would say "one value fits every row" and SQLite would
        # scan the table instead (bench/queue_list.py: a job's details at 100,000 jobs).
        Index("ix_jobs_refund_of", "refund_of", sqlite_where=text("refund_of IS NOT NULL"),
              postgresql_where=text("refund_of IS NOT NULL")),
        Index("ix_jobs_account_connection_created", "account_id", "connection_id",
              "created_at", "id", sqlite_where=text("connection_id IS NOT NULL"),
              postgresql_where=text("connection_id IS NOT NULL")),
        Index("ix_jobs_source_event", "source_event_id",
              sqlite_where=text("source_event_id IS NOT NULL"),
              postgresql_where=text("source_event_id IS NOT NULL")),
        Index("ix_jobs_state", "state"),
        Index("ix_jobs_register_state", "register_id", "state"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)   # also the RQ job id
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    request_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    operation: Mapped[str | None] = mapped_column(String(32))
    register_id: Mapped[str] = mapped_column(ForeignKey("registers.id"))
    register_group_id: Mapped[str | None] = mapped_column(ForeignKey("register_groups.id"))
    state: Mapped[str] = mapped_column(String(32))
    version: Mapped[int] = mapped_column(Integer, default=1)
    payload: Mapped[dict[str, Any]]                 # the canonical job, JSON form
    total: Mapped[Decimal | None]
    refund_of: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"))
    source: Mapped[dict[str, Any] | None]          # connection, plugin, event
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    retries: Mapped[int] = mapped_column(Integer, default=0)   # automatic re-tries so far
    result: Mapped[dict[str, Any] | None]
    error: Mapped[dict[str, Any] | None]
    fd_number: Mapped[int | None] = mapped_column(BigInteger)
    created_by: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    not_before: Mapped[datetime | None]             # automatic retry is due from then
    # The account's cashier the receipt was printed for (required when the register's
    # universal cashier is off; see fiscal.ledger.cashiers.check_cashier_for).
    cashier_id: Mapped[str | None] = mapped_column(ForeignKey("cashiers.id"))
    # The source connection and the stored source event the job was translated from;
    # indexed with the account for the print queue's connection filter. No foreign keys: a
    # job outlives nothing it names, and SQLite cannot add them to an existing table.
    connection_id: Mapped[str | None] = mapped_column(String(36))
    source_event_id: Mapped[str | None] = mapped_column(String(36))


class JobAttempt(Base):
    """One try at putting a job on its register. ``baseline`` is what the register reported just
    before the first byte of the document went out (the last FD number, the through document
    number, cash in the drawer): the reference point for reconciliation after a crash."""
    __tablename__ = "job_attempts"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    worker: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    baseline: Mapped[dict[str, Any]] = mapped_column(default=dict)
    outcome: Mapped[str | None] = mapped_column(String(32))
    details: Mapped[dict[str, Any] | None]


class StateChange:
    """The columns of a history row (jobs' and postings'): a state change with who or what
    made it and why."""
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    cause: Mapped[str] = mapped_column(Text)
    details: Mapped[dict[str, Any] | None]


class JobEvent(StateChange, Base):
    """The job's history: every state change with who or what made it and why."""
    __tablename__ = "job_history"
    # The activity chart reads the history by time (fiscal.ledger.job_activity).
    __table_args__ = (Index("ix_job_history_at", "at"),)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id"), index=True)


class Outbox(Base):
    """Work to hand to Redis, written in the same transaction as the job it concerns."""
    __tablename__ = "outbox"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    topic: Mapped[str] = mapped_column(String(32))          # "print" or "posting"
    job_id: Mapped[str | None] = mapped_column(ForeignKey("jobs.id"), index=True)
    posting_id: Mapped[str | None] = mapped_column(String(36))
    queue: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    dispatched_at: Mapped[datetime | None] = mapped_column(index=True)


class User(Base):
    """A person who logs in to the account's dashboard. ``login`` is stored lower-cased, so the
    unique constraint makes it unique across the hub regardless of case. Deleted users keep
    their row (and their login: the audit log names actors by login)."""
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    login: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str | None] = mapped_column(String(254))
    role: Mapped[str] = mapped_column(String(16))       # owner, admin, operator, viewer
    password_hash: Mapped[str] = mapped_column(String(256))
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    blocked_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_login_at: Mapped[datetime | None]
    language: Mapped[str] = mapped_column(String(8), default="en")


class UserSession(Base):
    """A dashboard login. Only a SHA-256 of the cookie's token is stored."""
    __tablename__ = "user_sessions"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow)
    ended_at: Mapped[datetime | None]
    end_reason: Mapped[str | None] = mapped_column(String(32))


class Cashier(Base):
    """A person named on receipts (FFD 1021 name, up to 64 characters; 1203 INN, 12 digits)."""
    __tablename__ = "cashiers"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    name: Mapped[str] = mapped_column(String(64))
    inn: Mapped[str | None] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]


class CashierRegister(Base):
    """The registers a cashier may use; a cashier with no rows here may use all of them."""
    __tablename__ = "cashier_registers"
    cashier_id: Mapped[str] = mapped_column(ForeignKey("cashiers.id"), primary_key=True)
    register_id: Mapped[str] = mapped_column(ForeignKey("registers.id"), primary_key=True)


class AuditEntry(Base):
    """Who did what in an account. ``actor`` is ``user:<login>``, ``api_key:<prefix>`` or
    ``cli``; ``details`` never holds a secret. Paged newest first by ``id``."""
    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_account_id_id", "account_id", "id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(64))
    target_type: Mapped[str] = mapped_column(String(32))
    target_id: Mapped[str | None] = mapped_column(String(64))
    details: Mapped[dict[str, Any] | None]


class Connection(Base):
    """A connector configured for an account: its settings (validated by the connector's
    schema; secrets included, never shown by the API), where its jobs print, and the time zone
    and closing time of its business day."""
    __tablename__ = "connections"
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"), index=True)
    connector: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(default=dict)
    register_id: Mapped[str | None] = mapped_column(ForeignKey("registers.id"))
    register_group_id: Mapped[str | None] = mapped_column(ForeignKey("register_groups.id"))
    time_zone: Mapped[str] = mapped_column(String(64))
    closing_time: Mapped[str] = mapped_column(String(5))        # "HH:MM", local
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_event_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]


class StoredEvent(Base):
    """One event of a source system as the hub received it: the raw request, the parsed event,
    and what became of it (``accepted`` with its jobs and postings, or ``rejected`` with the
    reason). ``event_id`` is the source's own, unique per connection: a redelivery finds it."""
    __tablename__ = "source_events"
    __table_args__ = (
        UniqueConstraint("connection_id", "event_id", name="uq_source_events_connection_event"),
        Index("ix_source_events_connection_received", "connection_id", "received_at", "id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id"))
    event_id: Mapped[str] = mapped_column(String(200))
    type: Mapped[str] = mapped_column(String(100))
    state: Mapped[str] = mapped_column(String(16))             # accepted, rejected
    request: Mapped[dict[str, Any] | None]       # method, path, headers, query, body
    payload: Mapped[dict[str, Any] | None]       # the parsed SourceEvent (JSON form)
    reason: Mapped[str | None] = mapped_column(Text)
    errors: Mapped[dict[str, Any] | None]
    received_at: Mapped[datetime] = mapped_column(default=utcnow)
    processed_at: Mapped[datetime | None]
    replays: Mapped[int] = mapped_column(Integer, default=0)


class Posting(Base):
    """Money the hub owes a source system (a room charge onto a folio, a tip, the day's
    revenue), sent by the connection's posting worker (hub.postings)."""
    __tablename__ = "postings"
    __table_args__ = (
        UniqueConstraint("connection_id", "idempotency_key", name="uq_postings_connection_key"),
        Index("ix_postings_account_created", "account_id", "created_at", "id"),
        Index("ix_postings_state", "state"),
        Index("ix_postings_source_event", "source_event_id"),
    )
    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id"))
    connection_id: Mapped[str] = mapped_column(ForeignKey("connections.id"))
    source_event_id: Mapped[str | None] = mapped_column(ForeignKey("source_events.id"))
    idempotency_key: Mapped[str] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(64))
    target: Mapped[str] = mapped_column(String(200))
    amount: Mapped[Decimal]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    not_before: Mapped[datetime | None]          # the next automatic try is due from then
    result: Mapped[dict[str, Any] | None]        # what the target answered (its reference)
    error: Mapped[dict[str, Any] | None]
    created_by: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)


class PostingEvent(StateChange, Base):
    """A posting's history: every state change with who or what made it and why."""
    __tablename__ = "posting_history"
    posting_id: Mapped[str] = mapped_column(ForeignKey("postings.id"), index=True)


class ScheduledRun(Base):
    """One run of a periodic job for one period (``end_of_day:<connection>`` for business day
    ``2026-11-21``). The unique key makes a period run once, whichever scheduler claims it."""
    __tablename__ = "scheduled_runs"
    __table_args__ = (UniqueConstraint("name", "period", name="uq_scheduled_runs_name_period"),
                      Index("ix_scheduled_runs_account_id", "account_id", "id"))
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(200))
    period: Mapped[str] = mapped_column(String(64))
    account_id: Mapped[str | None] = mapped_column(String(36))
    connection_id: Mapped[str | None] = mapped_column(String(36))
    due_at: Mapped[datetime]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    state: Mapped[str] = mapped_column(String(16))      # running, done, failed
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    result: Mapped[dict[str, Any] | None]
    error: Mapped[str | None] = mapped_column(Text)
