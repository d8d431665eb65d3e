"""``fiscalhub translate``: the intents an inbound request (or one event) would produce, printed
as JSON — with no database, no Redis and no network (docs/writing-a-connector.md).

EVENT_FILE is JSON, one of:

* an inbound request — ``{"method", "path", "headers", "query", "body", "received_at"}``
  (``body`` a string; ``received_at`` ISO 8601, default now). It is verified (unless
  ``--skip-verify``), parsed into events, and each event translated;
* a parsed event — ``{"event": {"event_id", "type", "payload", "occurred_at"}}`` — translated
  only.

The output: ``{"connector": name, "events": [{"event_id", "type", "intents": [...]}]}``, keys
sorted, so a golden file can hold it verbatim.
"""
from __future__ import annotations

import json
import sys

import click
from marshmallow import ValidationError


def _fail(message: str) -> None:
    click.echo(f"error: {message}", err=True)
    sys.exit(1)


def _read_json(path: str, what: str):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f)
    except OSError as exc:
        _fail(f"cannot read the {what} file {path}: {exc.strerror}")
    except json.JSONDecodeError as exc:
        _fail(f"the {what} file {path} is not JSON: {exc}")


@click.command("translate")
@click.option("--connector", "connector_name", required=True, help="The connector's name.")
@click.option("--settings", "settings_file", required=True,
              type=click.Path(dir_okay=False), help="A JSON file of the connection's settings.")
@click.option("--skip-verify", is_flag=True,
              help="Do not verify the request (e.g. a payload captured without its secret).")
@click.argument("event_file", type=click.Path(dir_okay=False))
def translate(connector_name, settings_file, skip_verify, event_file) -> None:
    """Print the intents EVENT_FILE would produce (JSON), without a database or Redis.

    EVENT_FILE holds an inbound request {method, path, headers, query, body, received_at}
    or one parsed event {"event": {event_id, type, payload, occurred_at}}."""
    from hub.connectors import TranslationError, VerificationFailed, connectors
    from hub.plugins import default_host
    found = connectors(default_host())
    if connector_name not in found:
        _fail(f"unknown connector {connector_name!r}; installed: "
              f"{', '.join(sorted(found)) or 'none'}")
    settings = _read_json(settings_file, "settings")
    event_doc = _read_json(event_file, "event")
    if not isinstance(settings, dict) or not isinstance(event_doc, dict):
        _fail("the settings and event files must each hold a JSON object")
    from hub.connector_kit import run_translate
    try:
        result = run_translate(found[connector_name], settings, event_doc, skip_verify)
    except ValidationError as exc:
        _fail(f"invalid settings: {json.dumps(exc.messages, ensure_ascii=False, sort_keys=True)}")
    except VerificationFailed as exc:
        _fail(f"verification failed: {exc.reason}")
    except TranslationError as exc:
        _fail(f"translation failed: {exc.reason}")
    click.echo(json.dumps(result, indent=2, ensure_ascii=False, sort_keys=True))
