"""The overview in the browser: logging in, the register tiles, and a receipt turning printed
on the page without a reload."""
from playwright.sync_api import expect

from dashboard_helpers import receipt_body


def test_login_shows_the_demo_register_online(owner_page, stack):
    page = owner_page
    tile = page.locator(f'[data-register="{stack.demo["register_id"]}"]')
    expect(tile).to_be_visible()
    expect(page.get_by_role("heading", name="Overview")).to_be_visible()


def test_a_receipt_turns_printed_live(owner_page, stack):
    page = owner_page
    page.wait_for_function("document.body.dataset.liveReady === '1'")
    printed_before = int(page.locator('[data-count="printed"]').inner_text())
    resp = stack.api("POST", "/jobs", json=receipt_body(stack.demo["register_id"]),
                     headers={"Idempotency-Key": "overview-live-1"})
    assert resp.status_code in (200, 201), resp.text
    expect(page.locator('[data-count="printed"]')).to_have_text(str(printed_before + 1),
                                                                timeout=20_000)
    assert stack.wait_job(resp.json()["id"])["state"] == "printed"
