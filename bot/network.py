"""Talking to the Bot API through faults: retries for transient failures, and getUpdates that
survives an update it cannot parse.

Every Bot API call but getUpdates goes through the application's rate limiter, so the
retries live there. getUpdates is left to PTB's polling loop, which retries it forever.
"""

from __future__ import annotations

import asyncio
import logging
import math
from collections.abc import Callable, Coroutine
from typing import Any

from telegram import Update
from telegram.constants import FloodLimit
from telegram.error import BadRequest, NetworkError
from telegram.ext import AIORateLimiter
from telegram.request import HTTPXRequest

log = logging.getLogger(__name__)

RETRIES = 3
FIRST_DELAY = 0.2  # seconds; doubled after each failure
MAX_DELAY = 2.0

# Cosmetic calls are worth making only at once: a late "typing…" is noise. They are not
# retried, and are skipped while replies queue up for the flood limit, where they would
# take a reply's place.
_COSMETIC = frozenset({"sendChatAction"})
# Answering a query twice fails with "query is too old": when a retry gets that, the
# attempt that seemed to fail did reach Telegram.
_QUERY_ANSWERS = frozenset({"answerCallbackQuery", "answerInlineQuery"})
_ANSWERED_ALREADY = ("query is too old", "query id is invalid")

JSONDict = dict[str, Any]
Result = bool | JSONDict | list[JSONDict]


# A retry may send a message twice. After a refused connection it cannot; but when the
# connection drops, the answer times out or a 5xx comes back, Telegram may have taken the
# request all the same, nothing tells us, and the Bot API has no idempotency key. We accept
# that rare duplicate: a second copy of an answer is harmless, while a lost one leaves the
# user waiting for nothing. Answers to queries cannot duplicate (see _QUERY_ANSWERS), and
# "typing…" is never retried.
class RetryingRateLimiter(AIORateLimiter):
    """PTB's flood-limit throttle (it waits out 429s) that also retries 5xx, resets, timeouts."""

    def __init__(
        self,
        *,
        retries: int = RETRIES,
        first_delay: float = FIRST_DELAY,
        max_delay: float = MAX_DELAY,
        **options: Any,
    ) -> None:
        super().__init__(**options)
        self.retries = retries
        self.first_delay = first_delay
        self.max_delay = max_delay
        # As many requests in flight as the flood limit lets through in a second: more queue.
        self._busy_at = options.get("overall_max_rate", FloodLimit.MESSAGES_PER_SECOND) or math.inf
        self._in_flight = 0

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, Result]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> Result:
        request = (callback, args, kwargs, endpoint, data, rate_limit_args)
        if endpoint in _COSMETIC:
            if self._in_flight >= self._busy_at:
                return True
            return await self._attempt(*request)
        delay = self.first_delay
        for attempt in range(self.retries + 1):
            try:
                return await self._attempt(*request)
            except BadRequest as error:  # a NetworkError too, but retrying cannot fix it
                if attempt and endpoint in _QUERY_ANSWERS and _answered_already(error):
                    return True
                raise
            except NetworkError as error:  # 5xx, dropped connections, timeouts (TimedOut)
                if attempt == self.retries:
                    log.warning("%s failed %d times, giving up: %s", endpoint, attempt + 1, error)
                    raise
                log.info("%s failed (%s), retry %d in %.1fs", endpoint, error, attempt + 1, delay)
                # No jitter: the flood-limit throttle spreads the retries of many requests.
                await asyncio.sleep(delay)
                delay = min(2 * delay, self.max_delay)
        raise AssertionError("unreachable: the last attempt returns or raises")

    async def _attempt(self, *request: Any) -> Result:
        self._in_flight += 1
        try:
            return await super().process_request(*request)
        finally:
            self._in_flight -= 1


def _answered_already(error: BadRequest) -> bool:
    return any(text in error.message.lower() for text in _ANSWERED_ALREADY)


class UpdatesRequest(HTTPXRequest):
    """getUpdates' HTTP client: an update PTB cannot parse is logged and passed on empty."""

    # PTB parses a batch of updates as a whole: one it cannot parse fails the batch, which
    # is then fetched again, and fails again, forever. Emptied (its update_id kept), the
    # update matches no handler and the next poll's offset confirms it.

    @staticmethod
    def parse_json_payload(payload: bytes) -> JSONDict:
        data = HTTPXRequest.parse_json_payload(payload)
        updates = data.get("result")
        if isinstance(updates, list):
            data["result"] = [u for u in map(_parseable, updates) if u is not None]
        return data


def _parseable(update: Any) -> Any:
    """The update, or just its id when PTB cannot parse it (None when it has no id)."""
    try:
        message = Update.de_json(update, None).effective_message
        # PTB lets this required field go missing, but nothing could answer such a message.
        if message is not None and message.chat is None:
            raise ValueError("a message without a chat")
    except Exception as error:
        update_id = update.get("update_id") if isinstance(update, dict) else None
        if not isinstance(update_id, int):
            log.warning("skipped an update without an id: %s", _first_line(error))
            return None
        log.warning("skipped update %d, which cannot be parsed: %s", update_id, _first_line(error))
        return {"update_id": update_id}
    return update


def _first_line(error: BaseException) -> str:
    return f"{type(error).__name__}: {(str(error).splitlines() or [''])[0]}"
