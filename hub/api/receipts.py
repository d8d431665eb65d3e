"""Manual receipts (to be built)."""
from __future__ import annotations

from hub.api.parsing import Blueprint

bp = Blueprint("receipts", __name__, url_prefix="/api/v1", description="Manual receipts")
