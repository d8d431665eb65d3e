"""What each role of an account may do: the permission matrix as data (no Flask here).

The web layer asks ``can(role, action)`` before it acts, and ``can_manage_user`` before it
touches another user; the README's "Roles" table is ``matrix_markdown()`` (a test keeps them
equal). The ledger separately refuses to take away an account's last active owner.
"""
from __future__ import annotations

# The roles a user row may hold are the ledger's to say.
from fiscal.ledger.users import ADMIN, OPERATOR, OWNER, ROLES, VIEWER  # noqa: F401

# action: what it covers (the README's wording)
ACTIONS = {
    "read": "see registers, groups, the print queue, job details, cashiers, connections, "
            "events, postings",
    "profile.edit": "change one's own name, language and password",
    "jobs.create": "submit jobs and manual receipts",
    "jobs.act": "print-queue actions: repeat, refund, cancel tasks; replay rejected events; "
                "repeat or cancel postings",
    "registers.service": "open/close shift, X report, cash in/out, cancel receipt, reprint, cut",
    "registers.manage": "add, edit, suspend, activate and remove registers and groups",
    "cashiers.manage": "add, edit and delete cashiers",
    "connections.manage": "add, edit and delete connections (connectors and their settings)",
    "users.read": "see the account's users",
    "users.manage": "add, edit, block, unblock and delete admins, operators and viewers",
    "owners.manage": "add, edit, block and delete owners; make a user owner",
    "api_keys.read": "see the account's API keys",
    "api_keys.manage": "issue and delete API keys",
    "audit.read": "read the audit log",
}

_VIEWER = {"read", "profile.edit"}
# Operators run the venue's registers and queue. They do not see users, API keys or the audit
# log (whose entries are about users and keys: reading it would get round that rule).
_OPERATOR = _VIEWER | {"jobs.create", "jobs.act", "registers.service"}
_ADMIN = set(ACTIONS) - {"owners.manage"}
_OWNER = set(ACTIONS)

PERMISSIONS: dict[str, frozenset[str]] = {
    OWNER: frozenset(_OWNER), ADMIN: frozenset(_ADMIN),
    OPERATOR: frozenset(_OPERATOR), VIEWER: frozenset(_VIEWER)}


def can(role: str | None, action: str) -> bool:
    """Whether ``role`` may do ``action``. An unknown action is a programming error (a typo
    must not silently deny, or silently allow); an unknown role may do nothing."""
    if action not in ACTIONS:
        raise ValueError(f"unknown action {action!r}")
    return action in PERMISSIONS.get(role or "", frozenset())


def can_manage_user(actor_role: str | None, target_role: str,
                    new_role: str | None = None) -> bool:
    """Whether ``actor_role`` may change (edit, block, unblock, delete, set the password of) a
    user who has ``target_role`` — or create one, with ``target_role`` the role it will have —
    and, with ``new_role``, give them that role. Anything that involves an owner, on either
    side, needs ``owners.manage``."""
    if not can(actor_role, "users.manage"):
        return False
    if OWNER in (target_role, new_role):
        return can(actor_role, "owners.manage")
    return True


def matrix_markdown() -> str:
    """The matrix as a Markdown table (the README's "Roles" section)."""
    lines = ["| action | what it covers | " + " | ".join(ROLES) + " |",
             "|---|---|" + "---|" * len(ROLES)]
    for action, what in ACTIONS.items():
        marks = " | ".join("yes" if can(r, action) else "—" for r in ROLES)
        lines.append(f"| `{action}` | {what} | {marks} |")
    return "\n".join(lines)
