"""Which driver class serves a register, and building one for a ledger register row.

The plugin host (a later issue) adds vendors' drivers through the ``fiscalhub`` hooks; until
then the built-in drivers of ``fiscal.drivers`` are the registry.
"""
from __future__ import annotations

import os

from fiscal.drivers import builtin_drivers
from fiscal.drivers.base import NeedsOperator, RegisterDriver
from fiscal.ledger.models import Register


def available_drivers() -> dict[str, type[RegisterDriver]]:
    return builtin_drivers()


def make_driver(reg: Register) -> RegisterDriver:
    cls = available_drivers().get(reg.driver)
    if cls is None:
        raise NeedsOperator("unknown_driver", f"no register driver named {reg.driver!r} is "
                            "installed", "Install the driver's plugin or change the register")
    settings = {**(reg.settings or {}),
                "data_dir": os.environ.get("FISCALHUB_DATA_DIR", "var")}
    return cls(reg.url, settings)
