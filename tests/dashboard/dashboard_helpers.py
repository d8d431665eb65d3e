"""Bodies and steps the dashboard tests share. (Import them from here, not from conftest:
several conftest modules of the suite share that module name.)"""
import re
from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from fiscal.ledger.models import UserSession

ARTIFACTS = Path(__file__).resolve().parents[1] / "artifacts"


def log_in(pg, login: str, password: str) -> None:
    """Log in through the login page; lands on the overview."""
    pg.goto("/login")
    pg.get_by_label("Login", exact=True).fill(login)
    pg.get_by_label("Password", exact=True).fill(password)
    pg.get_by_role("button", name="Log in").click()
    pg.wait_for_url(re.compile(r".*/overview$"))


def receipt_body(register_id: str, name: str = "Борщ", price: str = "350.00",
                 quantity: str = "2") -> dict:
    from decimal import Decimal
    amount = f"{Decimal(price) * Decimal(quantity):.2f}"
    return {"kind": "receipt", "register": register_id, "cashier": {"name": "Иванова А."},
            "receipt": {"operation": "sell", "taxation": "osn",
                        "items": [{"name": name, "price": price, "quantity": quantity,
                                   "amount": amount, "vat": "vat20",
                                   "payment_method": "full_payment",
                                   "payment_object": "commodity"}],
                        "payments": [{"type": "cash", "amount": amount}], "total": amount}}


def post_receipt(client, auth: dict, register_id: str, key: str, **fields) -> str:
    """Submit a receipt through the API with a Flask test client; the job's id."""
    resp = client.post("/api/v1/jobs", json=receipt_body(register_id, **fields),
                       headers={**auth, "Idempotency-Key": key})
    assert resp.status_code == 201, resp.json
    return resp.json["id"]


# Flask test client steps ----------------------------------------------------------------------
def login_token(client) -> str:
    """The login form's double-submit token (its cookie is set on the client)."""
    page = client.get("/login")
    return re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)


def log_in_client(client, who: dict, next_url: str = "/overview"):
    return client.post(f"/login?next={next_url}", data={
        "login": who["login"], "password": who["password"], "csrf_token": login_token(client)})


def backdate_sessions(ledger, minutes: float) -> None:
    with ledger.session() as s:
        for row in s.scalars(select(UserSession).where(UserSession.ended_at.is_(None))):
            row.last_seen_at -= timedelta(minutes=minutes)
