"""An index on job_history.at: the dashboard's activity chart (documents printed per minute over
the last hours) reads the history by time.

Revision ID: 0007
Revises: 0006
"""
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_job_history_at", "job_history", ["at"])


def downgrade() -> None:
    op.drop_index("ix_job_history_at", table_name="job_history")
