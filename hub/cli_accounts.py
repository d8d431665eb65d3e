"""``fiscalhub account``: accounts, for the service centre that sets venues up.

``account create NAME`` makes the account, its owner user (with a one-time password to be
changed at the first login) and an API key, and prints the three secrets that one time: only
their hashes are kept. ``account list`` shows every account of the hub. Both work on the ledger
that ``--data-dir`` or ``DATABASE_URL`` names, and refuse a ledger that is not migrated rather
than migrate it behind the operator's back. Every change is in the audit log (actor ``cli``).

The group is built by ``account_group(data_dir_option, settings)``, which hub/cli.py calls with
its own ``--data-dir`` option and settings helper: this module does not import hub.cli, whose
last lines import this module (a mutual import would break ``python -m hub.cli``, which runs
hub/cli.py as ``__main__`` beside a second ``hub.cli``).
"""
from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Callable

import click
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from fiscal.ledger import accounts, audit, users
from fiscal.ledger.db import Ledger, get_engine
from fiscal.ledger.migrate import alembic_config
from fiscal.ledger.models import Account, Register, User

NAME_MAX = 200


def unmigrated(url: str) -> str | None:
    """Why the ledger at ``url`` cannot be used as it is, or None when it is at the head
    revision. Reads only: a missing SQLite file is not created."""
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.get_backend_name() == "sqlite" and parsed.database and \
            not Path(parsed.database).exists():
        current: set[str] = set()
    else:
        with get_engine(url, readonly=True).connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    heads = set(ScriptDirectory.from_config(alembic_config(url)).get_heads())
    if current == heads:
        return None
    at = f"at revision {', '.join(sorted(current))}" if current else "empty"
    return (f"the ledger at {shown} is not migrated (it is {at}; this fiscalhub needs "
            f"revision {', '.join(sorted(heads))}): run fiscalhub db upgrade")


def _ledger(settings: Callable, data_dir: str | None) -> Ledger:
    s = settings(data_dir)
    problem = unmigrated(s.database_url)
    if problem:
        raise click.ClickException(problem)
    return Ledger(s.database_url)


def _default_login(session, name: str) -> str:
    """``hotel-sever-owner`` for "Hotel Sever"; ``owner`` when the name has no Latin letters or
    digits; a number appended when the login is taken."""
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")[:40].strip("-")
    return users.free_login(session, f"{slug}-owner" if slug else "owner")


def create_account(ledger: Ledger, name: str, owner_login: str | None = None,
                   owner_name: str = "Owner") -> dict:
    """The account, its owner (one-time password) and an API key, in one transaction; returns
    ``account_id``, ``name``, ``login``, ``password`` and ``api_key``."""
    with ledger.session() as s:
        acc = accounts.create_account(s, name)
        audit.record(s, acc.id, audit.CLI, "account.create", "account", acc.id, {"name": name})
        login = owner_login if owner_login is not None else _default_login(s, name)
        owner, password = users.create_user(s, acc.id, login=login, name=owner_name,
                                            role=users.OWNER, actor=audit.CLI)
        key_row, key = accounts.issue_api_key(s, acc.id, "default")
        audit.record(s, acc.id, audit.CLI, "api_key.create", "api_key", key_row.id,
                     {"name": key_row.name, "prefix": key_row.prefix})
        return {"account_id": acc.id, "name": name, "login": owner.login,
                "password": password, "api_key": key}


def account_rows(ledger: Ledger) -> list[dict]:
    """Every account, oldest first, with its numbers of (live) users and registers."""
    n_users = (select(func.count()).select_from(User)
               .where(User.account_id == Account.id, User.deleted_at.is_(None))
               .scalar_subquery())
    n_registers = (select(func.count()).select_from(Register)
                   .where(Register.account_id == Account.id, Register.removed_at.is_(None))
                   .scalar_subquery())
    with ledger.session(readonly=True) as s:
        return [{"id": a.id, "name": a.name, "created_at": a.created_at.isoformat(),
                 "users": u, "registers": r}
                for a, u, r in s.execute(select(Account, n_users, n_registers)
                                         .order_by(Account.created_at, Account.id))]


def account_group(data_dir_option: Callable, settings: Callable) -> click.Group:
    """The ``account`` command group; ``data_dir_option`` and ``settings`` are hub.cli's."""

    @click.group()
    def account() -> None:
        """Accounts: each with its owner user and an API key."""

    @account.command("create")
    @click.argument("name")
    @click.option("--owner-login", help="The owner's login (default: from NAME, e.g. "
                                        "hotel-sever-owner).")
    @click.option("--owner-name", default="Owner", show_default=True,
                  help="The owner's name as the dashboard shows it.")
    @click.option("--json", "as_json", is_flag=True,
                  help="Print account_id, login, password and api_key as JSON.")
    @data_dir_option
    def create(name, owner_login, owner_name, as_json, data_dir) -> None:
        """Create an account NAME with its owner user and an API key; print the owner's login,
        one-time password and the key (shown this once)."""
        name = name.strip()
        if not 1 <= len(name) <= NAME_MAX:
            raise click.BadParameter(f"1 to {NAME_MAX} characters", param_hint="NAME")
        ledger = _ledger(settings, data_dir)
        try:
            result = create_account(ledger, name, owner_login, owner_name)
        except users.UserRefused as exc:
            raise click.BadParameter(exc.message, param_hint=f"--owner-{exc.field}") from None
        if as_json:
            click.echo(json.dumps(result, indent=2, ensure_ascii=False))
            return
        click.echo(f"account {name!r} created: {result['account_id']}\n"
                   f"  owner login:        {result['login']}\n"
                   f"  one-time password:  {result['password']}  (to be changed at the first login)\n"
                   f"  API key:            {result['api_key']}\n"
                   "The password and the key are shown this once: only their hashes are kept.")

    @account.command("list")
    @click.option("--json", "as_json", is_flag=True, help="Print the accounts as JSON.")
    @data_dir_option
    def list_accounts(as_json, data_dir) -> None:
        """List the hub's accounts with their numbers of users and registers."""
        rows = account_rows(_ledger(settings, data_dir))
        if as_json:
            click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        elif not rows:
            click.echo("no accounts (fiscalhub account create NAME makes one)")
        else:
            click.echo(f"{'id':<36}  {'created':<16}  {'users':>5}  {'registers':>9}  name")
            for r in rows:
                click.echo(f"{r['id']:<36}  {r['created_at'][:16].replace('T', ' '):<16}  "
                           f"{r['users']:>5}  {r['registers']:>9}  {r['name']}")

    return account
