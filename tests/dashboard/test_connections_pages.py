"""The connection pages with the Flask test client: the settings form generated from the
built-in Lightspeed connector's schema (secrets masked), the health in words, and a rejected
event listed with its reason and a Replay button."""
import json
import re

import pytest

from fiscal.ledger.users import create_user

API_KEY = "lightspeed-key-0123456789abcdef"


def log_in(client, ledger, account, role, login):
    with ledger.session() as s:
        _, password = create_user(s, account["id"], login=login, name=login, role=role,
                                  actor="tests", must_change_password=False)
    resp = client.post("/api/v1/session", json={"login": login, "password": password})
    assert resp.status_code in (200, 201), resp.json


@pytest.fixture
def connection(client, auth, register):
    resp = client.post("/api/v1/connections", headers=auth, json={
        "connector": "lightspeed", "name": "Ресторан POS", "register_id": register["id"],
        "settings": {"api_key": API_KEY, "language": "ru", "taxation": "osn",
                     "group_templates": {"Food": "Restaurant"}}})
    assert resp.status_code == 201, resp.json
    return resp.json


def deliver(client, conn_id, body):
    return client.post(f"/hooks/{conn_id}?apiKey={API_KEY}", data=json.dumps(body),
                       headers={"Content-Type": "application/json"})


def fields_of(html):
    return {m.group(1): m.group(0) for m in re.finditer(
        r'<(?:input|select|textarea)[^>]*name="(settings\.[^"]+)"[^>]*>', html)}


