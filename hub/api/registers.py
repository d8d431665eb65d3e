"""``/api/v1/registers``: the account's registers (equipment) — add, list with live state, read,
edit the name, connection and settings, suspend, activate, remove.

Adding a register gives it a binding ID; the first worker that reaches the device binds the ID
to the device's factory serial number, and a different device on that line is refused (the
register shows ``binding_conflict``). A suspended register holds its jobs until it is activated;
a removed one is gone for good (its pending jobs are cancelled, its printed ones stay, its
binding ID is never given out again) but can still be read. Another account's register answers
404 like one that does not exist.
"""
from __future__ import annotations

import re

from flask import g, url_for
from marshmallow import (RAISE, Schema, ValidationError, fields, validate, validates,
                         validates_schema)
from sqlalchemy import select

from fiscal.ledger import registers as ledger_registers
from fiscal.ledger.models import Register
from fiscal.ledger.tenancy import owned
from hub.api.auth import ledger, requires
from hub.api.errors import ApiError, invalid
from hub.api.parsing import Blueprint
from hub.api.register_views import (ActivatedSchema, RegisterListSchema, RegisterSchema,
                                    RemovedSchema, register_json)
from hub.api.schemas import ErrorSchema, StrictBoolean
from hub.drivers import available_drivers

bp = Blueprint("registers", __name__, url_prefix="/api/v1",
               description="Registers (equipment): add, list, settings, suspend, remove")
LOCATION = {"Location": {"description": "The register's URL", "schema": {"type": "string"}}}
BUILTIN_DRIVERS = sorted(available_drivers())

_VIRTUAL_URL = re.compile(r"^virtual://[A-Za-z0-9_-][A-Za-z0-9._-]{0,63}$")
_SERIAL_PATH = re.compile(r"^(/[^\s]+|COM[0-9]{1,3})$")
_NETWORK_URL = re.compile(r"^(socket|rfc2217)://([A-Za-z0-9][A-Za-z0-9.-]*|\[[0-9A-Fa-f:.]+\])"
                          r":([0-9]{1,5})$")
URL_SHAPES = {
    "virtual": "virtual://NAME (letters, digits, . _ -: the simulated register's memory is kept "
               "in the hub's data directory)",
    "shtrih": "a serial port (/dev/ttyUSB0, /dev/ttyACM0, COM3), socket://HOST:PORT for a "
              "register on Ethernet, or rfc2217://HOST:PORT for a serial-over-network server",
}


def url_problem(driver: str, url: str) -> str | None:
    """Why ``url`` cannot be the connection of a ``driver`` register; None when it can."""
    if driver == "virtual":
        ok = bool(_VIRTUAL_URL.match(url))
    elif driver == "shtrih":
        net = _NETWORK_URL.match(url)
        ok = bool(_SERIAL_PATH.match(url)) or bool(net and 1 <= int(net.group(3)) <= 65535)
    else:
        ok = bool(url.strip())
    return None if ok else f"Not a {driver} connection URL; use {URL_SHAPES[driver]}"


class QueryBoolean(fields.Boolean):
    """``true`` or ``false`` in a query string."""

    def _deserialize(self, value, attr, data, **kwargs):
        if value not in ("true", "false"):
            raise self.make_error("invalid", input=value)
        return value == "true"


class _Name(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs).strip()
        if not name:
            raise ValidationError("The name must not be blank")
        return name


def _name(**kwargs) -> _Name:
    return _Name(validate=validate.Length(1, 200), metadata={
        "example": "Front desk", "description": "What operators call it (1 to 200 characters)"},
        **kwargs)


def _url(**kwargs) -> fields.String:
    return fields.String(validate=validate.Length(1, 500), metadata={
        "example": "socket://10.0.0.5:7778", "description": "How the worker reaches the "
        "register: for shtrih " + URL_SHAPES["shtrih"] + "; for virtual " + URL_SHAPES[
            "virtual"]}, **kwargs)


