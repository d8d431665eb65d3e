"""The account pages with the Flask test client: who sees users, API keys and the audit log,
and which buttons each role gets."""
import re

import pytest

from fiscal.ledger.users import create_user


def logged_in(client, ledger, account, role, login):
    with ledger.session() as s:
        _, password = create_user(s, account["id"], login=login, name=f"{role} {login}",
                                  role=role, actor="tests", must_change_password=False)
    resp = client.post("/api/v1/session", json={"login": login, "password": password})
    assert resp.status_code in (200, 201), resp.json
    return client


@pytest.fixture
def owner(client, ledger, account):
    return logged_in(client, ledger, account, "owner", "olga.owner")


def test_an_operator_gets_the_403_page_on_users(client, ledger, account):
    logged_in(client, ledger, account, "operator", "ivan.operator")
    for path in ("/users", "/api-keys", "/audit-log"):
        resp = client.get(path)
        assert resp.status_code == 403, path
        assert "Not allowed" in resp.get_data(as_text=True)


def test_the_owner_sees_every_user_with_their_buttons(owner, ledger, account):
    with ledger.session() as s:
        create_user(s, account["id"], login="anna.viewer", name="Anna Petrova", role="viewer",
                    actor="tests", must_change_password=False)
    html = owner.get("/users").get_data(as_text=True)
    row = re.search(r'<tr data-user="anna.viewer">.*?</tr>', html, re.S).group(0)
    assert "Anna Petrova" in row and "Viewer" in row
    for button in (">Block<", ">Reset password<", ">Delete<", ">Edit<"):
        assert button in row, button
    assert 'data-api="/api/v1/users"' in html and 'data-secret-field="one_time_password"' in html
    # one's own row: edit, but no block / delete / reset of oneself
    own = re.search(r'<tr data-user="olga.owner">.*?</tr>', html, re.S).group(0)
    assert ">Edit<" in own and ">Block<" not in own and ">Delete<" not in own


def test_an_admin_may_not_touch_an_owner(client, ledger, account):
    logged_in(client, ledger, account, "owner", "boss")
    client.delete("/api/v1/session")
    logged_in(client, ledger, account, "admin", "adm.in")
    html = client.get("/users").get_data(as_text=True)
    boss = re.search(r'<tr data-user="boss">.*?</tr>', html, re.S).group(0)
    assert ">Block<" not in boss and ">Edit<" not in boss
    # and the role list offers no owner
    add_form = html[html.index('id="add-user-h"'):]
    assert 'value="owner"' not in add_form and 'value="admin"' in add_form


def test_an_admin_gets_the_issue_form_and_the_secret_box(client, ledger, account):
    logged_in(client, ledger, account, "admin", "adm.keys")
    html = client.get("/api-keys").get_data(as_text=True)
    assert "Issue the key" in html and 'data-secret-field="key"' in html
    assert 'id="secret-box"' in html and 'data-copy-from="secret-value"' in html
    # the account's key from the fixture is listed by its prefix
    assert re.search(r'<tr data-key="[0-9a-f]+">', html)


def test_the_audit_log_filters_and_pages(owner, ledger, account):
    with ledger.session() as s:
        for i in range(26):
            create_user(s, account["id"], login=f"audit{i}", name=f"Audit {i}", role="viewer",
                        actor="tests", must_change_password=False)
    html = owner.get("/audit-log?action=user.create&limit=25").get_data(as_text=True)
    assert len(re.findall(r'<tr data-audit="\d+">', html)) == 25     # 27 user.create in all
    older = re.search(r'href="([^"]*cursor=[^"]*)"[^>]*>Older entries', html)
    assert older, "no link to the older entries"
    href = older.group(1).replace("&amp;", "&")
    assert "action=user.create" in href and "limit=25" in href
    page2 = owner.get(href).get_data(as_text=True)
    assert len(re.findall(r'<tr data-audit="\d+">', page2)) == 2
    assert "Older entries" not in page2 and "Newest entries" in page2
    other = owner.get("/audit-log?action=user.create&actor=user:nobody").get_data(as_text=True)
    assert "No entries match." in other
    bad = owner.get("/audit-log?cursor=not-a-cursor")
    assert bad.status_code == 200 and "The hub refused the filter" in bad.get_data(as_text=True)


def test_the_pages_speak_russian_to_a_russian_speaking_owner(client, ledger, account):
    with ledger.session() as s:
        _, password = create_user(s, account["id"], login="irina", name="Ирина", role="owner",
                                  language="ru", actor="tests", must_change_password=False)
    client.post("/api/v1/session", json={"login": "irina", "password": password})
    users = client.get("/users").get_data(as_text=True)
    assert "Добавить пользователя" in users and "Журнал действий" in users
    keys = client.get("/api-keys").get_data(as_text=True)
    assert "Выдать API-ключ" in keys and "Удалить ключ" in keys
    audit = client.get("/audit-log").get_data(as_text=True)
    assert "Более ранние записи" in audit or "Кто" in audit
