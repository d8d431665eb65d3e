"""Fixtures for the account API: users of every role logged in through the API, and a second
account for the tenant-isolation tests."""
from __future__ import annotations

import pytest

from fiscal.ledger import accounts, registers, users

PASSWORDS = {"owner": "owner's secret 1", "admin": "admin's secret 1",
             "operator": "operator's secret 1", "viewer": "viewer's secret 1"}


@pytest.fixture
def people(ledger, account):
    """One user of each role in ``account``: {role: user id}; the login is the role's name and
    the password ``PASSWORDS[role]``."""
    out = {}
    with ledger.session() as s:
        for role, password in PASSWORDS.items():
            user, _ = users.create_user(s, account["id"], login=role, name=role.title(),
                                        role=role, actor="test", password=password)
            out[role] = user.id
    return out


class UserClient:
    """A Flask test client logged in as one user through ``POST /api/v1/session``; its
    ``get/post/patch/put/delete`` send the session's CSRF token with every request."""

    def __init__(self, app, login: str, password: str):
        self.client = app.test_client()
        resp = self.client.post("/api/v1/session", json={"login": login, "password": password})
        assert resp.status_code == 200, resp.json
        self.me = resp.json
        self.csrf = resp.json["csrf_token"]

    def _call(self, method, url, **kw):
        headers = {"X-CSRF-Token": self.csrf, **kw.pop("headers", {})}
        return getattr(self.client, method)(url, headers=headers, **kw)

    def get(self, url, **kw):
        return self._call("get", url, **kw)

    def post(self, url, **kw):
        return self._call("post", url, **kw)

    def patch(self, url, **kw):
        return self._call("patch", url, **kw)

    def put(self, url, **kw):
        return self._call("put", url, **kw)

    def delete(self, url, **kw):
        return self._call("delete", url, **kw)


@pytest.fixture
def as_user(app, people):
    """``as_user("operator")`` → a :class:`UserClient` logged in with that role."""
    def login(role: str) -> UserClient:
        return UserClient(app, role, PASSWORDS[role])
    return login


@pytest.fixture
def other_account(ledger, data_dir):
    """Another venue's account with its key and a virtual register: its IDs must answer 404
    in ``account``, and nothing of it may change."""
    with ledger.session() as s:
        acc = accounts.create_account(s, "Karaoke Zvezda")
        _, key = accounts.issue_api_key(s, acc.id, "other")
        reg = registers.add_register(s, acc.id, name="Bar", driver="virtual",
                                     url=f"virtual://{data_dir / 'other-bar.sqlite'}")
        user, _ = users.create_user(s, acc.id, login="zvezda-owner", name="Owner",
                                    role="owner", actor="test", password="zvezda secret 1")
    return {"id": acc.id, "key": key, "auth": {"Authorization": f"Bearer {key}"},
            "register_id": reg.id, "user_id": user.id}


@pytest.fixture
def lab_app(settings, redis):
    """The app with the lab and example connectors installed (tests/hub/sample_connectors)."""
    from hub.app import create_app
    from sample_connectors import lab_host
    return create_app(settings, host=lab_host())


@pytest.fixture
def lab_client(lab_app):
    return lab_app.test_client()


@pytest.fixture
def lab_connection(lab_client, auth, register):
    """Make a connection through the API: ``lab_connection(connector="lab", **fields)``."""
    from sample_connectors import LAB_SECRET

    def make(connector: str = "lab", **fields):
        body = {"connector": connector, "name": f"{connector} till",
                "register_id": register["id"],
                "settings": {"secret": LAB_SECRET} if connector == "lab"
                else {"secret": "tinypos-example-secret"}, **fields}
        resp = lab_client.post("/api/v1/connections", json=body, headers=auth)
        assert resp.status_code == 201, resp.json
        return resp.json
    return make


# The posting tests' connection (a test PMS, tests/hub/posting_helpers.py), a posting of it,
# and the PMS's HTTP answers.
@pytest.fixture
def conn(ledger, account, register):
    from posting_helpers import add_connection
    return add_connection(ledger, account["id"], register["id"])


@pytest.fixture
def posting(ledger, account, conn):
    from posting_helpers import add_posting
    return add_posting(ledger, account["id"], conn)


@pytest.fixture
def pms():
    import responses
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock
