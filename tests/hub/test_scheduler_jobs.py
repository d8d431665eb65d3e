"""The scheduler's built-in work on the real ledger: Z reports at end of day on the registers
set for it (once per register and day), the connector's end-of-day part failing, the 24-hour
shift guard, and polling."""
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update

from fiscal.ledger import cashiers, groups
from fiscal.ledger.models import Job, Register, StoredEvent, utcnow

from scheduler_helpers import (PMS, Clock, add_connection, add_register, make_scheduler,
                               runs, sale, set_connection, utc, z_reports)


@pytest.fixture(autouse=True)
def pms():
    PMS["feed"], PMS["calls"] = [], []
    return PMS


def set_state(ledger, register_id, **state):
    with ledger.session() as s:
        s.execute(update(Register).where(Register.id == register_id).values(state=state))


# -- end of day: which registers get a Z report ------------------------------------------------

def test_z_reports_go_to_the_registers_set_to_close_at_end_of_day_once_per_day(
        ledger, account, data_dir):
    acc = account["id"]
    bar = add_register(ledger, acc, data_dir, "bar", close_shift_at_end_of_day=True)
    lobby = add_register(ledger, acc, data_dir, "lobby")             # the setting is off
    spa = add_register(ledger, acc, data_dir, "spa", close_shift_at_end_of_day=True,
                       universal_cashier=False)
    closed = add_register(ledger, acc, data_dir, "closed", close_shift_at_end_of_day=True)
    set_state(ledger, closed, shift_open=False, shift_number=4)
    with ledger.session() as s:
        anyone = cashiers.create_cashier(s, acc, name="Anna (any till)", actor="test")
        spa_own = cashiers.create_cashier(s, acc, name="Zoya (spa)", actor="test",
                                          register_ids=[spa])
        group = groups.create_group(s, acc, name="Hotel", actor="test",
                                    register_ids=[bar, lobby, spa, closed])
        anyone_id, spa_cashier, group_id = anyone.id, spa_own.id, group.id
    hotel = add_connection(ledger, acc, connector="quiet_pos", group_id=group_id)
    bar_pos = add_connection(ledger, acc, connector="quiet_pos", register_id=bar)
    clock = Clock(utc(2026, 11, 22, 3))             # 06:00 Moscow: the 21st closed
    reports = {r.name: r for r in make_scheduler(ledger, clock).tick()}

    jobs = z_reports(ledger)
    assert sorted((j.register_id, j.idempotency_key) for j in jobs) == sorted([
        (bar, f"end_of_day:{bar}:2026-11-21"), (spa, f"end_of_day:{spa}:2026-11-21")])
    by_register = {j.register_id: j for j in jobs}
    assert by_register[spa].cashier_id == spa_cashier != anyone_id   # the spa's own cashier
    assert by_register[bar].cashier_id is None                        # universal cashier
    assert {j.state for j in jobs} == {"received"} and {j.created_by for j in jobs} == {
        "scheduler"}
    assert by_register[bar].source["business_day"] == "2026-11-21"

    hotel_run = reports[f"end_of_day:{hotel}"]
    assert hotel_run.state == "done"
    assert hotel_run.result["event"] == {"supported": False}
    outcome = {z["register_id"]: z for z in hotel_run.result["z_reports"]}
    assert outcome[lobby]["skipped"] == "close shift at end of day is off"
    assert outcome[closed]["skipped"].startswith("the shift is closed")
    assert outcome[spa]["job_id"] == by_register[spa].id
    # The bar is closed once, whichever connection of the two got to it first.
    bar_answers = [outcome[bar], reports[f"end_of_day:{bar_pos}"].result["z_reports"][0]]
    assert {a["job_id"] for a in bar_answers} == {by_register[bar].id}
    assert sorted(a["created"] for a in bar_answers) == [False, True]


