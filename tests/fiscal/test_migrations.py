"""The Alembic migrations build exactly the schema the models describe."""
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from fiscal.ledger.db import get_engine
from fiscal.ledger.models import Base


def test_migrations_match_the_models(database_url):
    with get_engine(database_url).connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn, opts={"compare_type": True}),
                                Base.metadata)
    assert diff == []
