"""Registers (equipment): add, list, settings, suspend, remove (to be built)."""
from __future__ import annotations

from hub.api.parsing import Blueprint

bp = Blueprint("registers", __name__, url_prefix="/api/v1", description="Registers (equipment): add, list, settings, suspend, remove")
