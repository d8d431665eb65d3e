"""What every page of the dashboard shares: who is looking (``g.me``, from ``/api/v1/me``), the
way out when their session ended, the role check, and rendering with the helpers the templates
use.

``@page("action")`` on a view: no session cookie → the login page (coming back here after);
a session that ended → the login page saying why ("your session ended for security…"); a
one-time password → the password page first; a role that may not do ``action`` → a 403 page
saying what is missing. Then ``g.me`` holds the ``/api/v1/me`` answer (user, role, account,
CSRF token), and :func:`render` renders a template with it.
"""
from __future__ import annotations

from functools import wraps
from urllib.parse import urlsplit

from flask import abort, g, make_response, redirect, render_template, request, url_for

from hub.api.auth import SESSION_COOKIE
from hub.dashboard.api_call import ApiAnswer, api
from hub.dashboard.i18n import LANG_COOKIE, current_language
from hub.roles import ACTIONS, can

def safe_next(target: str | None) -> str:
    """Where to go after the login: only a path on this site (never another host)."""
    if not target:
        return url_for("dashboard_overview.overview")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("dashboard_overview.overview")
    return target


def to_login(reason: str | None = None):
    """The login page, coming back to this page after; ``reason``: why the session ended."""
    args = {"next": request.full_path.rstrip("?")}
    if reason:
        args["ended"] = reason
    resp = redirect(url_for("dashboard_core.login", **args))
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


def page(action: str | None = "read", password_page: bool = False):
    if action is not None:
        can(None, action)               # an unknown action name fails at import time

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            if not request.cookies.get(SESSION_COOKIE):
                return to_login()
            me = api("GET", "/api/v1/me")
            if me.status == 401:
                return to_login((me.body or {}).get("reason") or "unknown")
            if not me.ok:
                abort(me.status)
            g.me = me.body
            if g.me["user"]["must_change_password"] and not password_page:
                return redirect(url_for("dashboard_core.password", next=request.full_path))
            if action is not None and not can(g.me["role"], action):
                return render("core/forbidden.html", what=ACTIONS[action]), 403
            return view(*args, **kwargs)
        return wrapped
    return decorator


def allowed(action: str) -> bool:
    """Whether the visitor's role may do ``action`` (templates hide what it may not)."""
    me = getattr(g, "me", None)
    return bool(me) and can(me["role"], action)


def render(template: str, **context):
    """Render a page; remembers the visitor's language for the next login page."""
    resp = make_response(render_template(template, **context))
    language = current_language()
    if request.cookies.get(LANG_COOKIE) != language:
        resp.set_cookie(LANG_COOKIE, language, samesite="Lax", max_age=365 * 86400, path="/")
    return resp


def must(answer: ApiAnswer) -> dict:
    """The body of an API answer the page cannot do without: its 404 is the page's 404, a
    session that ended mid-page is the login page (the caller's decorator already checked)."""
    if answer.ok:
        return answer.body
    abort(answer.status if answer.status in (400, 403, 404, 409, 422) else 502,
          description=answer.message)
