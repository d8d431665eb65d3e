"""Verifying inbound requests: the helpers a connector's ``verify`` calls — a shared secret
in a header, HTTP Basic, an API key in the query, an HMAC signature with a timestamp window.
Each raises :class:`VerificationFailed` and compares in constant time. No I/O.
"""
from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import datetime
from typing import TYPE_CHECKING

if TYPE_CHECKING:                   # the request type lives with the contract
    from hub.connectors import InboundRequest


class VerificationFailed(Exception):
    """An inbound request is not authentic (the hub answers 401 and stores nothing)."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def _same(given: str | bytes | None, expected: str | bytes) -> bool:
    """Constant-time comparison (no early exit on the first differing byte)."""
    if given is None:
        return False
    a = given.encode("utf-8") if isinstance(given, str) else given
    b = expected.encode("utf-8") if isinstance(expected, str) else expected
    return hmac.compare_digest(a, b)


def verify_shared_secret(request: InboundRequest, header: str, secret: str) -> None:
    """The request carries ``secret`` in ``header``."""
    if not secret:
        raise VerificationFailed("no secret is configured")
    value = request.header(header)
    if value is None:
        raise VerificationFailed(f"missing {header} header")
    if not _same(value, secret):
        raise VerificationFailed(f"wrong {header}")


def verify_basic(request: InboundRequest, username: str, password: str) -> None:
    """HTTP Basic authentication with ``username`` and ``password``."""
    value = request.header("Authorization") or ""
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        raise VerificationFailed("missing Basic authorization")
    try:
        user, sep, pwd = base64.b64decode(encoded.strip(), validate=True).decode().partition(":")
    except (binascii.Error, UnicodeDecodeError):
        raise VerificationFailed("malformed Basic authorization") from None
    # both compared every time, so the timing does not tell which one was wrong
    ok_user, ok_pwd = _same(user, username), _same(pwd, password)
    if not (sep and ok_user and ok_pwd):
        raise VerificationFailed("wrong username or password")


def verify_query_key(request: InboundRequest, param: str, key: str) -> None:
    """An API key in the query string (``?param=key``)."""
    if not key:
        raise VerificationFailed("no key is configured")
    value = request.query.get(param)
    if value is None:
        raise VerificationFailed(f"missing {param} query parameter")
    if not _same(value, key):
        raise VerificationFailed(f"wrong {param}")


def sign_hmac(secret: str | bytes, timestamp: int | str, body: bytes) -> str:
    """The hex HMAC-SHA256 of ``"<timestamp>." + body`` — what :func:`verify_hmac` checks."""
    key = secret.encode("utf-8") if isinstance(secret, str) else secret
    return hmac.new(key, str(timestamp).encode("ascii") + b"." + body,
                    hashlib.sha256).hexdigest()


def verify_hmac(request: InboundRequest, secret: str | bytes, signature_header: str,
                timestamp_header: str, window_seconds: int = 300,
                now: datetime | float | None = None) -> None:
    """An HMAC-SHA256 signature of ``"<timestamp>." + body`` (hex, optionally prefixed
    ``sha256=``) in ``signature_header``, with the Unix ``timestamp_header`` no further than
    ``window_seconds`` from ``now`` (default: when the request was received) — so neither a
    tampered body nor a replay of an old request passes."""
    if not secret:
        raise VerificationFailed("no secret is configured")
    signature, stamp = request.header(signature_header), request.header(timestamp_header)
    if not signature:
        raise VerificationFailed(f"missing {signature_header} header")
    if not stamp:
        raise VerificationFailed(f"missing {timestamp_header} header")
    try:
        sent = int(stamp.strip())
    except ValueError:
        raise VerificationFailed(f"{timestamp_header} is not a Unix timestamp") from None
    now = request.received_at if now is None else now
    current = now.timestamp() if isinstance(now, datetime) else float(now)
    if abs(current - sent) > window_seconds:
        raise VerificationFailed(f"{timestamp_header} is outside the {window_seconds} s window")
    given = signature.strip()
    if given.lower().startswith("sha256="):
        given = given[7:]
    if not _same(given.lower(), sign_hmac(secret, stamp.strip(), request.body)):
        raise VerificationFailed("signature does not match")
