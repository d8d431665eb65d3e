"""How registers look in the API: their settings, their live state as a worker last saw it,
the binding ID with a hint on how the binding happens, and the answers of activate and
remove."""
from __future__ import annotations

from datetime import datetime
from typing import Any

from marshmallow import Schema, fields

from fiscal.ledger.models import Register
from fiscal.ledger.registers import public_settings
from fiscal.money import money as to_money
from hub.api.schemas import money, timestamp


def _iso(dt: datetime | None) -> str | None:
    return dt.isoformat() if dt else None


class RegisterSettingsSchema(Schema):
    paperless = fields.Boolean(required=True, metadata={
        "description": "Print nothing; send receipts electronically (they need the customer's "
                       "email or phone)"})
    universal_cashier = fields.Boolean(required=True, metadata={
        "description": "false: every job must name one of the account's cashiers (cashier_id)"})
    auto_open_shift = fields.Boolean(required=True, metadata={
        "description": "Open the shift by itself before a receipt or cash operation"})
    close_shift_at_end_of_day = fields.Boolean(required=True, metadata={
        "description": "Close the shift (Z report) at the venue's end of day"})


class LiveStateSchema(Schema):
    """What a worker last saw on the register; null where it has not seen it yet."""

    online = fields.Boolean(required=True, metadata={
        "description": "Whether the register answered the last time a worker tried it"})
    last_seen_at = timestamp("When a worker last talked to it", required=True, allow_none=True)
    error = fields.String(required=True, allow_none=True, metadata={
        "description": "Why it did not answer the last time (when offline)"})
    model = fields.String(required=True, allow_none=True)
    shift_open = fields.Boolean(required=True, allow_none=True)
    shift_number = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The current (or last) shift's number"})
    shift_opened_at = timestamp("When the open shift was opened", required=True,
                                allow_none=True)
    shift_expired = fields.Boolean(required=True, allow_none=True, metadata={
        "description": "The shift is over 24 hours old: close it (Z report) before printing"})
    receipt_open = fields.Boolean(required=True, allow_none=True)
    paper = fields.String(required=True, allow_none=True, metadata={
        "description": "ok, out, or continue (paper was replaced; printing waits to go on)"})
    fn_number = fields.String(required=True, allow_none=True, metadata={
        "description": "The fiscal storage (FN) number"})
    fn_expires_on = fields.String(required=True, allow_none=True, metadata={
        "format": "date", "description": "When the fiscal storage expires"})
    last_fd_number = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The last fiscal document's number"})
    last_doc_number = fields.Integer(required=True, allow_none=True, metadata={
        "description": "The register's through number of its last document"})
    cash_in_drawer = money("Cash in the drawer, as the register counts it", required=True,
                           allow_none=True)
    clock = timestamp("The register's own clock when last seen", required=True,
                      allow_none=True)


class RegisterSchema(Schema):
    """A register: what it is, how it is reached and bound, its settings and live state."""

    id = fields.String(required=True, metadata={"format": "uuid"})
    name = fields.String(required=True)
    driver = fields.String(required=True, metadata={"example": "shtrih"})
    url = fields.String(required=True, metadata={"example": "/dev/ttyUSB0"})
    binding_id = fields.String(required=True, metadata={
        "example": "K7QM-2XRT-HN4P", "description": "The register's ID in the hub; bound to "
        "the device's factory serial number at the first contact, never reused"})
    binding_hint = fields.String(required=True, metadata={
        "description": "How the binding happens (or to which device it is bound)"})
    serial_number = fields.String(required=True, allow_none=True, metadata={
        "description": "The factory serial number of the device it is bound to; null until a "
                       "worker first reached it"})
    binding_conflict = fields.String(required=True, allow_none=True, metadata={
        "description": "A different device answered on its line (or its device is bound to "
                       "another register): what was seen. Its jobs fail until the right "
                       "device is back; null when there is no conflict"})
    settings = fields.Nested(RegisterSettingsSchema, required=True)
    suspended = fields.Boolean(required=True, metadata={
        "description": "Jobs are held, nothing is printed, until it is activated"})
    removed = fields.Boolean(required=True)
    removed_at = timestamp("When it was removed", required=True, allow_none=True)
    pending_jobs = fields.Integer(required=True, metadata={
        "description": "Its jobs received, queued, being sent or held"})
    live = fields.Nested(LiveStateSchema, required=True)
    created_at = timestamp("When it was added", required=True)


