"""The posting service: sends one ledger posting (a room charge onto a folio, a tip, a void, the
day's revenue) to its connection's target system.

The connection's posting worker calls ``PostingService.run(posting_id)`` for every delivery of
a posting, however many times Redis delivers it (docs/postings.md):

1. A settled posting (posted, failed, needs attention, cancelled) is left alone, and so is a
   ``pending`` one whose next try is not due yet.
2. ``pending → sending`` (the try counted) is committed *before* the target is called, and the
   target is called outside any database transaction.
3. What the connector reports decides what follows: an answer → ``posted``; refused →
   ``failed``; surely not delivered → ``pending`` again after a backoff (``failed`` once the
   tries run out); anything else is ambiguous — it may have arrived — so it is tried again
   only when the target ignores duplicates (``idempotent_postings``) or says it did not
   arrive (``posting_arrived``); otherwise ``needs_attention``.
4. A posting found in ``sending`` was interrupted (its worker died): it is settled the same
   way before anything is sent again.

There is no blind retry: a posting is sent again only when that cannot post it twice.
"""
from __future__ import annotations

import json
import logging
import os
import socket
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Callable

from fiscal.ledger import postings as ledger_postings
from fiscal.ledger.db import Ledger
from fiscal.ledger.models import Connection, Posting, utcnow
from fiscal.model import PostingState
from fiscal.states import StaleState
from hub.connection_runtime import ConnectorUnavailable, http_session, load_connector
from hub.connectors import NotSupported, PostingIntent, PostingNotDelivered, PostingRefused

log = logging.getLogger(__name__)
P = PostingState

# Seconds to wait after the 1st, 2nd, … try that did not get through; the last repeats.
BACKOFF = (10, 30, 120, 600, 1800, 3600)
# Tries before a posting is left for an operator (4 h 43 min of backoff in all).
MAX_TRIES = 10
# A target's Retry-After is taken as it is, up to this (a broken header must not park a
# posting for days).
MAX_DELAY = 6 * 3600
SETTLED = frozenset({P.POSTED, P.FAILED, P.NEEDS_ATTENTION, P.CANCELLED})
# A try a source system's route is making (hub.route_context) is left to it this long (seconds:
# over two HTTP read timeouts and a rate-limit wait) before anyone takes it for interrupted.
ROUTE_LEASE = 120.0
ROUTE_PREFIX = "route:"


# pure decisions --------------------------------------------------------------------------------
def backoff(tries: int, retry_after: float | None = None) -> float:
    """Seconds before the next try, after ``tries`` tries (1 or more) that did not get
    through; the target's own ``retry_after`` wins when it gives one."""
    if retry_after is not None and retry_after >= 0:
        return float(min(retry_after, MAX_DELAY))
    return float(BACKOFF[min(max(tries, 1), len(BACKOFF)) - 1])


def after_failed_try(tries: int, *, may_have_arrived: bool, retry_after: float | None = None,
                     max_tries: int = MAX_TRIES) -> tuple[str, float | None]:
    """``(next state, delay)`` after a try that may be repeated: ``pending`` with the backoff
    while tries are left; then ``failed`` if it surely did not arrive, else
    ``needs_attention`` (it may be on the target: an operator must look)."""
    if tries < max_tries:
        return P.PENDING, backoff(tries, retry_after)
    return (P.NEEDS_ATTENTION if may_have_arrived else P.FAILED), None


