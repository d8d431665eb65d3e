"""Groups of registers (to be built)."""
from __future__ import annotations

from hub.api.parsing import Blueprint

bp = Blueprint("groups", __name__, url_prefix="/api/v1", description="Groups of registers")
