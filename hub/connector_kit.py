"""The contract kit: what every connector must pass, as plain functions a vendor's tests (and
fiscalhub's own) call — ``assert check_connector(MyConnector, entry_point="acme",
golden_dir=HERE / "golden") == []``.

The checks: the class is a named :class:`hub.connectors.Connector` whose name is its entry
point's; its ``settings_schema`` loads its ``settings_example``; each golden request
(``<case>.request.json``) translates to exactly ``<case>.expected.json`` (the output of
``fiscalhub translate``), twice alike and without opening a socket; and the same request with
its headers, query and body tampered with is refused by ``verify``. Golden settings come from
``golden/settings.json`` when there is one, else the example.
"""
from __future__ import annotations

import json
import socket
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from marshmallow import ValidationError

from hub.connectors import (Connector, InboundRequest, SourceEvent, TranslationError,
                            VerificationFailed, check_intents, intents_to_json)


def run_translate(connector_cls, settings: dict, event_doc: dict,
                  skip_verify: bool = False) -> dict:
    """The whole dry run, as data: settings loaded, the request verified and parsed (or one
    parsed ``{"event": …}``), each event translated and its intents checked. Raises
    ValidationError (settings), VerificationFailed, TranslationError."""
    connector = connector_cls(connector_cls.load_settings(settings))
    if isinstance(event_doc, dict) and "event" in event_doc:
        try:
            events = [SourceEvent.from_json(event_doc["event"])]
        except (KeyError, TypeError, ValueError) as exc:
            raise TranslationError(f"the event is malformed: {exc!r}") from None
    else:
        request = InboundRequest.from_json(event_doc)
        if not skip_verify:
            connector.verify(request)
        events = connector.parse(request)
    out = []
    for event in events:
        try:
            intents = check_intents(connector.translate(event))
        except TranslationError as exc:
            raise TranslationError(f"event {event.event_id}: {exc.reason}", exc.errors) from None
        out.append({"event_id": event.event_id, "type": event.type,
                    "intents": intents_to_json(intents)})
    return {"connector": connector_cls.name, "events": out}


class NetworkUsed(Exception):
    """Translation tried to open a connection: it must be pure."""


@contextmanager
def no_network() -> Iterator[None]:
    """Any socket connection made inside raises :class:`NetworkUsed`."""
    real = socket.socket.connect

    def refuse(self, *args, **kwargs):
        raise NetworkUsed("translate opened a network connection")
    socket.socket.connect = refuse
    try:
        yield
    finally:
        socket.socket.connect = real


def golden_cases(golden_dir: Path) -> list[tuple[str, Path, Path]]:
    """``(case, request file, expected file)`` for each ``<case>.request.json``."""
    cases = []
    for request in sorted(Path(golden_dir).glob("*.request.json")):
        case = request.name[:-len(".request.json")]
        cases.append((case, request, request.with_name(f"{case}.expected.json")))
    return cases


def _tampered(doc: dict) -> dict:
    """The request with every header value, query value and the body altered: whatever the
    connector authenticates by (a shared secret, Basic, a key in the query, a signature over
    the body) no longer holds."""
    def alter(value: str) -> str:
        return f"{value}x" if not value.endswith("x") else f"{value}y"
    return {**doc, "headers": {k: alter(str(v)) for k, v in (doc.get("headers") or {}).items()},
            "query": {k: alter(str(v)) for k, v in (doc.get("query") or {}).items()},
            "body": alter(str(doc.get("body") or ""))}


def _check_case(cls, settings: dict, case: str, request: Path, expected: Path) -> list[str]:
    doc = json.loads(request.read_text())
    if not expected.exists():
        return [f"{case}: no {expected.name} beside {request.name}"]
    try:
        with no_network():
            got = run_translate(cls, settings, doc)
            again = run_translate(cls, settings, doc)
    except (ValidationError, VerificationFailed, TranslationError, NetworkUsed) as exc:
        return [f"{case}: {type(exc).__name__}: {exc}"]
    problems = []
    if got != again:
        problems.append(f"{case}: translating twice gave different intents (not pure)")
    if got != json.loads(expected.read_text()):
        problems.append(f"{case}: the intents differ from {expected.name}")
    if "event" not in doc:
        try:
            cls(cls.load_settings(settings)).verify(InboundRequest.from_json(_tampered(doc)))
            problems.append(f"{case}: verify accepted the request tampered with")
        except VerificationFailed:
            pass
    return problems


def check_connector(cls, *, entry_point: str | None = None,
                    golden_dir: Path | None = None) -> list[str]:
    """Every way ``cls`` breaks the contract, in words; empty when it passes."""
    if not (isinstance(cls, type) and issubclass(cls, Connector) and getattr(cls, "name", "")):
        return [f"{cls!r} is not a named hub.connectors.Connector subclass"]
    problems = []
    if entry_point is not None and cls.name != entry_point:
        problems.append(f"name {cls.name!r} is not its entry point's {entry_point!r}")
    try:
        cls.load_settings(cls.settings_example)
    except ValidationError as exc:
        problems.append(f"settings_example does not load: {exc.messages}")
    if golden_dir is not None:
        settings_file = Path(golden_dir) / "settings.json"
        settings = (json.loads(settings_file.read_text()) if settings_file.exists()
                    else cls.settings_example)
        cases = golden_cases(golden_dir)
        if not cases:
            problems.append(f"no golden requests (*.request.json) in {golden_dir}")
        for case, request, expected in cases:
            problems += _check_case(cls, settings, case, request, expected)
    return problems
