"""The Flask app factory."""
from __future__ import annotations

from flask import Flask

from fiscal.ledger.db import Ledger
from hub.config import Settings
from hub.queues import connect


def create_app(settings: Settings | None = None) -> Flask:
    settings = settings or Settings()
    app = Flask("fiscalhub")
    app.config["JSON_SORT_KEYS"] = False
    app.json.sort_keys = False
    app.json.ensure_ascii = False
    app.extensions["fiscalhub.settings"] = settings
    app.extensions["fiscalhub.ledger"] = Ledger(settings.database_url)
    app.extensions["fiscalhub.redis"] = connect(settings.redis_url) if settings.redis_url else None

    from hub.api import errors, health, jobs
    errors.install(app)
    app.register_blueprint(jobs.bp)
    app.register_blueprint(health.bp)

    @app.get("/")
    def index():
        return {"name": "fiscalhub", "api": "/api/v1", "health": "/api/v1/health"}

    return app
