"""The plugin host's tables: connections, the source events they received, the postings owed
to source systems (with their history), and the scheduler's runs. Jobs learn the source event
they came from; the outbox carries postings too (its job_id becomes optional).

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa

from fiscal.ledger.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _at(name: str, nullable: bool = True) -> sa.Column:
    return sa.Column(name, UTCDateTime(timezone=True), nullable=nullable)


def upgrade() -> None:
    op.create_table(
        "connections",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("connector", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        sa.Column("register_id", sa.String(36), sa.ForeignKey("registers.id"), nullable=True),
        sa.Column("register_group_id", sa.String(36), sa.ForeignKey("register_groups.id"),
                  nullable=True),
        sa.Column("time_zone", sa.String(64), nullable=False),
        sa.Column("closing_time", sa.String(5), nullable=False),
        _at("created_at", False), _at("updated_at", False), _at("last_event_at"),
        _at("deleted_at"))
    op.create_index("ix_connections_account_id", "connections", ["account_id"])
    op.create_table(
        "source_events",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("connection_id", sa.String(36), sa.ForeignKey("connections.id"),
                  nullable=False),
        sa.Column("event_id", sa.String(200), nullable=False),
        sa.Column("type", sa.String(100), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("request", sa.JSON(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("errors", sa.JSON(), nullable=True),
        _at("received_at", False), _at("processed_at"),
        sa.Column("replays", sa.Integer(), nullable=False),
        sa.UniqueConstraint("connection_id", "event_id",
                            name="uq_source_events_connection_event"))
    op.create_index("ix_source_events_connection_received", "source_events",
                    ["connection_id", "received_at", "id"])
    op.create_table(
        "postings",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("connection_id", sa.String(36), sa.ForeignKey("connections.id"),
                  nullable=False),
        sa.Column("source_event_id", sa.String(36), sa.ForeignKey("source_events.id"),
                  nullable=True),
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("target", sa.String(200), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        _at("not_before"),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.JSON(), nullable=True),
        sa.Column("created_by", sa.String(200), nullable=False),
        _at("created_at", False), _at("updated_at", False),
        sa.UniqueConstraint("connection_id", "idempotency_key",
                            name="uq_postings_connection_key"))
    op.create_index("ix_postings_account_created", "postings",
                    ["account_id", "created_at", "id"])
    op.create_index("ix_postings_state", "postings", ["state"])
    op.create_index("ix_postings_source_event", "postings", ["source_event_id"])
    op.create_table(
        "posting_history",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("posting_id", sa.String(36), sa.ForeignKey("postings.id"), nullable=False),
        _at("at", False),
        sa.Column("from_state", sa.String(32), nullable=True),
        sa.Column("to_state", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("cause", sa.Text(), nullable=False),
        sa.Column("details", sa.JSON(), nullable=True))
    op.create_index("ix_posting_history_posting_id", "posting_history", ["posting_id"])
    op.create_table(
        "scheduled_runs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("period", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=True),
        sa.Column("connection_id", sa.String(36), nullable=True),
        _at("due_at", False), _at("started_at", False), _at("finished_at"),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.UniqueConstraint("name", "period", name="uq_scheduled_runs_name_period"))
    # the runs list pages an account's runs newest first by id
    op.create_index("ix_scheduled_runs_account_id", "scheduled_runs", ["account_id", "id"])
    op.add_column("jobs", sa.Column("source_event_id", sa.String(36), nullable=True))
    where = sa.text("source_event_id IS NOT NULL")
    op.create_index("ix_jobs_source_event", "jobs", ["source_event_id"], sqlite_where=where,
                    postgresql_where=where)
    with op.batch_alter_table("outbox") as batch:
        batch.alter_column("job_id", existing_type=sa.String(36), nullable=True)
        batch.add_column(sa.Column("posting_id", sa.String(36), nullable=True))


def downgrade() -> None:
    op.execute("DELETE FROM outbox WHERE job_id IS NULL")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("posting_id")
        batch.alter_column("job_id", existing_type=sa.String(36), nullable=False)
    op.drop_index("ix_jobs_source_event", table_name="jobs")
    # In place (SQLite 3.35+ and PostgreSQL): a batch rebuild of jobs would DROP the table,
    # which SQLite's foreign keys refuse while job history points at it (see 0002).
    op.drop_column("jobs", "source_event_id")
    for table in ("scheduled_runs", "posting_history", "postings", "source_events",
                  "connections"):
        op.drop_table(table)
