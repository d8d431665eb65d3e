"""The account's users (to be built)."""
from __future__ import annotations

from hub.api.parsing import Blueprint

bp = Blueprint("users", __name__, url_prefix="/api/v1", description="The account's users")
