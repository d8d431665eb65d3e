"""The drivers shipped with fiscalhub (``virtual``, ``shtrih``), registered through the hook."""
from fiscal.drivers import builtin_drivers
from hub.hookspecs import hookimpl


@hookimpl
def fiscalhub_register_drivers():
    return list(builtin_drivers().values())
