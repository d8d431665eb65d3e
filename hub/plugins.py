"""The plugin host: a pluggy manager with fiscalhub's hooks, the built-in plugins, the installed
ones (entry-point group ``fiscalhub``), and what they register.

``FISCALHUB_DISABLED_PLUGINS=a,b`` (or ``disabled=``) keeps plugins from loading by name (the
entry point's name); the built-in ones cannot be disabled. A plugin implementing a hook that
does not exist — ``fiscalhub_register_driver`` for ``…_drivers`` — fails at startup with
:class:`pluggy.PluginValidationError`, as does a driver name two plugins claim.

Each process builds its own host (:func:`default_host` for the process's settings); nothing is
registered behind anyone's back.
"""
from __future__ import annotations

import inspect
import logging
import os
from functools import lru_cache
from typing import Any, Iterable

import pluggy

from hub import hookspecs

log = logging.getLogger(__name__)
ENTRY_POINT_GROUP = hookspecs.PROJECT
DISABLED_ENV = "FISCALHUB_DISABLED_PLUGINS"
HOOK_PREFIX = "fiscalhub_"
BUILTIN = {"fiscalhub.drivers": "hub.builtin.drivers", "fiscalhub.routing": "hub.builtin.routing"}


class PluginConflict(pluggy.PluginValidationError):
    """Two plugins register the same name (of a driver or a connector)."""

    def __init__(self, message: str):
        Exception.__init__(self, message)


class _Manager(pluggy.PluginManager):
    """Every ``fiscalhub_…`` function of a plugin is a hook implementation, marked or not, so
    ``check_pending`` catches a misspelled one (pytest treats ``pytest_…`` alike)."""

    def parse_hookimpl_opts(self, plugin, name: str):
        opts = super().parse_hookimpl_opts(plugin, name)
        if opts is None and name.startswith(HOOK_PREFIX):
            method = getattr(plugin, name, None)
            if inspect.isroutine(method):
                return {}
        return opts


def disabled_from_env() -> list[str]:
    return [n.strip() for n in os.environ.get(DISABLED_ENV, "").split(",") if n.strip()]


def make_plugin_manager(*, load_entrypoints: bool = True, disabled: Iterable[str] | None = None,
                        extra: Iterable[tuple[str, Any]] = ()) -> pluggy.PluginManager:
    """Specs first, then the blocked names, the built-ins, the installed plugins (unless
    ``load_entrypoints`` is False, as tests do) and ``extra`` ``(name, plugin)`` pairs."""
    import importlib
    pm = _Manager(hookspecs.PROJECT)
    pm.add_hookspecs(hookspecs)
    disabled = list(disabled_from_env() if disabled is None else disabled)
    for name in disabled:
        if name not in BUILTIN:
            pm.set_blocked(name)
    for name, module in BUILTIN.items():
        pm.register(importlib.import_module(module), name=name)
    if load_entrypoints:
        pm.load_setuptools_entrypoints(ENTRY_POINT_GROUP)
    for name, plugin in extra:
        pm.register(plugin, name=name)
    pm.check_pending()
    return pm


class PluginHost:
    """What the hub asks of its plugins; the ``hub`` argument every hook receives."""

    def __init__(self, pm: pluggy.PluginManager):
        self.pm = pm
        self._drivers: dict[str, type] | None = None
        # filled by hub.connectors.connectors(host), the first time it is asked
        self.connector_classes: dict[str, type] | None = None

    def drivers(self) -> dict[str, type]:
        """Driver name → class, from every plugin (checked for clashes once)."""
        if self._drivers is None:
            found: dict[str, type] = {}
            owners: dict[str, str] = {}
            for impl in self.pm.hook.fiscalhub_register_drivers.get_hookimpls():
                for cls in impl.function(**_wanted(impl, hub=self)) or ():
                    if cls.name in found and found[cls.name] is not cls:
                        raise PluginConflict(f"driver {cls.name!r} is registered by both "
                                             f"{owners[cls.name]} and {impl.plugin_name}")
                    found[cls.name], owners[cls.name] = cls, impl.plugin_name
            self._drivers = found
        return dict(self._drivers)

    def route_job(self, job: dict, connection: dict | None) -> dict | None:
        return self.pm.hook.fiscalhub_route_job(job=job, connection=connection, hub=self)

    def job_state_changed(self, job_id: str, old_state: str | None, new_state: str) -> None:
        """Tell every observer; one that raises is logged and the others are still told."""
        available = {"job_id": job_id, "old_state": old_state, "new_state": new_state,
                     "hub": self}
        for impl in self.pm.hook.fiscalhub_job_state_changed.get_hookimpls():
            try:
                impl.function(**_wanted(impl, **available))
            except Exception:
                log.exception("%s failed in fiscalhub_job_state_changed", impl.plugin_name)

    def job_changes_observer(self, changes: list[tuple]) -> None:
        """A ledger observer (``Ledger(observers=[...])``): each committed change, in order."""
        for job_id, old, new in changes:
            self.job_state_changed(job_id, old, new)

    def extra_routes(self) -> list:
        """The Flask blueprints plugins add (``fiscalhub_register_routes``)."""
        found = []
        for impl in self.pm.hook.fiscalhub_register_routes.get_hookimpls():
            found.extend(impl.function(**_wanted(impl, hub=self)) or ())
        return found


def _wanted(impl, **available) -> dict:
    return {k: v for k, v in available.items() if k in impl.argnames}


def list_plugins(pm: pluggy.PluginManager) -> list[dict]:
    """Every registered plugin: its name, the distribution and version it comes from (None for
    the built-ins), whether it is built in, and the hooks it implements."""
    dists = {id(plugin): dist for plugin, dist in pm.list_plugin_distinfo()}
    out = []
    for name, plugin in sorted(pm.list_name_plugin(), key=lambda p: (p[0] not in BUILTIN, p[0])):
        if plugin is None:              # blocked
            continue
        dist = dists.get(id(plugin))
        out.append({"name": name, "builtin": name in BUILTIN,
                    "package": dist.metadata["name"] if dist else None,
                    "version": dist.version if dist else _own_version(),
                    "hooks": sorted(h.name for h in pm.get_hookcallers(plugin) or ())})
    return out


def _own_version() -> str:
    from hub.api import _version
    return _version()


@lru_cache(maxsize=None)
def _host_for(disabled: tuple[str, ...], pid: int) -> PluginHost:
    return PluginHost(make_plugin_manager(disabled=disabled))


def default_host() -> PluginHost:
    """This process's host, for its ``FISCALHUB_DISABLED_PLUGINS``."""
    return _host_for(tuple(disabled_from_env()), os.getpid())
