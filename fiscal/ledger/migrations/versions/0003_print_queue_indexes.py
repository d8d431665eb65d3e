"""Indexes for the print queue's filters (state, register, FD number), newest first.

Revision ID: 0003
Revises: 0002
"""
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_account_state_created", "jobs",
                    ["account_id", "state", "created_at", "id"])
    op.create_index("ix_jobs_account_register_created", "jobs",
                    ["account_id", "register_id", "created_at", "id"])
    op.create_index("ix_jobs_account_fd", "jobs", ["account_id", "fd_number"])


def downgrade() -> None:
    op.drop_index("ix_jobs_account_fd", table_name="jobs")
    op.drop_index("ix_jobs_account_register_created", table_name="jobs")
    op.drop_index("ix_jobs_account_state_created", table_name="jobs")
