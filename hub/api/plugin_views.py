"""``GET /api/v1/plugins``: the plugins the hub runs, for integrators and the dashboard."""
from __future__ import annotations

from marshmallow import Schema, fields

from hub.api.auth import requires
from hub.api.parsing import Blueprint

bp = Blueprint("plugins", __name__, url_prefix="/api/v1",
               description="The plugins (connectors, drivers, routing) the hub runs")


class PluginSchema(Schema):
    name = fields.String(required=True, metadata={"description": "The entry point's name"})
    builtin = fields.Boolean(required=True)
    package = fields.String(required=True, allow_none=True, metadata={
        "description": "The distribution it comes from (null for the built-in ones)"})
    version = fields.String(required=True)
    hooks = fields.List(fields.String(), required=True, metadata={
        "description": "The hooks it implements (docs/hooks.md)"})


class PluginListSchema(Schema):
    items = fields.List(fields.Nested(PluginSchema), required=True)
    disabled = fields.List(fields.String(), required=True, metadata={
        "description": "Names left out by FISCALHUB_DISABLED_PLUGINS"})


@bp.route("/plugins", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=PluginListSchema, success=True, description="The plugins")
def list_plugins_view():
    """List the plugins

    Built-in and installed plugins with their versions and the hooks they implement.
    """
    from hub.plugins import default_host, disabled_from_env, list_plugins
    return {"items": list_plugins(default_host().pm), "disabled": disabled_from_env()}
