"""The dashboard's frame without a browser (Flask's test client on the real app, SQLite and
Redis): logging in and out, the "session ended" page, the one-time password page, the
language, the root URL, and the overview's figures."""
import re

from dashboard_helpers import backdate_sessions, log_in_client, login_token
from fiscal.ledger import users as ledger_users
from fiscal.ledger.models import User


def test_a_page_without_a_session_goes_to_the_login_and_comes_back(client, people):
    resp = client.get("/registers?x=1")
    assert resp.status_code == 302
    assert resp.location == "/login?next=/registers?x%3D1"
    back = log_in_client(client, people["operator"], "/overview")
    assert (back.status_code, back.location) == (302, "/overview")
    assert "fiscalhub_session=" in back.headers["Set-Cookie"]
    page = client.get("/overview")
    assert page.status_code == 200 and "Operator One" in page.text


def test_a_wrong_password_is_said_on_the_page_and_sets_no_cookie(client, people):
    resp = client.post("/login", data={"login": "operator-1", "password": "not it",
                                       "csrf_token": login_token(client)})
    assert resp.status_code == 401
    assert "Wrong login or password" in resp.text
    assert 'value="operator-1"' in resp.text               # the login is kept in the form
    assert "fiscalhub_session" not in resp.headers.get("Set-Cookie", "")


def test_the_login_form_without_its_token_is_refused(client, people):
    resp = client.post("/login", data={"login": "operator-1",
                                       "password": people["operator"]["password"]})
    assert resp.status_code == 400
    assert "The form expired" in resp.text
    assert client.get("/overview").status_code == 302      # not logged in


def test_next_never_leads_to_another_site(client, people):
    resp = log_in_client(client, people["viewer"], "//evil.example/x")
    assert resp.location == "/overview"
    resp = log_in_client(client, people["viewer"], "https://evil.example/")
    assert resp.location == "/overview"


def test_an_idle_session_ends_with_the_security_message(client, ledger, people):
    log_in_client(client, people["operator"])
    backdate_sessions(ledger, 31)
    resp = client.get("/overview")
    assert resp.status_code == 302
    assert resp.location == "/login?next=/overview&ended=expired"
    page = client.get(resp.location)
    assert ("Your session ended for security after 30 minutes without activity; log in again"
            in page.text)


def test_the_session_ended_message_in_russian_for_a_russian_user(client, ledger, people):
    with ledger.session() as s:
        s.get(User, people["operator"]["id"]).language = "ru"
    log_in_client(client, people["operator"])
    assert "Обзор" in client.get("/overview").text          # the menu speaks Russian
    backdate_sessions(ledger, 31)
    page = client.get(client.get("/overview").location)
    assert "Сеанс завершён в целях безопасности" in page.text


def test_logout_ends_the_session_and_needs_the_pages_token(client, people):
    log_in_client(client, people["owner"])
    page = client.get("/overview").text
    token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)
    forged = client.post("/logout", data={"csrf_token": "nope"})
    assert forged.status_code == 302
    # a forged logout only drops this browser's cookie; a real one ends the session itself
    assert client.get("/api/v1/me").status_code == 401
    log_in_client(client, people["owner"])
    token = re.search(r'name="csrf-token" content="([^"]+)"', client.get("/overview").text)
    resp = client.post("/logout", data={"csrf_token": token.group(1)})
    assert resp.location == "/login?ended=logged_out"
    assert "You logged out" in client.get(resp.location).text


def test_a_one_time_password_must_be_changed_first(client, ledger, account):
    with ledger.session() as s:
        user, password = ledger_users.create_user(s, account["id"], login="newbie",
                                                  name="New One", role="operator",
                                                  actor="tests")
    log_in_client(client, {"login": "newbie", "password": password})
    resp = client.get("/overview")
    assert resp.status_code == 302 and resp.location.startswith("/password")
    page = client.get(resp.location)
    assert page.status_code == 200 and "one-time password" in page.text
    assert 'data-api="/api/v1/me/password"' in page.text


def test_a_browser_opening_the_hub_gets_the_dashboard_and_a_program_the_api(client):
    browser = client.get("/", headers={"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"})
    assert (browser.status_code, browser.location) == (302, "/overview")
    program = client.get("/", headers={"Accept": "*/*"})
    assert program.status_code == 200 and program.json["api"] == "/api/v1"


def test_the_overview_shows_each_register_and_the_queue_counts(client, people, register):
    log_in_client(client, people["viewer"])
    page = client.get("/overview").text
    assert f'data-register="{register["id"]}"' in page and "Front desk" in page
    assert 'data-count="printed">0<' in page and 'data-count="total">0<' in page
    assert "Not reached yet" in page
    assert re.search(r'data-live="/live\?since=\d+"', page)
