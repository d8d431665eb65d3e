"""The cursor of a newest-first page ordered by (a time, an id): opaque to clients (URL-safe
base64 of ``[time ISO 8601, id]``), decoded back or refused. Pure."""
from __future__ import annotations

import base64
import json
from datetime import datetime


class InvalidCursor(ValueError):
    """Not a cursor this API gave out."""


def encode_cursor(at: datetime, row_id: str) -> str:
    raw = json.dumps([at.isoformat(), row_id]).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str]:
    try:
        at, row_id = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        return datetime.fromisoformat(at), str(row_id)
    except (ValueError, TypeError):
        raise InvalidCursor(cursor) from None
