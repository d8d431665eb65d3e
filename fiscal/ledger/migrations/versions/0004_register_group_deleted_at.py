"""register_groups.deleted_at: a deleted group keeps its row, since jobs sent to it name it

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

import fiscal.ledger.models

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("register_groups", sa.Column(
        "deleted_at", fiscal.ledger.models.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("register_groups") as batch_op:
        batch_op.drop_column("deleted_at")
