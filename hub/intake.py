"""Intake of source events: from a connection's verified request (or its poll, or its end of
day) to stored events, jobs, postings and outbox rows — in one transaction.

For each event the connector's ``translate`` runs first, outside any transaction and in a
thread with a time limit (a slow or stuck connector cannot hold the ledger's write lock, nor
the hub); then one transaction stores the event under its source event ID and writes what it
produced. A redelivery finds the stored event and is answered with it, writing nothing — also
when two deliveries race: the unique (connection, event ID) lets one store it and the other
read it. An event whose translation fails, or whose jobs the ledger refuses (an unknown
register, a reused key), is stored ``rejected`` with the reason, so nothing is lost: an
operator fixes the connection and replays it.

Jobs are accepted through the API's own path (:func:`hub.api.job_intake.accept_job`) with the
key ``<connection id>:<intent key>``, so two connections of one account never collide.
"""
from __future__ import annotations

import hashlib
import logging
import threading
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from marshmallow import ValidationError
from sqlalchemy import update

from fiscal.ledger import audit
from fiscal.ledger import postings as ledger_postings
from fiscal.ledger.connections import live_connection
from fiscal.ledger import source_events as events_ledger
from fiscal.ledger.db import JOB_CHANGES
from fiscal.ledger.models import Connection, StoredEvent, utcnow
from fiscal.model import EventState
from fiscal.schemas import load_job
from hub.api.errors import ApiError
from hub.connection_runtime import connection_view, http_session, run_end_of_day
from hub.connectors import (FiscalJobIntent, Intent, SourceEvent, TranslationError,
                            _jsonable, check_intents, connectors)

log = logging.getLogger(__name__)
DEFAULT_TRANSLATE_TIMEOUT = 5.0
MAX_EVENT_ID = 200
END_OF_DAY = "end_of_day"           # the scheduler's events (hub.scheduled_jobs)


@dataclass
class EventOutcome:
    """What became of one event: the answer a delivery (and every redelivery) gets."""

    id: str
    event_id: str
    type: str
    state: str
    reason: str | None = None
    errors: dict | None = None
    job_ids: list[str] = field(default_factory=list)
    posting_ids: list[str] = field(default_factory=list)
    duplicate: bool = False

    def to_json(self) -> dict:
        out: dict[str, Any] = {"id": self.id, "event_id": self.event_id, "type": self.type,
                               "state": self.state, "job_ids": self.job_ids,
                               "posting_ids": self.posting_ids, "duplicate": self.duplicate}
        if self.state == EventState.REJECTED:
            out["reason"], out["errors"] = self.reason, self.errors or {}
        return out


class Refused(Exception):
    """The ledger refused what an event produced (the event is kept as rejected)."""

    def __init__(self, reason: str, errors: dict | None = None):
        super().__init__(reason)
        self.reason, self.errors = reason, errors or {}


def outcome_of(s, row: StoredEvent, duplicate: bool = False) -> EventOutcome:
    """The outcome of a stored event, read back from the ledger."""
    return EventOutcome(
        id=row.id, event_id=row.event_id, type=row.type, state=row.state, reason=row.reason,
        errors=row.errors, duplicate=duplicate,
        job_ids=[j.id for j in events_ledger.jobs_for_event(s, row.id)],
        posting_ids=[p.id for p in ledger_postings.for_event(s, row.id)])


