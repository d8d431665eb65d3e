"""The session in the browser: the idle timeout takes an open page to the login page by itself,
the pages work by keyboard, every form field has a label, and the language is the user's."""
import re
from datetime import timedelta

from playwright.sync_api import expect
from sqlalchemy import select

from dashboard_helpers import ARTIFACTS, log_in
from fiscal.ledger.db import Ledger
from fiscal.ledger.models import User, UserSession

UNLABELLED = """() => Array.from(document.querySelectorAll(
    'input:not([type=hidden]), select, textarea')).filter(el =>
    !el.closest('template') && el.labels.length === 0 && !el.getAttribute('aria-label')
    && !el.getAttribute('aria-labelledby')).map(el => el.name || el.id || el.outerHTML)"""


def stack_ledger(stack) -> Ledger:
    return Ledger(f"sqlite:///{stack.data_dir / 'fiscalhub.db'}")


def test_an_idle_session_ends_on_the_open_page_with_the_security_message(owner_page, stack):
    page = owner_page
    page.wait_for_function("document.body.dataset.liveReady === '1'")
    page.evaluate("window.stayedOnPage = true")
    with stack_ledger(stack).session() as s:
        user = s.scalar(select(User).where(User.login == stack.demo["username"]))
        for row in s.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                       UserSession.ended_at.is_(None))):
            row.last_seen_at -= timedelta(minutes=31)
    # nobody touches the page: the live feed notices and takes it to the login page
    page.wait_for_url(re.compile(r".*/login\?ended=expired.*"), timeout=15_000)
    expect(page.locator("#session-ended")).to_contain_text(
        "Your session ended for security after 30 minutes without activity")
    # logging in again comes back to where the user was
    page.get_by_label("Login", exact=True).fill(stack.demo["username"])
    page.get_by_label("Password", exact=True).fill(stack.demo["password"])
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(re.compile(r".*/overview$"))


def test_logging_in_and_moving_around_by_keyboard(page, stack):
    page.goto("/login")
    expect(page.get_by_label("Login", exact=True)).to_be_focused()     # autofocus
    page.keyboard.type(stack.demo["username"])
    page.keyboard.press("Tab")
    page.keyboard.type(stack.demo["password"])
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/overview$"))
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim()") == "Skip to content"
    for _ in range(12):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.textContent.trim()") == "Print queue":
            break
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/queue.*"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Print queue")


def test_every_form_field_of_every_page_has_a_label(owner_page, stack):
    page = owner_page
    links = page.locator("header nav a").evaluate_all("els => els.map(a => a.href)")
    links += [f"{stack.url}/profile", f"{stack.url}/registers/{stack.demo['register_id']}"]
    assert len(links) >= 6, links
    for url in links:
        page.goto(url)
        assert page.evaluate(UNLABELLED) == [], url
        assert page.locator("h1").count() == 1, url


def test_a_russian_speaking_user_gets_the_dashboard_in_russian(owner_page, stack):
    page = owner_page
    page.goto("/profile")
    page.get_by_label("Dashboard language").select_option("ru")
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Мой профиль")
    page.goto("/overview")
    expect(page.get_by_role("link", name="Очередь печати")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "ru")
    # and back, for the tests that follow
    page.goto("/profile")
    page.get_by_label("Язык интерфейса").select_option("en")
    page.get_by_role("button", name="Сохранить").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("My profile")


def test_every_page_fits_a_tablet_without_sideways_scrolling(browser, stack):
    """An iPad-sized screen in portrait: the page itself never scrolls sideways (wide tables
    scroll inside their own frame)."""
    context = browser.new_context(base_url=stack.url, viewport={"width": 768, "height": 1024},
                                  is_mobile=True, has_touch=True)
    try:
        page = context.new_page()
        log_in(page, stack.demo["username"], stack.demo["password"])
        links = page.locator("header nav a").evaluate_all("els => els.map(a => a.href)")
        links += [f"{stack.url}/registers/{stack.demo['register_id']}", f"{stack.url}/profile"]
        for url in links:
            page.goto(url)
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth")
            assert overflow <= 1, (url, overflow)
        page.goto("/queue")
        page.screenshot(path=str(ARTIFACTS / "tablet_print_queue.png"), full_page=True)
    finally:
        context.close()
