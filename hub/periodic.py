"""Periodic jobs and their schedules: which period is due at a given instant, and when it was due.

Pure: no I/O, no clock (the caller says what "now" is). A schedule maps an aware instant to the
**latest period due** at that instant — its key (unique per job: the scheduler records one run
per job and key) and the instant it became due. The scheduler runs only that latest period,
so a scheduler that was down for three days runs a missed job once, not three times.

Two schedules:

* :class:`Every` — fixed slots of ``interval`` counted from the Unix epoch (UTC); a slot's key
  is its start, ``2026-11-22T10:05:00Z``.
* :class:`BusinessDay` — a day closed at a local wall-clock time in an IANA time zone. Business
  day D closes at D+1's closing time ("the night of the 21st closes at 05:30 on the 22nd"); the
  key is D as an ISO date. Daylight saving time: a closing time the spring-forward day does not
  have (02:30 in Europe/Berlin) closes at the first instant after the gap (03:00 CEST); one the
  fall-back day has twice closes at its first occurrence. Either way the key is the date, so a
  business day is closed once whatever the clocks do.

:class:`PeriodicJob` is what a plugin returns from ``fiscalhub_register_periodic_jobs``
(docs/hooks.md).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta, timezone
from typing import Any, Callable, Protocol
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_HHMM = re.compile(r"^([01][0-9]|2[0-3]):([0-5][0-9])$")
# A plugin job's name: dotted, like its package ("acme.sync"). Built-in runs are named
# "<kind>:<id>", so no plugin name can collide with one.
_JOB_NAME = re.compile(r"^[a-z0-9_]+(\.[a-z0-9_-]+)+$")
NAME_MAX = 100
MIN_INTERVAL = timedelta(seconds=1)


@dataclass(frozen=True)
class Period:
    """One period of a schedule: ``key`` names it in the run records; ``due_at`` (aware, UTC) is
    when it became due."""

    key: str
    due_at: datetime


class Schedule(Protocol):
    def latest(self, now: datetime) -> Period:
        """The latest period due at ``now`` (aware)."""


def _aware(now: datetime) -> datetime:
    if now.tzinfo is None or now.utcoffset() is None:
        raise ValueError("a schedule needs an aware datetime (UTC), not a naive one")
    return now.astimezone(timezone.utc)


@dataclass(frozen=True)
class Every:
    """Slots of ``interval`` from the Unix epoch: with 5 minutes, 10:00, 10:05, 10:10 (UTC)…"""

    interval: timedelta

    def __post_init__(self):
        if not isinstance(self.interval, timedelta) or self.interval < MIN_INTERVAL:
            raise ValueError(f"a periodic interval is a timedelta of at least {MIN_INTERVAL}")

    def latest(self, now: datetime) -> Period:
        slots = (_aware(now) - EPOCH) // self.interval
        start = EPOCH + slots * self.interval
        return Period(key=start.strftime("%Y-%m-%dT%H:%M:%SZ"), due_at=start)


def parse_closing_time(value: str) -> time:
    """``"05:30"`` → ``time(5, 30)``; anything but HH:MM (00:00 to 23:59) is a ValueError."""
    match = _HHMM.match(value) if isinstance(value, str) else None
    if not match:
        raise ValueError(f"a closing time is HH:MM, 00:00 to 23:59, not {value!r}")
    return time(int(match.group(1)), int(match.group(2)))


def zone_named(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise ValueError(f"{name!r} is not an IANA time zone (e.g. Europe/Moscow)") from None


def local_instant(day: date, at: time, zone: ZoneInfo) -> datetime:
    """The instant (UTC) the wall clock in ``zone`` shows ``day`` ``at``. A wall time that
    happens twice (fall back) is its first occurrence; one that does not happen (spring
    forward) is the first instant after the gap, i.e. the transition itself."""
    wall = datetime.combine(day, at)
    first = wall.replace(tzinfo=zone, fold=0).astimezone(timezone.utc)
    if first.astimezone(zone).replace(tzinfo=None) == wall:
        return first                        # it exists; fold=0 is the first occurrence
    # In a gap, fold=0 reads the wall time with the offset before the transition (an instant
    # after it) and fold=1 with the offset after (an instant before it): the transition lies
    # between. Find it to the second (zone transitions fall on whole seconds).
    later = first
    earlier = wall.replace(tzinfo=zone, fold=1).astimezone(timezone.utc)
    if earlier > later:
        earlier, later = later, earlier
    after = later.astimezone(zone).utcoffset()
    low, high = 0, int((later - earlier).total_seconds())
    while low < high:                       # the first second whose offset is the new one
        mid = (low + high) // 2
        if (earlier + timedelta(seconds=mid)).astimezone(zone).utcoffset() == after:
            high = mid
        else:
            low = mid + 1
    return earlier + timedelta(seconds=low)


@dataclass(frozen=True)
class BusinessDay:
    """Business days closing at ``closing_time`` local in ``zone``; see the module's notes."""

    closing_time: time
    zone: ZoneInfo

    @classmethod
    def of(cls, closing_time: str, time_zone: str) -> "BusinessDay":
        """From a connection's ``closing_time`` ("HH:MM") and ``time_zone`` (IANA)."""
        return cls(parse_closing_time(closing_time), zone_named(time_zone))

    def closes_at(self, day: date) -> datetime:
        """When business day ``day`` closes (UTC): ``day + 1`` at the closing time, local."""
        return local_instant(day + timedelta(days=1), self.closing_time, self.zone)

    def last_closed(self, now: datetime) -> date:
        """The latest business day closed at ``now``."""
        now = _aware(now)
        day = now.astimezone(self.zone).date() - timedelta(days=1)
        # Usually at most one step back (before the closing time of today); more only where a
        # zone skipped a whole calendar day (Pacific/Apia, 2011-12-30).
        while self.closes_at(day) > now:
            day -= timedelta(days=1)
        return day

    def open_day(self, now: datetime) -> date:
        """The business day open at ``now`` (the one after the latest closed)."""
        return self.last_closed(now) + timedelta(days=1)

    def latest(self, now: datetime) -> Period:
        day = self.last_closed(now)
        return Period(key=day.isoformat(), due_at=self.closes_at(day))


