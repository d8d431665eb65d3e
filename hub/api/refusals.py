"""The ledger's refusals as API answers, in one place.

A view lets a ledger refusal (``UserRefused``, ``RegisterRefused``, …) propagate: the ledger
session it was raised in rolls back, and the handler installed here answers it in the API's
error format — a 409 for a conflict with the account's state, a 404 for a row that is gone, a
422 naming the field otherwise.
"""
from __future__ import annotations

from flask import Flask

from fiscal.ledger.accounts import KeyRefused
from fiscal.ledger.cashiers import CashierRefused
from fiscal.ledger.groups import GroupRefused
from fiscal.ledger.registers import RegisterRefused
from fiscal.ledger.users import UserRefused
from hub.api.errors import ApiError, handle_api_error, invalid


def field_refused(exc) -> ApiError:
    """A 422 ``validation_failed`` naming the refused field."""
    return invalid({exc.field or "_schema": [exc.message]})


def user_refused(exc: UserRefused) -> ApiError:
    """409 for a taken login or the last owner, 404 for a deleted user, 422 naming the field
    otherwise (``weak_password`` keeps its code)."""
    if exc.code in ("login_taken", "last_owner"):
        return ApiError(409, exc.code, exc.message, {exc.field: [exc.message]}
                        if exc.field else None)
    if exc.code == "gone":
        return ApiError(404, "not_found", exc.message)
    return ApiError(422, exc.code if exc.code != "invalid" else "validation_failed",
                    exc.message, {exc.field or "_schema": [exc.message]})


def register_refused(exc: RegisterRefused) -> ApiError:
    if exc.code == "register_removed":
        return ApiError(409, "register_removed", exc.message)
    return field_refused(exc)


ANSWERS = {UserRefused: user_refused, RegisterRefused: register_refused,
           CashierRefused: field_refused, GroupRefused: field_refused, KeyRefused: field_refused}


def install(app: Flask) -> None:
    for refusal, answer in ANSWERS.items():
        app.register_error_handler(refusal, lambda exc, answer=answer:
                                   handle_api_error(answer(exc)))
