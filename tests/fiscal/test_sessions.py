"""Dashboard sessions: a token whose hash is stored, idle expiry, logout, and a blocked or
deleted user's sessions ending at once."""
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from fiscal.ledger import sessions, users
from fiscal.ledger.models import User, UserSession, utcnow
from fiscal.ledger.sessions import SessionEnded


@pytest.fixture
def people(ledger, account):
    with ledger.session() as s:
        owner, _ = users.create_user(s, account["id"], login="owner", name="Owner",
                                     role="owner", actor="test", password="owner's secret")
        clerk, _ = users.create_user(s, account["id"], login="clerk", name="Clerk",
                                     role="operator", actor="test", password="clerk's secret")
        return {"owner": owner.id, "clerk": clerk.id}


def start(ledger, user_id, now=None):
    with ledger.session() as s:
        return sessions.start_session(s, s.get(User, user_id), now=now)


def resume(ledger, token, **kw):
    """As the web layer should: the ending is committed with the answer."""
    with ledger.session() as s:
        try:
            return sessions.resume_session(s, token, **kw).id
        except SessionEnded as exc:
            return exc.reason


def row(ledger, token):
    with ledger.session() as s:
        return s.scalar(select(UserSession).where(
            UserSession.token_hash == sessions.token_hash(token)))


def test_a_session_resumes_and_only_the_tokens_hash_is_stored(ledger, people):
    token = start(ledger, people["clerk"])
    assert len(token) >= 43                           # 256 bits, url-safe base64
    assert resume(ledger, token) == people["clerk"]
    r = row(ledger, token)
    assert r.token_hash != token and token not in r.token_hash
    assert start(ledger, people["clerk"]) != token


def test_idle_sessions_expire_and_activity_keeps_them_alive(ledger, people):
    t0 = utcnow()
    token = start(ledger, people["clerk"], now=t0)
    assert resume(ledger, token, now=t0 + timedelta(minutes=20)) == people["clerk"]
    # 29 minutes after the last activity, although 49 after the login
    assert resume(ledger, token, now=t0 + timedelta(minutes=49)) == people["clerk"]
    late = t0 + timedelta(minutes=49 + 30, seconds=1)
    assert resume(ledger, token, now=late) == "expired"
    assert (row(ledger, token).ended_at, row(ledger, token).end_reason) == (late, "expired")
    assert resume(ledger, token, now=t0 + timedelta(minutes=50)) == "expired"   # for good


def test_the_idle_timeout_is_configurable(ledger, people):
    t0 = utcnow()
    token = start(ledger, people["clerk"], now=t0)
    five = timedelta(minutes=5)
    assert resume(ledger, token, idle_timeout=five, now=t0 + five) == people["clerk"]
    assert resume(ledger, token, idle_timeout=five,
                  now=t0 + 2 * five + timedelta(seconds=1)) == "expired"


def test_last_seen_is_written_at_most_every_30_seconds(ledger, people):
    t0 = utcnow()
    token = start(ledger, people["clerk"], now=t0)
    resume(ledger, token, now=t0 + timedelta(seconds=10))
    assert row(ledger, token).last_seen_at == t0
    resume(ledger, token, now=t0 + timedelta(seconds=31))
    assert row(ledger, token).last_seen_at == t0 + timedelta(seconds=31)


def test_logout_ends_the_session(ledger, people):
    token = start(ledger, people["clerk"])
    other = start(ledger, people["clerk"])
    with ledger.session() as s:
        assert sessions.end_session(s, token)
        assert sessions.end_session(s, token) is None
        assert sessions.end_session(s, "never issued") is None
    assert resume(ledger, token) == "logged_out"
    assert resume(ledger, other) == people["clerk"]            # only that one


def test_blocking_ends_every_session_and_unblocking_does_not_revive_them(ledger, people):
    tokens = [start(ledger, people["clerk"]) for _ in range(2)]
    owners = start(ledger, people["owner"])
    with ledger.session() as s:
        users.block_user(s, s.get(User, people["clerk"]), actor="test")
    assert [resume(ledger, t) for t in tokens] == ["blocked", "blocked"]
    with ledger.session() as s:
        users.unblock_user(s, s.get(User, people["clerk"]), actor="test")
        assert sessions.live_sessions(s, people["clerk"]) == []
    assert [resume(ledger, t) for t in tokens] == ["blocked", "blocked"]
    assert resume(ledger, owners) == people["owner"]


def test_deleting_ends_the_users_sessions(ledger, people):
    token = start(ledger, people["clerk"])
    with ledger.session() as s:
        users.delete_user(s, s.get(User, people["clerk"]), actor="test")
    assert resume(ledger, token) == "blocked"


def test_a_user_blocked_behind_the_sessions_back_is_still_refused(ledger, people):
    token = start(ledger, people["clerk"])
    with ledger.session() as s:     # e.g. by hand in the database: the sessions stayed open
        s.execute(update(User).where(User.id == people["clerk"]).values(blocked_at=utcnow()))
    assert resume(ledger, token) == "blocked"
    assert row(ledger, token).end_reason == "blocked"


def test_an_unknown_token_is_unknown(ledger, people):
    assert resume(ledger, "made-up") == "unknown"
    with pytest.raises(SessionEnded) as err, ledger.session() as s:
        sessions.resume_session(s, "")
    assert err.value.reason == "unknown" and "no such session" in str(err.value)
