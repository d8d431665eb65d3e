"""The print queue and manual receipts in the browser, on the whole stack: a manual receipt
turning printed live, its validation at the field, filtering the queue, repeating a failed job
after correcting it, refunding two of three lines, and cancelling held tasks."""
import re
import uuid
from decimal import Decimal

from playwright.sync_api import expect

from dashboard_helpers import receipt_body
from fiscal.simulators.fiscal_memory import FiscalMemory


def _post(stack, body) -> dict:
    resp = stack.api("POST", "/jobs", json=body, headers={"Idempotency-Key": uuid.uuid4().hex})
    assert resp.status_code in (200, 201), resp.text
    return resp.json()


def _badge(page, job_id):
    return page.locator(f'[data-job-state="{job_id}"]').first


def test_a_manual_receipt_turns_printed_live(owner_page, stack):
    page = owner_page
    page.get_by_role("link", name="New receipt").click()
    expect(page.get_by_role("heading", name="New receipt")).to_be_visible()
    page.get_by_label("Register").select_option(stack.demo["register_id"])
    page.get_by_label("Cashier's name as printed").fill("Петрова О.")
    page.get_by_label("Item name").fill("Караоке, 1 час")
    page.get_by_label("Price").fill("1500.00")
    page.get_by_label("Quantity").fill("2")
    page.get_by_role("button", name="Add line").click()
    page.get_by_label("Item name").nth(1).fill("Чай")
    page.get_by_label("Price").nth(1).fill("250.50")
    page.get_by_label("Payment type").select_option("electronic")
    page.get_by_role("button", name="Print the receipt").click()
    page.wait_for_url(re.compile(r".*/queue/[^/]+$"))
    job_id = page.url.rsplit("/", 1)[1]
    page.evaluate("window.marker = 1")
    expect(page.locator("[data-receipt-total]")).to_have_text("3250.50")
    expect(_badge(page, job_id)).to_have_text("Printed", timeout=25_000)
    assert page.evaluate("window.marker") == 1           # no reload: the live feed did it
    expect(page.locator(f'[data-job-fd="{job_id}"]')).to_have_text(re.compile(r"^\d+$"))
    job = stack.api("GET", f"/jobs/{job_id}").json()
    assert job["state"] == "printed" and job["total"] == "3250.50"
    # the fiscal result and the history are read again too, still without a reload
    expect(page.locator("[data-fiscal-sign]")).to_have_text(job["result"]["fiscal_sign"])
    expect(page.locator("#job-history tr[data-history]")).to_have_count(len(job["history"]))
    assert page.evaluate("window.marker") == 1
    assert job["receipt"]["payments"] == [{"type": "electronic", "amount": "3250.50"}]


def test_the_manual_receipt_form_shows_errors_at_their_fields(owner_page, stack):
    page = owner_page
    page.goto("/receipts/new")
    page.get_by_label("Item name").fill("Минибар")
    page.get_by_label("Price").fill("-5")
    page.get_by_role("button", name="Print the receipt").click()
    error = page.locator('[data-error-for="items.0.price"]')
    expect(error).to_be_visible()
    expect(error).not_to_be_empty()
    expect(page.get_by_label("Price")).to_have_attribute("aria-invalid", "true")
    assert page.url.endswith("/receipts/new")


