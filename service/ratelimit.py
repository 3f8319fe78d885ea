"""A sliding-window rate limit, per user or client: the bot and the page each hold one."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

WINDOW_SECONDS = 60.0

T = TypeVar("T")


class Recent(Generic[T]):
    """Per key, what it did within the last `window` seconds, oldest first (`at` gives an
    item's time). Keys with nothing in the window are forgotten, at most once a window, so
    that many passing users do not grow memory without bound."""

    def __init__(self, window: float, clock: Callable[[], float], at: Callable[[T], float]) -> None:
        self.window = window
        self.clock = clock
        self._at = at
        self._keys: dict[Hashable, deque[T]] = {}
        self._swept = clock()

    def of(self, key: Hashable) -> tuple[deque[T], float]:
        """`key`'s items still within the window (the deque itself, to append to), and the
        time now."""
        now = self.clock()
        if now - self._swept >= self.window:
            self._swept = now
            horizon = now - self.window
            stale = [
                k for k, line in self._keys.items() if not line or self._at(line[-1]) <= horizon
            ]
            for stale_key in stale:
                del self._keys[stale_key]
        line = self._keys.setdefault(key, deque())
        while line and self._at(line[0]) <= now - self.window:
            line.popleft()
        return line, now

    def __contains__(self, key: Hashable) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        """How many keys are remembered (those active within the last window or so)."""
        return len(self._keys)


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
        self._recent: Recent[float] = Recent(window, clock, lambda t: t)

    def retry_after(self, key: Hashable) -> float | None:
        """Count a request from `key` and return None if the window has room; else the
        seconds until it has. Refused requests are not counted: a key gets through again a
        window after its last admitted request, however much it sends meanwhile."""
        if self.per_minute <= 0:
            return None
        times, now = self._recent.of(key)
        if len(times) < self.per_minute:
            times.append(now)
            return None
        return times[0] + self.window - now

    def __contains__(self, key: Hashable) -> bool:
        return key in self._recent

    def __len__(self) -> int:
        """How many keys are remembered (those active within the last window or so)."""
        return len(self._recent)