def test_a_register_with_no_usable_cashier_fails_the_run_until_one_is_added(
        ledger, account, data_dir):
    acc = account["id"]
    till = add_register(ledger, acc, data_dir, "till", close_shift_at_end_of_day=True,
                        universal_cashier=False)
    conn = add_connection(ledger, acc, connector="quiet_pos", register_id=till)
    clock = Clock(utc(2026, 11, 22, 3))
    sched = make_scheduler(ledger, clock)
    (first,) = sched.tick()
    assert first.state == "failed" and z_reports(ledger) == []
    assert "universal cashier off and no cashier of the account may use it" in first.error
    assert first.result["z_reports"][0]["register_id"] == till
    with ledger.session() as s:
        cashier = cashiers.create_cashier(s, acc, name="Oleg", actor="test").id
    clock.advance(minutes=1)
    (second,) = sched.tick()
    assert (second.state, second.attempt, second.error) == ("done", 2, None)
    (job,) = z_reports(ledger)
    assert job.cashier_id == cashier
    (run,) = runs(ledger, f"end_of_day:{conn}")
    assert (run.state, run.attempts, run.error) == ("done", 2, None)


def test_the_z_report_waits_for_the_connectors_end_of_day_until_the_last_attempt(
        ledger, account, data_dir):
    acc = account["id"]
    bar = add_register(ledger, acc, data_dir, "bar", close_shift_at_end_of_day=True)
    conn = add_connection(ledger, acc, register_id=bar, settings={"mode": "down"})
    clock = Clock(utc(2026, 11, 22, 2, 30))
    sched = make_scheduler(ledger, clock)
    seen = []
    for wait in (0, 1, 4, 16):                      # the backoff: 1, 4, 16 minutes
        clock.advance(minutes=wait)
        seen += [(r.attempt, r.state, len(z_reports(ledger)))
                 for r in sched.tick() if r.name.startswith("end_of_day")]
    assert seen == [(1, "failed", 0), (2, "failed", 0), (3, "failed", 0), (4, "failed", 1)]
    (run,) = runs(ledger, f"end_of_day:{conn}")
    assert run.error.startswith("night_audit end of day failed: ConnectionError: the PMS "
                                "does not answer")
    assert run.result["z_reports"][0]["created"] is True
    assert [c for c in PMS["calls"] if c[0] == "end_of_day"] == [
        ("end_of_day", date(2026, 11, 21))] * 4

    # Fixed the next day: the next end of day runs whole (its event is stored once).
    set_connection(ledger, conn, settings={"mode": "ok"})
    with ledger.session() as s:
        s.execute(update(Job).values(state="printed"))
    clock.at = utc(2026, 11, 23, 2, 30)
    (report,) = [r for r in sched.tick() if r.name.startswith("end_of_day")]
    assert (report.period, report.state) == ("2026-11-22", "done")
    assert report.result["event"]["event_id"] == "end_of_day:2026-11-22"
    with ledger.session(readonly=True) as s:
        assert s.scalar(select(StoredEvent.type).where(StoredEvent.connection_id == conn)) \
            == "end_of_day"


# -- the 24-hour shift guard ----------------------------------------------------------------

def test_the_shift_guard_closes_a_shift_before_it_reaches_24_hours_once_per_shift(
        ledger, account, data_dir):
    till = add_register(ledger, account["id"], data_dir, "till")
    opened = utc(2026, 11, 21, 8, 0)
    set_state(ledger, till, shift_open=True, shift_number=7,
              shift_opened_at=opened.isoformat())
    clock = Clock(opened + timedelta(hours=23, minutes=29, seconds=59))
    sched = make_scheduler(ledger, clock)
    assert sched.tick() == []
    clock.advance(seconds=1)                        # 23:30 after it opened
    (report,) = sched.tick()
    assert (report.name, report.period, report.state) == (f"shift_guard:{till}", "7", "done")
    (job,) = z_reports(ledger)
    assert (job.register_id, job.idempotency_key, job.source) == (
        till, f"shift_guard:{till}:7", {"scheduler": "shift_guard", "shift_number": 7})
    (run,) = runs(ledger, "shift_guard")
    assert (run.account_id, run.due_at) == (account["id"], opened + timedelta(hours=23.5))
    clock.advance(minutes=20)
    assert sched.tick() == []                       # once per shift

    # The worker printed it; shift 8 opened an hour later, and a 1-hour margin is set.
    with ledger.session() as s:
        s.execute(update(Job).values(state="printed"))
    set_state(ledger, till, shift_open=True, shift_number=8,
              shift_opened_at=(opened + timedelta(hours=24)).isoformat())
    early = make_scheduler(ledger, clock, shift_guard_margin=timedelta(hours=1))
    clock.at = opened + timedelta(hours=24 + 23)
    assert [(r.period, r.state) for r in early.tick()] == [("8", "done")]
    assert [j.idempotency_key for j in z_reports(ledger)] == [
        f"shift_guard:{till}:7", f"shift_guard:{till}:8"]


