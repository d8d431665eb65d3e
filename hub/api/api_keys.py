"""The account's API keys (to be built)."""
from __future__ import annotations

from hub.api.parsing import Blueprint

bp = Blueprint("api_keys", __name__, url_prefix="/api/v1", description="The account's API keys")
