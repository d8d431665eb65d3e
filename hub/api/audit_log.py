"""The audit log: who did what (to be built)."""
from __future__ import annotations

from hub.api.parsing import Blueprint

bp = Blueprint("audit_log", __name__, url_prefix="/api/v1", description="The audit log: who did what")