def in_words(seconds: float) -> str:
    """``10 s``, ``2 min``, ``1 h 30 min`` — for the history an operator reads."""
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    hours, minutes = divmod(seconds // 60, 60)
    if not hours:
        return f"{minutes} min"
    return f"{hours} h" + (f" {minutes} min" if minutes else "")


def describe(exc: BaseException) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def jsonable(value) -> dict:
    """What a connector answered, as the ledger's JSON column can hold it."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        value = {"answer": value}
    return json.loads(json.dumps(value, default=str))


def intent_of(posting: Posting) -> PostingIntent:
    return PostingIntent(kind=posting.kind, target=posting.target,
                         amount=Decimal(posting.amount), payload=dict(posting.payload or {}),
                         idempotency_key=posting.idempotency_key)


@dataclass
class Outcome:
    state: str
    detail: str = ""


# the service -----------------------------------------------------------------------------------
class PostingService:
    def __init__(self, ledger: Ledger, host, clock: Callable[[], datetime] | None = None,
                 worker: str | None = None, max_tries: int = MAX_TRIES,
                 http_factory=http_session):
        self.ledger, self.host = ledger, host
        self.clock = clock or utcnow
        self.worker = worker or f"{socket.gethostname()}:{os.getpid()}"
        self.actor = f"posting-worker:{self.worker}"
        self.max_tries = max_tries
        self.http_factory = http_factory

    def run(self, posting_id: str, due_now: bool = False) -> Outcome:
        """One delivery of ``posting_id``; ``due_now`` sends a pending posting whose next
        try is not due yet (a source system waiting on the line for it)."""
        with self.ledger.session(readonly=True) as s:
            posting = s.get(Posting, posting_id)
            conn = s.get(Connection, posting.connection_id) if posting is not None else None
        if posting is None:
            return Outcome("unknown", "no such posting in the ledger")
        if posting.state in SETTLED:
            return Outcome(posting.state, "already settled; nothing to do")
        if posting.state == P.PENDING and not due_now and posting.not_before is not None \
                and posting.not_before > self.clock():
            return Outcome(P.PENDING, f"not due until {posting.not_before.isoformat()}")
        if posting.state == P.SENDING and self._in_other_hands(posting_id):
            return Outcome(P.SENDING, "another sender is trying it right now; left to it")
        http = self.http_factory(conn)
        try:
            if posting.state == P.SENDING:
                return self._resume(posting, conn, http)
            return self._try(posting, conn, http)
        finally:
            http.close()

    def _in_other_hands(self, posting_id: str) -> bool:
        """Whether a posting found ``sending`` is a live try of someone else's. The posting
        workers of a connection hold its lock, so a worker's try that another worker finds
        was interrupted. A route (a source system waiting on the line) holds no lock: its
        try is left alone for ROUTE_LEASE seconds, and a route leaves anyone's recent try
        alone — it waits for it instead."""
        with self.ledger.session(readonly=True) as s:
            took = next((e for e in reversed(ledger_postings.history(s, posting_id))
                         if e.to_state == P.SENDING), None)
        if took is None or took.actor == self.actor:
            return False
        recent = took.at > self.clock() - timedelta(seconds=ROUTE_LEASE)
        if self.worker.startswith(ROUTE_PREFIX):
            return recent
        return recent and took.actor.startswith(f"posting-worker:{ROUTE_PREFIX}")

    # one try ----------------------------------------------------------------------------------
    def _try(self, posting: Posting, conn: Connection, http) -> Outcome:
        """Take a pending posting (the try counted and committed first), then send it."""
        tries = posting.attempts + 1
        try:
            with self.ledger.session() as s:
                ledger_postings.transition(
                    s, posting.id, P.PENDING, P.SENDING, actor=self.actor,
                    cause=f"sending to {conn.name} (try {tries} of {self.max_tries})",
                    attempts=tries, not_before=None)
        except StaleState as exc:
            return Outcome(exc.actual or "unknown", "taken up or changed meanwhile")
        # An earlier try of this round that an idempotent target left unanswered may be on
        # the target: until a try succeeds or the target says otherwise, this one's failure
        # proves nothing about it (its error carries the mark from try to try).
        unsure = bool((posting.error or {}).get("may_have_arrived"))
        try:
            connector = load_connector(self.host, conn)
        except ConnectorUnavailable as exc:
            return self._retry(posting.id, tries, "connector_unavailable",
                               f"not sent: {exc.reason}", may_have_arrived=unsure)
        return self._send(posting.id, tries, connector, intent_of(posting), http, unsure)

    def _send(self, posting_id: str, tries: int, connector, intent: PostingIntent,
              http, unsure: bool) -> Outcome:
        try:
            answer = connector.send_posting(intent, http)
        except PostingRefused as exc:
            return self._refused(posting_id, f"refused by the target: {exc.reason}", unsure, {
                "code": "refused", "message": exc.reason, "details": jsonable(exc.details),
                "action": "fix the cause on the target, then repeat"})
        except PostingNotDelivered as exc:
            return self._retry(posting_id, tries, "not_delivered",
                               f"did not arrive: {exc.reason}", may_have_arrived=unsure,
                               retry_after=exc.retry_after)
        except NotSupported as exc:
            return self._refused(posting_id, f"the connector cannot send postings: {exc}",
                                 unsure, {"code": "not_supported", "message": str(exc),
                                          "action": "post it by hand, then cancel it"})
        except Exception as exc:        # any other failure: the posting may have arrived
            log.warning("posting %s: ambiguous failure: %s", posting_id, describe(exc))
            return self._ambiguous(posting_id, tries, connector, intent, http, exc, unsure)
        return self._settle(posting_id, P.POSTED, "posted", result=jsonable(answer),
                            error=None)

    def _ambiguous(self, posting_id, tries, connector, intent, http, exc, unsure) -> Outcome:
        what = f"no clear answer ({describe(exc)})"
        if connector.idempotent_postings:
            return self._retry(posting_id, tries, "unconfirmed",
                               f"{what}; the target ignores duplicates", may_have_arrived=True)
        arrived, asked = self._arrived(connector, intent, http)
        if arrived is True:
            return self._settle(posting_id, P.POSTED, f"{what}, but the target confirms the "
                                "posting arrived", result={"confirmed": "posting_arrived"},
                                error=None)
        if arrived is False:            # asked by its key: no earlier try arrived either
            return self._retry(posting_id, tries, "unconfirmed",
                               f"{what}; the target confirms it did not arrive",
                               may_have_arrived=False)
        return self._attention(posting_id, f"{what}, and {asked}", "unconfirmed")

    def _refused(self, posting_id: str, cause: str, unsure: bool, error: dict) -> Outcome:
        """This try surely did not arrive: ``failed`` — unless an earlier one may have."""
        if unsure:
            return self._attention(posting_id, f"{cause}; an earlier try may have arrived",
                                   error["code"])
        return self._settle(posting_id, P.FAILED, cause, error={**error, "retryable": False})

    # an interrupted try ------------------------------------------------------------------------
    def _resume(self, posting: Posting, conn: Connection, http) -> Outcome:
        """A posting found in ``sending``: its last try was interrupted (the worker died while
        the target may have been reading it). Settle that before sending anything."""
        what = "an earlier attempt was interrupted"
        try:
            connector = load_connector(self.host, conn)
        except ConnectorUnavailable as exc:
            return self._attention(posting.id, f"{what}; cannot ask the target whether it "
                                   f"arrived: {exc.reason}", "interrupted")
        intent = intent_of(posting)
        if connector.idempotent_postings:
            why = f"{what}; the target ignores duplicates"
            may_have_arrived = True
        else:
            arrived, asked = self._arrived(connector, intent, http)
            if arrived is True:
                return self._settle(posting.id, P.POSTED, f"{what}; the target confirms the "
                                    "posting arrived", result={"confirmed": "posting_arrived"},
                                    error=None)
            if arrived is None:
                return self._attention(posting.id, f"{what}; cannot tell whether it arrived "
                                       f"({asked})", "interrupted")
            why = f"{what}; the target confirms it did not arrive"
            may_have_arrived = False
        state, _ = after_failed_try(posting.attempts, may_have_arrived=may_have_arrived,
                                    max_tries=self.max_tries)
        if state != P.PENDING:
            return self._give_up(posting.id, posting.attempts, state, why, "interrupted")
        tries = posting.attempts + 1
        try:
            with self.ledger.session() as s:
                ledger_postings.transition(s, posting.id, P.SENDING, P.PENDING,
                                           actor=self.actor, cause=f"{why}: sending again")
                ledger_postings.transition(
                    s, posting.id, P.PENDING, P.SENDING, actor=self.actor,
                    cause=f"sending to {conn.name} (try {tries} of {self.max_tries})",
                    attempts=tries, not_before=None)
        except StaleState as exc:
            return Outcome(exc.actual or "unknown", "changed meanwhile")
        return self._send(posting.id, tries, connector, intent, http, may_have_arrived)

    def _arrived(self, connector, intent, http) -> tuple[bool | None, str]:
        """The connector's ``posting_arrived``, and in words why it could not tell."""
        try:
            arrived = connector.posting_arrived(intent, http)
        except Exception as exc:
            return None, f"asking the target failed ({describe(exc)})"
        if arrived is True or arrived is False:
            return arrived, ""
        return None, "the target cannot tell whether it arrived"

    # writing the outcome -----------------------------------------------------------------------
    def _retry(self, posting_id: str, tries: int, code: str, cause: str, *,
               may_have_arrived: bool, retry_after: float | None = None) -> Outcome:
        state, delay = after_failed_try(tries, may_have_arrived=may_have_arrived,
                                        retry_after=retry_after, max_tries=self.max_tries)
        if state != P.PENDING:
            return self._give_up(posting_id, tries, state, cause, code)
        error = {"code": code, "message": cause, "retryable": True,
                 "may_have_arrived": may_have_arrived}
        try:
            with self.ledger.session() as s:
                ledger_postings.retry_later(
                    s, s.get(Posting, posting_id), actor=self.actor,
                    cause=f"{cause}; trying again in {in_words(delay)}",
                    not_before=self.clock() + timedelta(seconds=delay), error=error)
        except StaleState as exc:
            return self._lost(posting_id, exc)
        return Outcome(P.PENDING, f"{cause}; next try in {in_words(delay)}")

    def _give_up(self, posting_id, tries, state, cause, code) -> Outcome:
        if state == P.FAILED:
            return self._settle(posting_id, P.FAILED, f"gave up after {tries} tries: {cause}",
                                error={"code": code, "message": cause, "retryable": False,
                                       "action": "repeat it once the target takes postings"})
        return self._attention(posting_id, f"gave up after {tries} tries, and one may "
                               f"have arrived: {cause}", code)

    def _attention(self, posting_id: str, cause: str, code: str) -> Outcome:
        return self._settle(posting_id, P.NEEDS_ATTENTION, cause, error={
            "code": code, "message": cause, "retryable": False,
            "action": "look for it on the target: mark it posted if it is there, else repeat "
                      "it stating it was not posted"})

    def _settle(self, posting_id: str, state: str, cause: str, **fields) -> Outcome:
        try:
            with self.ledger.session() as s:
                ledger_postings.transition(s, posting_id, P.SENDING, state, actor=self.actor,
                                           cause=cause, not_before=None, **fields)
        except StaleState as exc:
            return self._lost(posting_id, exc)
        return Outcome(state, cause)

    def _lost(self, posting_id: str, exc: StaleState) -> Outcome:
        # Only a second worker on the same connection could have moved it: the lock forbids
        # that, so say so loudly rather than overwrite what the other one wrote.
        log.error("posting %s changed under its worker: %s", posting_id, exc)
        return Outcome(exc.actual or "unknown", str(exc))
