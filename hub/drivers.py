"""Which driver class serves a register, and building one for a ledger register row.

Every driver comes through the ``fiscalhub_register_drivers`` hook (hub/plugins.py): the
built-in ones of ``fiscal.drivers`` and those of installed plugins alike.
"""
from __future__ import annotations

import os

from fiscal.drivers.base import NeedsOperator, RegisterDriver
from fiscal.ledger.models import Register


def available_drivers() -> dict[str, type[RegisterDriver]]:
    from hub.plugins import default_host
    return default_host().drivers()


def make_driver(reg: Register) -> RegisterDriver:
    cls = available_drivers().get(reg.driver)
    if cls is None:
        raise NeedsOperator("unknown_driver", f"no register driver named {reg.driver!r} is "
                            "installed", "Install the driver's plugin or change the register")
    settings = {**(reg.settings or {}),
                "data_dir": os.environ.get("FISCALHUB_DATA_DIR", "var")}
    return cls(reg.url, settings)
