"""Accounts and their API keys.

An API key is ``fh_<prefix>_<secret>``: the prefix is stored in clear to find the key and to
show which key is which; only a SHA-256 of the whole key is stored. The secret carries 256 bits
of randomness, so a slow password hash would add nothing but latency to every request.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from fiscal.ledger.models import Account, ApiKey, utcnow

KEY_PREFIX = "fh"


def create_account(session: Session, name: str) -> Account:
    account = Account(id=str(uuid.uuid4()), name=name)
    session.add(account)
    session.flush()
    return account


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def issue_api_key(session: Session, account_id: str, name: str) -> tuple[ApiKey, str]:
    """Create a key; returns the row and the full key, which is shown this once only."""
    prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey(id=str(uuid.uuid4()), account_id=account_id, name=name, prefix=prefix,
                 secret_hash=_hash(key))
    session.add(row)
    session.flush()
    return row, key


def authenticate(session: Session, key: str) -> ApiKey | None:
    """The live key row for ``key``, or None. Constant-time comparison of the hash."""
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == parts[1],
                                              ApiKey.deleted_at.is_(None)))
    if row is None or not hmac.compare_digest(row.secret_hash, _hash(key)):
        return None
    return row


def delete_api_key(session: Session, key_id: str) -> None:
    row = session.get(ApiKey, key_id)
    if row is not None and row.deleted_at is None:
        row.deleted_at = utcnow()
