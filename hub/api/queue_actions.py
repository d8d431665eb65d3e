"""Print-queue actions: counts, repeat, refund receipt, cancel tasks (to be built)."""
from __future__ import annotations

from hub.api.parsing import Blueprint

bp = Blueprint("queue_actions", __name__, url_prefix="/api/v1", description="Print-queue actions: counts, repeat, refund receipt, cancel tasks")
