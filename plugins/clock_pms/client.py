"""A small Clock PMS+ API client on ``requests`` (research §2: connectors.md).

- Base URL ``https://{region}.clock-software.com/{api_type}/{subscription_id}/{account_id}``;
  each endpoint is served under the API type Clock documents for it (``base_api`` for folios,
  charges, credit items, companies; ``pms_api`` for bookings and events).
- HTTP Digest auth with the API user and API key.
- The documented 5 requests/second (a token bucket) and, on ``429``, a wait (``Retry-After`` or
  a backoff) and a bounded number of retries. Nothing else is retried: Clock's collection advises
  against it, and a write that failed may have landed — the caller decides (see ``errors``).

The session is injected (the hub's, with its timeouts). Answers are returned as Clock's JSON:
the research has no verbatim response bodies, so nothing is reshaped here.
"""
from __future__ import annotations

import re
import time
from decimal import Decimal
from typing import Any, Callable, Iterable

import requests
from requests.auth import HTTPDigestAuth

from . import payload
from .errors import (ClockBadAnswer, ClockRateLimited, ClockRefused, ClockUncertain,
                     ClockUnavailable, clock_message, from_exception)
from .ratelimit import TokenBucket, retry_after_seconds, wait_after_429

API_TYPES = ("base_api", "pms_api", "pos_api", "yield_management_api")
BASE_API, PMS_API = "base_api", "pms_api"
MAX_429_RETRIES = 3
_REGION = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")
_ID = re.compile(r"^[0-9]+$")


def base_url(region: str, api_type: str, subscription_id: int | str, account_id: int | str) -> str:
    """``https://{region}.clock-software.com/{api_type}/{subscription_id}/{account_id}``,
    e.g. ``base_url("sky-eu1", "pms_api", 172528, 16307)``."""
    region = str(region).strip().lower()
    if not _REGION.match(region):
        raise ValueError(f"not a Clock region: {region!r} (e.g. 'sky-eu1')")
    if api_type not in API_TYPES:
        raise ValueError(f"api_type must be one of {', '.join(API_TYPES)}, not {api_type!r}")
    for name, value in (("subscription_id", subscription_id), ("account_id", account_id)):
        if isinstance(value, bool) or not _ID.match(str(value)):
            raise ValueError(f"{name} must be a number, not {value!r}")
    return f"https://{region}.clock-software.com/{api_type}/{subscription_id}/{account_id}"


def _id(value: int | str) -> str:
    if isinstance(value, bool) or not _ID.match(str(value)):
        raise ValueError(f"not a Clock id: {value!r}")
    return str(value)


