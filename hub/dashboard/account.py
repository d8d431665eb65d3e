"""The account: its users (add, edit, block, unblock, delete, reset a password), its API keys
(issue — the key shown once — and delete) and the audit log. Reads go through the account
API; the forms send their changes straight to it (static/app.js)."""
from __future__ import annotations

import json

from flask import Blueprint, g, request

from hub.dashboard.api_call import api
from hub.dashboard import labels
from hub.dashboard.pages import must, page, render
from hub.roles import ROLES, can_manage_user

bp = Blueprint("dashboard_account", __name__)

AUDIT_FILTERS = ("actor", "action", "target_type", "target_id")
AUDIT_LIMITS = (25, 50, 100, 200)


def manageable(user: dict) -> bool:
    """Whether the visitor may change ``user`` (edit, block, delete, reset the password)."""
    return can_manage_user(g.me["role"], user["role"])


def role_choices() -> dict[str, str]:
    """The roles the visitor may give (only an owner makes owners): code → label."""
    return {r: labels.ROLES[r] for r in ROLES if can_manage_user(g.me["role"], r)}


@bp.get("/users")
@page("users.read")
def users():
    items = must(api("GET", "/api/v1/users"))["items"]
    return render("account/users.html", users=items, me_id=g.me["user"]["id"],
                  manageable=manageable, role_options=role_choices())


@bp.get("/api-keys")
@page("api_keys.read")
def api_keys():
    items = must(api("GET", "/api/v1/api-keys"))["items"]
    return render("account/api_keys.html", keys=items)


def details_text(details) -> str:
    """An entry's details, compact and readable (never a password or a key: the API says)."""
    if not details:
        return ""
    return json.dumps(details, ensure_ascii=False, sort_keys=True)


@bp.get("/audit-log")
@page("audit.read")
def audit_log():
    filters = {k: request.args.get(k, "").strip() for k in AUDIT_FILTERS}
    try:
        limit = int(request.args.get("limit", 50))
    except ValueError:
        limit = 50
    limit = limit if limit in AUDIT_LIMITS else 50
    cursor = request.args.get("cursor", "")
    answer = api("GET", "/api/v1/audit-log",
                 query={**filters, "limit": limit, "cursor": cursor})
    if answer.status == 422:            # a filter (or a cursor) the API refused: say which
        entries, next_cursor, errors = [], None, answer.errors
    else:
        body = must(answer)
        entries, next_cursor, errors = body["items"], body["next_cursor"], {}
    active = {k: v for k, v in filters.items() if v}
    return render("account/audit_log.html", entries=entries, next_cursor=next_cursor,
                  filters=filters, active=active, limit=limit, limits=AUDIT_LIMITS,
                  errors=errors, paged=bool(cursor),
                  other_errors={k: v for k, v in errors.items() if k not in filters},
                  details_text=details_text)
