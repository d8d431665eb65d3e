"""Accounts and their API keys.

An API key is ``fh_<prefix>_<secret>``: the prefix is stored in clear to find the key and to
show which key is which; only a SHA-256 of the whole key is stored. The secret carries 256 bits
of randomness, so a slow password hash would add nothing but latency to every request.

``create_api_key`` and ``revoke_api_key`` are what a user or a key does through the API: they
write the audit entry (name and prefix, never the secret) in the same transaction.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from fiscal.ledger import audit
from fiscal.ledger.models import Account, ApiKey, AuditEntry, utcnow
from fiscal.ledger.tenancy import owned

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


class KeyRefused(ValueError):
    """An API key change the ledger will not make; ``field`` names the culprit."""

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def _valid_key_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise KeyRefused("a key's name has 1 to 200 characters (say who uses it: \"PMS\")",
                         "name")
    return name


def create_api_key(session: Session, account_id: str, name: str, *, actor: str
                   ) -> tuple[ApiKey, str]:
    """Issue a key with its audit entry (name and prefix, never the secret); returns the row
    and the full key, which is shown this once only."""
    row, key = issue_api_key(session, account_id, _valid_key_name(name))
    audit.record(session, account_id, actor, "api_key.create", "api_key", row.id,
                 {"name": row.name, "prefix": row.prefix})
    return row, key


def list_api_keys(session: Session, account_id: str) -> list[ApiKey]:
    """The account's live keys, oldest first."""
    return list(session.scalars(select(ApiKey).where(ApiKey.account_id == account_id,
                                                     ApiKey.deleted_at.is_(None))
                                .order_by(ApiKey.created_at, ApiKey.id)))


def key_creators(session: Session, account_id: str, key_ids: list[str]) -> dict[str, str]:
    """Who issued each of ``key_ids`` (the actor of its ``api_key.create`` audit entry); a
    key without one (issued before there was an audit log) is left out."""
    if not key_ids:
        return {}
    rows = session.execute(select(AuditEntry.target_id, AuditEntry.actor).where(
        AuditEntry.account_id == account_id, AuditEntry.action == "api_key.create",
        AuditEntry.target_type == "api_key", AuditEntry.target_id.in_(key_ids)))
    return {target_id: actor for target_id, actor in rows}


def get_api_key(session: Session, account_id: str, key_id: str) -> ApiKey | None:
    """The account's live key; None for another account's key, as for a deleted or no key."""
    return owned(session, ApiKey, account_id, key_id)


def revoke_api_key(session: Session, key: ApiKey, *, actor: str) -> None:
    """Delete a live key with its audit entry: the next request made with it is refused."""
    if key.deleted_at is not None:
        return
    key.deleted_at = utcnow()
    audit.record(session, key.account_id, actor, "api_key.delete", "api_key", key.id,
                 {"name": key.name, "prefix": key.prefix})
