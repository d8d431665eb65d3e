"""Users' passwords: the policy, hashing, and one-time passwords.

Hashes are scrypt (memory-hard, so a stolen table is slow to crack on GPUs; in the standard
library) with werkzeug's parameters and werkzeug's format, ``scrypt:32768:8:1$<salt>$<hex>``:
``werkzeug.security.check_password_hash`` accepts these hashes and this module accepts those of
``generate_password_hash(..., method="scrypt")``, so a web layer may use either. werkzeug itself
is not imported: ``fiscal/`` stays free of the web stack (tests/test_import_rules.py).
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
import string

MIN_LENGTH = 10
# Bounds the hashing work one login request can ask for; no one types more.
MAX_LENGTH = 256

_N, _R, _P = 2 ** 15, 8, 1
_SALT_CHARS = string.ascii_letters + string.digits
# One-time passwords are read off a screen and typed: no 0/O, 1/l/I.
_OTP_CHARS = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


class PasswordRejected(ValueError):
    """The password does not meet the policy; the message says why."""


def check_policy(password: str, login: str | None = None) -> None:
    if not isinstance(password, str) or len(password) < MIN_LENGTH:
        raise PasswordRejected(f"a password has at least {MIN_LENGTH} characters")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"a password has at most {MAX_LENGTH} characters")
    if login and password.strip().lower() == login.strip().lower():
        raise PasswordRejected("the password may not be the login")


def _scrypt(password: str, salt: str, n: int, r: int, p: int) -> str:
    return hashlib.scrypt(password.encode(), salt=salt.encode(), n=n, r=r, p=p,
                          maxmem=132 * n * r * p).hex()


def hash_password(password: str) -> str:
    salt = "".join(secrets.choice(_SALT_CHARS) for _ in range(16))
    return f"scrypt:{_N}:{_R}:{_P}${salt}${_scrypt(password, salt, _N, _R, _P)}"


def verify_password(stored: str, password: str) -> bool:
    """Whether ``password`` matches ``stored`` (constant-time); False for any other format."""
    try:
        method, salt, digest = stored.split("$", 2)
        name, n, r, p = method.split(":")
        if name != "scrypt" or len(password) > MAX_LENGTH:
            return False
        computed = _scrypt(password, salt, int(n), int(r), int(p))
    except (ValueError, AttributeError):
        return False
    return hmac.compare_digest(computed, digest)


_DUMMY: list[str] = []


def burn_time(password: str) -> None:
    """Spend as long as a real check, so that an unknown login cannot be told from a wrong
    password by the time the answer takes."""
    if not _DUMMY:
        _DUMMY.append(hash_password(secrets.token_hex(8)))
    verify_password(_DUMMY[0], password)


def one_time_password() -> str:
    """Three groups of four unambiguous characters (about 70 bits), e.g. ``k7Qm-2xRt-Hn4p``."""
    chars = [secrets.choice(_OTP_CHARS) for _ in range(12)]
    return "-".join("".join(chars[i:i + 4]) for i in range(0, 12, 4))