@dataclass(frozen=True)
class PeriodicJob:
    """Work a plugin runs on a schedule: ``PeriodicJob(name="acme.sync",
    every=timedelta(minutes=5), run=sync)`` or ``PeriodicJob(name="acme.report",
    daily_at="05:30", time_zone="Europe/Moscow", run=report)``.

    ``run(now, hub)`` gets the scheduler's aware UTC instant and the
    :class:`hub.plugins.PluginHost`; what it returns (a JSON-able dict, or None) is stored as
    the run's result, and what it raises is stored as the run's error (the run is retried).
    It must be idempotent (a run taken over from a scheduler that died runs again) and quick,
    or queue its work. ``timeout``: a run still going after this long is taken to have died
    with its scheduler, and another scheduler runs the period again.
    """

    name: str
    run: Callable[[datetime, Any], Any]
    every: timedelta | None = None
    daily_at: str | None = None
    time_zone: str = "UTC"
    timeout: timedelta = field(default=timedelta(minutes=10))

    def __post_init__(self):
        if not isinstance(self.name, str) or len(self.name) > NAME_MAX \
                or not _JOB_NAME.match(self.name):
            raise ValueError(f"a periodic job's name is dotted lower-case, like its package "
                             f"(acme.sync), at most {NAME_MAX} characters: not {self.name!r}")
        if not callable(self.run):
            raise ValueError(f"{self.name}: run must be callable as run(now, hub)")
        if (self.every is None) == (self.daily_at is None):
            raise ValueError(f"{self.name}: give every (a timedelta) or daily_at (HH:MM), "
                             "one of them")
        if not isinstance(self.timeout, timedelta) or self.timeout <= timedelta(0):
            raise ValueError(f"{self.name}: timeout is a positive timedelta")
        self.schedule                       # checks every, daily_at and time_zone now

    @property
    def schedule(self) -> Schedule:
        if self.every is not None:
            return Every(self.every)
        return BusinessDay.of(self.daily_at, self.time_zone)
