"""The default routing of a connection's jobs: the register or group its settings name."""
from hub.hookspecs import hookimpl


@hookimpl(trylast=True)
def fiscalhub_route_job(connection):
    routing = (connection or {}).get("routing") or {}
    for key in ("register", "register_group"):
        if routing.get(key):
            return {key: routing[key]}
    return None
