"""The context handlers receive: the answer pipeline, the search settings and the UI texts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from telegram import Update
from telegram.ext import Application, CallbackContext, ExtBot

from interview_bot.settings import SearchSettings
from retrieval.pipeline import AnswerPipeline

from .texts import RUSSIAN, Texts, texts_for

_SHARED = "interview_bot"


@dataclass(frozen=True)
class Shared:
    pipeline: AnswerPipeline
    search: SearchSettings


def share(application: Application[Any, Any, Any, Any, Any, Any], shared: Shared) -> None:
    """Make the pipeline and the search settings available to every handler."""
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
    def pipeline(self) -> AnswerPipeline:
        """Read `pipeline.searcher` afresh for each update: a hot reload may swap it."""
        return shared_of(self.application).pipeline

    @property
    def search(self) -> SearchSettings:
        return shared_of(self.application).search
