"""The print queue and manual receipt pages with the Flask test client: the role checks, a 404
for a job that is not there, a bad filter shown at its field, and what the details, repeat and
refund pages show of a job."""
import re

from fiscal.ledger.users import create_user
from dashboard_helpers import receipt_body


def _log_in(client, ledger, account, role: str, login: str) -> None:
    with ledger.session() as s:
        create_user(s, account["id"], login=login, name=f"{role.title()} Test", role=role,
                    actor="tests", password="Secret-pass-123", must_change_password=False)
    resp = client.post("/api/v1/session", json={"login": login, "password": "Secret-pass-123"})
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)


def _post_job(client, auth, body, key):
    resp = client.post("/api/v1/jobs", json=body, headers={**auth, "Idempotency-Key": key})
    assert resp.status_code in (200, 201), resp.get_data(as_text=True)
    return resp.get_json()


def test_a_viewer_gets_the_403_page_on_a_new_receipt(client, ledger, account, register):
    _log_in(client, ledger, account, "viewer", "viewer-q")
    resp = client.get("/receipts/new")
    assert resp.status_code == 403
    html = resp.get_data(as_text=True)
    assert 'data-api="/api/v1/receipts"' not in html
    # and sees the queue without the cancel form
    queue = client.get("/queue").get_data(as_text=True)
    assert 'data-api="/api/v1/jobs/cancel"' not in queue
    assert "Print queue" in queue


def test_an_operator_gets_the_manual_receipt_form(client, ledger, account, register):
    _log_in(client, ledger, account, "operator", "operator-q")
    html = client.get("/receipts/new").get_data(as_text=True)
    assert 'data-api="/api/v1/receipts"' in html
    assert 'data-then="redirect:/queue/{id}"' in html
    assert f'<option value="{register["id"]}" selected>Front desk</option>' in html
    for name in ("items.0.name", "items.0.price", "items.0.quantity", "items.0.vat",
                 "customer_email", "payment_type", "operation", "taxation"):
        assert f'name="{name}"' in html
        assert f'data-error-for="{name}"' in html


def test_an_unknown_job_is_a_404(client, ledger, account, register):
    _log_in(client, ledger, account, "viewer", "viewer-404")
    assert client.get("/queue/no-such-job").status_code == 404
    assert client.get("/queue/no-such-job/refund").status_code in (403, 404)


def test_a_bad_filter_is_shown_at_its_field_not_a_500(client, ledger, account, register, auth):
    _post_job(client, auth, receipt_body(register["id"]), "bad-filter-1")
    _log_in(client, ledger, account, "viewer", "viewer-filter")
    resp = client.get("/queue?amount_min=500&amount_max=100")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    error = re.search(r'<p class="field-error" id="q-amount_min-error">([^<]*)</p>', html)
    assert error and "amount_min is greater than amount_max" in error.group(1)
    assert 'id="q-amount_min"' in html and 'aria-invalid="true"' in html
    assert "data-job-row=" not in html            # no table for a filter that is not valid
    # a date that is not a date: at its own field too
    html = client.get("/queue?created_from=yesterday").get_data(as_text=True)
    assert re.search(r'id="q-created_from-error">[^<]*Not a date', html)


def test_the_queue_filters_and_counts(client, ledger, account, register, auth):
    small = _post_job(client, auth, receipt_body(register["id"], price="100.00", quantity="1"),
                      "q-small")
    big = _post_job(client, auth, receipt_body(register["id"], price="900.00", quantity="1"),
                    "q-big")
    _log_in(client, ledger, account, "viewer", "viewer-list")
    html = client.get("/queue?amount_min=500").get_data(as_text=True)
    assert f'data-job-row="{big["id"]}"' in html
    assert f'data-job-row="{small["id"]}"' not in html
    assert re.search(r'data-state-count="received">.*?<strong>1</strong>', html, re.S)
    html = client.get("/queue?state=cancelled").get_data(as_text=True)
    assert "data-job-row=" not in html and "No documents match these filters." in html
    html = client.get("/queue?job_id=q-small").get_data(as_text=True)   # the document ID
    assert f'data-job-row="{small["id"]}"' in html and f'data-job-row="{big["id"]}"' not in html


def test_the_details_page_shows_the_receipt_and_its_history(client, ledger, account, register,
                                                             auth):
    job = _post_job(client, auth, receipt_body(register["id"], name="Борщ", price="350.00",
                                               quantity="2"), "details-1")
    _log_in(client, ledger, account, "operator", "operator-details")
    html = client.get(f"/queue/{job['id']}").get_data(as_text=True)
    assert "Борщ" in html and "350.00 × 2" in html and "= 700.00" in html
    assert re.search(r"data-receipt-total>700.00<", html)
    assert "Иванова А." in html
    assert html.count("data-history") >= 1
    assert f'data-job-fd="{job["id"]}"' in html and "data-live=" in html
    # a received job can be cancelled (this one alone), not repeated nor refunded
    assert 'data-api="/api/v1/jobs/cancel"' in html
    assert f'name="jobs.0" value="{job["id"]}"' in html
    assert f"/api/v1/jobs/{job['id']}/repeat" not in html
    assert f"/queue/{job['id']}/refund" not in html