def translate_in_time(connector, event: SourceEvent, timeout: float) -> list[Intent]:
    """``connector.translate(event)``, checked, within ``timeout`` seconds. Anything it raises
    and a late answer become a :class:`TranslationError` saying so. A stuck translation's
    thread is abandoned (a daemon: it cannot keep the hub from stopping)."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["intents"] = connector.translate(event)
        except BaseException as exc:        # noqa: BLE001 - a plugin's bug, reported as such
            box["error"] = exc
    worker = threading.Thread(target=run, name=f"translate-{connector.name}", daemon=True)
    worker.start()
    worker.join(timeout)
    if worker.is_alive():
        raise TranslationError(f"{connector.name} did not translate the event within "
                               f"{timeout:g} s (the connector is slow or stuck)")
    error = box.get("error")
    if isinstance(error, TranslationError):
        raise error
    if error is not None:
        log.warning("connector %s raised in translate", connector.name, exc_info=error)
        raise TranslationError(f"{connector.name} failed inside translate: "
                               f"{type(error).__name__}: {error}")
    return check_intents(box.get("intents"), load_jobs=False)   # loaded once, when written


def first_message(errors) -> str:
    """The first message of marshmallow-style field errors, with its field path."""
    path = []
    while isinstance(errors, dict) and errors:
        key = next(iter(errors))
        path.append(str(key))
        errors = errors[key]
    text = errors[0] if isinstance(errors, list) and errors else str(errors)
    return f"{'.'.join(path)}: {text}" if path else str(text)


def unparsed_event(body: bytes, reason: str) -> SourceEvent:
    """A stand-in for a request the connector could not parse: stored (rejected) under an ID
    derived from its body, so a redelivery of the same body finds it."""
    digest = hashlib.sha256(body).hexdigest()[:40]
    return SourceEvent(event_id=f"unparsed:{digest}", type="unparsed", payload={})


class Intake:
    """Stores events for connections of any account; one per process is enough."""

    def __init__(self, ledger, host, translate_timeout: float = DEFAULT_TRANSLATE_TIMEOUT):
        self.ledger, self.host, self.translate_timeout = ledger, host, translate_timeout

    # -- entry points -----------------------------------------------------------------------
    def accept_events(self, conn: Connection, connector, events: list[SourceEvent],
                      request: dict | None = None,
                      actor: str | None = None) -> list[EventOutcome]:
        """Translate each event, then store them all with what they produced."""
        results: list[tuple[SourceEvent, Any]] = []
        for event in events:
            try:
                results.append((event, translate_in_time(connector, event,
                                                         self.translate_timeout)))
            except TranslationError as exc:
                results.append((event, exc))
        return self._store(conn, results, request, actor)

    def accept_intents(self, conn: Connection, event: SourceEvent, intents: Any,
                       actor: str | None = None) -> EventOutcome:
        """Store an event whose intents were made already (end of day), checked first."""
        try:
            result: Any = check_intents(intents, load_jobs=False)
        except TranslationError as exc:
            result = exc
        return self._store(conn, [(event, result)], None, actor)[0]

    def reject_unparsed(self, conn: Connection, request: dict, body: bytes,
                        reason: str) -> EventOutcome:
        event = unparsed_event(body, reason)
        return self._store(conn, [(event, TranslationError(reason))], request, None)[0]

    def replay(self, conn: Connection, connector, row_id: str, actor: str) -> EventOutcome:
        """Translate a rejected event again with the connection as it is now. Raises
        :class:`ApiError` 409 when the event is not rejected (any more) or was never parsed."""
        with self.ledger.session(readonly=True) as s:
            row = s.get(StoredEvent, row_id)
            state, payload = row.state, row.payload
        if state != EventState.REJECTED:
            raise ApiError(409, "not_rejected", f"Event {row_id} is {state}: only a rejected "
                                                "event is replayed")
        if row.type == "unparsed":
            raise ApiError(409, "not_replayable", "The request could not be parsed, so there "
                                                  "is no event to translate: ask the source "
                                                  "system to send it again")
        event = SourceEvent.from_json(payload)
        try:
            if event.type == END_OF_DAY:
                result: Any = self._end_of_day_again(conn, connector, event)
            else:
                result = translate_in_time(connector, event, self.translate_timeout)
        except TranslationError as exc:
            result = exc
        actor = actor or f"connection:{conn.id}"
        with self.ledger.session() as s:
            claimed = s.execute(update(StoredEvent).where(
                StoredEvent.id == row_id, StoredEvent.state == EventState.REJECTED)
                .values(replays=StoredEvent.replays + 1)
                .execution_options(synchronize_session=False)).rowcount
            if claimed != 1:
                raise ApiError(409, "not_rejected", f"Event {row_id} was replayed meanwhile")
            row = s.get(StoredEvent, row_id)
            s.refresh(row)
            audit.record(s, conn.account_id, actor, "event.replay", "event", row.id,
                         {"connection_id": conn.id, "event_id": row.event_id})
            return self._settle(s, conn, row, event, result, actor)

    def _end_of_day_again(self, conn, connector, event: SourceEvent) -> list[Intent]:
        """An end-of-day event has no request to translate: ask the connector again."""
        http = http_session(conn)
        try:
            return check_intents(run_end_of_day(
                self.ledger, connector, conn, date.fromisoformat(event.payload["business_day"]),
                http))
        except TranslationError:
            raise
        except Exception as exc:
            raise TranslationError(f"{connector.name} failed inside end_of_day: "
                                   f"{type(exc).__name__}: {exc}") from None
        finally:
            http.close()

    # -- the transaction --------------------------------------------------------------------
    def _store(self, conn: Connection, results, request: dict | None,
               actor: str | None) -> list[EventOutcome]:
        actor = actor or f"connection:{conn.id}"
        outcomes = []
        with self.ledger.session() as s:
            for event, result in results:
                row, created = events_ledger.insert_event(
                    s, account_id=conn.account_id, connection_id=conn.id,
                    event_id=event.event_id[:MAX_EVENT_ID], type=event.type[:100],
                    state=EventState.ACCEPTED, request=request, payload=event.to_json())
                if not created:
                    outcomes.append(outcome_of(s, row, duplicate=True))
                    continue
                outcomes.append(self._settle(s, conn, row, event, result, actor))
            s.execute(update(Connection).where(Connection.id == conn.id)
                      .values(last_event_at=utcnow()))
        return outcomes

    def _settle(self, s, conn: Connection, row: StoredEvent, event: SourceEvent, result: Any,
                actor: str) -> EventOutcome:
        """Write what a translated event produced, or keep it rejected with the reason."""
        if isinstance(result, TranslationError):
            events_ledger.mark(s, row, EventState.REJECTED, reason=result.reason,
                               errors=_jsonable(result.errors) or None)
            return outcome_of(s, row)
        told = len(s.info.get(JOB_CHANGES, []))
        try:
            with s.begin_nested():
                job_ids, posting_ids = self._write_intents(s, conn, row, result, actor)
        except Refused as exc:
            # the savepoint took the jobs back: so must the observers' list
            del s.info.setdefault(JOB_CHANGES, [])[told:]
            events_ledger.mark(s, row, EventState.REJECTED, reason=exc.reason,
                               errors=exc.errors or None)
            return outcome_of(s, row)
        events_ledger.mark(s, row, EventState.ACCEPTED)
        return EventOutcome(id=row.id, event_id=row.event_id, type=row.type,
                            state=row.state, job_ids=job_ids, posting_ids=posting_ids)

    def _write_intents(self, s, conn: Connection, row: StoredEvent, intents: list[Intent],
                       actor: str) -> tuple[list[str], list[str]]:
        from hub.api.job_intake import accept_job
        job_ids, posting_ids = [], []
        source = {"connection_id": conn.id, "connector": conn.connector,
                  "event_id": row.event_id, "source_event": row.id}
        for n, intent in enumerate(intents):
            where = f"intent {n}"
            if isinstance(intent, FiscalJobIntent):
                job = self._routed(conn, _jsonable(intent.job), where)
                job["idempotency_key"] = f"{conn.id}:{intent.idempotency_key}"
                try:
                    loaded = load_job(job)
                    job_row, _ = accept_job(s, conn.account_id, actor, loaded, source=source,
                                            connection_id=conn.id, source_event_id=row.id)
                except ValidationError as exc:
                    raise Refused(f"{where}: the job is not valid: {first_message(exc.messages)}",
                                  {where: exc.messages})
                except ApiError as exc:
                    detail = first_message(exc.errors) if exc.errors else exc.message
                    raise Refused(f"{where}: {detail}", {where: exc.errors or {}})
                job_ids.append(job_row.id)
                continue
            receiver, key = self._posting_receiver(s, conn, intent, where)
            try:
                posting, _ = ledger_postings.create_posting(
                    s, account_id=conn.account_id, connection_id=receiver, kind=intent.kind,
                    target=intent.target, amount=intent.amount,
                    payload=_jsonable(intent.payload), idempotency_key=key,
                    actor=actor, source_event_id=row.id)
            except ledger_postings.PostingConflict as exc:
                raise Refused(f"{where}: {exc}")
            posting_ids.append(posting.id)
        return job_ids, posting_ids

    def _posting_receiver(self, s, conn: Connection, intent, where: str) -> tuple[str, str]:
        """The connection a posting goes to and its key there: the event's own connection, or
        the live connection of the same account the intent names — whose connector must send
        postings. Its key there is prefixed with this connection's ID, so two connections
        posting onto one PMS never collide."""
        if not intent.connection or intent.connection == conn.id:
            return conn.id, intent.idempotency_key
        other = live_connection(s, intent.connection)
        if other is None or other.account_id != conn.account_id:
            raise Refused(f"{where}: the posting names connection {intent.connection!r}, which "
                          "is not a connection of this account (fix the linked connection in "
                          "the settings)")
        cls = connectors(self.host).get(other.connector)
        if cls is None or not cls.supports("send_posting"):
            raise Refused(f"{where}: connection {other.name!r} cannot receive postings (its "
                          f"connector {other.connector!r} is not installed or sends none)")
        return other.id, f"{conn.id}:{intent.idempotency_key}"

    def _routed(self, conn: Connection, job: dict, where: str) -> dict:
        if job.get("register") or job.get("register_group"):
            return job
        try:
            route = self.host.route_job(job, connection_view(conn))
        except Exception as exc:            # a routing plugin's bug: keep the event
            log.exception("fiscalhub_route_job failed")
            raise Refused(f"{where}: routing failed: {type(exc).__name__}: {exc}") from None
        if not route:
            raise Refused(f"{where}: no register to print on: the connection names no "
                          "register or group")
        return {**job, **route}
