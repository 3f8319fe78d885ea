"""Who may use the bot, and how often: the chat allowlist and the per-user rate limits.

Both keep their state in memory only, and only as much as they need: a rate limit the
times of each user's updates within the last minute, the allowlist the ids of the chats
it has told once that the bot is private. Nothing survives a restart.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Hashable, Iterable
from enum import Enum

from service.ratelimit import WINDOW_SECONDS, SlidingWindow

# Past this many remembered refusals the set starts afresh: a chat may then be told twice,
# but a flood of new chats cannot grow memory without bound.
MAX_REMEMBERED_CHATS = 10_000


class Admission(Enum):
    ALLOW = "allow"
    WARN = "warn"  # the first update over the limit: tell the user, once
    DROP = "drop"  # further ones: say nothing, or the warnings would be the spam


class RateLimit:
    """`per_minute` updates per user in a sliding window (0: no limit); over it, WARN once,
    then DROP, each with the seconds until the user is let through again."""

    def __init__(
        self,
        per_minute: int,
        *,
        window: float = WINDOW_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.per_minute = per_minute
        self._window = SlidingWindow(per_minute, window=window, clock=clock)
        self._warned: set[Hashable] = set()

    def check(self, user: Hashable) -> tuple[Admission, float]:
        """Count an update from `user` if the window has room (ALLOW, 0); else WARN once,
        then DROP, with the seconds until the window has room again."""
        wait = self._window.retry_after(user)
        if wait is None:
            self._warned.discard(user)
            return Admission.ALLOW, 0.0
        if user in self._warned:
            return Admission.DROP, wait
        if len(self._warned) >= len(self._window):
            # Users the window has forgotten need no reminder that they were warned.
            self._warned = {u for u in self._warned if u in self._window}
        self._warned.add(user)
        return Admission.WARN, wait

    def __len__(self) -> int:
        """How many users are remembered (those active within the last window or so)."""
        return len(self._window)


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