def test_filter_the_print_queue_by_amount_and_state(owner_page, stack):
    page = owner_page
    reg = stack.demo["register_id"]
    low = _post(stack, receipt_body(reg, name="Фильтр А", price="7001.11", quantity="1"))
    high = _post(stack, receipt_body(reg, name="Фильтр Б", price="7002.22", quantity="1"))
    out = _post(stack, receipt_body(reg, name="Фильтр В", price="7003.33", quantity="1"))
    for job in (low, high, out):
        assert stack.wait_job(job["id"])["state"] == "printed"
    page.get_by_role("link", name="Print queue").click()
    page.get_by_label("Amount from").fill("7001.00")
    page.get_by_label("Amount to").fill("7002.50")
    page.get_by_label("State", exact=True).select_option(["printed"])
    page.get_by_role("button", name="Show").click()
    rows = page.locator("tbody tr[data-job-row]")
    expect(rows).to_have_count(2)
    expect(page.locator(f'[data-job-row="{low["id"]}"] [data-total]')).to_have_text("7001.11")
    expect(page.locator(f'[data-job-row="{high["id"]}"]')).to_be_visible()
    expect(page.locator(f'[data-job-row="{out["id"]}"]')).to_have_count(0)
    expect(page.locator('[data-state-count="printed"] strong')).to_have_text("2")
    # the same amounts, but only failed ones: none
    page.get_by_label("State", exact=True).select_option(["failed"])
    page.get_by_role("button", name="Show").click()
    expect(rows).to_have_count(0)
    expect(page.get_by_text("No documents match these filters.")).to_be_visible()
    # a range that is upside down: the message at the field, not an error page
    page.get_by_label("Amount from").fill("9000")
    page.get_by_role("button", name="Show").click()
    expect(page.locator("#q-amount_min-error")).to_contain_text("greater than amount_max")


def test_repeat_a_failed_job_after_correcting_it(owner_page, stack):
    page = owner_page
    memory = FiscalMemory(stack.data_dir / "registers" / "demo-shtrih.sqlite")
    memory.set_paper(False)                      # the roll ends
    try:
        job = _post(stack, receipt_body(stack.demo["register_id"], name="Ошибка", price="420.00",
                                        quantity="1"))
        failed = stack.wait_job(job["id"], states=("failed", "printed", "needs_attention"))
        assert failed["state"] == "failed", failed
    finally:
        memory.set_paper(True)                       # the operator loads paper
    page.goto(f"/queue/{job['id']}")
    expect(page.locator("[data-job-error]")).to_be_visible()
    page.get_by_role("link", name="Correct and repeat").click()
    page.get_by_label("Item name").fill("Завтрак")
    page.get_by_label("Price").fill("450.00")           # the amount and total follow
    expect(page.get_by_label("Total")).to_have_value("450.00")
    page.get_by_label("Customer email").fill("guest@example.com")
    page.get_by_role("button", name="Save and print again").click()
    page.wait_for_url(re.compile(rf".*/queue/{job['id']}$"))
    expect(_badge(page, job["id"])).to_have_text("Printed", timeout=25_000)
    done = stack.api("GET", f"/jobs/{job['id']}").json()
    assert done["state"] == "printed" and done["total"] == "450.00"
    assert done["receipt"]["items"][0]["name"] == "Завтрак"
    assert done["receipt"]["items"][0]["payment_object"] == "commodity"     # kept as it was
    assert done["receipt"]["customer"] == {"email": "guest@example.com"}
    assert any(e["from"] == "failed" and e["to"] == "queued" for e in done["history"])


def test_repeat_shows_a_content_error_at_its_field(owner_page, stack):
    page = owner_page
    memory = FiscalMemory(stack.data_dir / "registers" / "demo-shtrih.sqlite")
    memory.set_paper(False)                      # the roll ends
    try:
        job = _post(stack, receipt_body(stack.demo["register_id"], name="Ошибка 2"))
        assert stack.wait_job(job["id"], states=("failed", "printed"))["state"] == "failed"
    finally:
        memory.set_paper(True)
    page.goto(f"/queue/{job['id']}/repeat")
    page.get_by_label("Total").fill("1.00")             # does not match the items
    page.get_by_role("button", name="Save and print again").click()
    expect(page.locator('[data-error-for="content.receipt.total"]')).not_to_be_empty()
    assert stack.api("GET", f"/jobs/{job['id']}").json()["state"] == "failed"


