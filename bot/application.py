"""The Telegram application: built in one place, run with long polling or a webhook."""

from __future__ import annotations

import contextlib
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from telegram import LinkPreviewOptions, Update
from telegram.constants import ParseMode
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ChosenInlineResultHandler,
    CommandHandler,
    ContextTypes,
    Defaults,
    InlineQueryHandler,
    MessageHandler,
    TypeHandler,
    filters,
)

from service.answering import AnswerService

from . import buttons, handlers, uploads
from .context import BotContext, Shared, share
from .keyboards import matcher
from .network import RetryingRateLimiter, UpdatesRequest
from .questions import ADDRESSED
from .settings import BotConfig
from .texts import LANGUAGES

BotApplication = Application[Any, BotContext, Any, Any, Any, Any]

# Only what the handlers use: Telegram then sends nothing else.
ALLOWED_UPDATES = [
    Update.MESSAGE,
    Update.EDITED_MESSAGE,
    Update.CALLBACK_QUERY,
    Update.INLINE_QUERY,
    # Only with @BotFather's /setinlinefeedback: the inline results users post, to log them.
    Update.CHOSEN_INLINE_RESULT,
]
# Telegram's 429 answers carry retry_after; the rate limiter waits and retries that often.
MAX_RETRIES = 3
# Seconds to wait for the Bot API's answer to a call (PTB's default); a call that times out
# is retried (bot/network.py).
READ_TIMEOUT = 5.0
# What Telegram accepts as a webhook's secret_token.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


@dataclass(frozen=True)
class Webhook:
    url: str  # the public HTTPS URL Telegram posts updates to
    secret: str  # Telegram sends it in a header; a request without it gets 403
    listen: str
    port: int

    def __post_init__(self) -> None:
        # Without a secret anyone who finds the URL could post updates as Telegram.
        if not _SECRET.fullmatch(self.secret):
            raise ValueError("the webhook secret must be 1-256 characters: A-Z, a-z, 0-9, _ and -")

    def options(self) -> dict[str, Any]:
        """The arguments of run_webhook() and Updater.start_webhook()."""
        return {
            "listen": self.listen,
            "port": self.port,
            # The local server answers on the URL's path, as a reverse proxy passes it on.
            "url_path": urlsplit(self.url).path.strip("/"),
            "webhook_url": self.url,
            "secret_token": self.secret,
            "allowed_updates": ALLOWED_UPDATES,
        }


def build_application(service: AnswerService, config: BotConfig) -> BotApplication:
    """The bot with its handlers, answering through `service`, talking to the Bot API at
    config.telegram.base_url."""
    telegram = config.telegram
    if not telegram.token:
        raise ValueError("no bot token: set TELEGRAM_BOT_TOKEN")
    application = (
        Application.builder()
        .token(telegram.token)
        .base_url(telegram.base_url)
        # Bot API servers serve files under /file/bot<token> beside /bot<token>.
        .base_file_url(telegram.base_url.removesuffix("/bot") + "/file/bot")
        .rate_limiter(RetryingRateLimiter(max_retries=MAX_RETRIES))
        .read_timeout(READ_TIMEOUT)
        .get_updates_request(UpdatesRequest())
        # Questions that arrive together are batched by the pipeline: let them overlap.
        .concurrent_updates(True)
        .defaults(
            Defaults(
                parse_mode=ParseMode.HTML,
                # A preview of the source's web page would push the answer off the screen.
                link_preview_options=LinkPreviewOptions(is_disabled=True),
            )
        )
        .context_types(ContextTypes(context=BotContext))
        .build()
    )
    share(application, Shared.of(service, config))
    _add_handlers(application)
    return application


def _add_handlers(application: BotApplication) -> None:
    # Group -1 runs first: the allowlist and the rate limit stop updates before any answer.
    application.add_handler(TypeHandler(Update, handlers.guard), group=-1)
    uploads.add_handlers(application)
    message = filters.UpdateType.MESSAGE
    commands = [
        ("start", handlers.start),
        ("help", handlers.help_command),
        ("about", handlers.about),
        ("timeline", handlers.timeline_command),
        ("stats", handlers.stats_command),
        ("report", handlers.report_command),
        ("reload", handlers.reload_command),
    ]
    for command, callback in commands:
        application.add_handler(CommandHandler(command, callback, filters=message))
    application.add_handlers(
        [
            MessageHandler(
                message & filters.TEXT & ~filters.COMMAND & ADDRESSED, handlers.question
            ),
            MessageHandler(message & filters.ATTACHMENT & ADDRESSED, handlers.not_text),
            MessageHandler(filters.UpdateType.EDITED_MESSAGE & ADDRESSED, handlers.edited),
            MessageHandler(
                message & filters.COMMAND & filters.ChatType.PRIVATE, handlers.unknown_command
            ),
            *(
                CallbackQueryHandler(callback, pattern=matcher(action))
                for action, callback in buttons.HANDLERS.items()
            ),
            CallbackQueryHandler(buttons.stale_button),
            InlineQueryHandler(handlers.inline_query),
            ChosenInlineResultHandler(handlers.chosen_inline_result),
        ]
    )
    application.add_error_handler(handlers.on_error)


async def _set_commands(application: BotApplication) -> None:
    for texts in LANGUAGES:
        await application.bot.set_my_commands(texts.commands, language_code=texts.language_code)


@contextlib.asynccontextmanager
async def serving_bot(
    application: BotApplication, webhook: Webhook | None = None, poll_timeout: float = 10
) -> AsyncIterator[BotApplication]:
    """Receive updates by long polling, or on the webhook when one is given, until the
    context ends; run_polling() does the same but wants the event loop to itself."""
    async with application:
        await _set_commands(application)
        if webhook is None:

            def polling_failed(error: TelegramError) -> None:
                # To the error handlers, as run_polling() does: PTB alone would only log it.
                application.create_task(application.process_error(update=None, error=error))

            await application.updater.start_polling(  # type: ignore[union-attr]
                timeout=int(poll_timeout),
                allowed_updates=ALLOWED_UPDATES,
                error_callback=polling_failed,
            )
        else:
            await application.updater.start_webhook(**webhook.options())  # type: ignore[union-attr]
        try:
            await application.start()
            yield application
        finally:
            await application.updater.stop()  # type: ignore[union-attr]
            if application.running:
                await application.stop()
