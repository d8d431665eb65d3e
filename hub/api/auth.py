"""API keys: ``Authorization: Bearer <key>``."""
from __future__ import annotations

from functools import wraps

from flask import current_app, g, request

from fiscal.ledger.accounts import authenticate
from fiscal.ledger.models import ApiKey, utcnow
from hub.api.errors import ApiError


def ledger():
    return current_app.extensions["fiscalhub.ledger"]


def current_key():
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if not header:
        raise ApiError(401, "unauthorized", "Send your API key as 'Authorization: Bearer <key>'",
                       headers={"WWW-Authenticate": "Bearer"})
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "unauthorized", "The Authorization header must be "
                       "'Bearer <key>'", headers={"WWW-Authenticate": "Bearer"})
    with ledger().session(readonly=True) as s:
        row = authenticate(s, key.strip())
    if row is None:
        raise ApiError(401, "unauthorized", "The API key is not valid (unknown or deleted)",
                       headers={"WWW-Authenticate": "Bearer error=\"invalid_token\""})
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        with ledger().session() as s:       # at most once a minute per key
            s.get(ApiKey, row.id).last_used_at = now
    return row.account_id, row.prefix


def api_key_required(view):
    @wraps(view)
    def wrapped(*args, **kwargs):
        g.account_id, g.key_prefix = current_key()
        g.actor = f"api_key:{g.key_prefix}"
        return view(*args, **kwargs)
    return wrapped
