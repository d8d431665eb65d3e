"""Schedules as pure arithmetic: business days in a connection's zone across DST, fixed slots,
and what a plugin's PeriodicJob accepts."""
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hub.periodic import BusinessDay, Every, PeriodicJob, local_instant

UTC = timezone.utc
BERLIN, LONDON, NEW_YORK = (ZoneInfo("Europe/Berlin"), ZoneInfo("Europe/London"),
                            ZoneInfo("America/New_York"))


def utc(*args) -> datetime:
    return datetime(*args, tzinfo=UTC)


# -- business days ---------------------------------------------------------------------------

def test_the_night_of_the_21st_closes_at_0530_on_the_22nd_in_moscow():
    days = BusinessDay.of("05:30", "Europe/Moscow")         # UTC+3 all year
    assert days.closes_at(date(2026, 11, 21)) == utc(2026, 11, 22, 2, 30)
    just_before, at = utc(2026, 11, 22, 2, 29, 59), utc(2026, 11, 22, 2, 30)
    assert days.latest(just_before).key == "2026-11-20"
    assert days.latest(at).key == "2026-11-21"
    assert days.latest(at).due_at == at
    assert days.open_day(just_before) == date(2026, 11, 21)
    assert days.open_day(at) == date(2026, 11, 22)


def test_a_closing_time_missing_on_the_spring_forward_day_closes_when_the_gap_ends():
    # Berlin, 2027-03-28: 02:00 CET jumps to 03:00 CEST (01:00 UTC); 02:30 does not exist.
    days = BusinessDay.of("02:30", "Europe/Berlin")
    assert days.closes_at(date(2027, 3, 26)) == utc(2027, 3, 27, 1, 30)    # 02:30 CET
    assert days.closes_at(date(2027, 3, 27)) == utc(2027, 3, 28, 1, 0)     # 03:00 CEST
    assert days.closes_at(date(2027, 3, 28)) == utc(2027, 3, 29, 0, 30)    # 02:30 CEST
    assert days.latest(utc(2027, 3, 28, 0, 59, 59)).key == "2027-03-26"
    assert days.latest(utc(2027, 3, 28, 1, 0)).key == "2027-03-27"
    # London, 2027-03-28: 01:00 GMT jumps to 02:00 BST; 01:30 does not exist.
    london = BusinessDay.of("01:30", "Europe/London")
    assert london.closes_at(date(2027, 3, 27)) == utc(2027, 3, 28, 1, 0)   # 02:00 BST
    assert london.closes_at(date(2027, 3, 27)).astimezone(LONDON).hour == 2


def test_a_closing_time_seen_twice_on_the_fall_back_day_closes_at_its_first_occurrence():
    # Berlin, 2026-10-25: 03:00 CEST goes back to 02:00 CET; 02:30 happens twice.
    days = BusinessDay.of("02:30", "Europe/Berlin")
    first, second = utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)
    assert days.closes_at(date(2026, 10, 24)) == first
    assert days.latest(first).key == days.latest(second).key == "2026-10-24"
    assert days.closes_at(date(2026, 10, 25)) == utc(2026, 10, 26, 1, 30)   # CET from now


def test_local_instant_outside_any_change_is_the_plain_wall_time():
    assert local_instant(date(2026, 7, 1), time(5, 30), NEW_YORK) == utc(2026, 7, 1, 9, 30)
    assert local_instant(date(2026, 12, 1), time(5, 30), NEW_YORK) == utc(2026, 12, 1, 10, 30)


def test_a_zone_that_skipped_a_whole_day_still_closes_each_business_day_once():
    # Samoa went from 2011-12-29 straight to 2011-12-31 (UTC-10 → UTC+14).
    days = BusinessDay.of("05:30", "Pacific/Apia")
    closes = [days.closes_at(date(2011, 12, 27) + timedelta(days=n)) for n in range(5)]
    assert closes == sorted(closes) and len(set(closes)) == 5
    assert closes[2] == datetime(2011, 12, 31, 0, 0, tzinfo=ZoneInfo("Pacific/Apia"))


def test_naive_instants_and_bad_settings_are_refused():
    with pytest.raises(ValueError, match="aware"):
        BusinessDay.of("05:30", "Europe/Moscow").latest(datetime(2026, 1, 1))
    with pytest.raises(ValueError, match="HH:MM"):
        BusinessDay.of("5:30", "Europe/Moscow")
    with pytest.raises(ValueError, match="IANA"):
        BusinessDay.of("05:30", "Mars/Olympus")


# -- the property: one period per business day, in any DST zone ----------------------------

