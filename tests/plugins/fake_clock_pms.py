"""A stateful fake Clock PMS+ server for tests, on ``responses`` (no network).

    clock = FakeClockPms(today=date(2026, 11, 20))
    clock.add_charge_template(id=367891, text="Restaurant", tax_rate=Decimal("0.22"))
    folio_id = clock.add_booking(id=501, room="101", first_name="Anna", last_name="Ivanova")
    with clock.mocked():
        ...                     # a ClockClient / the connector talks to it

It checks HTTP Digest auth like the real server (401 with a ``WWW-Authenticate: Digest``
challenge, then the answer to the retry), parses JSON bodies with Decimal, answers JSON (money as
``*_cents`` integers, as Clock's documented read fields), and serves both ``base_api`` and
``pms_api`` for every path. Answer shapes are this fake's choice where Clock publishes none
(see plugins/clock_pms/README.md, "Assumptions"). While mocked, the connector's "today" (the
date filter of its search) is the fake's ``today``, and its shared rate limiter does not
pace (the fake has no rate limit; the real 5 requests/second would slow every test).
"""
from __future__ import annotations

import hashlib
import json
import re
from contextlib import contextmanager
from datetime import date, datetime, time, timezone
from decimal import Decimal
from unittest import mock
from urllib.parse import urlsplit

import requests
import responses
from urllib3.exceptions import MaxRetryError, NewConnectionError

REALM, NONCE = "Clock PMS", "fake-clock-nonce"


def _cents(value: Decimal) -> int:
    return int((Decimal(value) * 100).quantize(Decimal(1)))


def _dumps(value) -> str:
    def default(v):
        if isinstance(v, Decimal):
            return format(v, "f")          # only tax rates / qty reach here, as strings
        if isinstance(v, (date, datetime)):
            return v.isoformat()
        raise TypeError(type(v).__name__)
    return json.dumps(value, default=default)


