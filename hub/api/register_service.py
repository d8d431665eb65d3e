"""Register service actions, each enqueued as a job (to be built)."""
from __future__ import annotations

from hub.api.parsing import Blueprint

bp = Blueprint("register_service", __name__, url_prefix="/api/v1", description="Register service actions, each enqueued as a job")