ZONES = ["Europe/Berlin", "Europe/London", "America/New_York", "Australia/Sydney",
         "America/Santiago", "Europe/Moscow"]
YEAR_START = utc(2026, 1, 1)


@settings(max_examples=60, deadline=None)
@given(zone=st.sampled_from(ZONES),
       closing=st.sampled_from(["00:00", "00:30", "01:30", "02:00", "02:30", "03:00", "05:30",
                                "23:59"]),
       start=st.integers(0, 364 * 24 * 3600),
       steps=st.lists(st.integers(1, 3600), min_size=50, max_size=400))
def test_each_business_day_gets_exactly_one_period_whatever_the_clock_instants(
        zone, closing, start, steps):
    """A clock read at any increasing instants, at most an hour apart: the periods it sees are
    consecutive business days, each seen from its close until the next day's close, and each
    close is 22 to 26 hours after the previous (23 or 25 across DST, 24 otherwise)."""
    days = BusinessDay.of(closing, zone)
    now = YEAR_START + timedelta(seconds=start)
    seen: list = []
    for step in steps:
        now += timedelta(seconds=step)
        period = days.latest(now)
        assert period.due_at <= now < days.closes_at(date.fromisoformat(period.key)
                                                     + timedelta(days=1))
        if not seen or seen[-1] != period.key:
            seen.append(period.key)
    keys = [date.fromisoformat(k) for k in seen]
    assert keys == [keys[0] + timedelta(days=n) for n in range(len(keys))]
    for day in keys:
        gap = days.closes_at(day + timedelta(days=1)) - days.closes_at(day)
        assert timedelta(hours=22) <= gap <= timedelta(hours=26)


@settings(max_examples=40, deadline=None)
@given(zone=st.sampled_from(ZONES), closing=st.sampled_from(["01:30", "02:30", "05:30"]),
       instants=st.lists(st.integers(0, 366 * 24 * 3600), min_size=2, max_size=60))
def test_the_latest_period_never_goes_back_in_time(zone, closing, instants):
    days = BusinessDay.of(closing, zone)
    keys = [days.latest(YEAR_START + timedelta(seconds=s)).key for s in sorted(instants)]
    assert keys == sorted(keys)


def test_a_year_in_berlin_has_one_period_per_day_across_both_changes():
    days = BusinessDay.of("02:30", "Europe/Berlin")
    now, end, seen = utc(2026, 1, 1), utc(2027, 1, 1), set()
    while now < end:
        seen.add(days.latest(now).key)
        now += timedelta(minutes=10)
    # 01:00 CET on 1 January: the 30th closed last; the year's last tick sees the 30th close
    first = date(2025, 12, 30)
    assert seen == {(first + timedelta(days=n)).isoformat() for n in range(366)}


# -- fixed slots -----------------------------------------------------------------------------

def test_every_counts_slots_from_the_epoch():
    five = Every(timedelta(minutes=5))
    p = five.latest(utc(2026, 11, 22, 10, 7, 31))
    assert (p.key, p.due_at) == ("2026-11-22T10:05:00Z", utc(2026, 11, 22, 10, 5))
    assert five.latest(utc(2026, 11, 22, 10, 10)).key == "2026-11-22T10:10:00Z"
    assert Every(timedelta(days=1)).latest(utc(2026, 3, 29, 23, 0)).key == "2026-03-29T00:00:00Z"
    with pytest.raises(ValueError):
        Every(timedelta(0))


# -- what a plugin registers ----------------------------------------------------------------

def test_a_periodic_job_is_every_or_daily_with_a_dotted_name():
    job = PeriodicJob(name="acme.sync", every=timedelta(minutes=5), run=lambda now, hub: None)
    assert job.schedule.latest(utc(2026, 1, 1, 0, 7)).key == "2026-01-01T00:05:00Z"
    daily = PeriodicJob(name="acme.report", daily_at="05:30", time_zone="Europe/Moscow",
                        run=lambda now, hub: None)
    assert daily.schedule.latest(utc(2026, 11, 22, 3)).key == "2026-11-21"
    for bad in ({"name": "end_of_day:x", "every": timedelta(minutes=1)},
                {"name": "sync", "every": timedelta(minutes=1)},
                {"name": "acme.sync"},
                {"name": "acme.sync", "every": timedelta(minutes=1), "daily_at": "05:30"},
                {"name": "acme.sync", "daily_at": "25:00"},
                {"name": "acme.sync", "daily_at": "05:30", "time_zone": "Nowhere/City"},
                {"name": "acme.sync", "every": 300}):
        with pytest.raises(ValueError):
            PeriodicJob(run=lambda now, hub: None, **bad)
