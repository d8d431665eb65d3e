"""The connector contract: the class a vendor subclasses to turn its system's requests into
canonical fiscal jobs and postings (docs/writing-a-connector.md).

A connector is configured per connection with settings its ``settings_schema`` validates; for
each inbound request the hub calls :meth:`Connector.verify`, :meth:`Connector.parse` and, per
source event, :meth:`Connector.translate` — which is **pure** (no I/O, no clock, no randomness:
the same event gives the same intents). Everything here is plain data and functions; nothing
does I/O. Optional work that talks to the source system receives an injected ``http`` client
(a ``requests.Session``-like object).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from decimal import Decimal
from typing import Any, ClassVar, Iterable

from marshmallow import Schema, ValidationError

# The verification helpers live in hub.verification; connectors import them from here.
from hub.verification import (VerificationFailed, sign_hmac, verify_basic,  # noqa: F401
                              verify_hmac, verify_query_key, verify_shared_secret)
__all__ = ["Connector", "ConnectorRoute", "FiscalJobIntent", "InboundRequest", "Intent",
           "LinkUnavailable",
           "NotSupported", "PostingIntent", "PostingNotDelivered", "PostingRefused",
           "SourceEvent", "TranslationError", "VerificationFailed", "check_intents",
           "connectors", "intents_to_json", "sign_hmac", "verify_basic", "verify_hmac",
           "verify_query_key", "verify_shared_secret"]

PLACEHOLDER_REGISTER = "__routed_by_hub__"
# An intent's key; the hub stores "<connection id>:<key>" (128 characters at most), so two
# connections of one account never collide.
MAX_KEY = 90


class TranslationError(Exception):
    """An event the connector cannot translate (the hub keeps it as ``rejected``)."""

    def __init__(self, reason: str, errors: dict | None = None):
        super().__init__(reason)
        self.reason = reason
        self.errors = errors or {}


class NotSupported(Exception):
    """The connector does not offer this optional feature."""


class PostingRefused(Exception):
    """Raised by :meth:`Connector.send_posting`: the target answered and refused the posting
    (a closed folio, an unknown room) — it surely did not arrive. The posting is ``failed``
    with ``reason``; an operator repeats it once the cause is fixed."""

    def __init__(self, reason: str, details: dict | None = None):
        super().__init__(reason)
        self.reason, self.details = reason, details or {}


class LinkUnavailable(Exception):
    """Raised by a route context's ``linked(connection_id)``: the linked connection is gone, of
    another account, or its connector is not installed or cannot load its settings."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class PostingNotDelivered(Exception):
    """Raised by :meth:`Connector.send_posting`: the posting surely did not reach the target
    (refused before it was read: a rate limit, a 503, no connection). It is tried again after
    a backoff. Any *other* exception is ambiguous: it may have arrived."""

    def __init__(self, reason: str, retry_after: float | None = None):
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


@dataclass(frozen=True)
class ConnectorRoute:
    """An endpoint the source system calls synchronously, served at
    ``/hooks/<connection id><rule>`` for each connection (e.g. ``/search``). The hub loads
    the connection, runs :meth:`Connector.verify` on the request, then calls the connector's
    method named ``view`` as ``view(request, context)`` (a :class:`hub.route_context.RouteContext`);
    it returns ``(status, body dict)``."""

    rule: str
    view: str
    methods: tuple[str, ...] = ("POST",)


# -- data ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class InboundRequest:
    """An HTTP request as the hub received it. Header names are matched case-insensitively
    by :meth:`header`; ``query`` holds the first value of each parameter."""

    method: str
    path: str
    headers: dict[str, str]
    query: dict[str, str]
    body: bytes
    received_at: datetime

    def header(self, name: str, default: str | None = None) -> str | None:
        wanted = name.lower()
        for key, value in self.headers.items():
            if key.lower() == wanted:
                return value
        return default

    def to_json(self) -> dict:
        return {"method": self.method, "path": self.path, "headers": dict(self.headers),
                "query": dict(self.query), "body": self.body.decode("utf-8", "replace"),
                "received_at": self.received_at.isoformat()}

    @classmethod
    def from_json(cls, data: dict, now: datetime | None = None) -> "InboundRequest":
        """The inverse of :meth:`to_json`; ``received_at`` defaults to ``now`` (UTC)."""
        received = data.get("received_at")
        body = data.get("body", "")
        return cls(method=str(data.get("method", "POST")).upper(), path=data.get("path", "/"),
                   headers=dict(data.get("headers") or {}), query=dict(data.get("query") or {}),
                   body=body.encode("utf-8") if isinstance(body, str) else bytes(body),
                   received_at=_aware(datetime.fromisoformat(received)) if received
                   else (now or datetime.now(timezone.utc)))


