"""The Flask app factory."""
from __future__ import annotations

from flask import Flask

from fiscal.ledger.db import Ledger
from hub.config import Settings
from hub.queues import connect


def create_app(settings: Settings | None = None) -> Flask:
    from hub.api import init_api
    from hub.api.parsing import DecimalJSONProvider

    settings = settings or Settings()
    app = Flask("fiscalhub")
    app.json = DecimalJSONProvider(app)     # JSON numbers → Decimal; key order kept; UTF-8
    app.extensions["fiscalhub.settings"] = settings
    app.extensions["fiscalhub.ledger"] = Ledger(settings.database_url)
    app.extensions["fiscalhub.redis"] = connect(settings.redis_url) if settings.redis_url else None
    init_api(app)

    @app.get("/")
    def index():
        return {"name": "fiscalhub", "api": "/api/v1", "health": "/api/v1/health",
                "openapi": "/api/v1/openapi.json"}

    return app
