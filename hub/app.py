"""The Flask app factory."""
from __future__ import annotations

from flask import Flask, redirect, request

from fiscal.ledger.db import Ledger
from hub.config import Settings
from hub.queues import connect


def create_app(settings: Settings | None = None, host=None) -> Flask:
    """The hub's web app. ``host`` is the plugin host (default: this process's)."""
    from hub import webhooks
    from hub.api import init_api
    from hub.api.parsing import DecimalJSONProvider
    from hub.dashboard import init_dashboard
    from hub.intake import Intake
    from hub.plugins import default_host

    settings = settings or Settings()
    host = host or default_host()
    app = Flask("fiscalhub")
    app.json = DecimalJSONProvider(app)     # JSON numbers → Decimal; key order kept; UTF-8
    ledger = Ledger(settings.database_url, observers=[host.job_changes_observer])
    app.extensions["fiscalhub.settings"] = settings
    app.extensions["fiscalhub.host"] = host
    app.extensions["fiscalhub.ledger"] = ledger
    app.extensions["fiscalhub.redis"] = connect(settings.redis_url) if settings.redis_url else None
    app.extensions["fiscalhub.intake"] = Intake(ledger, host, settings.translate_timeout)
    init_api(app)
    app.register_blueprint(webhooks.bp)
    init_dashboard(app)
    for blueprint in host.extra_routes():
        app.register_blueprint(blueprint)

    @app.get("/")
    def index():
        # A browser opening the hub gets the dashboard; a program gets where the API is.
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return redirect("/overview")
        return {"name": "fiscalhub", "api": "/api/v1", "health": "/api/v1/health",
                "openapi": "/api/v1/openapi.json"}

    return app
