"""The role matrix: what owners, admins, operators and viewers may do; the README's table."""
from pathlib import Path

import pytest

from hub import roles
from hub.roles import can, can_manage_user

README = Path(__file__).resolve().parents[2] / "README.md"

OPERATOR_MAY = {"read", "profile.edit", "registers.service", "jobs.create", "jobs.act"}


def test_owner_may_do_everything():
    assert all(can("owner", a) for a in roles.ACTIONS)


def test_admin_may_do_everything_but_manage_owners():
    assert {a for a in roles.ACTIONS if not can("admin", a)} == {"owners.manage"}


def test_operator_serves_registers_and_the_queue_and_sees_no_users_or_keys():
    assert {a for a in roles.ACTIONS if can("operator", a)} == OPERATOR_MAY
    for action in ("users.read", "users.manage", "api_keys.read", "api_keys.manage",
                   "registers.manage", "cashiers.manage", "audit.read"):
        assert not can("operator", action)


def test_viewer_only_reads():
    assert {a for a in roles.ACTIONS if can("viewer", a)} == {"read", "profile.edit"}


def test_unknown_roles_may_do_nothing_and_unknown_actions_are_errors():
    assert not any(can(r, "read") for r in (None, "", "root", "Owner"))
    with pytest.raises(ValueError, match="unknown action"):
        can("owner", "users.mange")


@pytest.mark.parametrize("actor, target, new_role, allowed", [
    ("owner", "owner", None, True), ("owner", "viewer", "owner", True),
    ("admin", "admin", None, True), ("admin", "operator", "admin", True),
    ("admin", "owner", None, False),          # edit, block, delete an owner
    ("admin", "owner", "admin", False),       # demote an owner
    ("admin", "viewer", "owner", False),      # make someone owner
    ("admin", "owner", "owner", False),       # create an owner
    ("operator", "viewer", None, False), ("viewer", "viewer", None, False),
])
def test_who_may_manage_whom(actor, target, new_role, allowed):
    assert can_manage_user(actor, target, new_role) is allowed


def test_the_readme_shows_this_matrix():
    text = README.read_text()
    assert "\n## Roles\n" in text
    assert roles.matrix_markdown() in text.split("\n## Roles\n", 1)[1]
