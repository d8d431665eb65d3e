"""The people of an account: their logins, roles and passwords, and logging in.

Every change writes its audit entry in the caller's transaction (``actor`` says who made it).
What a role may do is the web layer's business (``hub/roles.py``); the ledger keeps the one
rule that protects the account itself: **its last active owner cannot be blocked, deleted or
demoted**, so an account can always be managed by someone.

Logins are stored lower-cased and are unique across the hub (a login names its account at the
login form). A deleted user keeps its row and its login, which the audit log uses as a name.
"""
from __future__ import annotations

import re
import uuid
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from fiscal.ledger import audit, passwords
from fiscal.ledger.models import Account, User, utcnow
from fiscal.ledger.sessions import BLOCKED, end_user_sessions
from fiscal.ledger.tenancy import owned

OWNER, ADMIN, OPERATOR, VIEWER = "owner", "admin", "operator", "viewer"
ROLES = (OWNER, ADMIN, OPERATOR, VIEWER)
LANGUAGES = ("en", "ru")        # the dashboard's languages; English is the default

_LOGIN = re.compile(r"^[a-z0-9][a-z0-9._@-]{2,63}$")
_EMAIL = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]+$")
_KEEP = object()


class UserRefused(Exception):
    """A change the ledger will not make. ``code``: ``invalid`` (``field`` says which),
    ``login_taken``, ``weak_password``, ``last_owner``, ``gone`` (the user was deleted)."""

    def __init__(self, code: str, message: str, field: str | None = None):
        super().__init__(message)
        self.code, self.message, self.field = code, message, field


class LastOwner(UserRefused):
    def __init__(self, user: User, what: str):
        super().__init__("last_owner", f"{user.login} is the account's last active owner and "
                         f"cannot be {what}; make another user owner first")


class LoginRefused(Exception):
    """``reason``: ``bad_credentials`` (unknown login and wrong password get the same answer)
    or ``blocked`` (said only to someone who gave the right password)."""

    def __init__(self, reason: str):
        super().__init__({"bad_credentials": "wrong login or password",
                          "blocked": "this user is blocked"}[reason])
        self.reason = reason


def normalize_login(login: str) -> str:
    return (login or "").strip().lower()


def _valid_login(login: str) -> str:
    norm = normalize_login(login)
    if not _LOGIN.match(norm):
        raise UserRefused("invalid", "a login is 3 to 64 letters, digits and . _ @ -, starting "
                          "with a letter or digit", "login")
    return norm


def _valid_name(name: str) -> str:
    name = (name or "").strip()
    if not 1 <= len(name) <= 200:
        raise UserRefused("invalid", "a name has 1 to 200 characters", "name")
    return name


def _valid_email(email: str | None) -> str | None:
    email = (email or "").strip() or None
    if email is not None and (len(email) > 254 or not _EMAIL.match(email)):
        raise UserRefused("invalid", f"not an email address: {email}", "email")
    return email


def _valid_role(role: str) -> str:
    if role not in ROLES:
        raise UserRefused("invalid", f"a role is one of {', '.join(ROLES)}", "role")
    return role


def _valid_language(language: str) -> str:
    if language not in LANGUAGES:
        raise UserRefused("invalid", f"a language is one of {', '.join(LANGUAGES)}", "language")
    return language


def _policy(password: str, login: str) -> None:
    try:
        passwords.check_policy(password, login)
    except passwords.PasswordRejected as exc:
        raise UserRefused("weak_password", str(exc), "password") from None


def is_active(user: User) -> bool:
    return user.blocked_at is None and user.deleted_at is None


def get_user(session: Session, account_id: str, user_id: str) -> User | None:
    """The account's user (not deleted); None for another account's user, as for no user."""
    return owned(session, User, account_id, user_id)


def list_users(session: Session, account_id: str) -> list[User]:
    return list(session.scalars(select(User).where(User.account_id == account_id,
                                                   User.deleted_at.is_(None))
                                .order_by(User.created_at, User.id)))


def find_by_login(session: Session, login: str) -> User | None:
    """Any user with this login, deleted ones included (their logins stay taken)."""
    return session.scalar(select(User).where(User.login == normalize_login(login)))


def free_login(session: Session, base: str) -> str:
    """``base`` if no one has it, else ``base-2``, ``base-3``…"""
    login, n = _valid_login(base), 1
    while find_by_login(session, login) is not None:
        n += 1
        login = f"{normalize_login(base)[:60]}-{n}"
    return login


def create_user(session: Session, account_id: str, *, login: str, name: str, role: str,
                actor: str, email: str | None = None, password: str | None = None,
                language: str = "en", must_change_password: bool | None = None
                ) -> tuple[User, str | None]:
    """Add a user. Without ``password`` one is generated and returned (shown once, never
    stored in clear); by default it must be changed at the first login, and a given password
    need not be. Returns ``(user, one_time_password or None)``."""
    login = _valid_login(login)
    if find_by_login(session, login) is not None:
        raise UserRefused("login_taken", f"the login {login} is taken", "login")
    generated = None
    if password is None:
        password = generated = passwords.one_time_password()
    else:
        _policy(password, login)
    if must_change_password is None:
        must_change_password = generated is not None
    user = User(id=str(uuid.uuid4()), account_id=account_id, login=login,
                name=_valid_name(name), email=_valid_email(email), role=_valid_role(role),
                password_hash=passwords.hash_password(password),
                must_change_password=must_change_password, language=_valid_language(language),
                created_at=utcnow())
    try:
        with session.begin_nested():        # a concurrent creation of the same login
            session.add(user)
            session.flush()
    except IntegrityError:
        raise UserRefused("login_taken", f"the login {login} is taken", "login") from None
    audit.record(session, account_id, actor, "user.create", "user", user.id,
                 {"login": login, "name": user.name, "role": role,
                  "must_change_password": must_change_password})
    return user, generated


