"""Reading a Lightspeed charge body: numbers as Decimal (JSON floats through their text, never
float arithmetic), objects, arrays and text — each refusal a ``TranslationError`` naming the
field (``payments[1].methodCode``). Pure."""
from __future__ import annotations

from decimal import Decimal, InvalidOperation

from fiscal import money as m
from hub.connectors import TranslationError

ZERO = m.ZERO
LIMIT = Decimal("9999999999")


def _fail(where: str, message: str):
    raise TranslationError(f"{where}: {message}", errors={where: [message]})


def _num(value, where: str) -> Decimal:
    if isinstance(value, bool) or value is None:
        _fail(where, "a number is required")
    try:
        if isinstance(value, (int, Decimal)):
            number = Decimal(value)
        elif isinstance(value, float):
            number = Decimal(str(value))
        elif isinstance(value, str):
            number = Decimal(value.strip())
        else:
            _fail(where, f"a number is required, not {type(value).__name__}")
    except InvalidOperation:
        _fail(where, f"{value!r} is not a number")
    if not number.is_finite() or abs(number) > LIMIT:
        _fail(where, f"{value!r} is not a finite number up to {LIMIT}")
    return number


def _opt_num(obj: dict, key: str, where: str, default=ZERO) -> Decimal:
    return default if obj.get(key) is None else _num(obj[key], f"{where}.{key}")


def _dict(value, where: str) -> dict:
    if not isinstance(value, dict):
        _fail(where, "an object is required")
    return value


def _list(value, where: str) -> list:
    if not isinstance(value, list):
        _fail(where, "an array is required")
    return value


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else "" if value is None else str(value)