def test_the_settings_form_has_a_field_for_each_setting(client, ledger, account, auth,
                                                        connection):
    log_in(client, ledger, account, "admin", "adm.conn")
    schema = {c["name"]: c for c in client.get("/api/v1/connectors", headers=auth)
              .json["items"]}["lightspeed"]["settings"]
    resp = client.get(f"/connections/{connection['id']}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    found = fields_of(html)
    assert set(found) == {f"settings.{s['name']}" for s in schema}
    by_name = {s["name"]: s for s in schema}
    # the secret: a password input showing the mask, never the key
    key = found["settings.api_key"]
    assert 'type="password"' in key and 'value="********"' in key
    assert API_KEY not in html
    # a choice is a select with the stored value chosen; a boolean a checkbox; a table JSON
    assert found["settings.language"].startswith("<select")
    assert re.search(r'<option value="ru" selected>', html)
    assert by_name["post_daily_revenue"]["type"] == "boolean"
    assert 'type="checkbox"' in found["settings.post_daily_revenue"]
    assert found["settings.group_templates"].startswith("<textarea")
    assert 'data-kind="json"' in found["settings.group_templates"]
    assert "&#34;Food&#34;: &#34;Restaurant&#34;" in html or "&quot;Food&quot;" in html
    # routing, time zone and closing time, and the delete button
    assert re.search(rf'<option value="{connection["register_id"]}" selected>', html)
    assert 'name="closing_time"' in html and 'value="05:30"' in html
    assert "Delete the connection" in html


def test_a_viewer_sees_the_settings_but_no_form(client, ledger, account, connection):
    log_in(client, ledger, account, "viewer", "vera.viewer")
    html = client.get(f"/connections/{connection['id']}").get_data(as_text=True)
    assert not fields_of(html) and "Delete the connection" not in html
    assert API_KEY not in html and "********" in html


def test_the_mask_sent_back_keeps_the_secret(client, auth, connection):
    """What the form sends when the secret is not retyped: the API keeps it."""
    resp = client.patch(f"/api/v1/connections/{connection['id']}", headers=auth,
                        json={"settings": {"api_key": "********", "tips": "item"}})
    assert resp.status_code == 200, resp.json
    assert deliver(client, connection["id"], {"uuid": "x", "transactions": "no"}
                   ).status_code == 422          # still authentic with the old key


def test_a_rejected_event_is_listed_with_its_reason_and_replay(client, ledger, account,
                                                               connection):
    resp = deliver(client, connection["id"], {"uuid": "bad-bill-1", "transactions": "oops"})
    assert resp.status_code == 422, resp.json
    (event,) = resp.json["events"]
    log_in(client, ledger, account, "operator", "olya.cashier")
    html = client.get(f"/connections/{connection['id']}/events?state=rejected"
                      ).get_data(as_text=True)
    row = re.search(rf'<tr data-event="{re.escape(event["event_id"])}" data-state="rejected">'
                    r'.*?</tr>', html, re.S)
    assert row, html
    row = row.group(0)
    assert "Rejected" in row and "transactions" in row
    assert f'/events/{event["id"]}/replay' in row and ">Replay<" in row
    # the list of the connections says so in words
    listing = client.get("/connections").get_data(as_text=True)
    assert "1 event(s) were rejected" in listing
    # the event's own page: reason, payload, and the replay button
    page = client.get(f"/connections/{connection['id']}/events/{event['id']}")
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert "bad-bill-1" in text and ">Replay<" in text and API_KEY not in text


def test_a_viewer_gets_no_replay_button(client, ledger, account, connection):
    deliver(client, connection["id"], {"uuid": "bad-bill-2", "transactions": "oops"})
    log_in(client, ledger, account, "viewer", "vik.viewer")
    html = client.get(f"/connections/{connection['id']}/events").get_data(as_text=True)
    assert 'data-state="rejected"' in html and ">Replay<" not in html


def test_a_missing_connection_or_event_is_404(client, ledger, account, connection):
    log_in(client, ledger, account, "viewer", "nina.viewer")
    assert client.get("/connections/no-such-id").status_code == 404
    assert client.get("/connections/no-such-id/events").status_code == 404
    assert client.get(f"/connections/{connection['id']}/events/nope").status_code == 404


def test_the_connection_pages_speak_russian(client, ledger, account, connection):
    with ledger.session() as s:
        _, password = create_user(s, account["id"], login="ruslan", name="Руслан",
                                  role="admin", language="ru", actor="tests",
                                  must_change_password=False)
    client.post("/api/v1/session", json={"login": "ruslan", "password": password})
    deliver(client, connection["id"], {"uuid": "bad-bill-ru", "transactions": "oops"})
    listing = client.get("/connections").get_data(as_text=True)
    assert "Отклонённых событий: 1" in listing and "Добавить подключение" in listing
    page = client.get(f"/connections/{connection['id']}").get_data(as_text=True)
    assert "Где печатать чеки" in page and "Удалить подключение" in page
    events = client.get(f"/connections/{connection['id']}/events").get_data(as_text=True)
    assert "Отклонено" in events and ">Повторить<" in events
    new = client.get("/connections?connector=lightspeed").get_data(as_text=True)
    assert 'name="settings.api_key"' in new and 'value="lightspeed"' in new


def test_edit_the_settings_and_replay_in_the_browser(owner_page, stack):
    """In the browser on the real stack: the generated form saves a setting and keeps the
    secret it shows masked; a rejected event is replayed from the events page."""
    import uuid

    import requests
    from playwright.sync_api import expect

    name = f"Lightspeed {uuid.uuid4().hex[:6]}"
    resp = stack.api("POST", "/connections", json={
        "connector": "lightspeed", "name": name, "register_id": stack.demo["register_id"],
        "settings": {"api_key": API_KEY}})
    assert resp.status_code == 201, resp.text
    conn = resp.json()

    def hook(bill_id):
        return requests.post(f"{stack.url}/hooks/{conn['id']}", params={"apiKey": API_KEY},
                             json={"uuid": bill_id, "transactions": "oops"}, timeout=15)

    assert hook("browser-bad-1").status_code == 422

    page = owner_page
    page.get_by_role("link", name="Connections").click()
    row = page.locator(f'tr[data-connection="{conn["id"]}"]')
    expect(row).to_contain_text("1 event(s) were rejected")
    row.get_by_role("link", name=name, exact=True).click()
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.get_by_label("Api key", exact=True)).to_have_value("********")
    page.get_by_label("Tips", exact=True).select_option("item")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_label("Tips", exact=True)).to_have_value("item")
    assert stack.api("GET", f"/connections/{conn['id']}").json()["settings"]["tips"] == "item"
    assert hook("browser-bad-2").status_code == 422        # the key kept: still authentic

    page.get_by_role("link", name="Events", exact=True).click()
    page.get_by_label("Show").select_option("rejected")
    page.get_by_role("button", name="Show").click()
    bad = page.locator('tr[data-event="bill:browser-bad-1"]')
    expect(bad).to_contain_text("Rejected")
    bad.get_by_role("button", name="Replay").click()
    expect(page.locator('tr[data-event="bill:browser-bad-1"]')).to_contain_text(
        "replayed 1 time(s)")
