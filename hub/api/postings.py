"""``/api/v1/postings``: the postings the account's connections owe their source systems
(being built: issue 5)."""
from __future__ import annotations

from hub.api.parsing import Blueprint

bp = Blueprint("postings", __name__, url_prefix="/api/v1",
               description="Postings to source systems (room charges, tips, revenue)")
