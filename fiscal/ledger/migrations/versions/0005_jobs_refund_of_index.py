"""Partial indexes on jobs: refund_of (every refund check and a sale's details look up its
refunds) and (account, connection, created, id) for the print queue's connection filter.

Partial (``… IS NOT NULL``) because most jobs refund nothing and, until connectors, come from
no connection: a full index's statistics say one value fits every row, and SQLite then scans
the table instead of using it.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _partial(column: str) -> dict:
    where = sa.text(f"{column} IS NOT NULL")
    return {"sqlite_where": where, "postgresql_where": where}


def upgrade() -> None:
    op.create_index("ix_jobs_refund_of", "jobs", ["refund_of"], **_partial("refund_of"))
    op.drop_index("ix_jobs_connection_id", table_name="jobs")
    op.create_index("ix_jobs_account_connection_created", "jobs",
                    ["account_id", "connection_id", "created_at", "id"],
                    **_partial("connection_id"))


def downgrade() -> None:
    op.drop_index("ix_jobs_account_connection_created", table_name="jobs")
    op.create_index("ix_jobs_connection_id", "jobs", ["connection_id"])
    op.drop_index("ix_jobs_refund_of", table_name="jobs")