class FakeClockPms:
    def __init__(self, region: str = "sky-eu1", subscription_id: int = 172528,
                 account_id: int = 16307, currency: str = "RUB",
                 today: date = date(2026, 11, 20), api_user: str = "fiscalhub",
                 api_key: str = "clock-api-key-1", push_secret: str = "push-secret-0123456789"):
        self.region, self.subscription_id, self.account_id = region, subscription_id, account_id
        self.currency, self.today = currency, today
        self.api_user, self.api_key, self.push_secret = api_user, api_key, push_secret
        self.templates: dict[int, dict] = {}
        self.bookings: dict[int, dict] = {}
        self.companies: dict[int, dict] = {}
        self.events: dict[int, dict] = {}
        self.folios: dict[int, dict] = {}
        self._charges: dict[int, list[dict]] = {}
        self._credit_items: dict[int, list[dict]] = {}
        self.requests: list[tuple[str, str, object]] = []
        self.down = False
        self.strict_find_in_hotel = True     # False: find_in_hotel answers EVERY booking
        self._failures: list[dict] = []
        self._ids = {"folio": 1000, "charge": 5000, "credit_item": 9000}

    # --- state ---------------------------------------------------------------------------------
    def _next(self, kind: str) -> int:
        self._ids[kind] += 1
        return self._ids[kind]

    def _new_folio(self, **owner) -> int:
        fid = self._next("folio")
        self.folios[fid] = {"id": fid, "closed": False, "voided": False,
                            "currency": self.currency, "document_type_id": None,
                            "name": owner.pop("name", f"Folio {fid}"), **owner}
        self._charges[fid], self._credit_items[fid] = [], []
        return fid

    def add_charge_template(self, id: int, text: str, revenue_group: str = "f&b",
                            tax_rate: Decimal = Decimal("0.22"), price: Decimal | None = None,
                            revenue_category: str | None = None) -> int:
        self.templates[id] = {"id": id, "text": text, "revenue_group": revenue_group,
                              "revenue_category": revenue_category or revenue_group,
                              "tax_rate": Decimal(tax_rate), "price": price}
        return id

    def add_booking(self, id: int, room: str, first_name: str, last_name: str,
                    checked_in: bool = True, charge_transfer: bool = True,
                    arrival: date | None = None, departure: date | None = None,
                    status: str | None = None, room_type: str = "Standard Double",
                    credit_limit: Decimal | None = None) -> int:
        """A booking and its default folio (returned)."""
        self.bookings[id] = {
            "id": id, "room": room, "first_name": first_name, "last_name": last_name,
            "status": status or ("checked_in" if checked_in else "expected"),
            "charge_transfer": charge_transfer, "room_type": room_type,
            "arrival": arrival or self.today, "departure": departure or self.today,
            "credit_limit": credit_limit}
        fid = self._new_folio(booking_id=id, name="Default")
        self.bookings[id]["default_folio_id"] = fid
        return fid

    def add_company(self, id: int, name: str, accepts_charges: bool = True) -> int:
        self.companies[id] = {"id": id, "name": name, "accepts_charges": accepts_charges}
        return self._new_folio(company_id=id, name=f"{name} folio")

    def add_event(self, id: int, name: str) -> int:
        self.events[id] = {"id": id, "name": name}
        return self._new_folio(event_id=id, name=f"{name} folio")

    def add_credit_item(self, folio_id: int, value: Decimal, payment_type: str = "card",
                        created_at: datetime | str | None = None, text: str = "",
                        currency: str | None = None) -> int:
        cid = self._next("credit_item")
        at = created_at or datetime.combine(self.today, time(12), timezone.utc)
        self._credit_items[folio_id].append({
            "id": cid, "folio_id": folio_id, "value": Decimal(value),
            "payment_type": payment_type, "text": text, "currency": currency or self.currency,
            "created_at": at.isoformat() if isinstance(at, datetime) else str(at),
            "voided": False})
        return cid

    def add_charge(self, folio_id: int, price: Decimal, qty=1, text: str = "Night",
                   tax_rate: Decimal | None = Decimal("0"), charge_template_id: int | None = None,
                   service_date: date | None = None) -> int:
        """A charge made in Clock itself (a night, a minibar item); its id."""
        return self._store_charge(folio_id, {
            "charge_template_id": charge_template_id, "text": text, "price": Decimal(price),
            "qty": qty, "tax_rate": tax_rate, "service_date": (service_date or self.today)})["id"]

    def folio_charges(self, folio_id: int) -> list[dict]:
        return [dict(c) for c in self._charges.get(folio_id, [])]

    def credit_items(self, folio_id: int) -> list[dict]:
        return [dict(c) for c in self._credit_items.get(folio_id, [])]

    def fail_next(self, method: str, path_contains: str, status: int = 500,
                  applied: bool = True, error: Exception | None = None) -> None:
        """The next ``method`` request whose path contains ``path_contains`` answers ``status``
        (or raises ``error``, e.g. a ReadTimeout); ``applied``: the write is stored first."""
        self._failures.append({"method": method.upper(), "path": path_contains,
                               "status": status, "applied": applied, "error": error})

    def settings(self, **overrides) -> dict:
        return {"region": self.region, "subscription_id": self.subscription_id,
                "account_id": self.account_id, "api_user": self.api_user,
                "api_key": self.api_key, "push_secret": self.push_secret,
                "currency": self.currency,
                "charge_templates": {t["text"]: i for i, t in self.templates.items()},
                "eod_company_id": next(iter(self.companies), None),
                "eod_document_type_id": 5, **overrides}

    # --- HTTP ----------------------------------------------------------------------------------
    @contextmanager
    def mocked(self):
        pattern = re.compile(rf"^https://{re.escape(self.region)}\.clock-software\.com/"
                             rf"(base_api|pms_api)/{self.subscription_id}/{self.account_id}/.*")
        from plugins.clock_pms.ratelimit import TokenBucket
        with responses.RequestsMock(assert_all_requests_are_fired=False) as rsps, \
                mock.patch("plugins.clock_pms.search.today", lambda: self.today), \
                mock.patch("plugins.clock_pms.connector.shared_limiter",
                           lambda settings: TokenBucket(rate=1_000_000)):
            rsps.add_passthru("http://127.0.0.1")
            rsps.add_passthru("http://localhost")
            for method in ("GET", "POST", "PUT", "DELETE"):
                rsps.add_callback(method, pattern, callback=self._serve)
            yield rsps

    def _authorized(self, request) -> bool:
        header = request.headers.get("Authorization") or ""
        if not header.startswith("Digest "):
            return False
        f = {k.strip(): v.strip().strip('"') for k, _, v in
             (part.partition("=") for part in re.split(r",\s*(?=\w+=)", header[7:]))}
        md5 = lambda s: hashlib.md5(s.encode()).hexdigest()          # noqa: E731
        ha1 = md5(f"{self.api_user}:{REALM}:{self.api_key}")
        ha2 = md5(f"{request.method}:{f.get('uri')}")
        want = md5(f"{ha1}:{NONCE}:{f.get('nc')}:{f.get('cnonce')}:auth:{ha2}")
        return f.get("username") == self.api_user and f.get("response") == want

    def _serve(self, request):
        if self.down:
            raise requests.exceptions.ConnectionError(MaxRetryError(
                None, request.url, NewConnectionError(
                    None, "Failed to establish a new connection: [Errno 111] Connection refused")))
        if not self._authorized(request):
            return 401, {"WWW-Authenticate": f'Digest realm="{REALM}", nonce="{NONCE}", '
                                             'qop="auth", algorithm=MD5'}, ""
        parts = urlsplit(request.url).path.split("/")
        path = "/".join(parts[4:]).rstrip("/")
        raw = request.body.decode() if isinstance(request.body, bytes) else request.body
        data = json.loads(raw, parse_float=Decimal) if raw else None
        self.requests.append((request.method, path, data))
        failure = next((f for f in self._failures if f["method"] == request.method
                        and f["path"] in path), None)
        if failure:
            self._failures.remove(failure)
            if failure["applied"]:
                self._route(request.method, path, data)
            if failure["error"] is not None:
                raise failure["error"]
            return failure["status"], {}, json.dumps({"message": "Internal Server Error"})
        status, answer = self._route(request.method, path, data)
        text = "" if answer is None else _dumps(answer)
        return status, {"Content-Type": "application/json"}, text

    # --- endpoints -----------------------------------------------------------------------------
    def _route(self, method: str, path: str, data) -> tuple[int, object]:
        seg = path.split("/")
        try:
            return self._dispatch(method, seg, data or {})
        except KeyError as exc:
            return 404, {"message": f"not found: {exc}"}
        except ValueError as exc:
            return 422, {"message": str(exc)}

    def _dispatch(self, method, seg, data):
        n = len(seg)
        if seg == ["charge_templates"]:
            return 200, [self._template_json(t) for t in self.templates.values()]
        if seg == ["bookings", "find_in_hotel"]:
            return 200, [self._booking_json(b) for b in self.bookings.values()
                         if not self.strict_find_in_hotel or self._in_house(b)]
        if seg[0] == "bookings" and n >= 2:
            booking = self.bookings[int(seg[1])]
            if n == 2:
                return 200, self._booking_json(booking)
            if seg[2:] == ["folios", "default"]:
                return 200, self._folio_json(self._default_folio(booking))
            if seg[2:] == ["folios"]:
                return 200, [self._folio_json(f["id"]) for f in self.folios.values()
                             if f.get("booking_id") == booking["id"]]
            if seg[2] == "charges_by_source":
                if method == "GET":
                    return 200, [self._charge_json(c) for fid, cs in self._charges.items()
                                 for c in cs if c.get("source_booking_id") == booking["id"]]
                fid = self._default_folio(booking)
                many = data.get("charges") if n == 4 else [data.get("charge")]
                stored = self._bulk(fid, many)
                return (200, None) if n == 4 else (201, self._charge_json(stored[0]))
        if seg == ["companies", "chargeable_folios"]:
            return 200, [{"company_id": f["company_id"],
                          "company_name": self.companies[f["company_id"]]["name"],
                          "folio_name": f["name"], "folio_id": f["id"]}
                         for f in self.folios.values() if f.get("company_id") and self._open(f)
                         and self.companies[f["company_id"]]["accepts_charges"]]
        if seg == ["events", "chargeable_folios"]:
            return 200, [{"event_id": f["event_id"],
                          "event_name": self.events[f["event_id"]]["name"],
                          "checkin_status": "checked_in", "arrival": self.today.isoformat(),
                          "departure": self.today.isoformat(), "folio_name": f["name"],
                          "folio_id": f["id"]}
                         for f in self.folios.values() if f.get("event_id") and self._open(f)]
        if seg[0] == "companies" and n == 3 and seg[2] == "folios":
            company = self.companies[int(seg[1])]
            if method == "POST":
                fid = self._new_folio(company_id=company["id"], name="End of day",
                                      currency=data["company_folio"]["currency"])
                return 201, self._folio_json(fid)
            return 200, [self._folio_json(f["id"]) for f in self.folios.values()
                         if f.get("company_id") == company["id"]]
        if seg[0] == "folios" and n >= 2:
            return self._folio_endpoint(method, int(seg[1]), seg[2:], data)
        if seg == ["payment_sub_types"]:
            return 200, []
        raise KeyError("/".join(seg))

    def _folio_endpoint(self, method, fid, rest, data):
        folio = self.folios[fid]
        if not rest:
            return 200, self._folio_json(fid)
        if rest[0] == "charges":
            if method == "GET" and len(rest) == 1:
                return 200, [self._charge_json(c) for c in self._charges[fid]]
            if method == "DELETE":
                charge = next(c for c in self._charges[fid] if c["id"] == int(rest[1]))
                charge["voided"], charge["void_reason"] = True, data.get("void_reason")
                return 200, self._charge_json(charge)
            if rest[1:] == ["bulk"]:
                self._bulk(fid, data.get("charges"))
                return 200, None                    # documented: an empty body
            return 201, self._charge_json(self._bulk(fid, [data.get("charge")])[0])
        if rest[0] == "credit_items":
            if method == "GET":
                if len(rest) == 2:
                    item = next(c for c in self._credit_items[fid] if c["id"] == int(rest[1]))
                    return 200, self._credit_json(item)
                return 200, [self._credit_json(c) for c in self._credit_items[fid]]
            if not self._open(folio):
                raise ValueError(f"folio {fid} is closed")
            item = data["credit_item"]
            cid = self.add_credit_item(fid, Decimal(item["value"]), item.get("payment_type"),
                                       text=item.get("text") or "", currency=item.get("currency"))
            return 201, self._credit_json(self._credit_items[fid][-1] | {"id": cid})
        if rest == ["close"]:
            if folio["closed"]:
                raise ValueError(f"folio {fid} is already closed")
            folio["closed"], folio["document_type_id"] = True, data.get("document_type_id")
            return 200, self._folio_json(fid)
        raise KeyError("/".join(rest))

    # --- helpers -------------------------------------------------------------------------------
    def _open(self, folio) -> bool:
        return not folio["closed"] and not folio["voided"]

    def _in_house(self, b) -> bool:
        return b["status"] == "checked_in" and b["arrival"] <= self.today <= b["departure"]

    def _default_folio(self, booking) -> int:
        fid = booking["default_folio_id"]
        if not self._open(self.folios[fid]):      # Clock allocates an open, valid folio
            fid = booking["default_folio_id"] = self._new_folio(booking_id=booking["id"])
        return fid

    def _bulk(self, fid: int, many) -> list[dict]:
        """All or nothing, like a transaction: every charge is checked before any is stored."""
        if not self._open(self.folios[fid]):
            raise ValueError(f"folio {fid} is closed")
        if not isinstance(many, list) or not many:
            raise ValueError("charges must be a non-empty list")
        for ch in many:
            tid = ch.get("charge_template_id")
            if tid is not None and int(tid) not in self.templates:
                raise ValueError(f"charge_template_id {tid} does not exist")
            if tid is None and not {"revenue_group", "price", "text"} <= ch.keys():
                raise ValueError("revenue_group, price and text are required without a template")
        return [self._store_charge(fid, ch) for ch in many]

    def _store_charge(self, fid: int, ch: dict) -> dict:
        tpl = self.templates.get(int(ch["charge_template_id"])) if ch.get(
            "charge_template_id") is not None else None
        price = ch.get("price", tpl and tpl["price"])
        service = ch.get("service_date") or self.today
        stored = {"id": self._next("charge"), "folio_id": fid,
                  "charge_template_id": ch.get("charge_template_id"),
                  "text": ch.get("text") or (tpl or {}).get("text"),
                  "print_text": ch.get("print_text"),
                  "price": Decimal(price) if price is not None else Decimal(0),
                  "qty": ch.get("qty", 1),
                  "tax_rate": ch.get("tax_rate", tpl["tax_rate"] if tpl else None),
                  "revenue_group": ch.get("revenue_group") or (tpl or {}).get("revenue_group"),
                  "currency": ch.get("currency") or self.currency,
                  "service_date": service if isinstance(service, date)
                  else date.fromisoformat(service),
                  "source_booking_id": self.folios[fid].get("booking_id"), "voided": False}
        self._charges[fid].append(stored)
        return stored

    def _template_json(self, t) -> dict:
        return {"id": t["id"], "text": t["text"], "revenue_group": t["revenue_group"],
                "revenue_category": t["revenue_category"], "currency": self.currency,
                "tax_rate": str(t["tax_rate"]), "qty": 1, "print_text": t["text"],
                "plain_price_cents": _cents(t["price"]) if t["price"] is not None else None}

    def _booking_json(self, b) -> dict:
        out = {k: v for k, v in b.items() if k not in ("room", "credit_limit", "status")}
        out.update({"room_number": b["room"], "checkin_status": b["status"],
                    "guest_name": f"{b['first_name']} {b['last_name']}",
                    "arrival": b["arrival"].isoformat(), "departure": b["departure"].isoformat(),
                    "credit_limit_cents": _cents(b["credit_limit"])
                    if b["credit_limit"] is not None else None})
        return out

    def _folio_json(self, fid) -> dict:
        f = self.folios[fid]
        charged = sum((c["price"] * Decimal(c["qty"]) for c in self._charges[fid]
                       if not c["voided"]), Decimal(0))
        paid = sum((c["value"] for c in self._credit_items[fid] if not c["voided"]), Decimal(0))
        return {**f, "balance_cents": _cents(charged - paid),
                "revenue_date": self.today.isoformat()}

    def _charge_json(self, c) -> dict:
        out = {k: v for k, v in c.items() if k not in ("price", "source_booking_id")}
        out.update({"price_cents": _cents(c["price"]),
                    "service_date": c["service_date"].isoformat(),
                    "tax_rate": None if c["tax_rate"] is None else str(c["tax_rate"]),
                    "qty": str(c["qty"]) if isinstance(c["qty"], Decimal) else c["qty"],
                    "gross_value_cents": _cents(c["price"] * Decimal(c["qty"])),
                    "source_type": "Booking" if c["source_booking_id"] else None,
                    "source_id": c["source_booking_id"]})
        return out

    def _credit_json(self, c) -> dict:
        out = {k: v for k, v in c.items() if k != "value"}
        out["value_cents"] = _cents(c["value"])
        return out