class RegisterListSchema(Schema):
    items = fields.List(fields.Nested(RegisterSchema), required=True, metadata={
        "description": "The account's registers, oldest first"})


class ActivatedSchema(Schema):
    register = fields.Nested(RegisterSchema, required=True)
    jobs_released = fields.Integer(required=True, metadata={
        "description": "Held jobs that went back to the print queue"})


class RemovedSchema(Schema):
    register = fields.Nested(RegisterSchema, required=True)
    jobs_cancelled = fields.Integer(required=True, metadata={
        "description": "Jobs not yet sent (received, queued, held) and failed ones, cancelled "
                       "with the cause \"the register was removed\""})
    jobs_still_sending = fields.Integer(required=True, metadata={
        "description": "Jobs being sent when it was removed: they finish, or are reconciled "
                       "with the register"})
    jobs_needing_attention = fields.Integer(required=True, metadata={
        "description": "Jobs an operator must settle (the register may have printed them)"})
    jobs_printed = fields.Integer(required=True, metadata={
        "description": "Printed jobs: they stay in the print queue"})


def binding_hint(reg: Register) -> str:
    if reg.removed_at is not None:
        return f"Removed: binding ID {reg.binding_id} is retired and will not be used again."
    if reg.serial_number:
        return (f"Bound to the device with factory serial number {reg.serial_number}. Another "
                "device on this line is refused; to replace the device, add it as a new "
                "register and remove this one.")
    return (f"Nothing to type on the device: the first time a worker reaches the register at "
            f"{reg.url}, it reads the device's factory serial number and binds {reg.binding_id} "
            "to it. Write the binding ID on a label on the device; quote it to support.")


def _typed(value: Any, kind: type) -> Any:
    """``value`` if it is of ``kind`` (bool is not an int here), else None."""
    if kind is int and isinstance(value, bool):
        return None
    return value if isinstance(value, kind) else None


def live_state(reg: Register) -> dict:
    state = reg.state or {}
    out = {"online": bool(state.get("online")), "last_seen_at": _iso(reg.last_seen_at),
           "error": None if state.get("online") else _typed(state.get("error"), str)}
    for key, kind in (("model", str), ("shift_open", bool), ("shift_number", int),
                      ("shift_opened_at", str), ("shift_expired", bool),
                      ("receipt_open", bool), ("paper", str), ("fn_number", str),
                      ("fn_expires_on", str), ("last_fd_number", int),
                      ("last_doc_number", int), ("cash_in_drawer", str), ("clock", str)):
        out[key] = _typed(state.get(key), kind)
    try:
        cash = out["cash_in_drawer"]
        out["cash_in_drawer"] = f"{to_money(cash):.2f}" if cash is not None else None
    except (ArithmeticError, ValueError, TypeError):
        out["cash_in_drawer"] = None
    return out


def register_json(reg: Register, pending_jobs: int) -> dict:
    return {
        "id": reg.id, "name": reg.name, "driver": reg.driver, "url": reg.url,
        "binding_id": reg.binding_id, "binding_hint": binding_hint(reg),
        "serial_number": reg.serial_number, "binding_conflict": reg.binding_conflict,
        "settings": public_settings(reg), "suspended": bool(reg.suspended),
        "removed": reg.removed_at is not None, "removed_at": _iso(reg.removed_at),
        "pending_jobs": pending_jobs, "live": live_state(reg),
        "created_at": _iso(reg.created_at),
    }
