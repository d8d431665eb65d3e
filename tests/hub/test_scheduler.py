"""The scheduler over the real SQLite ledger with a clock the test moves: end of day once per
business day across restarts and DST changes, missed periods run once, plugins' periodic
jobs, failures recorded and retried, stale runs taken over, racing schedulers."""
import threading
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from fiscal.ledger import scheduled_runs
from fiscal.ledger.models import Posting
from hub.hookspecs import hookimpl
from hub.periodic import PeriodicJob
from hub.plugins import PluginConflict

from scheduler_helpers import (PMS, Clock, add_connection, add_register, host_with,
                               make_scheduler, print_waiting_z_reports, runs, utc, z_reports)


@pytest.fixture(autouse=True)
def pms():
    PMS["feed"], PMS["calls"] = [], []
    return PMS


@pytest.fixture
def closing_register(ledger, account, data_dir):
    return add_register(ledger, account["id"], data_dir, "bar",
                        close_shift_at_end_of_day=True)


DST = {
    # Berlin, autumn: 02:30 happens twice on 25 October; it closes at the first (00:30 UTC).
    "berlin-autumn": ("Europe/Berlin", "02:30", utc(2026, 10, 23, 12), utc(2026, 10, 27, 12),
                      utc(2026, 10, 25, 1, 0),      # the restart: between the two 02:30s
                      [("2026-10-22", utc(2026, 10, 23, 0, 30)),
                       ("2026-10-23", utc(2026, 10, 24, 0, 30)),
                       ("2026-10-24", utc(2026, 10, 25, 0, 30)),
                       ("2026-10-25", utc(2026, 10, 26, 1, 30)),
                       ("2026-10-26", utc(2026, 10, 27, 1, 30))]),
    # Berlin, spring: 02:30 does not exist on 28 March 2027; it closes at 03:00 CEST.
    "berlin-spring": ("Europe/Berlin", "02:30", utc(2027, 3, 26, 12), utc(2027, 3, 29, 12),
                      utc(2027, 3, 28, 0, 50),      # the restart: inside the gap's hour
                      [("2027-03-25", utc(2027, 3, 26, 1, 30)),
                       ("2027-03-26", utc(2027, 3, 27, 1, 30)),
                       ("2027-03-27", utc(2027, 3, 28, 1, 0)),
                       ("2027-03-28", utc(2027, 3, 29, 0, 30))]),
    # London, spring: 01:30 does not exist on 28 March 2027; it closes at 02:00 BST.
    "london-spring": ("Europe/London", "01:30", utc(2027, 3, 27, 12), utc(2027, 3, 29, 12),
                      utc(2027, 3, 28, 1, 0),
                      [("2027-03-26", utc(2027, 3, 27, 1, 30)),
                       ("2027-03-27", utc(2027, 3, 28, 1, 0)),
                       ("2027-03-28", utc(2027, 3, 29, 0, 30))]),
}


@pytest.mark.parametrize("case", DST.values(), ids=DST.keys())
def test_end_of_day_runs_once_per_business_day_across_a_restart_and_dst(
        ledger, account, closing_register, case):
    zone, closing, start, end, restart_at, expected = case
    conn = add_connection(ledger, account["id"], register_id=closing_register, time_zone=zone,
                          closing_time=closing)
    clock = Clock(start)
    sched = make_scheduler(ledger, clock)
    restarted = False
    while clock.at < end:
        if not restarted and clock.at >= restart_at:
            sched, restarted = make_scheduler(ledger, clock), True     # the same database
        sched.tick()
        print_waiting_z_reports(ledger)
        clock.advance(minutes=10)
    assert restarted
    done = runs(ledger, f"end_of_day:{conn}")
    assert [(r.period, r.due_at) for r in done] == expected
    assert {(r.state, r.attempts) for r in done} == {("done", 1)}
    days = [date.fromisoformat(p) for p, _ in expected]
    assert [c for c in PMS["calls"] if c[0] == "end_of_day"] == [("end_of_day", d) for d in days]
    with ledger.session(readonly=True) as s:
        revenue = list(s.scalars(select(Posting).order_by(Posting.created_at)))
    assert [p.payload["day"] for p in revenue] == [p for p, _ in expected]
    assert [j.idempotency_key for j in z_reports(ledger)] == [
        f"end_of_day:{closing_register}:{p}" for p, _ in expected]
    first = done[0].result
    assert first["event"]["event_id"] == f"end_of_day:{expected[0][0]}"
    assert first["event"]["state"] == "accepted" and len(first["event"]["posting_ids"]) == 1
    assert first["z_reports"][0]["created"] is True


