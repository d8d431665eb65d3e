"""The pluggy plugin module of the Clock PMS+ connector (entry point name ``clock_pms``)."""
from __future__ import annotations

from hub.hookspecs import hookimpl

from .connector import ClockPmsConnector


@hookimpl
def fiscalhub_register_connectors():
    return [ClockPmsConnector]
