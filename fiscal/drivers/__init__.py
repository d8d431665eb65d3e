"""Register drivers: one contract (``base.RegisterDriver``), one class per register family.

``BUILTIN_DRIVERS`` names the drivers shipped in this package; the hub registers them the same
way a vendor's plugin registers its own (DESIGN.md, "Plugins").
"""
from fiscal.drivers.base import RegisterDriver


def builtin_drivers() -> dict[str, type[RegisterDriver]]:
    from fiscal.drivers.shtrih import ShtrihDriver
    from fiscal.drivers.virtual import VirtualDriver
    return {VirtualDriver.name: VirtualDriver, ShtrihDriver.name: ShtrihDriver}
