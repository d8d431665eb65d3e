"""``fiscalhub account create`` and ``account list``: the printed password logs in, the printed
key authenticates, every change is audited, and an unmigrated ledger is refused."""
import json
import re
import shutil

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select

from fiscal.ledger import accounts, audit, users
from fiscal.ledger.migrate import upgrade
from fiscal.ledger.models import Account, User
from hub.cli import _settings, data_dir_option
from hub.cli_accounts import account_group

account_cli = account_group(data_dir_option, _settings)


def invoke(*args):
    return CliRunner().invoke(account_cli, list(args), catch_exceptions=False)


def created(ledger, *args):
    result = invoke("create", *args, "--json")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


def test_create_prints_a_login_password_and_key_that_work(ledger, database_url):
    result = invoke("create", "Hotel Sever")
    assert result.exit_code == 0, result.output
    out = result.output
    login = re.search(r"owner login:\s+(\S+)", out).group(1)
    password = re.search(r"one-time password:\s+(\S+)", out).group(1)
    key = re.search(r"API key:\s+(\S+)", out).group(1)
    account_id = re.search(r"created: (\S+)", out).group(1)
    assert login == "hotel-sever-owner" and "shown this once" in out
    with ledger.session() as s:
        user = users.authenticate_user(s, login, password)
        assert (user.account_id, user.role, user.must_change_password) == (
            account_id, "owner", True)
        assert accounts.authenticate(s, key).account_id == account_id
        assert s.get(Account, account_id).name == "Hotel Sever"
        entries, _ = audit.list_audit(s, account_id, 10)
        assert [(e.actor, e.action) for e in reversed(entries)] == [
            ("cli", "account.create"), ("cli", "user.create"), ("cli", "api_key.create")]
        assert password not in json.dumps([e.details for e in entries])


def test_create_json_and_the_owner_login(ledger, database_url):
    data = created(ledger, "KTV Zvezda", "--owner-login", "Zvezda.Admin")
    assert set(data) == {"account_id", "name", "login", "password", "api_key"}
    assert data["login"] == "zvezda.admin"
    with ledger.session() as s:
        assert users.authenticate_user(s, "ZVEZDA.ADMIN", data["password"]).account_id == \
            data["account_id"]
        assert accounts.authenticate(s, data["api_key"]).account_id == data["account_id"]


def test_default_logins_come_from_the_name_and_never_clash(ledger, database_url):
    assert created(ledger, "Hotel Sever")["login"] == "hotel-sever-owner"
    assert created(ledger, "Hotel  Sever!")["login"] == "hotel-sever-owner-2"
    assert created(ledger, "Гостиница «Север»")["login"] == "owner"


def test_a_taken_login_creates_nothing(ledger, database_url):
    created(ledger, "Hotel Sever", "--owner-login", "anna")
    result = invoke("create", "KTV Zvezda", "--owner-login", "ANNA")
    assert result.exit_code == 2 and "the login anna is taken" in result.output
    assert "--owner-login" in result.output
    result = invoke("create", "KTV Zvezda", "--owner-login", "a")
    assert result.exit_code == 2 and "3 to 64" in result.output
    with ledger.session() as s:
        assert s.scalar(select(func.count()).select_from(Account)) == 1
        assert s.scalar(select(func.count()).select_from(User)) == 1


def test_list_shows_accounts_with_users_and_registers(ledger, account, register,
                                                      database_url):
    data = created(ledger, "KTV Zvezda")
    with ledger.session() as s:
        users.create_user(s, data["account_id"], login="clerk", name="Clerk", role="viewer",
                          actor="cli", password="clerk passphrase")
        gone, _ = users.create_user(s, data["account_id"], login="gone", name="Gone",
                                    role="viewer", actor="cli", password="gone passphrase")
        users.delete_user(s, gone, actor="cli")
    result = invoke("list", "--json")
    assert result.exit_code == 0, result.output
    rows = {r["name"]: r for r in json.loads(result.output)}
    assert (rows["Hotel Sever"]["users"], rows["Hotel Sever"]["registers"]) == (0, 1)
    assert (rows["KTV Zvezda"]["users"], rows["KTV Zvezda"]["registers"]) == (2, 0)
    assert rows["KTV Zvezda"]["id"] == data["account_id"]
    text = invoke("list").output.splitlines()
    assert text[0].split() == ["id", "created", "users", "registers", "name"]
    line = next(t for t in text if data["account_id"] in t)
    assert line.split()[-4:] == ["2", "0", "KTV", "Zvezda"]


def test_list_of_an_empty_ledger(ledger, database_url):
    assert invoke("list", "--json").output.strip() == "[]"
    assert "no accounts" in invoke("list").output


def test_data_dir_names_the_ledger_when_database_url_is_unset(tmp_path, migrated_template,
                                                              monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FISCALHUB_DATA_DIR", raising=False)
    data = tmp_path / "venue"
    data.mkdir()
    shutil.copy(migrated_template, data / "fiscalhub.db")
    result = invoke("create", "Hotel Sever", "--json", "--data-dir", str(data))
    assert result.exit_code == 0, result.output
    listed = json.loads(invoke("list", "--json", "--data-dir", str(data)).output)
    assert [r["name"] for r in listed] == ["Hotel Sever"]


@pytest.mark.parametrize("command", [["create", "Hotel Sever"], ["list"]])
def test_an_unmigrated_ledger_is_refused_not_migrated(tmp_path, monkeypatch, command):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("FISCALHUB_DATA_DIR", raising=False)
    result = invoke(*command, "--data-dir", str(tmp_path))
    assert result.exit_code == 1
    assert "is not migrated (it is empty" in result.output
    assert "run fiscalhub db upgrade" in result.output
    assert not (tmp_path / "fiscalhub.db").exists()          # nothing created on the way

    url = f"sqlite:///{tmp_path / 'fiscalhub.db'}"
    upgrade(url, "0001")                                      # an older ledger
    monkeypatch.setenv("DATABASE_URL", url)
    result = invoke(*command)
    assert result.exit_code == 1 and "it is at revision 0001" in result.output
    upgrade(url)
    assert invoke(*command).exit_code == 0
