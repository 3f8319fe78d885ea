"""What handlers share: the answer pipeline, the settings, the guards, the counters, the reload."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from interview_bot.settings import BotSettings, SearchSettings, Settings
from retrieval.pipeline import AnswerPipeline
from retrieval.search import Searcher

from .guards import Allowlist, RateLimit
from .texts import RUSSIAN, Texts, texts_for

_SHARED = "interview_bot"

# A Searcher on the corpus as it is now, made from the one serving (whose model it reuses);
# it raises, with a one-line message, when the corpus or the index cannot be used.
Reload = Callable[[Searcher], Awaitable[Searcher]]


@dataclass
class Stats:
    """Counters for /stats, since the process started."""

    started: float = field(default_factory=time.monotonic)
    answered: int = 0
    refused: int = 0  # searched, but no paragraph was close enough
    limited: int = 0  # updates dropped by the rate limit
    reloads: int = 0
    failed_reloads: int = 0

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started


@dataclass(frozen=True)
class Shared:
    pipeline: AnswerPipeline
    search: SearchSettings
    bot: BotSettings
    limit: RateLimit
    allowlist: Allowlist
    reload: Reload | None = None
    stats: Stats = field(default_factory=Stats)
    # One reload at a time: a second waits, then rebuilds from the corpus as it is then.
    reload_lock: asyncio.Lock = field(default_factory=asyncio.Lock)

    @classmethod
    def of(cls, pipeline: AnswerPipeline, settings: Settings, reload: Reload | None) -> Shared:
        """What the handlers share, as `settings` configure it."""
        bot = settings.bot
        limit, allowlist = RateLimit(bot.questions_per_minute), Allowlist(bot.allowed_chats)
        return cls(pipeline, settings.search, bot, limit, allowlist, reload)

    def is_admin(self, update: object) -> bool:
        user = update.effective_user if isinstance(update, Update) else None
        return user is not None and user.id in self.bot.admins


def share(application: Application[Any, Any, Any, Any, Any, Any], shared: Shared) -> None:
    """Make the pipeline, the settings and the guards available to every handler."""
    application.bot_data[_SHARED] = shared


def shared_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Shared:
    shared: Shared = application.bot_data[_SHARED]
    return shared


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    texts: Texts = RUSSIAN  # set per update from the user's Telegram language

    @classmethod
    def from_update(
        cls, update: object, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> BotContext:
        context = super().from_update(update, application)
        user = update.effective_user if isinstance(update, Update) else None
        context.texts = texts_for(user.language_code if user else None)
        return context

    @property
    def shared(self) -> Shared:
        return shared_of(self.application)

    @property
    def pipeline(self) -> AnswerPipeline:
        """Read `pipeline.searcher` afresh for each update: a hot reload may swap it."""
        return self.shared.pipeline

    @property
    def search(self) -> SearchSettings:
        return self.shared.search
