"""A receipt typed in by hand: the cash desk's form over ``POST /api/v1/receipts`` (register and
cashier, operation, taxation, lines, payment), printed like any job; the browser then goes to the
job's page in the print queue, where it turns printed live."""
from __future__ import annotations

from flask import Blueprint, request

from hub.dashboard.api_call import api
from hub.dashboard.pages import must, page, render

bp = Blueprint("dashboard_receipts", __name__)

# FFD 1212 values a venue's cash desk uses most; the API takes every one.
PAYMENT_OBJECTS = {"service": "Service", "commodity": "Goods"}


@bp.get("/receipts/new")
@page("jobs.create")
def new_receipt():
    registers = [r for r in must(api("GET", "/api/v1/registers"))["items"] if not r["removed"]]
    cashiers = api("GET", "/api/v1/cashiers")
    cashiers = cashiers.body.get("items", []) if cashiers.ok else []
    chosen = request.args.get("register") or next(
        (r["id"] for r in registers if not r["suspended"]), registers[0]["id"] if registers else "")
    return render("receipts/new.html", registers=registers, cashiers=cashiers,
                  chosen_register=chosen,
                  register_options=[(r["id"], r["name"]) for r in registers],
                  cashier_options=[(c["id"], c["name"]) for c in cashiers], payment_objects=PAYMENT_OBJECTS)
