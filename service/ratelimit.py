"""A sliding-window rate limit, per user or client: the bot and the page each hold one."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable

WINDOW_SECONDS = 60.0


class SlidingWindow:
    """At most `per_minute` requests per key within any `window` seconds; 0 is no limit."""

    def __init__(
        self,
        per_minute: int,
        *,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self.window = window
        self.clock = clock
        self._keys: dict[Hashable, deque[float]] = {}
        self._swept = clock()

    def retry_after(self, key: Hashable) -> float | None:
        """Count a request from `key` and return None if the window has room; else the
        seconds until it has. Refused requests are not counted: a key gets through again a
        window after its last admitted request, however much it sends meanwhile."""
        if self.per_minute <= 0:
            return None
        now = self.clock()
        self._sweep(now)
        times = self._keys.setdefault(key, deque())
        while times and times[0] <= now - self.window:
            times.popleft()
        if len(times) < self.per_minute:
            times.append(now)
            return None
        return times[0] + self.window - now

    def __contains__(self, key: Hashable) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        """How many keys are remembered (those active within the last window or so)."""
        return len(self._keys)

    def _sweep(self, now: float) -> None:
        """Forget keys with nothing in the window, at most once a window, so that many
        passing users do not grow memory without bound."""
        if now - self._swept < self.window:
            return
        self._swept = now
        horizon = now - self.window
        stale = [k for k, times in self._keys.items() if not times or times[-1] <= horizon]
        for key in stale:
            del self._keys[key]
