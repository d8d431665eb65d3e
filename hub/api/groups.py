"""``/api/v1/register-groups``: named, ordered groups of the account's registers.

A job may target a group (``register_group`` instead of ``register``): it prints on the first
register of the group, in the group's order, that is neither suspended nor removed and has the
fewest jobs waiting. A removed register leaves its groups. Another account's group answers 404
like one that does not exist.
"""
from __future__ import annotations

from flask import g, url_for
from marshmallow import RAISE, Schema, ValidationError, fields, validate

from fiscal.ledger import groups as ledger_groups
from fiscal.ledger.models import RegisterGroup
from hub.api.auth import ledger, requires
from hub.api.errors import ApiError
from hub.api.parsing import Blueprint
from hub.api.schemas import ErrorSchema, timestamp

bp = Blueprint("groups", __name__, url_prefix="/api/v1", description="Groups of registers")
LOCATION = {"Location": {"description": "The group's URL", "schema": {"type": "string"}}}
NOT_FOUND = "No such register group in this account (or it was deleted)"


class _Name(fields.String):
    def _deserialize(self, value, attr, data, **kwargs):
        name = super()._deserialize(value, attr, data, **kwargs).strip()
        if not name:
            raise ValidationError("The name must not be blank")
        return name


def _register_ids(**kwargs) -> fields.List:
    return fields.List(fields.String(validate=validate.Length(1, 64)), metadata={
        "description": "The account's registers (not removed), each once, in the order jobs "
                       "try them"}, **kwargs)


class GroupCreateSchema(Schema):
    class Meta:
        unknown = RAISE

    name = _Name(required=True, validate=validate.Length(1, 200),
                 metadata={"example": "Restaurant"})
    register_ids = _register_ids(load_default=list)


class GroupEditSchema(Schema):
    """The fields to change; register_ids replaces the whole list (and its order)."""

    class Meta:
        unknown = RAISE

    name = _Name(validate=validate.Length(1, 200))
    register_ids = _register_ids()


class GroupSchema(Schema):
    id = fields.String(required=True, metadata={"format": "uuid"})
    name = fields.String(required=True)
    register_ids = fields.List(fields.String(), required=True, metadata={
        "description": "Its registers in order"})
    created_at = timestamp("When it was added", required=True)


class GroupListSchema(Schema):
    items = fields.List(fields.Nested(GroupSchema), required=True, metadata={
        "description": "The account's groups, by name"})


def group_json(s, group: RegisterGroup) -> dict:
    return {"id": group.id, "name": group.name,
            "register_ids": ledger_groups.member_ids(s, group.id),
            "created_at": group.created_at.isoformat()}


def _group_or_404(s, group_id: str) -> RegisterGroup:
    group = (ledger_groups.get_group(s, g.account_id, group_id)
             if "\x00" not in group_id else None)
    if group is None:
        raise ApiError(404, "not_found", f"No register group {group_id!r} in this account")
    return group


@bp.route("/register-groups", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=GroupListSchema, success=True, description="The groups")
def list_groups():
    """List register groups"""
    with ledger().session(readonly=True) as s:
        return {"items": [group_json(s, grp)
                          for grp in ledger_groups.list_groups(s, g.account_id)]}


@bp.route("/register-groups", methods=["POST"])
@requires(bp, "registers.manage")
@bp.arguments(GroupCreateSchema, example={"name": "Restaurant", "register_ids": [
    "0b0c8e52-8d0e-4d4c-9a55-2f3b6f0a1e01", "6f1d2c3b-4a5e-4f60-8b7a-9c0d1e2f3a4b"]})
@bp.alt_response(201, schema=GroupSchema, headers=LOCATION, success=True,
                 description="The new group")
@bp.alt_response(400, schema=ErrorSchema, description="The body is empty or not a JSON object")
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid (errors names it: "
                 "a register that is not the account's, removed, or listed twice)")
def create_group(body: dict):
    """Add a register group"""
    with ledger().session() as s:
        group = ledger_groups.create_group(s, g.account_id, name=body["name"],
                                           register_ids=body["register_ids"],
                                           actor=g.actor)
        answer = group_json(s, group)
    return answer, 201, {"Location": url_for("groups.get_group", group_id=answer["id"])}


@bp.route("/register-groups/<group_id>", methods=["GET"])
@requires(bp, "read")
@bp.alt_response(200, schema=GroupSchema, success=True, description="The group")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def get_group(group_id: str):
    """Read a register group"""
    with ledger().session(readonly=True) as s:
        return group_json(s, _group_or_404(s, group_id))


@bp.route("/register-groups/<group_id>", methods=["PATCH"])
@requires(bp, "registers.manage")
@bp.arguments(GroupEditSchema, example={"register_ids": [
    "6f1d2c3b-4a5e-4f60-8b7a-9c0d1e2f3a4b", "0b0c8e52-8d0e-4d4c-9a55-2f3b6f0a1e01"]})
@bp.alt_response(200, schema=GroupSchema, success=True, description="The changed group")
@bp.alt_response(400, schema=ErrorSchema, description="The body is empty or not a JSON object")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
@bp.alt_response(422, schema=ErrorSchema, description="A field is not valid (errors names it)")
def edit_group(body: dict, group_id: str):
    """Edit a register group

    Rename it, or give its registers anew (the order is the order jobs try them).
    """
    with ledger().session() as s:
        group = _group_or_404(s, group_id)
        ledger_groups.edit_group(s, group, actor=g.actor, **body)
        return group_json(s, group)


@bp.route("/register-groups/<group_id>", methods=["DELETE"])
@requires(bp, "registers.manage")
@bp.alt_response(204, success=True, description="Deleted")
@bp.alt_response(404, schema=ErrorSchema, description=NOT_FOUND)
def delete_group(group_id: str):
    """Delete a register group

    Jobs can no longer be sent to it; its registers stay as they are, and jobs sent to it
    earlier keep naming it.
    """
    with ledger().session() as s:
        ledger_groups.delete_group(s, _group_or_404(s, group_id), actor=g.actor)
    return "", 204
