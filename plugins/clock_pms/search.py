"""Guest, company and event search for a POS's "charge to room" box (Clock's POS recipe,
research §2.2 steps 2.1, 3.1, 4.1).

Each result is exactly::

    {"target": "booking:<booking id>" | "folio:<folio id>", "kind": "guest"|"company"|"event",
     "room": str | None, "room_description": str | None, "name": str,
     "credit_limit": Decimal | None, "blocked": bool}

Clock's answer bodies are not published verbatim (research §7), so every field is read under
the names it plausibly has (the first one present wins) — see README "Assumptions":

- an answer is a list, or an object holding the list under ``bookings``/``folios``/``data``/
  ``items``/``results``;
- a booking: id ``id``/``booking_id``; room ``room_number``/``room``/``room_name`` (or a
  ``room`` object's ``number``/``name``); room description ``room_type_name``/``room_type``/
  ``room_description``; guest ``guest_name`` or ``first_name`` + ``last_name`` (also under a
  ``guest`` object); status ``checkin_status``/``check_in_status``/``status``; dates
  ``arrival``/``arrival_date`` and ``departure``/``departure_date``; charge transfer
  ``charge_transfer``/``charge_transfer_enabled``/``allow_charge_transfer`` (absent = allowed,
  ``false`` = excluded); ``credit_limit`` or ``credit_limit_cents``; ``blocked``/``no_post``.
- ``find_in_hotel`` already answers checked-in bookings whose stay includes today; when the
  answer carries a status or dates they are checked again (a departure day still counts).
"""
from __future__ import annotations

import re
from datetime import date, datetime, timezone
from decimal import Decimal

from .guest_payments import amount_of, first, rows

CHECKED_IN = {"checked_in", "checkedin", "in_house", "inhouse", "checked-in", "check_in"}


def today() -> date:
    """The date the stay must include (UTC). A function so a test (or the fake Clock server)
    can put the connector on the server's date."""
    return datetime.now(timezone.utc).date()


def _alnum(text: str) -> str:
    return re.sub(r"[^0-9a-z]", "", text.lower())


def _date(value) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(str(value)[:10])
    except ValueError:
        return None


def _room(booking: dict) -> str | None:
    room = first(booking, "room_number", "room", "room_name")
    if isinstance(room, dict):
        room = first(room, "number", "name", "room_number")
    return str(room) if room not in (None, "") else None


def _guest(booking: dict) -> tuple[str, str, str]:
    """(first name, last name, full name)."""
    guest = booking.get("guest") if isinstance(booking.get("guest"), dict) else {}
    given = str(first(booking, "first_name") or first(guest, "first_name") or "").strip()
    family = str(first(booking, "last_name") or first(guest, "last_name") or "").strip()
    full = str(first(booking, "guest_name", "name") or first(guest, "name") or "").strip()
    return given, family, full or " ".join(p for p in (given, family) if p)


def in_stay(booking: dict, on: date) -> bool:
    """Checked in (when a status is given) and ``on`` within arrival…departure (when given)."""
    status = first(booking, "checkin_status", "check_in_status", "status")
    if status is not None and str(status).strip().lower().replace(" ", "_") not in CHECKED_IN:
        return False
    arrival = _date(first(booking, "arrival", "arrival_date"))
    departure = _date(first(booking, "departure", "departure_date"))
    return not ((arrival and on < arrival) or (departure and on > departure))


def charge_transfer_allowed(booking: dict) -> bool:
    flag = first(booking, "charge_transfer", "charge_transfer_enabled", "allow_charge_transfer")
    return flag is None or flag is True or str(flag).lower() in ("true", "1", "yes")


def guest_result(booking: dict) -> tuple[dict, list[str]]:
    """The result for a booking and the texts the term is matched against."""
    given, family, full = _guest(booking)
    room = _room(booking)
    desc = first(booking, "room_type_name", "room_type", "room_description")
    if isinstance(desc, dict):
        desc = first(desc, "name", "text")
    limit = booking.get("credit_limit")
    if limit is None and isinstance(booking.get("credit_limit_cents"), int):
        limit = Decimal(booking["credit_limit_cents"]).scaleb(-2)
    result = {"target": f"booking:{first(booking, 'id', 'booking_id')}", "kind": "guest",
              "room": room, "room_description": str(desc) if desc else None,
              "name": full or f"Booking {first(booking, 'id', 'booking_id')}",
              "credit_limit": amount_of(limit) if limit is not None else None,
              "blocked": bool(first(booking, "blocked", "no_post", "posting_blocked"))}
    return result, [given, family, full]


def folio_result(row: dict, kind: str) -> tuple[dict, list[str]]:
    """A company (``company_name``) or event (``event_name``) chargeable folio."""
    owner = str(first(row, f"{kind}_name", "name") or "").strip()
    folio_name = str(row.get("folio_name") or "").strip()
    name = f"{owner} / {folio_name}" if folio_name and folio_name != owner else owner
    return ({"target": f"folio:{row['folio_id']}", "kind": kind, "room": None,
             "room_description": None, "name": name or f"Folio {row['folio_id']}",
             "credit_limit": None, "blocked": False}, [owner, folio_name])


def matches(term: str, texts: list[str], room: str | None) -> bool:
    wanted = term.strip().lower()
    if any(wanted in (t or "").lower() for t in texts):
        return True
    return bool(room) and bool(_alnum(wanted)) and _alnum(wanted) in _alnum(room)


def search(client, term: str, on: date | None = None) -> list[dict]:
    """Guests (in house, charge transfer allowed), companies and events matching ``term``
    (case-insensitive, partial). An empty term finds nothing. Clock errors propagate."""
    if not term or not term.strip():
        return []
    on = on or today()
    out: list[dict] = []
    for booking in rows(client.bookings_in_hotel()):
        if first(booking, "id", "booking_id") is None or not charge_transfer_allowed(booking):
            continue
        if not in_stay(booking, on):
            continue
        result, texts = guest_result(booking)
        if matches(term, texts, result["room"]):
            out.append(result)
    for kind, rows_of in (("company", client.company_chargeable_folios),
                          ("event", client.event_chargeable_folios)):
        for row in rows(rows_of()):
            if row.get("folio_id") is None:
                continue
            result, texts = folio_result(row, kind)
            if matches(term, texts, None):
                out.append(result)
    return out