@dataclass(frozen=True)
class SourceEvent:
    """One event of the source system. ``event_id`` is stable across redeliveries: the hub
    deduplicates on it."""

    event_id: str
    type: str
    payload: dict
    occurred_at: datetime | None = None

    def to_json(self) -> dict:
        return {"event_id": self.event_id, "type": self.type, "payload": _jsonable(self.payload),
                "occurred_at": self.occurred_at.isoformat() if self.occurred_at else None}

    @classmethod
    def from_json(cls, data: dict) -> "SourceEvent":
        at = data.get("occurred_at")
        return cls(event_id=str(data["event_id"]), type=str(data["type"]),
                   payload=data.get("payload") or {},
                   occurred_at=_aware(datetime.fromisoformat(at)) if at else None)


@dataclass(frozen=True)
class FiscalJobIntent:
    """A canonical job as posted to ``/api/v1/jobs``. Leave out ``register`` and
    ``register_group`` to let the connection's routing decide."""

    job: dict
    idempotency_key: str

    def to_json(self) -> dict:
        return {"intent": "fiscal_job", "idempotency_key": self.idempotency_key,
                "job": _jsonable(self.job)}


@dataclass(frozen=True)
class PostingIntent:
    """Money to post to the source system (a room charge, a tip, end-of-day revenue).

    ``connection``: the ID of another connection of the same account that receives it (a POS
    connector posting onto its linked PMS connection's folios, which that connection's
    connector sends); None — the default — for the event's own connection."""

    kind: str
    target: str
    amount: Decimal
    payload: dict = field(default_factory=dict)
    idempotency_key: str = ""
    connection: str | None = None

    def to_json(self) -> dict:
        out = {"intent": "posting", "idempotency_key": self.idempotency_key, "kind": self.kind,
               "target": self.target, "amount": _jsonable(self.amount),
               "payload": _jsonable(self.payload)}
        if self.connection:
            out["connection"] = self.connection
        return out


Intent = FiscalJobIntent | PostingIntent


def _aware(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=timezone.utc)


def _jsonable(value: Any) -> Any:
    """Decimals as strings, datetimes as ISO 8601, containers recursively."""
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value


def intents_to_json(intents: Iterable[Intent]) -> list[dict]:
    return [i.to_json() for i in intents]


def check_intents(intents: Any, load_jobs: bool = True) -> list[Intent]:
    """What a connector's :meth:`Connector.translate` returned, checked: a list of intents,
    each with an idempotency key; each job valid for :func:`fiscal.schemas.load_job` (a job
    without a register is checked with a placeholder, since routing picks it); each posting
    with a Decimal amount. Raises :class:`TranslationError` naming the intent and, for a job,
    carrying marshmallow's field errors in ``errors``. ``load_jobs=False`` leaves the jobs to
    the caller (intake loads each routed job once, for the ledger)."""
    from fiscal.schemas import load_job
    if not isinstance(intents, (list, tuple)):
        raise TranslationError(f"translate must return a list of intents, "
                               f"not {type(intents).__name__}")
    keys: set[str] = set()
    for n, intent in enumerate(intents):
        where = f"intent {n}"
        if not isinstance(intent, (FiscalJobIntent, PostingIntent)):
            raise TranslationError(f"{where} is a {type(intent).__name__}, "
                                   "not a FiscalJobIntent or PostingIntent")
        key = intent.idempotency_key
        if not isinstance(key, str) or not 1 <= len(key) <= MAX_KEY:
            raise TranslationError(f"{where}: idempotency_key must be a string of 1-{MAX_KEY} "
                                   "characters")
        if key in keys:
            raise TranslationError(f"{where}: idempotency_key {key!r} is used twice")
        keys.add(key)
        if isinstance(intent, PostingIntent):
            if not isinstance(intent.amount, Decimal) or not intent.amount.is_finite():
                raise TranslationError(f"{where}: a posting's amount must be a finite Decimal")
            if not intent.kind or not intent.target:
                raise TranslationError(f"{where}: a posting needs a kind and a target")
            if intent.connection is not None and (not isinstance(intent.connection, str)
                                                  or not intent.connection):
                raise TranslationError(f"{where}: a posting's connection is a connection ID")
            continue
        if not isinstance(intent.job, dict):
            raise TranslationError(f"{where}: job must be a dict")
        if not load_jobs:
            continue
        job = _jsonable(intent.job)
        if "register" not in job and "register_group" not in job:
            job["register"] = PLACEHOLDER_REGISTER
        try:
            load_job(job)
        except ValidationError as exc:
            raise TranslationError(f"{where}: invalid job: {exc.messages}",
                                   errors=exc.messages) from None
    return list(intents)


# -- the contract ----------------------------------------------------------------------------