class SettingsInputSchema(Schema):
    """Settings to set; those left out keep their value (on add: their default)."""

    class Meta:
        unknown = RAISE

    paperless = StrictBoolean(metadata={
        "description": "Print nothing: send every receipt electronically (it then needs the "
                       "customer's email or phone). Default false"})
    universal_cashier = StrictBoolean(metadata={
        "description": "Any cashier (or none) may be named on a receipt. When false, every job "
                       "must give cashier_id, one of the account's cashiers. Default true"})
    auto_open_shift = StrictBoolean(metadata={
        "description": "Open the shift by itself before the first receipt or cash operation. "
                       "Default true"})
    close_shift_at_end_of_day = StrictBoolean(metadata={
        "description": "Close the shift (Z report) at the venue's end of day. Default false"})


class RegisterAddSchema(Schema):
    class Meta:
        unknown = RAISE

    name = _name(required=True)
    driver = fields.String(required=True, metadata={
        "enum": BUILTIN_DRIVERS, "example": "shtrih",
        "description": "The register family: shtrih (Shtrih-M over serial or Ethernet) or "
                       "virtual (a simulated register, no hardware)"})
    url = _url(required=True)
    settings = fields.Nested(SettingsInputSchema)

    @validates("driver")
    def _known_driver(self, value, **kwargs):
        if value not in available_drivers():
            raise ValidationError(f"Unknown driver {value!r}; installed: "
                                  f"{', '.join(sorted(available_drivers()))}")

    @validates_schema(skip_on_field_errors=True)
    def _url_fits_driver(self, data, **kwargs):
        problem = url_problem(data["driver"], data["url"])
        if problem:
            raise ValidationError(problem, "url")


class RegisterEditSchema(Schema):
    """The fields to change; those left out stay as they are."""

    class Meta:
        unknown = RAISE

    name = _name()
    url = _url()
    settings = fields.Nested(SettingsInputSchema)


class RegisterListArgs(Schema):
    include_removed = QueryBoolean(load_default=False, metadata={
        "description": "Also list removed registers (true or false; default false)"})


NOT_FOUND = "No such register in this account"
REMOVED_409 = "register_removed: the register was removed; it cannot be changed or used again"


def register_or_404(s, register_id: str) -> Register:
    """The account's register (removed ones too); 404 for another account's."""
    reg = owned(s, Register, g.account_id, register_id) if "\x00" not in register_id else None
    if reg is None:
        raise ApiError(404, "not_found", f"No register {register_id!r} in this account")
    return reg


def _answer(s, reg: Register) -> dict:
    pending = ledger_registers.pending_counts(s, [reg.id]).get(reg.id, 0)
    return register_json(reg, pending)


@bp.route("/registers", methods=["POST"])
@requires(bp, "registers.manage")
@bp.arguments(RegisterAddSchema, example={"name": "Front desk", "driver": "shtrih",
                                          "url": "/dev/ttyUSB0",
                                          "settings": {"universal_cashier": False}})
@bp.alt_response(201, schema=RegisterSchema, headers=LOCATION, success=True,
                 description="Added: its binding ID, and how it gets bound to the device")
@bp.alt_response(400, schema=ErrorSchema, description="The body is empty or not a JSON object")
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid (errors names it: "
                 "an unknown driver, a URL that does not fit the driver, …)")
def add_register(body: dict):
    """Add a register

    The hub gives it a binding ID; the first worker contact binds the ID to the device's
    factory serial number.
    """
    with ledger().session() as s:
        reg = ledger_registers.create_register(
            s, g.account_id, name=body["name"], driver=body["driver"], url=body["url"],
            settings=body.get("settings"), actor=g.actor)
        answer = _answer(s, reg)
    return answer, 201, {"Location": url_for("registers.get_register", register_id=answer["id"])}


@bp.route("/registers", methods=["GET"])
@requires(bp, "read")
@bp.arguments(RegisterListArgs, location="query", unknown=RAISE)
@bp.alt_response(200, schema=RegisterListSchema, success=True,
                 description="The account's registers with their live state")