class ClockClient:
    """One Clock account, through an injected ``requests.Session``."""

    def __init__(self, *, region: str, subscription_id: int | str, account_id: int | str,
                 api_user: str, api_key: str, session: requests.Session,
                 api_type: str = PMS_API, limiter: TokenBucket | None = None,
                 max_429_retries: int = MAX_429_RETRIES,
                 sleep: Callable[[float], None] = time.sleep):
        base_url(region, api_type, subscription_id, account_id)      # validates
        self.region, self.api_type = str(region).strip().lower(), api_type
        self.subscription_id, self.account_id = str(subscription_id), str(account_id)
        self.session = session
        self.auth = HTTPDigestAuth(api_user, api_key)
        self.limiter = limiter or TokenBucket(sleep=sleep)
        self.max_429_retries, self._sleep = max_429_retries, sleep

    @classmethod
    def from_settings(cls, settings: dict, session: requests.Session, **kwargs) -> "ClockClient":
        """From a connection's settings: ``region``, ``subscription_id``, ``account_id``,
        ``api_user``, ``api_key`` and optionally ``api_type``."""
        keys = ("region", "subscription_id", "account_id", "api_user", "api_key")
        args = {k: settings[k] for k in keys}
        if settings.get("api_type"):
            args["api_type"] = settings["api_type"]
        return cls(session=session, **args, **kwargs)

    def url(self, path: str, api_type: str | None = None) -> str:
        return (base_url(self.region, api_type or self.api_type, self.subscription_id,
                         self.account_id) + "/" + path.lstrip("/"))

    # --- transport ---------------------------------------------------------------------------

    def request(self, method: str, path: str, *, api_type: str | None = None,
                params: dict | None = None, body: Any = None) -> Any:
        """Send one request (paced; retried only on 429) and return its JSON (``None`` for an
        empty answer). Raises the ``errors`` module's exceptions."""
        url = self.url(path, api_type)
        headers = {"Accept": "application/json"}
        data = None
        if body is not None:
            data = payload.dumps(body).encode("utf-8")
            headers["Content-Type"] = "application/json"
        attempt = 0
        while True:
            self.limiter.acquire()
            try:
                answer = self.session.request(method, url, params=params, data=data,
                                              headers=headers, auth=self.auth)
            except requests.RequestException as exc:
                raise from_exception(exc) from exc
            if answer.status_code != 429:
                return self._answer(answer)
            attempt += 1
            if attempt > self.max_429_retries:
                raise ClockRateLimited(
                    429, f"rate limited: still 429 after {self.max_429_retries} retries "
                         f"({clock_message(answer.text)})", answer.text,
                    retry_after=retry_after_seconds(answer.headers.get("Retry-After")))
            self._sleep(wait_after_429(attempt, answer.headers.get("Retry-After")))

    @staticmethod
    def _answer(answer: requests.Response) -> Any:
        status, text = answer.status_code, answer.text
        if 200 <= status < 300:
            if not text.strip():
                return None
            try:
                return answer.json()
            except ValueError:
                raise ClockBadAnswer(status, "the answer is not JSON", text) from None
        if status == 503:
            raise ClockUnavailable(status, clock_message(text), text,
                                   retry_after=retry_after_seconds(answer.headers.get("Retry-After")))
        if 400 <= status < 500:
            raise ClockRefused(status, clock_message(text), text)
        raise ClockUncertain(status, clock_message(text), text)

    # --- charge templates and payment sub-types (base_api) -----------------------------------

    def charge_templates(self) -> Any:
        """``GET /base_api/…/charge_templates``: the services to map POS groups onto."""
        return self.request("GET", "charge_templates", api_type=BASE_API)

    def payment_sub_types(self) -> Any:
        """``GET /base_api/…/payment_sub_types``."""
        return self.request("GET", "payment_sub_types", api_type=BASE_API)

    # --- bookings and events (pms_api) --------------------------------------------------------

    def bookings_in_hotel(self, params: dict | None = None) -> Any:
        """``GET /pms_api/…/bookings/find_in_hotel``: checked-in bookings whose period includes
        today. The research documents no query parameters: ``params`` is passed as given."""
        return self.request("GET", "bookings/find_in_hotel", api_type=PMS_API, params=params)

    def booking_default_folio(self, booking_id: int | str) -> Any:
        """``GET /pms_api/…/bookings/:id/folios/default``: an open, valid folio to charge."""
        return self.request("GET", f"bookings/{_id(booking_id)}/folios/default", api_type=PMS_API)

    def booking_folios(self, booking_id: int | str) -> Any:
        """``GET /pms_api/…/bookings/:id/folios/`` (some may be voided, empty or closed)."""
        return self.request("GET", f"bookings/{_id(booking_id)}/folios/", api_type=PMS_API)

    def booking_charges(self, booking_id: int | str) -> Any:
        """``GET /pms_api/…/bookings/:id/charges_by_source``: every charge of the booking, also
        those transferred to another folio."""
        return self.request("GET", f"bookings/{_id(booking_id)}/charges_by_source",
                            api_type=PMS_API)

    def post_booking_charge(self, booking_id: int | str, charge: dict) -> Any:
        """``POST /pms_api/…/bookings/:id/charges_by_source`` ``{"charge": …}``: the created
        charge (with its ``id``)."""
        return self.request("POST", f"bookings/{_id(booking_id)}/charges_by_source",
                            api_type=PMS_API, body={"charge": charge})

    def post_booking_charges(self, booking_id: int | str, charges: Iterable[dict]) -> Any:
        """``POST /pms_api/…/bookings/:id/charges_by_source/bulk`` ``{"charges": […]}``."""
        return self.request("POST", f"bookings/{_id(booking_id)}/charges_by_source/bulk",
                            api_type=PMS_API, body={"charges": list(charges)})

    def booking(self, booking_id: int | str) -> Any:
        """``GET /pms_api/…/bookings/:id``: the booking (documented as "booking VIEW" in
        Clock's changelog; its fields are not published verbatim — read them defensively)."""
        return self.request("GET", f"bookings/{_id(booking_id)}", api_type=PMS_API)

    def event_chargeable_folios(self) -> Any:
        """``GET /pms_api/…/events/chargeable_folios`` (``event_name, checkin_status, arrival,
        departure, folio_name, folio_id``)."""
        return self.request("GET", "events/chargeable_folios", api_type=PMS_API)

    # --- companies and folios (base_api) ------------------------------------------------------

    def company_chargeable_folios(self) -> Any:
        """``GET /base_api/…/companies/chargeable_folios``: open folios of companies accepting
        charge transfers (``company_name, folio_name, folio_id``)."""
        return self.request("GET", "companies/chargeable_folios", api_type=BASE_API)

    def create_company_folio(self, company_id: int | str, currency: str) -> Any:
        """``POST /base_api/…/companies/:id/folios`` ``{"company_folio": {"currency": …}}``."""
        return self.request("POST", f"companies/{_id(company_id)}/folios", api_type=BASE_API,
                            body={"company_folio": {"currency": currency}})

    def folio(self, folio_id: int | str) -> Any:
        """``GET /base_api/…/folios/:id``: balance, closure, invoice and fiscalization fields."""
        return self.request("GET", f"folios/{_id(folio_id)}", api_type=BASE_API)

    def company_folios(self, company_id: int | str) -> Any:
        """``GET /base_api/…/companies/:id/folios``: ASSUMED by REST convention (Clock documents
        only the POST on this path); used to resume an end-of-day folio."""
        return self.request("GET", f"companies/{_id(company_id)}/folios", api_type=BASE_API)

    def folio_charges(self, folio_id: int | str) -> Any:
        """``GET /base_api/…/folios/:id/charges``: ASSUMED by REST convention (Clock documents
        POST on this path and the charge read fields, not this GET)."""
        return self.request("GET", f"folios/{_id(folio_id)}/charges", api_type=BASE_API)

    def folio_credit_items(self, folio_id: int | str) -> Any:
        """``GET /base_api/…/folios/:id/credit_items``: ASSUMED by REST convention (only the POST
        is documented)."""
        return self.request("GET", f"folios/{_id(folio_id)}/credit_items", api_type=BASE_API)

    def credit_item(self, folio_id: int | str, credit_item_id: int | str) -> Any:
        """``GET /base_api/…/folios/:id/credit_items/:credit_item_id``: ASSUMED by REST
        convention (a payment push names the credit item; its read path is not published)."""
        return self.request("GET", f"folios/{_id(folio_id)}/credit_items/{_id(credit_item_id)}",
                            api_type=BASE_API)

    def post_folio_charge(self, folio_id: int | str, charge: dict) -> Any:
        """``POST /base_api/…/folios/:id/charges/`` ``{"charge": …}`` (tips, discounts)."""
        return self.request("POST", f"folios/{_id(folio_id)}/charges/", api_type=BASE_API,
                            body={"charge": charge})

    def post_folio_charges(self, folio_id: int | str, charges: Iterable[dict]) -> None:
        """``POST /base_api/…/folios/:id/charges/bulk`` ``{"charges": […]}``. Clock answers an
        empty body: read the charges again to learn their ids."""
        return self.request("POST", f"folios/{_id(folio_id)}/charges/bulk", api_type=BASE_API,
                            body={"charges": list(charges)})

    def void_folio_charge(self, folio_id: int | str, charge_id: int | str, void_reason: str) -> Any:
        """``DELETE /base_api/…/folios/:id/charges/:charge_id`` ``{"void_reason": …}``."""
        return self.request("DELETE", f"folios/{_id(folio_id)}/charges/{_id(charge_id)}",
                            api_type=BASE_API, body={"void_reason": void_reason})

    def post_credit_item(self, folio_id: int | str, item: dict) -> Any:
        """``POST /base_api/…/folios/:id/credit_items`` ``{"credit_item": …}``: a payment (a
        negative ``value`` is a refund); build ``item`` with ``payload.credit_item``."""
        return self.request("POST", f"folios/{_id(folio_id)}/credit_items", api_type=BASE_API,
                            body={"credit_item": item})

    def close_folio(self, folio_id: int | str, document_type_id: int | str) -> Any:
        """``POST /base_api/…/folios/:id/close`` ``{"document_type_id": …}``."""
        return self.request("POST", f"folios/{_id(folio_id)}/close", api_type=BASE_API,
                            body={"document_type_id": int(_id(document_type_id))})


def cents(value: int | None) -> Decimal | None:
    """A ``…_cents`` field of Clock's answers (``price_cents``, ``gross_value_cents``) as an
    amount: ``1250`` → ``Decimal("12.50")``."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"cents must be an int, not {type(value).__name__}")
    return Decimal(value).scaleb(-2)


__all__ = ["API_TYPES", "ClockClient", "base_url", "cents"]