class Connector:
    """Subclass this. Class attributes describe the connector; an instance serves one
    connection (its validated ``settings``) and keeps no per-request state."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    version: ClassVar[str] = "0"
    settings_schema: ClassVar[type[Schema]] = Schema
    secret_settings: ClassVar[tuple[str, ...]] = ()
    settings_example: ClassVar[dict] = {}
    # True when the target recognises a posting sent twice (an idempotency key): an ambiguous
    # failure is then simply tried again. Otherwise the hub asks posting_arrived first.
    idempotent_postings: ClassVar[bool] = False
    # Seconds between two polls, for connectors that poll.
    poll_interval: ClassVar[int] = 60

    OPTIONAL = ("routes", "send_posting", "posting_arrived", "search", "poll", "end_of_day",
                "health")

    def __init__(self, settings: dict):
        self.settings = settings

    # settings
    @classmethod
    def load_settings(cls, data: dict) -> dict:
        """Validate raw settings (raises :class:`marshmallow.ValidationError`)."""
        return cls.settings_schema().load(data)

    @classmethod
    def from_settings(cls, data: dict) -> "Connector":
        return cls(cls.load_settings(data))

    @classmethod
    def masked_settings(cls, settings: dict) -> dict:
        """The settings as the API shows them: each secret given replaced by ``"********"``."""
        return {k: ("********" if k in cls.secret_settings and v not in (None, "") else v)
                for k, v in _jsonable(dict(settings)).items()}

    @classmethod
    def supports(cls, feature: str) -> bool:
        """Whether the connector overrides the optional method ``feature``."""
        if feature not in cls.OPTIONAL:
            raise ValueError(f"{feature!r} is not an optional connector method")
        return getattr(cls, feature) is not getattr(Connector, feature)

    # the required part
    def verify(self, request: InboundRequest) -> None:
        """Raise :class:`VerificationFailed` unless the request is authentic."""
        raise NotImplementedError(f"{type(self).__name__}.verify")

    def parse(self, request: InboundRequest) -> list[SourceEvent]:
        """The source events a verified request carries."""
        raise NotImplementedError(f"{type(self).__name__}.parse")

    def translate(self, event: SourceEvent) -> list[Intent]:
        """**Pure**: the jobs and postings an event calls for (an empty list: nothing to do).
        Raise :class:`TranslationError` for an event that cannot be translated."""
        raise NotImplementedError(f"{type(self).__name__}.translate")

    # the optional part
    def routes(self) -> list[ConnectorRoute]:
        """Endpoints the source system calls synchronously (:class:`ConnectorRoute`)."""
        return []

    def send_posting(self, posting: PostingIntent, http) -> dict:
        """Send a posting; return what the source system answered (its reference). Raise
        :class:`PostingRefused` when the target refused it and :class:`PostingNotDelivered`
        when it surely did not arrive; anything else counts as "may have arrived"."""
        raise NotSupported(f"{self.name} does not send postings")

    def posting_arrived(self, posting: PostingIntent, http) -> bool | None:
        """After an ambiguous failure: True if the posting arrived, False if it surely did
        not (safe to resend), None if the connector cannot tell."""
        return None

    def search(self, term: str, http) -> list[dict]:
        """Guests or accounts matching ``term``."""
        raise NotSupported(f"{self.name} has no search")

    def poll(self, since: datetime | None, http) -> list[SourceEvent]:
        """Events since ``since``, for systems without webhooks."""
        raise NotSupported(f"{self.name} does not poll")

    def end_of_day(self, business_day, http) -> list[Intent]:
        """Intents for closing ``business_day`` (a :class:`datetime.date`)."""
        raise NotSupported(f"{self.name} has no end-of-day work")

    def health(self, http) -> dict:
        """``{"ok": bool, "detail": str}`` about the source system."""
        raise NotSupported(f"{self.name} has no health check")


def connectors(host) -> dict[str, type[Connector]]:
    """Connector name → class from every plugin of ``host`` (a :class:`hub.plugins.PluginHost`),
    refusing a class that is not a named :class:`Connector` and one name claimed twice. Asked
    once per host (every webhook asks): the plugins are registered before the host is built."""
    from hub.plugins import PluginConflict
    if host.connector_classes is not None:
        return dict(host.connector_classes)
    found: dict[str, type[Connector]] = {}
    owners: dict[str, str] = {}
    for impl in host.pm.hook.fiscalhub_register_connectors.get_hookimpls():
        kwargs = {"hub": host} if "hub" in impl.argnames else {}
        for cls in impl.function(**kwargs) or ():
            if not (isinstance(cls, type) and issubclass(cls, Connector)) or not cls.name:
                raise PluginConflict(f"{impl.plugin_name} registers {cls!r}, which is not a "
                                     "Connector subclass with a name")
            if cls.name in found and found[cls.name] is not cls:
                raise PluginConflict(f"connector {cls.name!r} is registered by both "
                                     f"{owners[cls.name]} and {impl.plugin_name}")
            found[cls.name], owners[cls.name] = cls, impl.plugin_name
    host.connector_classes = found
    return dict(found)