def test_the_shift_guard_leaves_closed_suspended_and_young_shifts_alone(
        ledger, account, data_dir):
    now = utc(2026, 11, 22, 12)
    old = (now - timedelta(hours=30)).isoformat()
    young = add_register(ledger, account["id"], data_dir, "young")
    closed = add_register(ledger, account["id"], data_dir, "closed")
    resting = add_register(ledger, account["id"], data_dir, "resting")
    set_state(ledger, young, shift_open=True, shift_number=1,
              shift_opened_at=(now - timedelta(hours=2)).isoformat())
    set_state(ledger, closed, shift_open=False, shift_number=3, shift_opened_at=None)
    set_state(ledger, resting, shift_open=True, shift_number=2, shift_opened_at=old)
    with ledger.session() as s:
        s.get(Register, resting).suspended = True
    assert make_scheduler(ledger, Clock(now)).tick() == []


def test_without_an_opening_time_the_guard_dates_the_shift_by_its_first_document(
        ledger, account, register, data_dir):
    """The Shtrih-M driver reports no opening time: the shift's first printed document
    (auto-open opens the shift right before it) says when it began."""
    from fiscal.ledger.jobs import create_job
    now = utcnow()
    first_doc = now - timedelta(hours=23, minutes=40)
    with ledger.session() as s:
        for n, (shift, at) in enumerate([(11, now - timedelta(hours=25)), (12, first_doc),
                                         (12, now - timedelta(hours=1))]):
            job, _ = create_job(s, account_id=account["id"], register_id=register["id"],
                                job_json={"kind": "x"}, kind="receipt", actor="test")
            job.state, job.fd_number = "printed", 100 + n
            job.result = {"shift_number": shift, "issued_at": at.isoformat()}
    set_state(ledger, register["id"], shift_open=True, shift_number=12)
    (report,) = make_scheduler(ledger, Clock(now)).tick()
    assert (report.name, report.period) == (f"shift_guard:{register['id']}", "12")
    (run,) = runs(ledger, "shift_guard")
    assert run.due_at == first_doc + timedelta(hours=23, minutes=30)


# -- polling --------------------------------------------------------------------------------

def test_polling_takes_each_event_in_once_since_the_last_successful_poll(
        ledger, account, register):
    conn = add_connection(ledger, account["id"], register_id=register["id"],
                          created_at=utc(2026, 11, 22, 10))
    PMS["feed"] = [sale("s1"), sale("s2", "99.90")]
    clock = Clock(utc(2026, 11, 22, 10, 1))
    sched = make_scheduler(ledger, clock)
    polls = lambda: [r for r in sched.tick() if r.name.startswith("poll")]  # noqa: E731
    (first,) = polls()
    assert (first.period, first.result["since"], first.result["new"]) == (
        "2026-11-22T10:00:00Z", None, 2)
    assert len(first.result["job_ids"]) == 2
    clock.advance(minutes=3)
    assert polls() == []                            # every 5 minutes (poll_interval)
    clock.advance(minutes=2)
    PMS["feed"].append(sale("s3"))
    (second,) = polls()
    assert second.result["since"] == "2026-11-22T10:01:00+00:00"   # the last poll's start
    assert (second.result["new"], second.result["duplicates"]) == (1, 2)

    set_connection(ledger, conn, settings={"mode": "down"})
    clock.advance(minutes=5)
    (down,) = polls()
    assert down.state == "failed" and "ConnectionError: the PMS does not answer" in down.error
    set_connection(ledger, conn, settings={"mode": "ok"})
    clock.advance(minutes=5)
    (back,) = polls()
    assert back.result["since"] == "2026-11-22T10:06:00+00:00"     # the failed one is no start
    with ledger.session(readonly=True) as s:
        events = list(s.scalars(select(StoredEvent.event_id).where(
            StoredEvent.connection_id == conn).order_by(StoredEvent.event_id)))
        sales = s.scalar(select(Job.id).where(Job.kind == "receipt").limit(1))
    assert events == ["s1", "s2", "s3"] and sales is not None
    assert [c[1] for c in PMS["calls"] if c[0] == "poll"] == [
        None, utc(2026, 11, 22, 10, 1), utc(2026, 11, 22, 10, 6), utc(2026, 11, 22, 10, 6)]
