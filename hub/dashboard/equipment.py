"""Equipment: the account's registers (list, add, a register's page with its live state,
binding ID, settings and service buttons), register groups and cashiers. Every read goes
through the account API; every change goes from the browser straight to it."""
from __future__ import annotations

from flask import Blueprint

from hub.dashboard.api_call import api
# the drivers the API itself accepts when a register is added (plugins' drivers included)
from hub.drivers import available_drivers
from hub.dashboard.i18n import gettext as _
from hub.dashboard.pages import must, page, render

bp = Blueprint("dashboard_equipment", __name__)

# What the driver codes are called; a driver a plugin adds shows its code.
DRIVER_NAMES = {"shtrih": "Shtrih-M (serial port or Ethernet)",
                "virtual": "Virtual register (simulated, no hardware)"}
SETTINGS = (
    ("paperless", "Paperless: print nothing, send every receipt electronically",
     "A receipt then needs the customer's email or phone."),
    ("universal_cashier", "Universal cashier: any cashier (or none) may be named",
     "When off, every document on this register must name one of the account's cashiers."),
    ("auto_open_shift", "Open the shift by itself before the first receipt",
     "When off, receipts fail until someone opens the shift."),
    ("close_shift_at_end_of_day", "Close the shift (Z report) at the end of the day", ""),
)
# Service actions without an amount: the API's path → the button's text.
SERVICE = (("open-shift", "Open shift"), ("x-report", "X report"),
           ("close-shift", "Z report (close shift)"),
           ("cancel-receipt", "Cancel the open receipt"),
           ("reprint-last", "Reprint the last document"), ("cut", "Cut the paper"))
SERVICE_CONFIRM = {"close-shift": "Close the shift and print the Z report?",
                   "cancel-receipt": "Cancel the receipt left open on the register?"}

# The API's binding_hint sentences (hub/api/register_views.py), to be said in Russian too.
BOUND_HINT = ("Bound to the device with factory serial number {serial}. Another device on this "
              "line is refused; to replace the device, add it as a new register and remove "
              "this one.")
UNBOUND_HINT = ("Nothing to type on the device: the first time a worker reaches the register at "
                "{url}, it reads the device's factory serial number and binds {binding_id} to "
                "it. Write the binding ID on a label on the device; quote it to support.")

def driver_options(names: list[str]) -> list[tuple[str, str]]:
    return [(d, DRIVER_NAMES.get(d, d)) for d in names]


def binding_text(reg: dict) -> str:
    """How the binding ID gets bound (the API's ``binding_hint``, in the visitor's
    language)."""
    if reg["removed"]:
        return _("Removed: binding ID {binding_id} is retired and will not be used again.",
                 binding_id=reg["binding_id"])
    if reg["serial_number"]:
        return _(BOUND_HINT, serial=reg["serial_number"])
    return _(UNBOUND_HINT, url=reg["url"], binding_id=reg["binding_id"])


def _registers(include_removed: bool = False) -> list[dict]:
    return must(api("GET", "/api/v1/registers",
                    query={"include_removed": "true" if include_removed else ""}))["items"]


@bp.get("/registers")
@page("read")
def registers():
    regs = _registers()
    return render("equipment/registers.html", registers=regs,
                  drivers=driver_options(sorted(available_drivers())), settings_list=SETTINGS,
                  defaults={"universal_cashier": True, "auto_open_shift": True})


@bp.get("/registers/<register_id>")
@page("read")
def register(register_id: str):
    reg = must(api("GET", f"/api/v1/registers/{register_id}"))
    jobs = must(api("GET", "/api/v1/jobs", query={"register": reg["id"], "limit": 10}))["items"]
    cashiers = []
    if not reg["settings"]["universal_cashier"]:
        cashiers = [c for c in must(api("GET", "/api/v1/cashiers"))["items"]
                    if not c["register_ids"] or reg["id"] in c["register_ids"]]
    return render("equipment/register.html", live=True, reg=reg, jobs=jobs,
                  cashier_options=[(c["id"], c["name"]) for c in cashiers],
                  hint=binding_text(reg), settings_list=SETTINGS,
                  service=SERVICE, service_confirm=SERVICE_CONFIRM,
                  driver_name=DRIVER_NAMES.get(reg["driver"], reg["driver"]))


def _register_choices() -> dict:
    """Every register's name (removed ones too: old groups and cashiers may name them) and
    the live ones to choose from."""
    regs = _registers(include_removed=True)
    return {"names": {r["id"]: r["name"] for r in regs},
            "active": [(r["id"], r["name"]) for r in regs if not r["removed"]]}


@bp.get("/groups")
@page("read")
def groups():
    items = must(api("GET", "/api/v1/register-groups"))["items"]
    return render("equipment/groups.html", groups=items, **_register_choices())


@bp.get("/cashiers")
@page("read")
def cashiers():
    items = must(api("GET", "/api/v1/cashiers"))["items"]
    return render("equipment/cashiers.html", cashiers=items, **_register_choices())
