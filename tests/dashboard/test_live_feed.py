"""The live feed (server-sent events) and the activity behind the overview's chart, on the real
app, SQLite and Redis; the overview's pure rules (tile problems, chart geometry)."""
import json
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from fiscal.ledger.models import JobEvent, UserSession
from hub.dashboard import live as live_module
from hub.dashboard.overview import chart_bars, register_tile
from dashboard_helpers import post_receipt
from fiscalhub.testkit import add_register, create_account
from dashboard_helpers import backdate_sessions, log_in_client


@pytest.fixture(autouse=True)
def fast_ticks(monkeypatch):
    monkeypatch.setattr(live_module, "TICK", 0.05)


@pytest.fixture
def other_account_job(client, ledger, data_dir):
    """A job in another account, made when called."""
    def make() -> str:
        account_id, key = create_account(ledger, "Other venue", "other")
        reg = add_register(ledger, account_id, name="Elsewhere", driver="virtual",
                           url=f"virtual://{data_dir / 'elsewhere.sqlite'}")
        return post_receipt(client, {"Authorization": f"Bearer {key}"}, reg, "other-1")
    return make


def events(resp, count: int) -> list[tuple[str, dict]]:
    """The first ``count`` events of a stream (comments and the retry line skipped)."""
    found, buffer = [], ""
    for chunk in resp.response:
        buffer += chunk.decode() if isinstance(chunk, bytes) else chunk
        while "\n\n" in buffer:
            block, buffer = buffer.split("\n\n", 1)
            lines = dict(line.split(": ", 1) for line in block.splitlines() if ": " in line
                         and not line.startswith(":"))
            if "event" in lines:
                found.append((lines["event"], json.loads(lines["data"])))
                if len(found) == count:
                    return found
    return found


def test_a_job_changing_state_reaches_the_page_with_its_badge(app, client, auth, ledger,
                                                              people, register):
    log_in_client(client, people["operator"])
    resp = client.get("/live?page=/overview", buffered=False)
    assert resp.mimetype == "text/event-stream"
    job_id = post_receipt(client, auth, register["id"], "live-1")
    ((event, update),) = events(resp, 1)
    assert event == "update"
    assert [j["id"] for j in update["jobs"]] == [job_id]
    assert update["jobs"][0]["state"] == "received"        # no relay runs here
    assert f'data-job-state="{job_id}"' in update["jobs"][0]["badge"]
    assert "Received" in update["jobs"][0]["badge"]
    # on the overview the tiles, counts and chart come along, rendered as on the page
    assert 'data-count="received">1<' in update["fragments"]["queue-counts"]
    assert set(update["fragments"]) == {"register-tiles", "queue-counts", "attention",
                                        "activity"}
    resp.close()


def test_another_accounts_jobs_are_not_sent(client, auth, ledger, people, register,
                                            other_account_job):
    log_in_client(client, people["viewer"])
    resp = client.get("/live?page=/queue", buffered=False)
    other_account_job()
    job_id = post_receipt(client, auth, register["id"], "live-mine")
    ((event, update),) = events(resp, 1)
    assert [j["id"] for j in update["jobs"]] == [job_id]
    assert "fragments" not in update               # not on the overview: badges only
    resp.close()


def test_the_feed_tells_the_page_when_the_session_ends(client, ledger, people):
    log_in_client(client, people["viewer"])
    resp = client.get("/live", buffered=False)
    backdate_sessions(ledger, 31)
    ((event, data),) = events(resp, 1)
    assert (event, data) == ("session_ended", {"reason": "expired"})


def test_an_open_page_does_not_keep_the_session_alive(client, ledger, people, monkeypatch):
    log_in_client(client, people["viewer"])
    monkeypatch.setattr(live_module, "STREAM_SECONDS", 0.3)
    backdate_sessions(ledger, 10)
    with ledger.session(readonly=True) as s:
        before = s.scalar(select(UserSession.last_seen_at))
    resp = client.get("/live", buffered=False)
    assert b"".join(resp.response).startswith(b"retry: 2000")   # ran its course, no events
    with ledger.session(readonly=True) as s:
        assert s.scalar(select(UserSession.last_seen_at)) == before


