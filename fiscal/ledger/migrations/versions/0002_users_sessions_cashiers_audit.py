"""users, sessions, cashiers, the audit log; jobs.cashier_id and jobs.connection_id

The two job columns are added in place. Alembic's batch mode would rebuild ``jobs`` on SQLite
(copy, DROP TABLE, rename) to add the foreign key, and with ``foreign_keys=ON`` (fiscal.ledger.db)
the DROP fails on any ledger that holds a job with history: a plain ``ADD COLUMN ... REFERENCES``
is valid on SQLite and PostgreSQL and touches no row.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 07:57:37.075767
"""
from alembic import op
import sqlalchemy as sa
import fiscal.ledger.models


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('audit_log',
    sa.Column('id', sa.Integer(), autoincrement=True, nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('at', fiscal.ledger.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('actor', sa.String(length=200), nullable=False),
    sa.Column('action', sa.String(length=64), nullable=False),
    sa.Column('target_type', sa.String(length=32), nullable=False),
    sa.Column('target_id', sa.String(length=64), nullable=True),
    sa.Column('details', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.create_index('ix_audit_log_account_id_id', ['account_id', 'id'], unique=False)

    op.create_table('cashiers',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('name', sa.String(length=64), nullable=False),
    sa.Column('inn', sa.String(length=12), nullable=True),
    sa.Column('created_at', fiscal.ledger.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('deleted_at', fiscal.ledger.models.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('cashiers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_cashiers_account_id'), ['account_id'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('account_id', sa.String(length=36), nullable=False),
    sa.Column('login', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=True),
    sa.Column('role', sa.String(length=16), nullable=False),
    sa.Column('password_hash', sa.String(length=256), nullable=False),
    sa.Column('must_change_password', sa.Boolean(), nullable=False),
    sa.Column('blocked_at', fiscal.ledger.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('deleted_at', fiscal.ledger.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('created_at', fiscal.ledger.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', fiscal.ledger.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['accounts.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('login')
    )
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_users_account_id'), ['account_id'], unique=False)

    op.create_table('cashier_registers',
    sa.Column('cashier_id', sa.String(length=36), nullable=False),
    sa.Column('register_id', sa.String(length=36), nullable=False),
    sa.ForeignKeyConstraint(['cashier_id'], ['cashiers.id'], ),
    sa.ForeignKeyConstraint(['register_id'], ['registers.id'], ),
    sa.PrimaryKeyConstraint('cashier_id', 'register_id')
    )
    op.create_table('user_sessions',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('user_id', sa.String(length=36), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', fiscal.ledger.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', fiscal.ledger.models.UTCDateTime(timezone=True), nullable=False),
    sa.Column('ended_at', fiscal.ledger.models.UTCDateTime(timezone=True), nullable=True),
    sa.Column('end_reason', sa.String(length=32), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('token_hash')
    )
    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_user_sessions_user_id'), ['user_id'], unique=False)

    # In place, not in batch mode: see the docstring.
    op.execute("ALTER TABLE jobs ADD COLUMN cashier_id VARCHAR(36) REFERENCES cashiers (id)")
    op.add_column('jobs', sa.Column('connection_id', sa.String(length=36), nullable=True))
    op.create_index('ix_jobs_connection_id', 'jobs', ['connection_id'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_jobs_connection_id', table_name='jobs')
    if op.get_bind().dialect.name == "sqlite":
        _drop_job_columns_on_sqlite()
    else:
        op.drop_column('jobs', 'connection_id')
        op.drop_column('jobs', 'cashier_id')

    with op.batch_alter_table('user_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_user_sessions_user_id'))

    op.drop_table('user_sessions')
    op.drop_table('cashier_registers')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_users_account_id'))

    op.drop_table('users')
    with op.batch_alter_table('cashiers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_cashiers_account_id'))

    op.drop_table('cashiers')
    with op.batch_alter_table('audit_log', schema=None) as batch_op:
        batch_op.drop_index('ix_audit_log_account_id_id')

    op.drop_table('audit_log')


def _drop_job_columns_on_sqlite() -> None:
    """SQLite drops a column that has a foreign key only by rebuilding the table, and the
    rebuild's DROP TABLE trips the foreign keys of job_history, job_attempts and outbox
    (foreign_keys=ON; the pragma cannot be turned off inside the migration's transaction).
    With the checks deferred to commit, the rows are moved out, the emptied table rebuilt, and
    the rows put back: re-inserting the parents settles the violations their removal counted
    (renaming a rebuilt table, as batch mode alone does, would not)."""
    cols = ", ".join(_JOB_COLUMNS_0001)
    op.execute("PRAGMA defer_foreign_keys = ON")
    op.execute(f"CREATE TABLE _jobs_0002 AS SELECT {cols} FROM jobs")
    op.execute("DELETE FROM jobs")
    with op.batch_alter_table('jobs', schema=None) as batch_op:
        batch_op.drop_column('connection_id')
        batch_op.drop_column('cashier_id')
    op.execute(f"INSERT INTO jobs ({cols}) SELECT {cols} FROM _jobs_0002")
    op.execute("DROP TABLE _jobs_0002")


_JOB_COLUMNS_0001 = (
    "id", "account_id", "idempotency_key", "request_hash", "kind", "operation", "register_id",
    "register_group_id", "state", "version", "payload", "total", "refund_of", "source",
    "attempts", "retries", "result", "error", "fd_number", "created_by", "created_at",
    "updated_at", "not_before")
