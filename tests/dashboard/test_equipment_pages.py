"""Equipment pages with the Flask test client: what each role sees on a register's page, a 404
for a register that is not there, and the lists of registers, groups and cashiers."""
import re

import pytest
from markupsafe import escape

from fiscal.ledger.users import create_user


def _log_in(client, ledger, account, role: str, login: str) -> None:
    with ledger.session() as s:
        _, password = create_user(s, account["id"], login=login, name=f"{role.title()} Test",
                                  role=role, actor="tests", password="Secret-pass-123",
                                  must_change_password=False)
    resp = client.post("/api/v1/session", json={"login": login, "password": "Secret-pass-123"})
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)


SERVICE_PATHS = ("open-shift", "x-report", "close-shift", "cash-in", "cash-out",
                 "cancel-receipt", "reprint-last", "cut")


def test_a_viewer_sees_the_register_without_service_buttons(client, ledger, account, register,
                                                            auth):
    _log_in(client, ledger, account, "viewer", "viewer-eq")
    binding = client.get(f"/api/v1/registers/{register['id']}", headers=auth).get_json()
    resp = client.get(f"/registers/{register['id']}")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200
    assert "Front desk" in html
    assert binding["binding_id"] in html
    assert str(escape(binding["binding_hint"])) in html     # the API's hint, word for word
    for action in SERVICE_PATHS:
        assert f"/api/v1/registers/{register['id']}/{action}" not in html
    assert 'data-method="DELETE"' not in html
    assert "Save settings" not in html and "/suspend" not in html


def test_an_operator_gets_service_buttons_but_not_settings_or_remove(client, ledger, account,
                                                                     register):
    _log_in(client, ledger, account, "operator", "operator-eq")
    html = client.get(f"/registers/{register['id']}").get_data(as_text=True)
    for action in SERVICE_PATHS:
        assert f'data-api="/api/v1/registers/{register["id"]}/{action}"' in html
    assert 'data-method="DELETE"' not in html
    assert "Save settings" not in html
    # the register's recent jobs render live
    assert "data-live=" in html


def test_an_admin_gets_settings_suspend_and_remove(client, ledger, account, register):
    _log_in(client, ledger, account, "admin", "admin-eq")
    html = client.get(f"/registers/{register['id']}").get_data(as_text=True)
    assert f'data-api="/api/v1/registers/{register["id"]}" data-method="PATCH"' in html
    assert f'data-api="/api/v1/registers/{register["id"]}/suspend"' in html
    assert 'data-method="DELETE"' in html and "cannot be undone" in html
    # the settings checkboxes show the register's values (universal cashier on by default)
    checked = re.search(r'name="settings\.universal_cashier"[^>]*>', html).group(0)
    assert "checked" in checked
    assert "checked" not in re.search(r'name="settings\.paperless"[^>]*>', html).group(0)


def test_an_unknown_register_is_404(client, ledger, account, register):
    _log_in(client, ledger, account, "viewer", "viewer-404")
    assert client.get("/registers/no-such-register").status_code == 404
    assert client.get("/registers/00000000-0000-0000-0000-000000000000").status_code == 404


def test_another_accounts_register_is_404(client, ledger, account, register):
    from fiscalhub.testkit import create_account
    other_id, _ = create_account(ledger, "Other venue")
    with ledger.session() as s:
        create_user(s, other_id, login="other-admin", name="Other", role="admin",
                    actor="tests", password="Secret-pass-123", must_change_password=False)
    client.post("/api/v1/session", json={"login": "other-admin", "password": "Secret-pass-123"})
    assert client.get(f"/registers/{register['id']}").status_code == 404


def test_the_registers_list_and_add_form(client, ledger, account, register):
    _log_in(client, ledger, account, "admin", "admin-list")
    html = client.get("/registers").get_data(as_text=True)
    assert f'data-register-row="{register["id"]}"' in html
    assert 'data-api="/api/v1/registers" data-method="POST"' in html
    # the drivers come from the API's spec
    assert '<option value="shtrih"' in html and '<option value="virtual"' in html
    assert "/dev/ttyUSB0" in html and "socket://10.0.0.5:7778" in html
    # the sub-navigation to groups and cashiers
    assert 'href="/groups"' in html and 'href="/cashiers"' in html


def test_a_viewer_sees_lists_without_forms(client, ledger, account, register, auth):
    client.post("/api/v1/register-groups", headers=auth,
                json={"name": "Ресторан", "register_ids": [register["id"]]})
    client.post("/api/v1/cashiers", headers=auth,
                json={"name": "Иванова А.", "inn": "500100732259"})
    _log_in(client, ledger, account, "viewer", "viewer-lists")
    reg_html = client.get("/registers").get_data(as_text=True)
    assert 'data-api="/api/v1/registers"' not in reg_html
    groups = client.get("/groups").get_data(as_text=True)
    assert "Ресторан" in groups and "Front desk" in groups
    assert "data-api=" not in groups
    cashiers = client.get("/cashiers").get_data(as_text=True)
    assert "Иванова А." in cashiers and "500100732259" in cashiers and "all registers" in cashiers
    assert "data-api=" not in cashiers


@pytest.mark.parametrize("path", ["/registers", "/groups", "/cashiers"])
def test_pages_need_a_login(client, path):
    resp = client.get(path)
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_russian_register_page(client, ledger, account, register, auth):
    _log_in(client, ledger, account, "admin", "admin-ru")
    assert client.patch("/api/v1/me", json={"language": "ru"},
                        headers={"X-CSRF-Token": _csrf(client)}).status_code == 200
    html = client.get(f"/registers/{register['id']}").get_data(as_text=True)
    assert "Открыть смену" in html and "Идентификатор привязки" in html
    assert "На устройстве ничего вводить не нужно" in html


def _csrf(client) -> str:
    return client.get("/api/v1/me").get_json()["csrf_token"]
