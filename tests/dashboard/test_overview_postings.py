"""A room charge that did not reach the hotel's PMS is on the overview, with what the night
manager can do about it; settling it there takes it off."""
from decimal import Decimal

from playwright.sync_api import expect

from fiscal.ledger import connections, postings
from fiscal.ledger.db import Ledger
from fiscal.ledger.models import Posting
from dashboard_helpers import log_in_client


def stuck_posting(ledger, account_id: str, register_id: str, state: str, key: str) -> str:
    """A room charge of 1 100.00 that ended ``state`` (failed or needs_attention)."""
    with ledger.session() as s:
        conn = connections.create_connection(
            s, account_id, connector="clock_pms", name=f"Clock PMS {key}", settings={},
            actor="test", register_id=register_id)
        posting, _ = postings.create_posting(
            s, account_id=account_id, connection_id=conn.id, kind="room_charge",
            target="booking:501", amount=Decimal("1100.00"), payload={}, idempotency_key=key,
            actor="test")
        postings.transition(s, posting.id, "pending", "sending", actor="worker:test",
                            cause="sending")
        postings.transition(s, posting.id, "sending", state, actor="worker:test",
                            cause="the PMS did not answer",
                            error={"message": "Clock PMS+ did not answer in 30 s"})
        return posting.id


def test_a_posting_needing_attention_is_listed_with_both_answers(client, ledger, account,
                                                                 register, people):
    pid = stuck_posting(ledger, account["id"], register["id"], "needs_attention", "k-1")
    failed = stuck_posting(ledger, account["id"], register["id"], "failed", "k-2")
    log_in_client(client, people["operator"])
    page = client.get("/overview").text
    assert f'data-posting="{pid}"' in page and f'data-posting="{failed}"' in page
    assert "Room charge 1100.00" in page and "booking:501" in page and "Clock PMS k-1" in page
    assert "Clock PMS+ did not answer in 30 s" in page
    assert f'data-api="/api/v1/postings/{pid}/mark-posted"' in page
    assert page.count(f'data-api="/api/v1/postings/{pid}/repeat"') == 1
    assert 'name="not_posted" value="true" data-kind="json"' in page
    assert f'data-api="/api/v1/postings/{failed}/mark-posted"' not in page   # only repeat
    # a viewer sees the problem but no buttons
    viewer = client.application.test_client()
    log_in_client(viewer, people["viewer"])
    seen = viewer.get("/overview").text
    assert f'data-posting="{pid}"' in seen and "mark-posted" not in seen


def test_marking_it_posted_from_the_overview_takes_it_off(owner_page, stack):
    ledger = Ledger(f"sqlite:///{stack.data_dir / 'fiscalhub.db'}")
    pid = stuck_posting(ledger, stack.demo["account_id"], stack.demo["register_id"],
                        "needs_attention", "browser-k-1")
    page = owner_page
    page.goto("/overview")
    item = page.locator(f'[data-posting="{pid}"]')
    expect(item).to_contain_text("Needs attention")
    item.get_by_role("button", name="It is there: mark posted").click()
    expect(page.locator(f'[data-posting="{pid}"]')).to_have_count(0)
    with ledger.session(readonly=True) as s:
        assert s.get(Posting, pid).state == "posted"


def test_a_posting_going_wrong_reaches_an_open_overview(client, ledger, account, register,
                                                        people, monkeypatch):
    from hub.dashboard import live
    from test_live_feed import events
    monkeypatch.setattr(live, "TICK", 0.05)
    log_in_client(client, people["viewer"])
    resp = client.get("/live?page=/overview", buffered=False)
    pid = stuck_posting(ledger, account["id"], register["id"], "failed", "live-k")
    ((event, update),) = events(resp, 1)
    assert event == "update" and update["jobs"] == []
    assert f'data-posting="{pid}"' in update["fragments"]["attention"]
    resp.close()


def test_an_end_of_day_that_failed_is_on_the_overview(client, ledger, account, register,
                                                      people):
    from fiscal.ledger import scheduled_runs
    from fiscal.ledger.models import utcnow
    with ledger.session() as s:
        conn = connections.create_connection(
            s, account["id"], connector="clock_pms", name="Clock PMS hotel", settings={},
            actor="test", register_id=register["id"])
        claim = scheduled_runs.claim(s, name=f"end_of_day:{conn.id}", period="2026-12-06",
                                     due_at=utcnow(), now=utcnow(), account_id=account["id"],
                                     connection_id=conn.id)
        scheduled_runs.finish(s, claim, state="failed", now=utcnow(),
                              error="Clock PMS+ refused the folio: 401 Unauthorized")
    log_in_client(client, people["viewer"])
    page = client.get("/overview").text
    assert "End of day 2026-12-06" in page and "Clock PMS hotel" in page
    assert "Clock PMS+ refused the folio: 401 Unauthorized" in page