@bp.alt_response(422, schema=ErrorSchema, description="A query parameter is not valid")
def list_registers(args: dict):
    """List registers

    With their live state (online, shift, paper, fiscal storage, last document) and how many
    jobs wait for each; removed ones only with include_removed=true.
    """
    with ledger().session(readonly=True) as s:
        q = select(Register).where(Register.account_id == g.account_id)
        if not args["include_removed"]:
            q = q.where(Register.removed_at.is_(None))
        regs = list(s.scalars(q.order_by(Register.created_at, Register.id)))
        pending = ledger_registers.pending_counts(s, [r.id for r in regs])
        return {"items": [register_json(r, pending.get(r.id, 0)) for r in regs]}


@bp.route("/registers/<register_id>", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=RegisterSchema, success=True, description="The register")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def get_register(register_id: str):
    """Read a register

    Also a removed one (removed is true, removed_at says when).
    """
    with ledger().session(readonly=True) as s:
        return _answer(s, register_or_404(s, register_id))


@bp.route("/registers/<register_id>", methods=["PATCH"])
@requires(bp, "registers.manage")
@bp.arguments(RegisterEditSchema, example={"settings": {"paperless": True}})
@bp.alt_response(200, schema=RegisterSchema, success=True, description="The changed register")
@bp.alt_response(400, schema=ErrorSchema, description="The body is empty or not a JSON object")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description=REMOVED_409)
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid (errors names it)")
def edit_register(body: dict, register_id: str):
    """Edit a register

    Its name, its connection URL (checked against its driver) and its settings (only those
    given change). The binding to the device stays.
    """
    with ledger().session() as s:
        reg = register_or_404(s, register_id)
        changes = {k: body[k] for k in ("name", "url") if k in body}
        ledger_registers.check_usable(reg)
        if "url" in body and (problem := url_problem(reg.driver, body["url"])):
            raise invalid({"url": [problem]})
        ledger_registers.edit_register(s, reg, actor=g.actor,
                                       settings=body.get("settings"), **changes)
        return _answer(s, reg)


@bp.route("/registers/<register_id>/suspend", methods=["POST"])
@requires(bp, "registers.manage")
@bp.alt_response(200, schema=RegisterSchema, success=True, description="Suspended (also when "
                 "it already was): its jobs are held, nothing is printed")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description=REMOVED_409)
def suspend_register(register_id: str):
    """Suspend a register

    Nothing is printed on it: jobs sent to it are accepted and held, and go on when it is
    activated. A job already being sent finishes. Service actions are refused meanwhile.
    """
    with ledger().session() as s:
        reg = register_or_404(s, register_id)
        ledger_registers.suspend_register(s, reg, actor=g.actor)
        return _answer(s, reg)


@bp.route("/registers/<register_id>/activate", methods=["POST"])
@requires(bp, "registers.manage")
@bp.alt_response(200, schema=ActivatedSchema, success=True, description="Active: its held "
                 "jobs went back to the queue (jobs_released says how many)")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description=REMOVED_409)
def activate_register(register_id: str):
    """Activate a register

    Ends a suspension: every held job of the register goes back to the print queue.
    """
    with ledger().session() as s:
        reg = register_or_404(s, register_id)
        released = ledger_registers.activate_register(s, reg, actor=g.actor)
        return {"register": _answer(s, s.get(Register, register_id)),
                "jobs_released": released}


@bp.route("/registers/<register_id>", methods=["DELETE"])
@requires(bp, "registers.manage")
@bp.alt_response(200, schema=RemovedSchema, success=True,
                 description="Removed, with what became of its jobs")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(409, schema=ErrorSchema, description="register_removed: it was removed "
                 "already")
def remove_register(register_id: str):
    """Remove a register

    Irreversible. Its jobs not yet sent (received, queued, held) and its failed ones are
    cancelled with the cause "the register was removed"; a job being sent finishes or is
    reconciled; a job that needs attention is left to an operator; printed ones stay in the
    queue. It leaves its groups; its binding ID is never reused.
    """
    with ledger().session() as s:
        reg = register_or_404(s, register_id)
        counts = ledger_registers.remove_register(s, reg, actor=g.actor)
        return {"register": _answer(s, s.get(Register, register_id)), **counts}