def test_the_repeat_editor_is_filled_with_the_content(client, ledger, account, register, auth):
    job = _post_job(client, auth, receipt_body(register["id"], name="Чай", price="150.50",
                                               quantity="1"), "repeat-editor-1")
    _log_in(client, ledger, account, "operator", "operator-editor")
    html = client.get(f"/queue/{job['id']}/repeat").get_data(as_text=True)
    assert re.search(r'name="content.receipt.items.0.name"[^>]*value="Чай"', html)
    assert re.search(r'name="content.receipt.items.0.price"[^>]*value="150.50"', html)
    assert re.search(r'name="content.receipt.total"[^>]*value="150.50"', html)
    # fields the editor does not show go back as they were
    assert re.search(r'name="content.receipt.items.0.payment_object" data-kind="json" '
                     r"value='\"commodity\"'", html)
    assert "Only a failed job or one that needs attention can be repeated" in html


def test_every_text_of_the_queue_pages_has_its_russian():
    from pathlib import Path

    from hub.dashboard.i18n import catalog
    root = Path(__file__).resolve().parents[2] / "hub" / "dashboard"
    files = [*root.glob("templates/queue/*.html"), *root.glob("templates/receipts/*.html"),
             root / "queue.py", root / "receipts.py"]
    texts = {m.group(1) or m.group(2) for f in files for m in re.finditer(
        r'_\(\s*"((?:[^"\\]|\\.)*)"|_\(\s*\'((?:[^\'\\]|\\.)*)\'', f.read_text())}
    from hub.dashboard.receipts import PAYMENT_OBJECTS
    texts |= set(PAYMENT_OBJECTS.values())
    catalog.cache_clear()
    missing = sorted(t for t in texts if t not in catalog("ru"))
    assert not missing, missing
    assert len(texts) > 100


def test_the_queue_speaks_russian(client, ledger, account, register):
    _log_in(client, ledger, account, "operator", "operator-ru")
    assert client.patch("/api/v1/me", json={"language": "ru"},
                        headers={"X-CSRF-Token": _csrf(client)}).status_code == 200
    html = client.get("/queue").get_data(as_text=True)
    assert "Очередь печати" in html and "Отменить неотправленные задания" in html
    assert "Напечатать чек" in client.get("/receipts/new").get_data(as_text=True)


def _csrf(client):
    me = client.get("/api/v1/me").get_json()
    return me["csrf_token"]


def test_the_queue_pages_with_next_cursor(client, ledger, account, register, auth):
    jobs = [_post_job(client, auth, receipt_body(register["id"], price=f"{n}00.00"), f"page-{n}")
            for n in (1, 2, 3)]
    _log_in(client, ledger, account, "viewer", "viewer-pages")
    html = client.get("/queue?limit=2&amount_min=100").get_data(as_text=True)
    rows = re.findall(r'<tr data-job-row="([^"]+)"', html)
    assert rows == [jobs[2]["id"], jobs[1]["id"]]            # newest first
    next_url = re.search(r'<a class="button secondary" href="([^"]+)" rel="next">', html).group(1)
    next_url = next_url.replace("&amp;", "&")
    assert "amount_min=100" in next_url and "cursor=" in next_url
    html = client.get(next_url).get_data(as_text=True)
    assert re.findall(r'<tr data-job-row="([^"]+)"', html) == [jobs[0]["id"]]
    assert 'rel="next"' not in html and "First page" in html


def test_the_details_page_names_the_source_event(client, ledger, account, register, auth):
    from fiscal.ledger.models import Job
    job = _post_job(client, auth, receipt_body(register["id"]), "source-1")
    with ledger.session() as s:        # as hub.intake records a connection's job
        s.get(Job, job["id"]).source = {"connection_id": "conn-x", "connector": "iiko",
                                        "event_id": "bill-4711", "source_event": 1}
    _log_in(client, ledger, account, "viewer", "viewer-source")
    html = client.get(f"/queue/{job['id']}").get_data(as_text=True)
    source = re.search(r"<dl class=\"card details\" data-source>(.*?)</dl>", html, re.S).group(1)
    assert "conn-x" in source and "(iiko)" in source and "bill-4711" in source
    assert "/connections/conn-x/events/bill-4711" in source
