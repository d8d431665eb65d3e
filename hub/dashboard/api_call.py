"""The dashboard reads and acts through the account API itself, in process.

A page is the API seen by a person: the same validation, roles, tenancy, audit entries and
error messages an integrator gets, so there is one set of rules and the dashboard cannot drift
from the spec. A page's reads go through :func:`api` with the visitor's session cookie; the
browser sends its changes straight to ``/api/v1`` (``static/app.js``) with the session's CSRF
token, and shows the API's field errors next to the fields.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from flask import current_app, request

from hub.api.auth import CSRF_HEADER, PASSIVE, SESSION_COOKIE, csrf_token


@dataclass
class ApiAnswer:
    status: int
    body: Any
    headers: dict = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def message(self) -> str:
        return (self.body or {}).get("message", "") if isinstance(self.body, dict) else ""

    @property
    def errors(self) -> dict:
        return (self.body or {}).get("errors") or {} if isinstance(self.body, dict) else {}


def api(method: str, path: str, query: dict | None = None, json: Any = None,
        token: str | None = None, passive: bool = False) -> ApiAnswer:
    """Call ``/api/v1…`` in this process as the visitor (``token``: their session cookie, by
    default the request's). ``passive`` reads do not count as the user's activity (the live
    feed); changes carry the session's CSRF token as the browser's would."""
    token = token if token is not None else request.cookies.get(SESSION_COOKIE, "")
    headers = {}
    if token:
        headers["Cookie"] = f"{SESSION_COOKIE}={token}"
        if method.upper() not in ("GET", "HEAD"):
            headers[CSRF_HEADER] = csrf_token(token)
    environ = {"REMOTE_ADDR": request.remote_addr or "127.0.0.1"}
    if passive:
        environ[PASSIVE] = True
    client = current_app.test_client(use_cookies=False)
    # the visitor's host, so that addresses the API builds (a webhook URL) are the real ones
    resp = client.open(path, method=method.upper(), query_string=_query(query), json=json,
                       headers=headers, environ_base=environ, base_url=request.host_url)
    return ApiAnswer(resp.status_code, resp.get_json(silent=True), dict(resp.headers))


def _query(query: dict | None) -> list[tuple[str, str]]:
    """Query parameters without the empty ones (a form's blank filter means "any"); lists
    repeat the parameter, as the API takes them."""
    pairs: list[tuple[str, str]] = []
    for key, value in (query or {}).items():
        values = value if isinstance(value, (list, tuple)) else [value]
        pairs += [(key, str(v)) for v in values if v not in (None, "")]
    return pairs
