"""Who is calling, and may they: API keys and the dashboard's session cookie, and the roles.

Two ways in, on every endpoint of the account API:

* ``Authorization: Bearer <key>`` — an API key (the spec's ``bearerAuth``). A key acts with the
  ``admin`` role (:data:`API_KEY_ROLE`): everything in the account but managing owners.
* the ``fiscalhub_session`` cookie set by ``POST /api/v1/session`` (``sessionCookie``) — a
  user, with the user's role. A request that changes something (POST, PUT, PATCH, DELETE) with
  the cookie must also send the session's CSRF token in ``X-CSRF-Token``: a page of another site
  can make the browser send the cookie, but cannot read the token.

``requires(bp, action)`` decorates a view: it authenticates (401 before anything else in the
request is looked at), checks ``hub.roles.can(role, action)`` (403 ``forbidden``), and sets
``g.principal`` (and ``g.account_id``, ``g.actor`` for the ledger's audit entries).
"""
from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import timedelta
from functools import wraps

from flask import current_app, g, request
from sqlalchemy import select

from fiscal.ledger import sessions as ledger_sessions
from fiscal.ledger.accounts import authenticate
from fiscal.ledger.audit import api_key_actor, user_actor
from fiscal.ledger.models import ApiKey, User, UserSession, utcnow
from hub.api.errors import ApiError
from hub.roles import ADMIN, can

SESSION_COOKIE = "fiscalhub_session"
CSRF_HEADER = "X-CSRF-Token"
API_KEY_ROLE = ADMIN
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
# A WSGI environ key (an HTTP client cannot set one: headers arrive as HTTP_*) marking the
# dashboard's in-process reads for its live feed: checked, but not counted as the user's activity.
PASSIVE = "fiscalhub.passive"

# Security requirements for the spec: either scheme; and "optional" for /health.
BEARER = [{"bearerAuth": []}, {"sessionCookie": []}]
BEARER_OPTIONAL = [{}, {"bearerAuth": []}]

SESSION_ENDED_MESSAGES = {
    ledger_sessions.EXPIRED: "Your session ended for security after {minutes} minutes without "
                             "activity; log in again",
    ledger_sessions.LOGGED_OUT: "You logged out; log in again",
    ledger_sessions.BLOCKED: "Your session ended: your user was blocked or deleted",
    ledger_sessions.UNKNOWN: "Your session is not known (it may have ended); log in again",
    ledger_sessions.PASSWORD_RESET: "Your session ended: an administrator reset your password; "
                                    "log in with the new one",
}


@dataclass(frozen=True)
class Principal:
    """Who a request acts for. ``via`` is ``api_key`` or ``session``."""

    account_id: str
    role: str
    actor: str                      # as the audit log names it
    via: str
    user_id: str | None = None
    key_id: str | None = None
    key_prefix: str | None = None
    must_change_password: bool = False
    csrf_token: str | None = None


def ledger():
    return current_app.extensions["fiscalhub.ledger"]


def settings():
    return current_app.extensions["fiscalhub.settings"]


def idle_timeout() -> timedelta:
    return timedelta(minutes=settings().session_idle_minutes)


def csrf_token(session_token: str) -> str:
    """The CSRF token of a session: derived from the cookie's secret, so nothing more is stored
    and it ends with the session."""
    return hmac.new(session_token.encode(), b"fiscalhub-csrf", hashlib.sha256).hexdigest()


def _unauthorized(message: str, challenge: str = "Bearer", code: str = "unauthorized",
                  reason: str | None = None) -> ApiError:
    return ApiError(401, code, message, headers={"WWW-Authenticate": challenge},
                    extra={"reason": reason} if reason else None)


def current_key():
    """The account and prefix of the request's API key (401 if there is none or it is bad)."""
    header = request.headers.get("Authorization", "")
    scheme, _, key = header.partition(" ")
    if not header:
        raise _unauthorized("Send your API key as 'Authorization: Bearer <key>'")
    if scheme.lower() != "bearer" or not key.strip():
        raise _unauthorized("The Authorization header must be 'Bearer <key>'")
    with ledger().session(readonly=True) as s:
        row = authenticate(s, key.strip())
    if row is None:
        raise _unauthorized("The API key is not valid (unknown or deleted)",
                            "Bearer error=\"invalid_token\"")
    now = utcnow()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        with ledger().session() as s:       # at most once a minute per key
            s.get(ApiKey, row.id).last_used_at = now
    return row.account_id, row.prefix, row.id


