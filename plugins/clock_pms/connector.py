"""The Clock PMS+ connector: search for the POS's charge-to-room box, postings onto folios (room
charges, tips, the end-of-day company folio), Clock's SNS pushes of payments, and their PURE
translation into receipts. See README.md for the integrator and the assumptions about Clock.
"""
from __future__ import annotations

import threading

from hub.connectors import (Connector, ConnectorRoute, InboundRequest, PostingIntent,
                            PostingRefused, SourceEvent, TranslationError, verify_query_key)

from . import folio_postings, guest_payments, push
from . import search as search_module
from .client import ClockClient
from .errors import ClockError, ClockRefused
from .guest_payments import rows
from .ratelimit import TokenBucket
from .settings import EXAMPLE, ClockSettings

# One token bucket per Clock account, shared by every connection, worker thread and route of
# this process: Clock's 5 requests/second is per account, not per connection.
_BUCKETS: dict[tuple[str, str, str], TokenBucket] = {}
_BUCKETS_LOCK = threading.Lock()


def shared_limiter(settings: dict) -> TokenBucket:
    key = (str(settings["region"]), str(settings["subscription_id"]),
           str(settings["account_id"]))
    with _BUCKETS_LOCK:
        if key not in _BUCKETS:
            _BUCKETS[key] = TokenBucket()
        return _BUCKETS[key]


class ClockPmsConnector(Connector):
    name = "clock_pms"
    title = "Clock PMS+"
    version = "1.0.0"
    settings_schema = ClockSettings
    secret_settings = ("api_key", "push_secret")
    settings_example = EXAMPLE
    # Clock documents no idempotency key: after an unclear answer the hub asks posting_arrived,
    # which looks for the marker written into each charge's text.
    idempotent_postings = False

    def client(self, http) -> ClockClient:
        return ClockClient.from_settings(self.settings, http, limiter=shared_limiter(self.settings))

    # --- inbound -------------------------------------------------------------------------------
    def verify(self, request: InboundRequest) -> None:
        """The ``secret`` query parameter equals ``push_secret`` (constant time)."""
        verify_query_key(request, "secret", self.settings["push_secret"])

    def routes(self) -> list[ConnectorRoute]:
        return [ConnectorRoute("/push", "push", ("POST",))]

    def push(self, request: InboundRequest, context) -> tuple[int, dict]:
        return push.handle(request, context, self.client(context.http))

    def parse(self, request: InboundRequest) -> list[SourceEvent]:
        return push.parse(request)

    def translate(self, event: SourceEvent) -> list:
        """PURE: payments and folio voids → receipts (:mod:`plugins.clock_pms.guest_payments`)."""
        payload = event.payload if isinstance(event.payload, dict) else {}
        if event.type == "payment":
            return guest_payments.payment_intents(event.event_id, payload, self.settings)
        if event.type == "folio_void":
            return guest_payments.void_intents(payload, self.settings)
        raise TranslationError(f"Clock event type {event.type!r} is not supported",
                               errors={"type": [f"{event.type!r} is not supported"]})

    # --- outbound ------------------------------------------------------------------------------
    def search(self, term: str, http) -> list[dict]:
        return search_module.search(self.client(http), term)

    def send_posting(self, posting: PostingIntent, http) -> dict:
        if posting.kind in folio_postings.ROOM_KINDS:
            return folio_postings.room_charge(posting, self.client(http), self.settings)
        if posting.kind == "end_of_day":
            return folio_postings.end_of_day(posting, self.client(http), self.settings)
        raise PostingRefused(f"Clock PMS+ takes room_charge, tip and end_of_day postings, "
                             f"not {posting.kind!r}")

    def posting_arrived(self, posting: PostingIntent, http) -> bool | None:
        return folio_postings.arrived(posting, self.client(http), self.settings)

    def health(self, http) -> dict:
        try:
            templates = rows(self.client(http).charge_templates())
        except ClockRefused as exc:
            hint = (": check api_user and api_key, and the API user's grants"
                    if exc.status in (401, 403) else "")
            return {"ok": False, "detail": f"Clock PMS+ refused the request ({exc.status}: "
                                           f"{exc.message}){hint}"}
        except ClockError as exc:
            return {"ok": False, "detail": f"Clock PMS+ is not answering: {exc.message}"}
        return {"ok": True, "detail": f"Clock PMS+ answered; {len(templates)} charge templates"}
