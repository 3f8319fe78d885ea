"""What handlers share: the answering service, the bot's settings, the guards, its counters."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from service.answering import AnswerService
from service.questions import QuestionError

from .guards import Allowlist, RateLimit
from .settings import BotConfig
from .texts import RUSSIAN, Texts, texts_for

_SHARED = "interview_bot"


@dataclass
class BotStats:
    """What only the bot counts, beside the service's counters."""

    limited: int = 0  # updates dropped by the rate limit


@dataclass(frozen=True)
class Shared:
    service: AnswerService
    config: BotConfig
    questions: RateLimit
    presses: RateLimit
    allowlist: Allowlist
    stats: BotStats = field(default_factory=BotStats)

    @classmethod
    def of(cls, service: AnswerService, config: BotConfig) -> Shared:
        """What the handlers share, as `config` configures it."""
        bot = config.bot
        return cls(
            service,
            config,
            questions=RateLimit(bot.questions_per_minute),
            presses=RateLimit(bot.presses_per_minute),
            allowlist=Allowlist(bot.allowed_chats),
        )

    def is_admin(self, update: object) -> bool:
        user = update.effective_user if isinstance(update, Update) else None
        return user is not None and user.id in self.config.bot.admins


def share(application: Application[Any, Any, Any, Any, Any, Any], shared: Shared) -> None:
    """Make the service, the settings and the guards available to every handler."""
    application.bot_data[_SHARED] = shared


def shared_of(application: Application[Any, Any, Any, Any, Any, Any]) -> Shared:
    shared: Shared = application.bot_data[_SHARED]
    return shared


class BotContext(CallbackContext[ExtBot[Any], dict[Any, Any], dict[Any, Any], dict[Any, Any]]):
    texts: Texts = RUSSIAN  # set per update from the user's Telegram language
    language: str | None = None  # that language code, for the question log

    @classmethod
    def from_update(
        cls, update: object, application: Application[Any, Any, Any, Any, Any, Any]
    ) -> BotContext:
        context = super().from_update(update, application)
        user = update.effective_user if isinstance(update, Update) else None
        context.language = user.language_code if user else None
        context.texts = texts_for(context.language)
        return context

    @property
    def shared(self) -> Shared:
        return shared_of(self.application)

    @property
    def service(self) -> AnswerService:
        return self.shared.service

    def checked(self, text: str) -> str | None:
        """The question as the service cleans it, or None when it is empty or too long."""
        try:
            return self.service.check(text)
        except QuestionError:
            return None
