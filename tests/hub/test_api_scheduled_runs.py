"""GET /api/v1/scheduled-runs: the account's end of day, polls and shift guard runs, newest
first, filtered and paged; another account's runs and plugins' runs are not shown."""
from datetime import timedelta

import pytest

from fiscal.ledger import scheduled_runs

from scheduler_helpers import (PMS, Clock, add_connection, add_register, make_scheduler, utc)

URL = "/api/v1/scheduled-runs"


@pytest.fixture(autouse=True)
def pms():
    PMS["feed"], PMS["calls"] = [], []


def page(client, headers, **query):
    resp = client.get(URL, query_string=query, headers=headers)
    assert resp.status_code == 200, resp.json
    return resp.json


@pytest.fixture
def scheduled(ledger, account, other_account, data_dir):
    """Two days of a hotel's end of day and polls, a shift guard run on its bar, and the
    other venue's end of day."""
    bar = add_register(ledger, account["id"], data_dir, "bar", close_shift_at_end_of_day=True)
    hotel = add_connection(ledger, account["id"], register_id=bar)
    quiet = add_connection(ledger, account["id"], connector="quiet_pos", register_id=bar,
                           settings={})
    theirs = add_connection(ledger, other_account["id"], connector="quiet_pos",
                            register_id=other_account["register_id"])
    clock = Clock(utc(2026, 11, 21, 3))
    sched = make_scheduler(ledger, clock)
    sched.tick()                                    # 2026-11-20 closes; first polls
    clock.advance(days=1)
    sched.tick()                                    # 2026-11-21 closes; polls
    with ledger.session() as s:                     # a guard run that failed
        claim = scheduled_runs.claim(s, name=f"shift_guard:{bar}", period="7",
                                     due_at=clock.at, now=clock.at, account_id=account["id"])
        scheduled_runs.finish(s, claim, state="failed", now=clock.at + timedelta(seconds=1),
                              error="no cashier")
        scheduled_runs.claim(s, name="acme.sync", period="p", due_at=clock.at, now=clock.at)
    return {"bar": bar, "hotel": hotel, "quiet": quiet, "theirs": theirs}


def test_the_accounts_runs_newest_first_with_what_they_did(client, auth, scheduled):
    items = page(client, auth)["items"]
    hotel, quiet, bar = scheduled["hotel"], scheduled["quiet"], scheduled["bar"]
    # A tick takes the connections by name ("night_audit …" before "quiet_pos …").
    assert [(r["name"], r["period"]) for r in items] == [
        (f"shift_guard:{bar}", "7"),
        (f"end_of_day:{quiet}", "2026-11-21"), (f"poll:{hotel}", "2026-11-22T03:00:00Z"),
        (f"end_of_day:{hotel}", "2026-11-21"),
        (f"end_of_day:{quiet}", "2026-11-20"), (f"poll:{hotel}", "2026-11-21T03:00:00Z"),
        (f"end_of_day:{hotel}", "2026-11-20")]
    assert [r["id"] for r in items] == sorted((r["id"] for r in items), reverse=True)
    guard = items[0]
    assert guard == {**guard, "kind": "shift_guard", "register_id": bar, "connection_id": None,
                     "state": "failed", "attempts": 1, "error": "no cashier", "result": None}
    (day,) = [r for r in items if r["name"] == f"end_of_day:{hotel}"
              and r["period"] == "2026-11-21"]
    assert day["kind"] == "end_of_day" and day["connection_id"] == hotel
    assert day["state"] == "done" and day["register_id"] is None
    assert day["due_at"] == "2026-11-22T02:30:00+00:00"
    assert day["started_at"] == "2026-11-22T03:00:00+00:00"
    assert day["result"]["event"]["posting_ids"]
    # the 20th's Z report was never printed (no worker here): no second one behind it
    assert day["result"]["z_reports"][0]["skipped"].startswith("a Z report is waiting")
    assert set(day) == {"id", "name", "kind", "period", "connection_id", "register_id", "state",
                        "attempts", "due_at", "started_at", "finished_at", "result", "error"}


def test_filters_by_connection_kind_name_and_state(client, auth, scheduled):
    hotel, quiet = scheduled["hotel"], scheduled["quiet"]
    mine = page(client, auth, connection=hotel)["items"]
    assert sorted((r["name"], r["period"]) for r in mine) == [
        (f"end_of_day:{hotel}", "2026-11-20"), (f"end_of_day:{hotel}", "2026-11-21"),
        (f"poll:{hotel}", "2026-11-21T03:00:00Z"), (f"poll:{hotel}", "2026-11-22T03:00:00Z")]
    days = page(client, auth, name="end_of_day")["items"]
    assert sorted(r["name"] for r in days) == sorted([f"end_of_day:{hotel}",
                                                      f"end_of_day:{quiet}"] * 2)
    exact = page(client, auth, name=f"end_of_day:{quiet}")["items"]
    assert [r["period"] for r in exact] == ["2026-11-21", "2026-11-20"]
    assert page(client, auth, name="end_of")["items"] == []         # a kind, not a prefix
    assert [r["name"] for r in page(client, auth, state="failed")["items"]] == [
        f"shift_guard:{scheduled['bar']}"]
    assert page(client, auth, state="running")["items"] == []


def test_pages_follow_the_cursor_without_repeats(client, auth, scheduled):
    seen, cursor = [], None
    while True:
        got = page(client, auth, limit=3, **({"cursor": cursor} if cursor else {}))
        assert len(got["items"]) <= 3
        seen += [r["id"] for r in got["items"]]
        cursor = got["next_cursor"]
        if cursor is None:
            break
    assert seen == [r["id"] for r in page(client, auth, limit=200)["items"]]
    assert len(seen) == 7


def test_another_accounts_runs_and_plugin_runs_are_invisible(client, auth, other_account,
                                                            scheduled):
    assert page(client, auth, connection=scheduled["theirs"])["items"] == []
    assert page(client, auth, name="acme.sync")["items"] == []
    theirs = page(client, other_account["auth"])["items"]
    assert [(r["name"], r["period"]) for r in theirs] == [
        (f"end_of_day:{scheduled['theirs']}", "2026-11-21"),
        (f"end_of_day:{scheduled['theirs']}", "2026-11-20")]


@pytest.mark.parametrize("query, field", [
    ({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"limit": "many"}, "limit"),
    ({"state": "finished"}, "state"), ({"cursor": "abc"}, "cursor"),
    ({"cursor": "9" * 19}, "cursor"), ({"name": ""}, "name"),
    ({"connection": "x" * 37}, "connection"), ({"sort": "asc"}, "sort")])
def test_bad_parameters_are_422_naming_the_parameter(client, auth, query, field):
    resp = client.get(URL, query_string=query, headers=auth)
    assert resp.status_code == 422, resp.json
    assert field in resp.json["errors"]


def test_every_role_reads_it_and_a_stranger_does_not(client, as_user, scheduled):
    for role in ("owner", "admin", "operator", "viewer"):
        assert len(as_user(role).get(URL).json["items"]) == 7
    assert client.get(URL).status_code == 401
