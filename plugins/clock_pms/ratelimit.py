"""Pacing for the Clock PMS+ API: the documented 5 requests/second limit, and how long to wait
after a ``429``. Pure logic: the clock and the sleep are injected."""
from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Callable

#: "5 requests/second rate limit and 429 backoff" (research §2.1).
CLOCK_REQUESTS_PER_SECOND = 5


class TokenBucket:
    """At most ``capacity`` calls at once, refilled at ``rate`` calls per second.

    ``acquire()`` takes one token, sleeping (through the injected ``sleep``) until one is there.
    With rate 5 and capacity 5, six calls at the same instant: the sixth waits 0.2 s.
    """

    def __init__(self, rate: float = CLOCK_REQUESTS_PER_SECOND, capacity: float | None = None,
                 clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep):
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.rate = float(rate)
        self.capacity = float(capacity if capacity is not None else rate)
        if self.capacity < 1:
            raise ValueError("capacity must be at least 1")
        self._clock, self._sleep = clock, sleep
        self._tokens = self.capacity
        self._last = clock()
        self._lock = threading.Lock()

    def _refill(self) -> None:
        now = self._clock()
        elapsed = max(0.0, now - self._last)
        self._tokens = min(self.capacity, self._tokens + elapsed * self.rate)
        self._last = now

    def wait_time(self) -> float:
        """Seconds until a token is there (0 when one is there now); takes nothing."""
        self._refill()
        return 0.0 if self._tokens >= 1 else (1 - self._tokens) / self.rate

    def acquire(self) -> float:
        """Take one token; returns the seconds slept for it. Callers sharing the bucket from
        several threads queue behind the lock."""
        with self._lock:
            self._refill()
            if self._tokens >= 1:
                self._tokens -= 1
                return 0.0
            delay = (1 - self._tokens) / self.rate
            self._sleep(delay)
            self._refill()
            # the wait paid for this token, whatever the float rounding of the refill
            self._tokens = max(0.0, self._tokens - 1)
            return delay


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A ``Retry-After`` header (delta-seconds or an HTTP date) as seconds, ``None`` when absent
    or unreadable. A date in the past gives 0."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    try:
        return max(0.0, float(value)) if value.replace(".", "", 1).isdigit() else _date(value, now)
    except (TypeError, ValueError, OverflowError):
        return None


def _date(value: str, now: datetime | None) -> float:
    at = parsedate_to_datetime(value)
    if at.tzinfo is None:
        at = at.replace(tzinfo=timezone.utc)
    now = now or datetime.now(timezone.utc)
    return max(0.0, (at - now).total_seconds())


def backoff_seconds(attempt: int, base: float = 1.0, cap: float = 30.0) -> float:
    """The wait before retry ``attempt`` (1, 2, …) after a 429 without ``Retry-After``:
    1 s, 2 s, 4 s … capped at ``cap``."""
    if attempt < 1:
        raise ValueError("attempt counts from 1")
    return min(cap, base * 2 ** (attempt - 1))


def wait_after_429(attempt: int, retry_after: str | None, cap: float = 60.0,
                   now: datetime | None = None) -> float:
    """How long to wait before retry ``attempt``: ``Retry-After`` when given (capped at
    ``cap``), else :func:`backoff_seconds`."""
    told = retry_after_seconds(retry_after, now)
    return min(cap, told) if told is not None else backoff_seconds(attempt)