def _key_principal() -> Principal:
    account_id, prefix, key_id = current_key()
    return Principal(account_id=account_id, role=API_KEY_ROLE, actor=api_key_actor(prefix),
                     via="api_key", key_id=key_id, key_prefix=prefix)


def session_ended(reason: str) -> ApiError:
    minutes = f"{settings().session_idle_minutes:g}"
    message = SESSION_ENDED_MESSAGES.get(reason, "Your session ended; log in again")
    return _unauthorized(message.format(minutes=minutes), "Cookie", "session_ended", reason)


def _session_user(token: str) -> User:
    """The user of a live session. A read-only look first: a session seen in the last
    ``TOUCH_EVERY`` needs no write; otherwise the ledger marks it seen (or ends it).

    A passive request (:data:`PASSIVE`, set only by the dashboard's own in-process calls for
    its live feed) is checked the same way but never marks the session seen: an open page
    must not keep alive a session that nobody is using."""
    now = utcnow()
    if request.environ.get(PASSIVE):
        with ledger().session(readonly=True) as s:
            try:
                return ledger_sessions.resume_session(s, token, idle_timeout(), now,
                                                      touch=False)
            except ledger_sessions.SessionEnded as exc:
                reason = exc.reason
        raise session_ended(reason)
    with ledger().session(readonly=True) as s:
        row = s.scalar(select(UserSession).where(
            UserSession.token_hash == ledger_sessions.token_hash(token)))
        user = s.get(User, row.user_id) if row is not None else None
        if (row is not None and row.ended_at is None and user is not None
                and user.blocked_at is None and user.deleted_at is None
                and now - row.last_seen_at < ledger_sessions.TOUCH_EVERY):
            return user
    with ledger().session() as s:
        try:
            return ledger_sessions.resume_session(s, token, idle_timeout(), now)
        except ledger_sessions.SessionEnded as exc:
            reason = exc.reason             # the ledger ended it: commit that, then refuse
    raise session_ended(reason)


def _cookie_principal(token: str) -> Principal:
    user = _session_user(token)
    csrf = csrf_token(token)
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not hmac.compare_digest(sent.encode(), csrf.encode()):
            raise ApiError(403, "csrf_failed", f"A change made with the session cookie must send "
                           f"the session's CSRF token in the {CSRF_HEADER} header (the login "
                           "answer and GET /api/v1/me give it)")
    return Principal(account_id=user.account_id, role=user.role, actor=user_actor(user.login),
                     via="session", user_id=user.id,
                     must_change_password=user.must_change_password, csrf_token=csrf)


def current_principal() -> Principal:
    """Authenticate the request: the API key when an Authorization header is sent, else the
    session cookie; 401 when neither is there or valid."""
    if request.headers.get("Authorization"):
        return _key_principal()
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        return _cookie_principal(token)
    raise _unauthorized("Send your API key as 'Authorization: Bearer <key>', or log in "
                        "(POST /api/v1/session) and send the session cookie")


def authenticated(action: str | None = None, password_change_ok: bool = False):
    """The view needs a caller allowed to do ``action`` (``hub.roles.ACTIONS``; None: any
    caller). A user who must change a one-time password may only use views marked
    ``password_change_ok`` until they have."""
    if action is not None:
        can(None, action)               # an unknown action name fails at import time

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            p = current_principal()
            g.principal, g.account_id, g.actor = p, p.account_id, p.actor
            g.key_prefix = p.key_prefix
            if p.must_change_password and not password_change_ok:
                raise ApiError(403, "password_change_required", "Change your one-time password "
                               "first (POST /api/v1/me/password)")
            if action is not None and not can(p.role, action):
                raise forbidden(p, action)
            return view(*args, **kwargs)
        return wrapped
    return decorator


def forbidden(p: Principal, action: str) -> ApiError:
    from hub.roles import ACTIONS
    who = "an API key" if p.via == "api_key" else f"the {p.role} role"
    return ApiError(403, "forbidden", f"Not allowed for {who}: {ACTIONS[action]}")


def requires(bp, action: str | None = "read", password_change_ok: bool = False):
    """:func:`authenticated`, documented on ``bp``'s spec: both schemes, the 401 and the 403."""
    def decorator(view):
        view = authenticated(action, password_change_ok)(view)
        view = bp.alt_response(401, response="Unauthorized")(view)
        view = bp.alt_response(403, response="Forbidden")(view)
        return bp.doc(security=BEARER)(view)
    return decorator


def requires_api_key(bp):
    """Any authenticated caller (an API key or a user's session), whatever the role."""
    return requires(bp, None)