def test_activity_counts_printed_and_failed_per_minute(client, auth, ledger, account,
                                                       register):
    now = datetime.now(timezone.utc).replace(second=30, microsecond=0)
    ids = [post_receipt(client, auth, register["id"], f"act-{i}") for i in range(3)]
    with ledger.session() as s:
        for job_id, to, minutes_ago in ((ids[0], "printed", 0), (ids[1], "printed", 2),
                                        (ids[2], "failed", 2)):
            s.add(JobEvent(job_id=job_id, from_state="sending", to_state=to, actor="test",
                           cause="test", at=now - timedelta(minutes=minutes_ago)))
        s.add(JobEvent(job_id=ids[0], from_state="sending", to_state="printed", actor="t",
                       cause="too old", at=now - timedelta(hours=2)))
    resp = client.get("/api/v1/jobs/activity?hours=1", headers=auth)
    assert resp.status_code == 200
    minutes = resp.json["minutes"]
    assert len(minutes) == 60
    assert minutes[-1]["minute"].startswith(now.strftime("%Y-%m-%dT%H:%M"))
    assert (minutes[-1]["printed"], minutes[-1]["failed"]) == (1, 0)
    assert (minutes[-3]["printed"], minutes[-3]["failed"]) == (1, 1)
    assert (resp.json["printed"], resp.json["failed"]) == (2, 1)
    wide = client.get("/api/v1/jobs/activity?hours=3", headers=auth).json
    assert (wide["printed"], len(wide["minutes"])) == (3, 180)


@pytest.mark.parametrize("query, field", [("hours=0", "hours"), ("hours=25", "hours"),
                                          ("hours=x", "hours"), ("days=1", "days")])
def test_activity_refuses_a_bad_window_by_name(client, auth, query, field):
    resp = client.get(f"/api/v1/jobs/activity?{query}", headers=auth)
    assert resp.status_code == 422 and field in resp.json["errors"]


def test_activity_needs_a_key(client):
    assert client.get("/api/v1/jobs/activity").status_code == 401


def tile_of(**live):
    state = {"online": True, "last_seen_at": "2026-12-07T10:00:00+00:00", "error": None,
             "shift_open": None, "shift_opened_at": None, "shift_expired": None,
             "paper": "ok", "receipt_open": False, "fn_expires_on": None, **live}
    return {"id": "r1", "name": "Bar", "suspended": False, "binding_conflict": None,
            "live": state}


NOW = datetime(2026, 12, 7, 12, 0, tzinfo=timezone.utc)


def test_a_healthy_register_is_green_with_no_problems():
    tile = register_tile(tile_of(), NOW)
    assert (tile["tone"], tile["problems"]) == ("ok", [])


def test_a_shift_near_24_hours_warns_and_offers_the_z_report():
    tile = register_tile(tile_of(shift_open=True,
                                 shift_opened_at="2026-12-06T15:30:00+00:00"), NOW)
    assert tile["tone"] == "warn" and round(tile["shift_hours"], 1) == 20.5
    assert [(p["text"], p["fix"]) for p in tile["problems"]] == [
        ("The shift nears 24 hours: close it (Z report) soon", "close-shift")]
    young = register_tile(tile_of(shift_open=True,
                                  shift_opened_at="2026-12-07T08:00:00+00:00"), NOW)
    assert young["problems"] == []


def test_an_offline_register_is_red_and_says_why():
    tile = register_tile(tile_of(online=False, error="no answer on /dev/ttyUSB0"), NOW)
    assert tile["tone"] == "bad"
    assert tile["problems"][0] == {"text": "Offline", "detail": "no answer on /dev/ttyUSB0",
                                   "fix": None}


def test_paper_out_an_expiring_fn_and_a_suspension_are_each_named():
    reg = tile_of(paper="out", fn_expires_on="2026-12-20")
    reg["suspended"] = True
    texts = [p["text"] for p in register_tile(reg, NOW)["problems"]]
    assert texts == ["Suspended: its jobs are held and nothing is printed",
                     "Out of paper: put in a new roll",
                     "The fiscal storage (FN) expires soon: order a replacement"]


def test_chart_bars_scale_to_the_busiest_minute_and_stack_failures():
    minutes = [{"minute": "m0", "printed": 0, "failed": 0},
               {"minute": "m1", "printed": 4, "failed": 0},
               {"minute": "m2", "printed": 2, "failed": 2}]
    chart = chart_bars(minutes, width=300, height=100)
    assert chart["top"] == 4
    b0, b1, b2 = chart["bars"]
    assert (b0["h_ok"], b1["h_ok"], b1["y_ok"]) == (0, 100, 0)
    assert (b2["h_ok"], b2["h_bad"], b2["y_bad"]) == (50, 50, 0)
    assert [b["x"] for b in chart["bars"]] == [0, 100, 200]
