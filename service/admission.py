"""A per-client budget in encoder time: what a question costs the service, not how many.

A normal question takes a few tens of milliseconds of encoder time; one of the longest the
service accepts takes ten times as much. Counting requests lets a client that sends heavy
questions take the encoder from everyone else while staying under its count. So each
client may use `seconds_per_minute` of encoder time within any minute: CPU seconds, as
the encoder queue measures them (service/batching.py).

A question is admitted while the client's spending in the last minute is under the
budget, and reserves its estimated cost at once (so that many questions sent together
cannot all pass before the first is measured); when it has been answered, the reservation
becomes the measured cost. Feedback and other requests that cost no encoder time are
charged a small fixed cost, so that the same budget bounds them too.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Hashable

from .ratelimit import WINDOW_SECONDS, Recent


class OverBudget(Exception):
    """The client has used its encoder time for this minute: wait `retry_after` seconds."""

    def __init__(self, retry_after: int, seconds_per_minute: float) -> None:
        super().__init__(
            f"too much encoder time: at most {seconds_per_minute:g} s a minute per client"
        )
        self.retry_after = retry_after


class _Spent:
    __slots__ = ("at", "seconds")

    def __init__(self, at: float, seconds: float) -> None:
        self.at = at
        self.seconds = seconds


class Charge:
    """A reservation against a client's budget, settled once the cost is known."""

    def __init__(self, spent: _Spent | None) -> None:
        self._spent = spent

    def settle(self, seconds: float) -> None:
        """Replace the estimate with what the question measured."""
        if self._spent is not None:
            self._spent.seconds = max(0.0, seconds)

    def cancel(self) -> None:
        """Nothing was spent after all (the question was refused before the encoder)."""
        self.settle(0.0)


class EncoderBudget:
    """At most `seconds_per_minute` of encoder time per key within any `window` seconds;
    0 is no limit."""

    def __init__(
        self,
        seconds_per_minute: float,
        *,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.seconds_per_minute = seconds_per_minute
        self.window = window
        self._recent: Recent[_Spent] = Recent(window, clock, lambda s: s.at)

    def admit(self, key: Hashable, estimate: float) -> Charge:
        """Reserve `estimate` seconds for `key`, or raise OverBudget with the seconds until
        enough of its spending has left the window."""
        if self.seconds_per_minute <= 0:
            return Charge(None)
        spent, now = self._recent.of(key)
        total = sum(s.seconds for s in spent)
        if total >= self.seconds_per_minute:
            raise OverBudget(self._retry_after(spent, total, now), self.seconds_per_minute)
        entry = _Spent(now, max(0.0, estimate))
        spent.append(entry)
        return Charge(entry)

    def __len__(self) -> int:
        """How many clients are remembered (those active within the last window or so)."""
        return len(self._recent)

    def _retry_after(self, spent: deque[_Spent], total: float, now: float) -> int:
        for entry in spent:
            total -= entry.seconds
            if total < self.seconds_per_minute:
                return max(1, math.ceil(entry.at + self.window - now))
        return max(1, math.ceil(self.window))
