"""The hooks a fiscalhub plugin may implement (pluggy project ``fiscalhub``).

A plugin is a module or an object whose functions are named after these hooks and marked with
:data:`hookimpl`; a package makes itself known through the ``fiscalhub`` entry-point group::

    [project.entry-points.fiscalhub]
    acme_pos = "acme_fiscalhub.plugin"

Hooks are called with keyword arguments; an implementation may take fewer arguments than the
spec names (only those it needs). A function named ``fiscalhub_…`` that is not one of these
hooks fails at startup — a misspelled hook never goes silently unused. docs/hooks.md describes
each hook; a test keeps it and this module in step.
"""
from __future__ import annotations

import pluggy

PROJECT = "fiscalhub"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)


@hookspec
def fiscalhub_register_connectors(hub):
    """Connector classes this plugin provides.

    :param hub: the :class:`hub.plugins.PluginHost` asking.
    :return: a list of connector classes (each with a unique ``name``, the entry point's).
    """


@hookspec
def fiscalhub_register_drivers(hub):
    """Register driver classes this plugin provides (the built-in drivers register the same way).

    :param hub: the :class:`hub.plugins.PluginHost` asking.
    :return: a list of :class:`fiscal.drivers.base.RegisterDriver` subclasses, each with a
        unique ``name`` — the ``driver`` a register names. Two plugins giving one name fail at
        startup.
    """


@hookspec(firstresult=True)
def fiscalhub_route_job(job, connection, hub):
    """Choose where a job from a connection prints. The first answer that is not None wins;
    the built-in default (tried last) answers the connection's own routing.

    :param job: the canonical job (JSON form) about to be accepted, naming no register.
    :param connection: the connection it came from: a dict with ``id``, ``account_id``,
        ``connector``, ``name``, ``settings``, ``routing``, ``time_zone``, ``closing_time``.
    :param hub: the :class:`hub.plugins.PluginHost`.
    :return: ``{"register": id}`` or ``{"register_group": id}``, or None to leave it to the
        next implementation.
    """


@hookspec
def fiscalhub_job_state_changed(job_id, old_state, new_state, hub):
    """An observer of job state changes, told after the change commits. Must be quick: anything
    slow goes to a queue of its own. One that raises is logged. The return value is ignored.

    :param job_id: the job's ID.
    :param old_state: its state before (None for a new job).
    :param new_state: its state now.
    :param hub: the :class:`hub.plugins.PluginHost`.
    """


@hookspec
def fiscalhub_register_periodic_jobs(hub):
    """Work to run on a schedule (by ``fiscalhub scheduler``), e.g.
    ``PeriodicJob(name="acme.sync", every=timedelta(minutes=5), run=sync)`` where
    ``sync(now, hub)`` returns a JSON-able dict (the run's result) or None.

    Each period runs once, whichever scheduler claims it; a period missed while the scheduler
    was down runs once when it is back (the latest only). A run that raises is recorded failed
    with the cause and retried (four attempts in all). Runs must be idempotent (a run taken
    over from a scheduler that died runs again) and quick, or queue their work.

    :param hub: the :class:`hub.plugins.PluginHost`.
    :return: a list of :class:`hub.periodic.PeriodicJob`, each with a unique dotted name
        (``acme.sync``); a name two plugins give stops the scheduler at startup.
    """


@hookspec
def fiscalhub_register_routes(hub):
    """Extra web routes, e.g. the endpoints a POS calls synchronously.

    :param hub: the :class:`hub.plugins.PluginHost`.
    :return: a list of Flask blueprints; their URLs should start with ``/connectors/<name>/``.
    """