def check_password(user: User, password: str) -> bool:
    return passwords.verify_password(user.password_hash, password)


def set_password(session: Session, user: User, password: str, *, actor: str,
                 must_change: bool = False) -> None:
    """Set a new password. ``must_change=True`` for one an administrator hands over (the
    user changes it at the next login). A user replacing a one-time password must choose a
    different one."""
    _alive(user)
    _policy(password, user.login)
    if user.must_change_password and not must_change and check_password(user, password):
        raise UserRefused("weak_password", "choose a password other than the one-time password",
                          "password")
    user.password_hash = passwords.hash_password(password)
    user.must_change_password = must_change
    audit.record(session, user.account_id, actor, "user.set_password", "user", user.id,
                 {"login": user.login, "must_change_password": must_change})


def edit_user(session: Session, user: User, *, actor: str, name=_KEEP, email=_KEEP, role=_KEEP,
              language=_KEEP) -> dict:
    """Change the given fields; returns ``{field: [old, new]}`` for those that changed."""
    _alive(user)
    wanted = {"name": name if name is _KEEP else _valid_name(name),
              "email": email if email is _KEEP else _valid_email(email),
              "role": role if role is _KEEP else _valid_role(role),
              "language": language if language is _KEEP else _valid_language(language)}
    changes = {k: [getattr(user, k), v] for k, v in wanted.items()
               if v is not _KEEP and v != getattr(user, k)}
    if "role" in changes and user.role == OWNER:
        _guard_last_owner(session, user, f"made {changes['role'][1]}")
    for field, (_, new) in changes.items():
        setattr(user, field, new)
    if changes:
        audit.record(session, user.account_id, actor, "user.edit", "user", user.id,
                     {"login": user.login, "changes": changes})
    return changes


def block_user(session: Session, user: User, *, actor: str) -> None:
    """Block: no login, and every session the user has ends now."""
    _alive(user)
    if user.blocked_at is not None:
        return
    _guard_last_owner(session, user, "blocked")
    user.blocked_at = utcnow()
    ended = end_user_sessions(session, user.id, BLOCKED)
    audit.record(session, user.account_id, actor, "user.block", "user", user.id,
                 {"login": user.login, "sessions_ended": ended})


def unblock_user(session: Session, user: User, *, actor: str) -> None:
    _alive(user)
    if user.blocked_at is None:
        return
    user.blocked_at = None
    audit.record(session, user.account_id, actor, "user.unblock", "user", user.id,
                 {"login": user.login})


def delete_user(session: Session, user: User, *, actor: str) -> None:
    """Delete (the row stays, marked): the user disappears from the account, cannot log in,
    and its sessions end now."""
    _alive(user)
    _guard_last_owner(session, user, "deleted")
    user.deleted_at = utcnow()
    ended = end_user_sessions(session, user.id, BLOCKED)
    audit.record(session, user.account_id, actor, "user.delete", "user", user.id,
                 {"login": user.login, "sessions_ended": ended})


def _alive(user: User) -> None:
    if user.deleted_at is not None:
        raise UserRefused("gone", f"the user {user.login} was deleted")


def _guard_last_owner(session: Session, user: User, what: str) -> None:
    """Refuse to take away the account's last active owner. The account row is locked first
    (SELECT … FOR UPDATE on PostgreSQL; SQLite writers are serialised already), so two
    administrators blocking the two last owners at once cannot both succeed."""
    if user.role != OWNER or not is_active(user):
        return
    session.execute(select(Account.id).where(Account.id == user.account_id).with_for_update())
    others = session.scalar(select(func.count()).select_from(User).where(
        User.account_id == user.account_id, User.role == OWNER, User.id != user.id,
        User.blocked_at.is_(None), User.deleted_at.is_(None)))
    if not others:
        raise LastOwner(user, what)


def authenticate_user(session: Session, login: str, password: str,
                      now: datetime | None = None) -> User:
    """The user whose login and password these are; raises ``LoginRefused``. A deleted user is
    an unknown login. ``blocked`` is told only for the right password, so the answer does not
    reveal which logins exist; an unknown login costs the same hashing as a wrong password."""
    user = find_by_login(session, login)
    if user is None or user.deleted_at is not None:
        passwords.burn_time(password or "")
        raise LoginRefused("bad_credentials")
    if not check_password(user, password or ""):
        raise LoginRefused("bad_credentials")
    if user.blocked_at is not None:
        raise LoginRefused("blocked")
    user.last_login_at = now or utcnow()
    return user
