"""Logging in and out, the one-time password page, one's profile (name, email, language), and
the frame's assets. The login form is an ordinary form post (it works before any script runs)
protected by a double-submit token; everything after it talks to the API with the session's
CSRF token."""
from __future__ import annotations

import hmac
import secrets
from http.cookies import SimpleCookie

from flask import Blueprint, g, redirect, request, url_for

from hub.api.auth import SESSION_COOKIE, SESSION_ENDED_MESSAGES, csrf_token, settings
from hub.dashboard.api_call import api
from hub.dashboard.i18n import LANGUAGES, gettext as _
from hub.dashboard.pages import page, render, safe_next

bp = Blueprint("dashboard_core", __name__, template_folder="templates",
               static_folder="static", static_url_path="/assets")

LOGIN_CSRF_COOKIE = "fiscalhub_login_csrf"


def ended_message(reason: str | None) -> str | None:
    """Why the visitor is on the login page again, in their language."""
    if not reason:
        return None
    text = SESSION_ENDED_MESSAGES.get(reason, "Your session ended; log in again")
    return _(text, minutes=f"{settings().session_idle_minutes:g}")


def _login_page(error: str | None = None, status: int = 200, login: str = ""):
    token = request.cookies.get(LOGIN_CSRF_COOKIE) or secrets.token_urlsafe(24)
    resp = render("core/login.html", error=error, login=login, login_csrf=token,
                  ended=ended_message(request.args.get("ended")),
                  next=request.args.get("next", ""), languages=LANGUAGES)
    resp.status_code = status
    resp.set_cookie(LOGIN_CSRF_COOKIE, token, httponly=True, samesite="Strict", path="/login",
                    secure=settings().cookie_secure)
    return resp


@bp.get("/login")
def login():
    return _login_page()


@bp.post("/login")
def login_post():
    sent = request.form.get("csrf_token", "")
    expected = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not expected or not hmac.compare_digest(sent.encode(), expected.encode()):
        return _login_page(_("The form expired; please log in again"), 400)
    login_name = request.form.get("login", "").strip()
    answer = api("POST", "/api/v1/session", token="",
                 json={"login": login_name, "password": request.form.get("password", "")})
    if not answer.ok:
        messages = {401: _("Wrong login or password"),
                    403: _("This user is blocked; ask the account's owner or administrator")}
        return _login_page(messages.get(answer.status, _("Enter your login and password")),
                           answer.status if answer.status in (401, 403) else 422, login_name)
    cookie = SimpleCookie(answer.headers.get("Set-Cookie", ""))
    resp = redirect(safe_next(request.args.get("next")))
    resp.set_cookie(SESSION_COOKIE, cookie[SESSION_COOKIE].value, httponly=True,
                    samesite="Lax", path="/", secure=settings().cookie_secure)
    resp.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return resp


@bp.post("/logout")
def logout():
    token = request.cookies.get(SESSION_COOKIE, "")
    sent = request.form.get("csrf_token", "")
    if token and hmac.compare_digest(sent.encode(), csrf_token(token).encode()):
        api("DELETE", "/api/v1/session")
    resp = redirect(url_for("dashboard_core.login", ended="logged_out"))
    resp.delete_cookie(SESSION_COOKIE, path="/")
    return resp


@bp.get("/password")
@page(None, password_page=True)
def password():
    return render("core/password.html", next=safe_next(request.args.get("next")))


@bp.get("/profile")
@page("profile.edit")
def profile():
    return render("core/profile.html", user=g.me["user"], languages=LANGUAGES)
