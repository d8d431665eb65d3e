"""The REST API, under ``/api/v1``, on flask-smorest.

The OpenAPI 3 document at ``/api/v1/openapi.json`` is generated from the marshmallow schemas
that validate the requests (the canonical job of :mod:`fiscal.schemas`, the argument schemas of
the views) and from the answer schemas of :mod:`hub.api.schemas`. No documentation UI is served
(the product works offline; any OpenAPI viewer reads the JSON).
"""
from __future__ import annotations

from importlib import metadata

from flask import Flask

from fiscal.schemas import Money


def _version() -> str:
    try:
        return metadata.version("fiscalhub")
    except metadata.PackageNotFoundError:       # pragma: no cover - running from a checkout
        return "0.1.0"


def init_api(app: Flask):
    from hub.api import (api_keys, audit_log, cashiers, connection_events, connection_health,
                         connections, groups, health, job_activity, jobs, plugin_views, postings,
                         queue_actions, receipts, register_service, registers, scheduled_runs,
                         session_views, users)
    from hub.api.spec import DESCRIPTION, Api, describe

    app.config.setdefault("API_TITLE", "fiscalhub")
    app.config.setdefault("API_VERSION", _version())
    app.config.setdefault("OPENAPI_VERSION", "3.0.3")
    app.config.setdefault("OPENAPI_URL_PREFIX", "/api/v1")
    app.config.setdefault("OPENAPI_JSON_PATH", "openapi.json")
    app.config.setdefault("API_SPEC_OPTIONS", {"info": {"description": DESCRIPTION}})
    api = Api()
    api.register_field(Money, None, None)       # described by hub.api.spec.money2properties
    api.init_app(app)
    describe(api)
    for module in (session_views, users, api_keys, audit_log, registers, register_service,
                   groups, cashiers, queue_actions, job_activity, jobs, receipts, connections,
                   connection_events, connection_health, postings, scheduled_runs,
                   plugin_views, health):
        api.register_blueprint(module.bp)
    return api