def test_days_missed_while_the_scheduler_was_down_run_once(ledger, account, closing_register):
    conn = add_connection(ledger, account["id"], register_id=closing_register)
    clock = Clock(utc(2026, 11, 17, 12))            # Moscow, 05:30 = 02:30 UTC
    make_scheduler(ledger, clock).tick()
    clock.advance(days=4, hours=3)                  # down from the 17th to the 21st, 15:00
    reports = make_scheduler(ledger, clock).tick()
    assert [(r.name, r.period) for r in reports if r.name.startswith("end_of_day")] == [
        (f"end_of_day:{conn}", "2026-11-20")]
    assert [r.period for r in runs(ledger, "end_of_day")] == ["2026-11-16", "2026-11-20"]
    assert [c for c in PMS["calls"] if c[0] == "end_of_day"] == [
        ("end_of_day", date(2026, 11, 16)), ("end_of_day", date(2026, 11, 20))]
    assert make_scheduler(ledger, clock).tick() == []          # and not again


def test_a_connection_added_after_the_day_closed_waits_for_its_first_close(
        ledger, account, closing_register):
    add_connection(ledger, account["id"], register_id=closing_register,
                   connector="quiet_pos", created_at=utc(2026, 11, 21, 9))            # after 05:30 Moscow
    clock = Clock(utc(2026, 11, 21, 10))
    assert make_scheduler(ledger, clock).tick() == []
    clock.advance(hours=16, minutes=30)                         # 22 Nov 05:30 Moscow
    assert [r.period for r in make_scheduler(ledger, clock).tick()] == ["2026-11-21"]


# -- plugins' periodic jobs, failures, retries -----------------------------------------------

class AcmePlugin:
    def __init__(self):
        self.synced = []

    def sync(self, now, hub):
        self.synced.append(now)
        return {"synced": len(self.synced)}

    @staticmethod
    def broken(now, hub):
        raise RuntimeError("acme's token expired")

    @hookimpl
    def fiscalhub_register_periodic_jobs(self, hub):
        return [PeriodicJob(name="acme.broken", every=timedelta(minutes=5), run=self.broken),
                PeriodicJob(name="acme.sync", every=timedelta(minutes=5), run=self.sync)]


def test_plugin_jobs_run_once_per_period_and_a_failing_one_stops_nothing(
        ledger, account, closing_register):
    acme = AcmePlugin()
    conn = add_connection(ledger, account["id"], register_id=closing_register)
    clock = Clock(utc(2026, 11, 22, 10, 1))
    sched = make_scheduler(ledger, clock, host=host_with(("acme", acme)))
    reports = {r.name: r for r in sched.tick()}
    assert set(reports) == {f"end_of_day:{conn}", f"poll:{conn}", "acme.broken", "acme.sync"}
    assert reports["acme.sync"].result == {"synced": 1}
    assert reports["acme.broken"].state == "failed"
    assert reports["acme.broken"].error == ("acme.broken raised RuntimeError: acme's token "
                                            "expired")
    assert reports[f"end_of_day:{conn}"].state == "done"
    clock.advance(seconds=30)                       # the same slot; the retry waits 1 min
    assert sched.tick() == []
    clock.advance(minutes=3, seconds=30)            # 10:05: the next slot, both run again
    assert {r.name: r.period for r in sched.tick() if r.name.startswith("acme")} == {
        "acme.broken": "2026-11-22T10:05:00Z", "acme.sync": "2026-11-22T10:05:00Z"}
    assert acme.synced == [utc(2026, 11, 22, 10, 1), utc(2026, 11, 22, 10, 5)]
    stored = runs(ledger, "acme.broken")
    assert [(r.period, r.state, r.attempts) for r in stored] == [
        ("2026-11-22T10:00:00Z", "failed", 1), ("2026-11-22T10:05:00Z", "failed", 1)]
    assert stored[0].account_id is None and "token expired" in stored[0].error


def test_a_failed_run_is_retried_with_backoff_up_to_four_attempts(ledger):
    calls = []

    class Flaky:
        @hookimpl
        def fiscalhub_register_periodic_jobs(self):
            def run(now, hub):
                calls.append(now)
                if len(calls) < 3:
                    raise ConnectionError("acme is down")
                return {"ok": True}
            return [PeriodicJob(name="acme.daily", daily_at="03:00", run=run)]

    clock = Clock(utc(2026, 11, 22, 3, 0))
    sched = make_scheduler(ledger, clock, host=host_with(("flaky", Flaky())))
    assert [r.state for r in sched.tick()] == ["failed"]
    clock.advance(seconds=59)
    assert sched.tick() == []                       # the first retry waits a minute
    clock.advance(seconds=1)
    assert [(r.state, r.attempt, r.how) for r in sched.tick()] == [("failed", 2, "retried")]
    clock.advance(minutes=3, seconds=59)
    assert sched.tick() == []                       # then four minutes
    clock.advance(seconds=1)
    assert [(r.state, r.attempt) for r in sched.tick()] == [("done", 3)]
    (run,) = runs(ledger, "acme.daily")
    assert (run.period, run.state, run.attempts, run.error, run.result) == (
        "2026-11-21", "done", 3, None, {"ok": True})
    assert len(calls) == 3