def test_refund_two_of_three_items(owner_page, stack):
    page = owner_page
    items = [("Номер 101", "4500.00"), ("Завтрак", "450.00"), ("Парковка", "300.00")]
    body = receipt_body(stack.demo["register_id"])
    body["receipt"]["items"] = [
        {"name": n, "price": p, "quantity": "1", "amount": p, "vat": "vat20",
         "payment_method": "full_payment", "payment_object": "service"} for n, p in items]
    total = f"{sum(Decimal(p) for _, p in items):.2f}"
    body["receipt"]["total"] = total
    body["receipt"]["payments"] = [{"type": "cash", "amount": total}]
    sale = _post(stack, body)
    assert stack.wait_job(sale["id"])["state"] == "printed"
    page.goto(f"/queue/{sale['id']}")
    page.get_by_role("link", name="Refund").click()
    page.get_by_label("Refund Номер 101").uncheck()
    page.get_by_role("button", name="Print the refund receipt").click()
    page.wait_for_url(lambda url: not url.endswith("/refund") and sale["id"] not in url)
    refund_id = page.url.rsplit("/", 1)[1]
    expect(page.locator("[data-receipt-total]")).to_have_text("750.00")
    expect(_badge(page, refund_id)).to_have_text("Printed", timeout=25_000)
    refund = stack.api("GET", f"/jobs/{refund_id}").json()
    assert refund["receipt"]["operation"] == "sell_refund" and refund["total"] == "750.00"
    assert [i["name"] for i in refund["receipt"]["items"]] == ["Завтрак", "Парковка"]
    page.goto(f"/queue/{sale['id']}")
    expect(page.locator("[data-refund-left]")).to_have_text("4500.00")
    expect(page.locator(f'[data-refund="{refund_id}"]')).to_be_visible()


def test_cancel_held_tasks(owner_page, stack):
    page = owner_page
    reg = stack.demo["register_id"]
    assert stack.api("POST", f"/registers/{reg}/suspend").status_code == 200
    try:
        jobs = [_post(stack, receipt_body(reg, name=f"Отмена {n}", price="111.00"))
                for n in (1, 2)]
        for job in jobs:
            assert stack.wait_job(job["id"], states=("held",))["state"] == "held"
        page.goto(f"/queue?register={reg}")
        for job in jobs:
            expect(_badge(page, job["id"])).to_have_text("Held")
        page.locator("#cancel-reason").fill("Гость отказался")
        page.get_by_role("button", name="Cancel tasks not yet sent").click()
        for job in jobs:
            expect(_badge(page, job["id"])).to_have_text("Cancelled", timeout=15_000)
            got = stack.api("GET", f"/jobs/{job['id']}").json()
            assert got["state"] == "cancelled"
            assert "Гость отказался" in got["history"][-1]["cause"]
    finally:
        assert stack.api("POST", f"/registers/{reg}/activate").status_code == 200


def test_cancel_two_chosen_documents_and_keep_the_third(owner_page, stack):
    page = owner_page
    reg = stack.demo["register_id"]
    assert stack.api("POST", f"/registers/{reg}/suspend").status_code == 200
    try:
        jobs = [_post(stack, receipt_body(reg, name=f"Выбор {n}", price=f"{n}22.00"))
                for n in (1, 2, 3)]
        for job in jobs:
            assert stack.wait_job(job["id"], states=("held",))["state"] == "held"
        page.goto(f"/queue?register={reg}")
        for job in jobs[:2]:
            page.locator(f'#pick-{job["id"]}').check()
        page.locator("#cancel-selected-reason").fill("Дубль")
        page.get_by_role("button", name="Cancel the selected").click()
        for job in jobs[:2]:
            expect(_badge(page, job["id"])).to_have_text("Cancelled", timeout=15_000)
        states = [stack.api("GET", f"/jobs/{j['id']}").json()["state"] for j in jobs]
        assert states == ["cancelled", "cancelled", "held"]
    finally:
        assert stack.api("POST", f"/registers/{reg}/activate").status_code == 200
    assert stack.wait_job(jobs[2]["id"])["state"] == "printed"
