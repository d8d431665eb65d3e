"""What a connector's synchronous route (``/hooks/<connection id>/search``, ``…/charge``) may
use while the source system waits on the line: its connection, an HTTP client, storing events
now, a linked connection (the PMS a POS connection posts onto), the stored events it made
before, and sending postings *now* instead of through the posting worker.

Sending now (:meth:`RouteContext.post_now`) is the posting worker's own service
(:class:`hub.postings.PostingService`) run in the request, so every rule of postings holds: a
try is committed as ``sending`` before the target is called, an ambiguous failure is settled
by asking the target, a posting the worker has in hand is waited for, never sent twice. What
differs is the end: the source system hears the outcome on the line, so a posting that did
not get through is not left to be retried in the background (the POS was told "not charged"
and the waiter took another payment) — it is ``failed``, to be sent again only when the
source system asks again or an operator repeats it.
"""
from __future__ import annotations

import time
import uuid
from dataclasses import dataclass

from fiscal.ledger import postings as ledger_postings
from fiscal.ledger import source_events as events_ledger
from fiscal.ledger.connections import live_connection
from fiscal.ledger.models import Posting
from fiscal.model import PostingState as P
from fiscal.states import StaleState
from hub.connection_runtime import ConnectorUnavailable, http_session, load_connector
from hub.connectors import LinkUnavailable, SourceEvent
from hub.postings import PostingService

# How long a route waits for a posting another worker is sending (seconds).
POST_WAIT = 20.0
POLL = 0.1


@dataclass
class LinkedConnection:
    """Another connection of the same account, at work: its record, its connector (settings
    loaded) and an HTTP client for its system."""

    connection: object
    connector: object
    http: object


def posting_view(p: Posting) -> dict:
    error = p.error or {}
    return {"id": p.id, "state": p.state, "kind": p.kind, "target": p.target,
            "amount": str(p.amount), "connection_id": p.connection_id,
            "error": error.get("message"), "code": error.get("code"),
            "may_have_arrived": bool(error.get("may_have_arrived")),
            "result": p.result or {}}


class RouteContext:
    """Handed to a connector's route view as ``view(request, context)``."""

    def __init__(self, intake, conn, connector):
        self.intake = intake
        self.connection, self.connector = conn, connector
        self.http = http_session(conn)

    @property
    def ledger(self):
        return self.intake.ledger

    def accept(self, events: list[SourceEvent], request_json: dict | None = None):
        """Store ``events`` now, as a delivery to ``/hooks/<id>`` would (their outcomes)."""
        return self.intake.accept_events(self.connection, self.connector, events, request_json)

    def linked(self, connection_id: str) -> LinkedConnection:
        """The connection ``connection_id`` of the same account, at work. Raises
        :class:`hub.connectors.LinkUnavailable` saying why it cannot be used."""
        if not isinstance(connection_id, str) or not connection_id:
            raise LinkUnavailable("no linked connection is set")
        with self.ledger.session(readonly=True) as s:
            other = live_connection(s, connection_id) if "\x00" not in connection_id else None
        if other is None or other.account_id != self.connection.account_id:
            raise LinkUnavailable(f"the linked connection {connection_id!r} does not exist")
        try:
            connector = load_connector(self.intake.host, other)
        except ConnectorUnavailable as exc:
            raise LinkUnavailable(exc.reason) from None
        return LinkedConnection(other, connector, http_session(other))

    def event(self, event_id: str) -> dict | None:
        """This connection's stored event ``event_id`` (the source's ID) with its jobs and
        postings as they are now, or None."""
        with self.ledger.session(readonly=True) as s:
            row = events_ledger.find_event(s, self.connection.id, event_id[:200])
            if row is None:
                return None
            return {"id": row.id, "event_id": row.event_id, "type": row.type,
                    "state": row.state, "reason": row.reason, "payload": row.payload or {},
                    "received_at": row.received_at,
                    "job_ids": [j.id for j in events_ledger.jobs_for_event(s, row.id)],
                    "postings": [posting_view(p) for p in
                                 ledger_postings.for_event(s, row.id)]}

    # -- sending postings while the source system waits ---------------------------------------
    def post_now(self, posting_ids: list[str], wait: float = POST_WAIT) -> list[dict]:
        """Send the postings one after the other, now, and say what became of each (see the
        module docstring). A posting already ``posted`` is not sent again; a ``failed`` one is
        sent again (the source system asks again); one another worker is sending is waited
        for, up to ``wait`` seconds (then it is reported ``sending``). Once one is not
        posted, the rest are not sent (``failed``: nothing more lands on the target)."""
        # one sender name per request: two attempts of one charge must not take each other's
        # try for their own interrupted one
        service = PostingService(self.ledger, self.intake.host,
                                 worker=f"route:{self.connection.id}:{uuid.uuid4().hex[:12]}")
        deadline = time.monotonic() + wait
        out, stopped = [], False
        for posting_id in posting_ids:
            state = self._state(posting_id)
            if stopped:
                if state in (P.PENDING, P.FAILED):
                    self._withdraw(posting_id, "not sent: an earlier posting of the same "
                                              "request did not get through")
                out.append(self._view(posting_id))
                continue
            if state == P.FAILED:
                self._again(posting_id)
                state = P.PENDING
            if state == P.PENDING:
                service.run(posting_id, due_now=True)
            state = self._settled(posting_id, deadline)
            if state == P.PENDING:
                self._withdraw(posting_id, "the source system was told it did not get through")
            view = self._view(posting_id)
            out.append(view)
            stopped = view["state"] != P.POSTED
        return out

    def _state(self, posting_id: str) -> str | None:
        with self.ledger.session(readonly=True) as s:
            p = s.get(Posting, posting_id)
            return p.state if p is not None else None

    def _view(self, posting_id: str) -> dict:
        with self.ledger.session(readonly=True) as s:
            return posting_view(s.get(Posting, posting_id))

    def _settled(self, posting_id: str, deadline: float) -> str | None:
        """The posting's state once nobody is sending it (or at the deadline)."""
        while True:
            state = self._state(posting_id)
            if state != P.SENDING or time.monotonic() >= deadline:
                return state
            time.sleep(POLL)

    def _again(self, posting_id: str) -> None:
        try:
            with self.ledger.session() as s:
                ledger_postings.send_again(s, s.get(Posting, posting_id), actor=self._actor,
                                           cause=f"{self.connector.name} asks again")
        except StaleState:
            pass                    # changed meanwhile: _settled reads what it became

    def _withdraw(self, posting_id: str, why: str) -> None:
        """A pending posting the source system was told did not get through: ``failed`` (or
        ``needs_attention`` when an earlier try may have landed), never retried behind the
        source system's back."""
        try:
            with self.ledger.session() as s:
                p = s.get(Posting, posting_id)
                if p.state == P.FAILED:
                    return
                unsure = bool((p.error or {}).get("may_have_arrived"))
                ledger_postings.transition(s, posting_id, P.PENDING, P.SENDING,
                                           actor=self._actor, cause="withdrawn")
                end = P.NEEDS_ATTENTION if unsure else P.FAILED
                error = {**(p.error or {}), "withdrawn": True, "retryable": False,
                         "message": f"{why}; not tried again unless it asks again or an "
                                    "operator repeats it" + (" (an earlier try may have "
                                                             "arrived)" if unsure else "")}
                ledger_postings.transition(s, posting_id, P.SENDING, end, actor=self._actor,
                                           cause=error["message"], not_before=None,
                                           error=error)
        except StaleState:
            pass                    # a worker took it meanwhile: the caller reads its state

    @property
    def _actor(self) -> str:
        return f"connection:{self.connection.id}"
