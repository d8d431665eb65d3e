"""The ledger: the SQL system of record (SQLAlchemy 2; SQLite by default, PostgreSQL through
``DATABASE_URL``). Redis and RQ only deliver work; everything a job is lives here."""
