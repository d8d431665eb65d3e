"""The equipment pages in the browser: adding a register through the form (and its field
error), opening a shift from a register's page with the job turning printed live, removing a
register after the confirmation, groups and cashiers."""
import re
import uuid

from playwright.sync_api import expect

from dashboard_helpers import log_in


def _unique(prefix: str) -> str:
    return f"{prefix} {uuid.uuid4().hex[:6]}"


def _live(stack, register_id: str) -> dict:
    return stack.api("GET", f"/registers/{register_id}").json()["live"]


def _add_register(page, name: str, url: str, driver: str = "virtual") -> None:
    page.goto("/registers")
    form = page.get_by_role("form", name="Add a register")
    form.get_by_role("textbox", name="Name", exact=True).fill(name)
    form.get_by_label("Driver").select_option(driver)
    form.get_by_role("textbox", name="Device URL").fill(url)
    form.get_by_role("button", name="Add the register").click()


def test_log_in_and_add_a_register(page, stack):
    log_in(page, stack.demo["username"], stack.demo["password"])
    page.get_by_role("link", name="Equipment").click()
    expect(page.get_by_role("heading", name="Registers", exact=True)).to_be_visible()
    name = _unique("Bar")
    _add_register(page, name, f"virtual://eq-{uuid.uuid4().hex[:8]}")
    page.wait_for_url(re.compile(r".*/registers/[0-9a-f-]{36}$"))
    register_id = page.url.rsplit("/", 1)[1]
    reg = stack.api("GET", f"/registers/{register_id}").json()
    assert reg["name"] == name and reg["driver"] == "virtual"
    assert reg["settings"] == {"paperless": False, "universal_cashier": True,
                               "auto_open_shift": True, "close_shift_at_end_of_day": False}
    expect(page.get_by_role("heading", name=name)).to_be_visible()
    expect(page.locator("[data-binding-id]")).to_have_text(reg["binding_id"])
    expect(page.locator("[data-binding-hint]")).to_have_text(reg["binding_hint"])

    page.get_by_role("link", name="All registers").click()
    row = page.locator(f'[data-register-row="{register_id}"]')
    expect(row).to_contain_text(name)
    expect(row).to_contain_text(reg["binding_id"])
    expect(row.locator('[data-field="pending"]')).to_have_text("0")


def test_an_invalid_url_is_shown_next_to_the_field(owner_page, stack):
    page = owner_page
    name = _unique("Broken")
    _add_register(page, name, "http://10.0.0.5", driver="shtrih")
    form = page.get_by_role("form", name="Add a register")
    url_error = form.locator('[data-error-for="url"]')
    expect(url_error).to_be_visible()
    expect(url_error).to_contain_text("Not a shtrih connection URL")
    expect(form.get_by_role("textbox", name="Device URL")).to_have_attribute("aria-invalid", "true")
    assert page.url.endswith("/registers")
    names = [r["name"] for r in stack.api("GET", "/registers").json()["items"]]
    assert name not in names


def test_open_a_shift_from_the_register_page(owner_page, stack):
    page = owner_page
    register_id = stack.demo["register_id"]
    # the demo register starts with its shift closed; another test's receipt may have opened it
    if _live(stack, register_id)["shift_open"] is None:
        # the worker records what it sees when it prints: a paper cut shows the shift's state
        cut = stack.api("POST", f"/registers/{register_id}/cut")
        assert cut.status_code == 201, cut.text
        assert stack.wait_job(cut.json()["id"])["state"] == "printed"
    shift_open = _live(stack, register_id)["shift_open"]
    assert shift_open is not None
    if shift_open:
        closed = stack.api("POST", f"/registers/{register_id}/close-shift")
        assert closed.status_code == 201, closed.text
        assert stack.wait_job(closed.json()["id"], states=("printed", "failed"))["state"] \
            == "printed"
    page.goto(f"/registers/{register_id}")
    expect(page.locator('[data-field="shift"]')).to_have_text(re.compile("^Closed"))
    page.wait_for_function("document.body.dataset.liveReady === '1'")

    with page.expect_navigation():          # the answer is the queued job; the page reloads
        page.get_by_role("button", name="Open shift").click()
    # the page reloads with the queued job at the top of the register's recent jobs
    row = page.locator('[data-kind="open_shift"]').first
    expect(row).to_be_visible()
    job_id = row.get_attribute("data-job-row")
    job = stack.api("GET", f"/jobs/{job_id}").json()
    assert job["kind"] == "open_shift" and job["register"] == register_id
    page.wait_for_function("document.body.dataset.liveReady === '1'")
    page.evaluate("window.__notReloaded = true")
    expect(row.locator(f'[data-job-state="{job_id}"]')).to_have_text("Printed", timeout=30_000)
    assert page.evaluate("window.__notReloaded === true")      # it changed without a reload
    printed = stack.wait_job(job_id)
    expect(row.locator(f'[data-job-fd="{job_id}"]')).to_have_text(
        str(printed["result"]["fd_number"]))

    page.reload()
    expect(page.locator('[data-field="shift"]')).to_have_text(re.compile("^Open"))
    assert _live(stack, register_id)["shift_open"] is True


