"""The account's cashiers (to be built)."""
from __future__ import annotations

from hub.api.parsing import Blueprint

bp = Blueprint("cashiers", __name__, url_prefix="/api/v1", description="The account's cashiers")