def test_a_run_failing_every_time_stops_after_four_attempts(ledger):
    class Hopeless:
        @hookimpl
        def fiscalhub_register_periodic_jobs(self):
            return [PeriodicJob(name="acme.hopeless", daily_at="03:00",
                                run=lambda now, hub: 1 / 0)]

    clock = Clock(utc(2026, 11, 22, 3, 0))
    sched = make_scheduler(ledger, clock, host=host_with(("hopeless", Hopeless())))
    attempts = []
    for _ in range(48):                             # four hours, every five minutes
        attempts += [r.attempt for r in sched.tick()]
        clock.advance(minutes=5)
    assert attempts == [1, 2, 3, 4]
    (run,) = runs(ledger, "acme.hopeless")
    assert run.state == "failed" and "ZeroDivisionError" in run.error


def test_plugins_registering_one_name_twice_stop_the_scheduler_at_startup(ledger):
    class Twin:
        @hookimpl
        def fiscalhub_register_periodic_jobs(self):
            return [PeriodicJob(name="acme.sync", every=timedelta(minutes=1),
                                run=lambda now, hub: None)]

    class NotAJob:
        @hookimpl
        def fiscalhub_register_periodic_jobs(self):
            return [{"name": "acme.sync"}]

    with pytest.raises(PluginConflict, match="registered by both one and two"):
        make_scheduler(ledger, Clock(utc(2026, 1, 1)),
                       host=host_with(("one", Twin()), ("two", Twin())))
    with pytest.raises(PluginConflict, match="PeriodicJob"):
        make_scheduler(ledger, Clock(utc(2026, 1, 1)), host=host_with(("bad", NotAJob())))


# -- one run per period, whoever claims it ----------------------------------------------------

def test_two_schedulers_racing_run_a_period_once(ledger):
    calls = []
    barrier = threading.Barrier(2)

    class Counted:
        @hookimpl
        def fiscalhub_register_periodic_jobs(self):
            return [PeriodicJob(name="acme.count", every=timedelta(minutes=1),
                                run=lambda now, hub: calls.append(now))]

    clock = Clock(utc(2026, 11, 22, 10, 0, 30))
    schedulers = [make_scheduler(ledger, clock, host=host_with(("count", Counted())))
                  for _ in range(2)]
    reports = [None, None]

    def race(n):
        barrier.wait()
        reports[n] = schedulers[n].tick()
    threads = [threading.Thread(target=race, args=(n,)) for n in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert len(calls) == 1
    assert sorted(len(r) for r in reports) == [0, 1]
    assert [(r.period, r.state) for r in runs(ledger, "acme.count")] == [
        ("2026-11-22T10:00:00Z", "done")]


def test_a_second_claim_of_a_period_fails(ledger):
    at = utc(2026, 11, 22, 10)
    with ledger.session() as s:
        first = scheduled_runs.claim(s, name="acme.x", period="p1", due_at=at, now=at)
        second = scheduled_runs.claim(s, name="acme.x", period="p1", due_at=at, now=at)
    assert first is not None and first.attempt == 1 and second is None


def test_a_run_left_running_by_a_dead_scheduler_is_taken_over(ledger):
    calls = []

    class Once:
        @hookimpl
        def fiscalhub_register_periodic_jobs(self):
            return [PeriodicJob(name="acme.once", daily_at="03:00", timeout=timedelta(
                minutes=10), run=lambda now, hub: calls.append(now) or {"n": len(calls)})]

    clock = Clock(utc(2026, 11, 22, 3, 1))
    with ledger.session() as s:                     # claimed, then its scheduler died
        dead = scheduled_runs.claim(s, name="acme.once", period="2026-11-21",
                                    due_at=utc(2026, 11, 22, 3), now=clock.at)
    sched = make_scheduler(ledger, clock, host=host_with(("once", Once())))
    clock.advance(minutes=9, seconds=59)
    assert sched.tick() == [] and calls == []       # it may still be running
    clock.advance(seconds=1)
    assert [(r.state, r.attempt, r.how) for r in sched.tick()] == [("done", 2, "taken_over")]
    with ledger.session() as s:                     # the dead one's late answer is not kept
        assert not scheduled_runs.finish(s, dead, state="failed", now=clock.at, error="late")
    (run,) = runs(ledger, "acme.once")
    assert (run.state, run.attempts, run.result) == ("done", 2, {"n": 1})


def test_a_stale_run_with_no_attempts_left_is_failed_for_good(ledger):
    at = utc(2026, 11, 22, 3)
    with ledger.session() as s:
        scheduled_runs.claim(s, name="acme.x", period="p", due_at=at, now=at)
    for attempt in (2, 3, 4):                       # each taken over, each scheduler died
        at += timedelta(minutes=10)
        with ledger.session() as s:
            claim = scheduled_runs.acquire(s, name="acme.x", period="p", due_at=at, now=at)
            assert (claim.attempt, claim.how) == (attempt, "taken_over")
    at += timedelta(minutes=10)
    with ledger.session() as s:
        assert scheduled_runs.acquire(s, name="acme.x", period="p", due_at=at, now=at) is None
    (run,) = runs(ledger, "acme.x")
    assert (run.state, run.attempts, run.finished_at) == ("failed", 4, at)
    assert run.error == ("the scheduler running attempt 4 stopped without finishing it "
                         "(4 attempts made)")
