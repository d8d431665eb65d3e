"""API keys: ``Authorization: Bearer <key>`` (the ``bearerAuth`` scheme of the spec)."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from fiscal.ledger.accounts import authenticate
from fiscal.ledger.models import ApiKey, utcnow
from hub.api.errors import ApiError

# The security requirement of an operation that needs a key, and of one where it is optional.
BEARER = [{"bearerAuth": []}]
BEARER_OPTIONAL = [{}, {"bearerAuth": []}]


def ledger():
    return current_app.extensions["fiscalhub.ledger"]


def _unauthorized(message: str, challenge: str = "Bearer") -> ApiError:
    return ApiError(401, "unauthorized", message, headers={"WWW-Authenticate": challenge})


def current_key():
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if not header:
        raise _unauthorized("Send your API key as 'Authorization: Bearer <key>'")
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorized("The Authorization header must be 'Bearer <key>'")
    with ledger().session(readonly=True) as s:
        row = authenticate(s, key.strip())
    if row is None:
        raise _unauthorized("The API key is not valid (unknown or deleted)",
                            "Bearer error=\"invalid_token\"")
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        with ledger().session() as s:       # at most once a minute per key
            s.get(ApiKey, row.id).last_used_at = now
    return row.account_id, row.prefix


def api_key_required(view):
    """The view needs an API key: ``g.account_id``, ``g.key_prefix`` and ``g.actor`` are set
    before it (and before its arguments are parsed: without a key, every answer is 401)."""
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.account_id, g.key_prefix = current_key()
        g.actor = f"api_key:{g.key_prefix}"
        return view(*args, **kwargs)
    return wrapped


def requires_api_key(bp):
    """:func:`api_key_required`, documented on ``bp``'s spec: the bearer scheme and the 401."""
    def decorator(view):
        view = bp.alt_response(401, response="Unauthorized")(api_key_required(view))
        return bp.doc(security=BEARER)(view)
    return decorator
