"""The clock a run reads and the pacing of posts per route.

A run never uses one timestamp for everything: leases, attempt times and backoffs are read from a
:class:`Clock` at the moment they are written. :class:`RunClock` starts at the run's nominal ``now`` (the
real time, or ``--now`` in tests) and moves with the monotonic clock, so a run that lasts an hour writes
times an hour apart. Tests of pacing use a fake clock whose ``sleep`` only moves its time forward.

:class:`Pacer` keeps, per route, the times of the last posts and waits (``clock.sleep``) until one more
post fits both windows: ``per_minute`` in the last 60 s and ``per_second`` in the last 1 s. The defaults
are the vendors' documented limits (:data:`duban.notify.routes.DEFAULT_RATES`).
"""

from __future__ import annotations

import datetime as dt
import time
from collections import deque
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from duban.notify.routes import Route


class Clock(Protocol):
    """What a run reads the time from, and how it waits."""

    def now(self) -> dt.datetime: ...
    def sleep(self, seconds: float) -> None: ...


class RunClock:
    """``start`` plus the monotonic time elapsed since the run began (aware, UTC)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        self._start = (start or dt.datetime.now(dt.UTC)).astimezone(dt.UTC)
        self._t0 = time.monotonic()

    def now(self) -> dt.datetime:
        return self._start + dt.timedelta(seconds=time.monotonic() - self._t0)

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            time.sleep(seconds)


class Pacer:
    """Sliding windows of posts per route key; :meth:`wait` blocks until a post to ``route`` fits."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self._posts: dict[str, deque[dt.datetime]] = {}
        self.waited = 0.0  #: seconds spent waiting in this run (for the run's report)

    def _delay(self, route: Route, now: dt.datetime) -> float:
        posts = self._posts.get(route.key)
        if not posts:
            return 0.0
        delay = 0.0
        for limit, window in ((route.per_minute, 60.0), (route.per_second, 1.0)):
            if not limit:
                continue
            recent = [t for t in posts if (now - t).total_seconds() < window]
            if len(recent) >= limit:
                # the oldest post of the full window must leave it
                oldest = recent[-limit]
                delay = max(delay, window - (now - oldest).total_seconds())
        return delay

    def wait(self, route: Route) -> None:
        """Wait until one more post to ``route`` keeps within its limits, then count it."""
        while True:
            now = self.clock.now()
            delay = self._delay(route, now)
            if delay <= 0:
                break
            self.waited += delay
            self.clock.sleep(delay)
        posts = self._posts.setdefault(route.key, deque())
        posts.append(self.clock.now())
        while len(posts) > 1 and (posts[-1] - posts[0]).total_seconds() >= 60.0:
            posts.popleft()

    def back_off(self, route: Route, attempt: int) -> None:
        """A rate-limited answer: wait a full window of the route's tightest limit, longer each time."""
        window = 60.0 if route.per_minute else 1.0
        seconds = window * attempt
        self.waited += seconds
        self.clock.sleep(seconds)
