"""What can go wrong talking to Clock PMS+, sorted by what it means for a write:

- :class:`ClockRefused` — Clock answered 4xx (not 429): it read the request and refused it;
  surely not applied (→ ``hub.connectors.PostingRefused``).
- :class:`ClockUnavailable` — no connection was made, Clock answered 503, or 429 until we gave
  up (:class:`ClockRateLimited`): surely not applied, try later (→ ``PostingNotDelivered``).
- :class:`ClockUncertain` — a read timeout, a dropped connection after sending, a 5xx other than
  503: it may have been applied (→ ambiguous; look before posting again).
- :class:`ClockBadAnswer` — Clock said 2xx but the answer is not JSON: a write *was* applied.
"""
from __future__ import annotations

import json

import requests
from urllib3.exceptions import MaxRetryError, NewConnectionError
from urllib3.exceptions import ProxyError as Urllib3ProxyError
from urllib3.exceptions import SSLError as Urllib3SSLError

MESSAGE_LIMIT = 300


class ClockError(Exception):
    """``status`` is the HTTP status (``None`` when there was no answer), ``message`` Clock's
    message or ours, ``body`` the raw answer text (``""`` when none)."""

    def __init__(self, status: int | None, message: str, body: str = ""):
        super().__init__(f"Clock PMS+ {status}: {message}" if status else f"Clock PMS+: {message}")
        self.status, self.message, self.body = status, message, body


class ClockRefused(ClockError):
    """4xx other than 429: Clock refused the request; surely not applied."""


class ClockUnavailable(ClockError):
    """Surely not applied: no connection, 503, or rate-limited until we gave up."""

    def __init__(self, status: int | None, message: str, body: str = "",
                 retry_after: float | None = None):
        super().__init__(status, message, body)
        self.retry_after = retry_after


class ClockRateLimited(ClockUnavailable):
    """Clock kept answering 429 after every retry we allow."""


class ClockUncertain(ClockError):
    """No clear answer after the request was sent: it may have been applied."""


class ClockBadAnswer(ClockError):
    """2xx with an answer that is not JSON: the request was applied, its answer is unreadable."""


def clock_message(text: str) -> str:
    """Clock's message from an error answer. The research documents no error body, so: a JSON
    object's ``message``/``error``/``errors`` when there, else the text itself (shortened)."""
    text = (text or "").strip()
    try:
        data = json.loads(text)
    except ValueError:
        data = None
    if isinstance(data, dict):
        for key in ("message", "error", "errors"):
            if data.get(key):
                return _short(_flatten(data[key]))
    return _short(text) if text else "no message"


def _flatten(value) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k}: {_flatten(v)}" for k, v in value.items())
    if isinstance(value, list):
        return "; ".join(_flatten(v) for v in value)
    return str(value)


def _short(text: str) -> str:
    return text if len(text) <= MESSAGE_LIMIT else text[:MESSAGE_LIMIT - 1] + "…"


_NOT_SENT_REASONS = (NewConnectionError, Urllib3SSLError, Urllib3ProxyError)
_NEVER_SENT = (requests.exceptions.ConnectTimeout, requests.exceptions.ProxyError,
               requests.exceptions.InvalidURL, requests.exceptions.MissingSchema,
               requests.exceptions.InvalidSchema, requests.exceptions.URLRequired)


def from_exception(exc: requests.RequestException) -> ClockError:
    """A ``requests`` failure as a :class:`ClockError`: unavailable only when the request
    surely never left (no connection, TLS or proxy failure while connecting); everything else
    (read timeout, connection dropped after sending, …) is uncertain."""
    if isinstance(exc, _NEVER_SENT):
        return ClockUnavailable(None, f"could not connect: {exc}")
    if isinstance(exc, requests.exceptions.ReadTimeout):
        return ClockUncertain(None, f"no answer in time: {exc}")
    if isinstance(exc, requests.exceptions.ConnectionError):
        cause = exc.args[0] if exc.args else None
        if isinstance(cause, MaxRetryError) and isinstance(cause.reason, _NOT_SENT_REASONS):
            return ClockUnavailable(None, f"could not connect: {cause.reason}")
    return ClockUncertain(None, f"{type(exc).__name__}: {exc}")
