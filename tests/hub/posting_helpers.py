"""Helpers of the posting tests: a small PMS connector that posts room charges over HTTP (the
tests answer for the PMS with ``responses``), a plugin host that has it, a clock the tests move,
and a look at a posting in the ledger."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from decimal import Decimal

from marshmallow import Schema, fields

from fiscal.ledger import connections, postings
from fiscal.ledger.models import Posting
from hub.connectors import Connector, PostingNotDelivered, PostingRefused
from hub.plugins import PluginHost, make_plugin_manager

PMS = "https://pms.example.test/api"
CHARGES = f"{PMS}/folios/folio-1204/charges"
LOOKUP = f"{PMS}/charges"


class FolioSettings(Schema):
    url = fields.String(required=True)


class FolioConnector(Connector):
    """Posts a charge to ``POST {url}/folios/{target}/charges``: 201 is posted, 409/422 a
    refusal, 429/503 a refusal before reading it (with Retry-After), anything else may have
    been posted. ``GET {url}/charges?key=…`` lists the charges posted under a key."""

    name = "testfolio"
    title = "Test PMS"
    version = "1.0"
    settings_schema = FolioSettings
    settings_example = {"url": PMS}

    def send_posting(self, posting, http):
        resp = http.post(f"{self.settings['url']}/folios/{posting.target}/charges",
                         json={"kind": posting.kind, "amount": str(posting.amount),
                               "key": posting.idempotency_key, **posting.payload})
        if resp.status_code == 201:
            return {"reference": resp.json()["id"]}
        if resp.status_code in (409, 422):
            raise PostingRefused(resp.json()["error"], resp.json())
        if resp.status_code in (429, 503):
            after = resp.headers.get("Retry-After")
            raise PostingNotDelivered(f"the PMS is busy ({resp.status_code})",
                                      float(after) if after else None)
        resp.raise_for_status()
        raise RuntimeError(f"unexpected answer {resp.status_code}")

    def posting_arrived(self, posting, http):
        resp = http.get(f"{self.settings['url']}/charges",
                        params={"key": posting.idempotency_key})
        if resp.status_code != 200:
            return None
        return bool(resp.json()["charges"])


class IdempotentFolio(FolioConnector):
    """The same PMS, when it recognises a charge sent twice by its key."""

    name = "idemfolio"
    idempotent_postings = True


class NoPostings(Connector):
    """A connector that sends no postings."""

    name = "nopostings"
    settings_schema = FolioSettings


class FolioPlugin:
    def fiscalhub_register_connectors(self):
        return [FolioConnector, IdempotentFolio, NoPostings]


def folio_host() -> PluginHost:
    return PluginHost(make_plugin_manager(load_entrypoints=False,
                                          extra=[("testconn", FolioPlugin())]))


class Clock:
    """The service's clock, moved by the test."""

    def __init__(self, now: datetime | None = None):
        self.now = now or datetime(2026, 11, 22, 21, 0, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


def add_connection(ledger, account_id: str, register_id: str, connector: str = "testfolio",
                   name: str = "Front office PMS") -> str:
    with ledger.session() as s:
        return connections.create_connection(
            s, account_id, connector=connector, name=name, settings={"url": PMS},
            actor="test", register_id=register_id).id


def add_posting(ledger, account_id: str, connection_id: str, key: str = "chk-1042",
                amount: str = "1500.00", kind: str = "room_charge",
                target: str = "folio-1204", payload: dict | None = None) -> str:
    with ledger.session() as s:
        posting, created = postings.create_posting(
            s, account_id=account_id, connection_id=connection_id, kind=kind, target=target,
            amount=Decimal(amount), payload=payload or {"outlet": "Restaurant"},
            idempotency_key=key, actor="test")
        assert created
        return posting.id


def set_state(ledger, posting_id: str, *path: str, **fields) -> None:
    """Walk a posting along ``path`` as a worker would (``fields`` go with the last step)."""
    with ledger.session() as s:
        steps = list(zip(path, path[1:]))
        for n, (old, new) in enumerate(steps):
            extra = fields if n == len(steps) - 1 else {}
            postings.transition(s, posting_id, old, new, actor="worker:test", cause="test",
                                **extra)


def row(ledger, posting_id: str) -> dict:
    with ledger.session(readonly=True) as s:
        p = s.get(Posting, posting_id)
        return {"state": p.state, "attempts": p.attempts, "not_before": p.not_before,
                "result": p.result, "error": p.error,
                "history": [(e.from_state, e.to_state, e.cause)
                            for e in postings.history(s, posting_id)]}

