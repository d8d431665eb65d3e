"""No password, session token or API key is in the database in clear: every row of every table,
read with plain sqlite3, and the database file's bytes."""
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from fiscal.ledger import accounts, audit, sessions, users
from fiscal.ledger.db import get_engine


def test_no_secret_is_stored_in_clear(ledger, account, database_url):
    if not database_url.startswith("sqlite"):
        pytest.skip("reads the SQLite file")
    secrets = [account["key"], account["key"].split("_", 2)[2]]
    with ledger.session() as s:
        owner, otp = users.create_user(s, account["id"], login="owner", name="Owner",
                                       role="owner", actor="cli")
        clerk, _ = users.create_user(s, account["id"], login="clerk", name="Clerk",
                                     role="operator", actor="cli", password="clerk passphrase")
        users.set_password(s, owner, "owner's new passphrase", actor="user:owner")
        _, key = accounts.issue_api_key(s, account["id"], "pms")
        secrets += [otp, "clerk passphrase", "owner's new passphrase", key, key.split("_", 2)[2]]
        for user in (owner, clerk):
            secrets.append(sessions.start_session(s, user))
    with ledger.session() as s:
        users.authenticate_user(s, "clerk", "clerk passphrase")
        sessions.resume_session(s, secrets[-1])
        sessions.end_session(s, secrets[-2])
        audit.record(s, account["id"], "cli", "api_key.create", "api_key", "k", {"name": "pms"})
    path = Path(make_url(database_url).database)

    with sqlite3.connect(path) as c:
        tables = [r[0] for r in c.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        cells = [str(v) for t in tables for row in c.execute(f'SELECT * FROM "{t}"')
                 for v in row if v is not None]
    assert {"users", "user_sessions", "api_keys", "audit_log"} <= set(tables)
    assert len(cells) > 50
    assert any(key.split("_")[1] in cell for cell in cells)     # the search finds what is there
    assert [s for s in secrets if any(s in cell for cell in cells)] == []

    get_engine(database_url).dispose()          # the WAL goes into the file
    raw = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*") if p.is_file())
    assert [s for s in secrets if s.encode() in raw] == []
