"""jobs.refund_of indexed: every refund check and a sale's details look up its refunds

Revision ID: 0005
Revises: 0004
"""
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_jobs_refund_of", "jobs", ["refund_of"])


def downgrade() -> None:
    op.drop_index("ix_jobs_refund_of", table_name="jobs")
