"""The account pages in the browser: an API key issued (shown once, with a copy button) works
and stops working the moment it is deleted; a user blocked from the owner's page sees their
own open page go to the login page by itself."""
import re
import uuid

import requests
from playwright.sync_api import expect

from dashboard_helpers import ARTIFACTS, log_in


def me_status(stack, key: str) -> int:
    return requests.get(f"{stack.url}/api/v1/me", headers={"Authorization": f"Bearer {key}"},
                        timeout=10).status_code


def test_issue_and_delete_an_api_key(owner_page, stack):
    page = owner_page
    name = f"Clock PMS {uuid.uuid4().hex[:6]}"
    page.get_by_role("link", name="Account").click()
    page.get_by_role("link", name="API keys").click()
    expect(page.get_by_role("heading", name="Issue an API key")).to_be_visible()
    page.get_by_label("Who will use it").fill(name)
    page.get_by_role("button", name="Issue the key").click()

    box = page.locator("#secret-box")
    expect(box).to_be_visible()
    secret = box.get_by_label("API key")
    expect(secret).to_have_value(re.compile(r"^fh_[0-9a-f]+_\S+$"))
    key = secret.input_value()
    expect(box.get_by_role("button", name="Copy")).to_be_visible()
    assert me_status(stack, key) == 200

    # shown once: after a reload the list names the key by its prefix, never the secret
    page.reload()
    row = page.locator("tr", has_text=name)
    prefix = key.split("_")[1]
    expect(row).to_contain_text(f"fh_{prefix}_")
    assert key not in page.content()
    expect(page.locator("#secret-box")).to_be_hidden()

    row.get_by_role("button", name="Delete").click()        # the confirmation is accepted
    expect(page.locator("tr", has_text=name)).to_have_count(0)
    assert me_status(stack, key) == 401


def test_block_a_user_and_see_their_session_end(owner_page, stack, browser):
    login = f"cashier.{uuid.uuid4().hex[:6]}"
    password = "Kassa-2026-strong!"
    resp = stack.api("POST", "/users", json={
        "login": login, "name": "Ольга Кассирова", "role": "operator", "language": "en",
        "password": password, "must_change_password": False})
    assert resp.status_code == 201, resp.text

    other = browser.new_context(base_url=stack.url, viewport={"width": 1280, "height": 900})
    other.set_default_timeout(15_000)
    try:
        cashier = other.new_page()
        log_in(cashier, login, password)
        cashier.wait_for_function("document.body.dataset.liveReady === '1'")

        page = owner_page
        page.goto("/users")
        row = page.locator(f'tr[data-user="{login}"]')
        expect(row).to_contain_text("Active")
        row.get_by_role("button", name="Block").click()      # the confirmation is accepted
        expect(page.locator(f'tr[data-user="{login}"]')).to_contain_text("Blocked")

        # the cashier's overview goes to the login page by itself, saying why
        expect(cashier).to_have_url(re.compile(r"/login\?ended=blocked"), timeout=20_000)
        expect(cashier.locator("#session-ended")).to_contain_text("blocked")
        cashier.screenshot(path=str(ARTIFACTS
                                    / "test_block_a_user_cashier_view.png"), full_page=True)

        # and cannot log in again until unblocked
        cashier.get_by_label("Login", exact=True).fill(login)
        cashier.get_by_label("Password", exact=True).fill(password)
        cashier.get_by_role("button", name="Log in").click()
        expect(cashier.get_by_text("This user is blocked")).to_be_visible()

        page.locator(f'tr[data-user="{login}"]').get_by_role("button", name="Unblock").click()
        expect(page.locator(f'tr[data-user="{login}"]')).to_contain_text("Active")
    finally:
        other.close()