def test_cash_in_needs_an_amount(owner_page, stack):
    page = owner_page
    page.goto(f"/registers/{stack.demo['register_id']}")
    form = page.get_by_role("form", name="Cash in")
    form.get_by_role("button", name="Cash in").click()
    expect(form.locator('[data-error-for="amount"]')).to_be_visible()


def test_remove_a_register_after_the_confirmation(page, stack):
    name = _unique("Old terrace")
    made = stack.api("POST", "/registers", json={"name": name, "driver": "virtual",
                                                 "url": f"virtual://eq-{uuid.uuid4().hex[:8]}"})
    assert made.status_code == 201, made.text
    register_id, binding_id = made.json()["id"], made.json()["binding_id"]
    log_in(page, stack.demo["username"], stack.demo["password"])
    page.goto(f"/registers/{register_id}")
    asked: list[str] = []
    page.on("dialog", lambda d: asked.append(d.message))   # the fixture accepts it
    page.get_by_role("button", name="Remove the register").click()
    page.wait_for_url(re.compile(r".*/registers$"))
    assert len(asked) == 1
    assert "cannot be undone" in asked[0] and binding_id in asked[0]
    expect(page.get_by_role("heading", name="Registers", exact=True)).to_be_visible()
    expect(page.locator(f'[data-register-row="{register_id}"]')).to_have_count(0)
    assert stack.api("GET", f"/registers/{register_id}").json()["removed"] is True

    # its page still reads, saying so, without buttons
    page.goto(f"/registers/{register_id}")
    expect(page.get_by_text("This register was removed")).to_be_visible()
    expect(page.get_by_role("button", name="Open shift")).to_have_count(0)


def test_groups_and_cashiers(owner_page, stack):
    page = owner_page
    register_id = stack.demo["register_id"]
    reg_name = stack.api("GET", f"/registers/{register_id}").json()["name"]
    page.goto(f"/registers/{register_id}")
    page.get_by_role("link", name="Register groups").click()

    group = _unique("Ресторан")
    form = page.get_by_role("form", name="Add a group")
    form.get_by_role("textbox", name="Name", exact=True).fill(group)
    form.get_by_label("Registers").select_option(register_id)
    form.get_by_role("button", name="Add the group").click()
    row = page.locator("[data-group-row]").filter(has_text=group)
    expect(row.locator('[data-field="members"]')).to_have_text(reg_name)
    group_id = row.get_attribute("data-group-row")
    assert stack.api("GET", f"/register-groups/{group_id}").json()["register_ids"] == [
        register_id]
    # edit: no registers left
    row.get_by_text("Edit", exact=True).click()
    row.get_by_label("Registers").select_option([])
    row.get_by_role("button", name="Save").click()
    expect(page.locator(f'[data-group-row="{group_id}"] [data-field="members"]')).to_have_text(
        "no registers")
    page.locator(f'[data-group-row="{group_id}"]').get_by_role("button", name="Delete").click()
    expect(page.locator(f'[data-group-row="{group_id}"]')).to_have_count(0)
    assert stack.api("GET", f"/register-groups/{group_id}").status_code == 404

    page.get_by_role("link", name="Cashiers").click()
    cashier = _unique("Петрова")
    form = page.get_by_role("form", name="Add a cashier")
    form.get_by_role("textbox", name="Name", exact=True).fill(cashier)
    form.get_by_label("INN").fill("12345")
    form.get_by_role("button", name="Add the cashier").click()
    expect(form.locator('[data-error-for="inn"]')).to_contain_text("12 digits")
    form.get_by_label("INN").fill("500100732259")
    form.get_by_role("button", name="Add the cashier").click()
    row = page.locator("[data-cashier-row]").filter(has_text=cashier)
    expect(row).to_contain_text("500100732259")
    expect(row.locator('[data-field="registers"]')).to_have_text("all registers")
    cashier_id = row.get_attribute("data-cashier-row")
    row.get_by_text("Edit", exact=True).click()
    row.get_by_label("INN").fill("")
    row.get_by_label("Registers").select_option(register_id)
    row.get_by_role("button", name="Save").click()
    row = page.locator(f'[data-cashier-row="{cashier_id}"]')
    expect(row.locator('[data-field="registers"]')).to_have_text(reg_name)
    got = stack.api("GET", f"/cashiers/{cashier_id}").json()
    assert got["inn"] is None and got["register_ids"] == [register_id]
    row.get_by_role("button", name="Delete").click()
    expect(page.locator(f'[data-cashier-row="{cashier_id}"]')).to_have_count(0)
