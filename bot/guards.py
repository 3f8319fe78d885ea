"""Who may use the bot, and how often: the chat allowlist and the per-user rate limit.

Both keep their state in memory only, and only as much as they need: the rate limit the
times of each user's updates within the last minute, the allowlist the ids of the chats
it has told once that the bot is private. Nothing survives a restart.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field
from enum import Enum

WINDOW_SECONDS = 60.0
# Past this many remembered refusals the set starts afresh: a chat may then be told twice,
# but a flood of new chats cannot grow memory without bound.
MAX_REMEMBERED_CHATS = 10_000


class Verdict(Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first update over the limit: tell the user, once
    DROP = "drop"  # further ones: say nothing, or the warnings would be the spam


@dataclass
class _Recent:
    times: deque[float] = field(default_factory=deque)
    warned: bool = False


class RateLimit:
    """A sliding window of `per_minute` updates per user; 0 lets everything through."""

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
        self._users: dict[Hashable, _Recent] = {}
        self._swept = clock()

    def check(self, user: Hashable) -> Verdict:
        """Count an update from `user` if the window has room; else WARN once, then DROP."""
        if self.per_minute <= 0:
            return Verdict.ALLOW
        now = self.clock()
        self._sweep(now)
        recent = self._users.setdefault(user, _Recent())
        while recent.times and recent.times[0] <= now - self.window:
            recent.times.popleft()
        if len(recent.times) < self.per_minute:
            recent.times.append(now)
            recent.warned = False
            return Verdict.ALLOW
        # Refused updates are not counted: the user gets answers again a minute after the
        # last one that was answered, however much they send meanwhile.
        if recent.warned:
            return Verdict.DROP
        recent.warned = True
        return Verdict.WARN

    def __len__(self) -> int:
        """How many users are remembered (those active within the last window or so)."""
        return len(self._users)

    def _sweep(self, now: float) -> None:
        """Forget users with nothing in the window, at most once a window."""
        if now - self._swept < self.window:
            return
        self._swept = now
        horizon = now - self.window
        stale = [u for u, r in self._users.items() if not r.times or r.times[-1] <= horizon]
        for user in stale:
            del self._users[user]


class Allowlist:
    """The chat ids the bot answers in; an empty list answers everyone."""

    def __init__(self, chats: Iterable[int]) -> None:
        self.chats = frozenset(chats)
        self._told: set[int] = set()

    def permits(self, chat_id: int | None, user_id: int | None) -> bool:
        if not self.chats:
            return True
        # An inline query comes from no chat: the user's private chat (same id) stands for it.
        return (chat_id if chat_id is not None else user_id) in self.chats

    def first_refusal(self, chat_id: int) -> bool:
        """Whether this is the first refusal for the chat since start: only that one is told."""
        if chat_id in self._told:
            return False
        if len(self._told) >= MAX_REMEMBERED_CHATS:
            self._told.clear()
        self._told.add(chat_id)
        return True
