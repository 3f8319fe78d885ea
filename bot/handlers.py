"""Update handlers for messages, commands, inline queries and errors (buttons.py has the
button presses); application.py registers them with their filters.

Every reply is HTML (the application's Defaults set the parse mode) built by render.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math

from telegram import InlineQueryResultsButton, Message, Update
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from records import FrontEnd
from service.answering import AnswerService
from service.questions import QuestionError

from . import keyboards, render
from .context import BotContext
from .guards import Admission
from .questions import is_addressed, question_text, sender_of
from .sending import send, send_reply, send_statements
from .texts import Texts

log = logging.getLogger(__name__)

# /report covers this many days; `interview-bot report --since` any number.
REPORT_DAYS = 7

# Short, so that a reloaded index shows up in inline results soon.
INLINE_CACHE_SECONDS = 10


async def guard(update: Update, context: BotContext) -> None:
    """Stop updates from chats off the allowlist and from users over the rate limit."""
    # Registered in group -1, so it runs before every other handler. Administrators pass.
    shared = context.shared
    if shared.is_admin(update):
        return
    chat, user = update.effective_chat, update.effective_user
    if not shared.allowlist.permits(chat.id if chat else None, user.id if user else None):
        await _refuse(update, context)
        raise ApplicationHandlerStop
    # Only updates the bot would act on count: not a group's talk among its members.
    message = update.message or update.edited_message
    if message is not None and not is_addressed(message):
        return
    sender = user.id if user else chat.id if chat else None
    if sender is None:
        return
    # Presses and questions are counted apart: pressing Other, Whole and Cite after each
    # answer must not use up the questions.
    limit = shared.presses if update.callback_query is not None else shared.questions
    admission, wait = limit.check(sender)
    if admission is not Admission.ALLOW:
        shared.stats.limited += 1
        await _slow_down(update, context, admission, limit.per_minute, math.ceil(wait))
        raise ApplicationHandlerStop


async def start(update: Update, context: BotContext) -> None:
    """Say what the bot knows and how to ask, with example questions to tap."""
    message = _message(update)
    documents = context.service.snapshot.corpus.documents
    # In a group the reply keyboard would pop up for everyone, and a tap sends no mention.
    private = message.chat.type == ChatType.PRIVATE
    markup = keyboards.examples_keyboard(context.texts) if private else None
    await send(message, render.start(documents, context.bot.username, context.texts), markup)


async def help_command(update: Update, context: BotContext) -> None:
    """Explain how to ask, in private chats, groups and inline mode."""
    await send(_message(update), render.help_text(context.bot.username, context.texts))


async def about(update: Update, context: BotContext) -> None:
    """List the sources, newest first: title, interviewee, date and link, as far as they
    are known, and how many paragraphs each has."""
    await send(_message(update), render.about(context.service.snapshot, context.texts))


async def question(update: Update, context: BotContext) -> None:
    """Reply to a question as the service decides (see sending.send_reply), logged with the
    user's language for feedback."""
    message = _message(update)
    service = context.service
    try:
        query = service.check(question_text(message))
    except QuestionError as error:
        limit = service.settings.search.max_query_chars
        await message.reply_text(render.query_error(error, limit, context.texts))
        return
    typing = asyncio.create_task(context.bot.send_chat_action(message.chat_id, ChatAction.TYPING))
    try:
        reply = await service.ask(
            query,
            front_end=FrontEnd.BOT,
            language=context.language,
            client=sender_of(update.effective_user),
        )
    finally:
        # Awaited before replying, or "typing…" would linger after the reply; a failure is harmless.
        with contextlib.suppress(TelegramError):
            await typing
    await send_reply(message, reply, context.texts)


async def timeline_command(update: Update, context: BotContext) -> None:
    """`/timeline QUESTION`: what each interview said on it, oldest first."""
    message = _message(update)
    texts = context.texts
    text = " ".join(context.args or [])
    if not text.strip():
        await message.reply_text(render.notice(texts.timeline_usage))
        return
    service = context.service
    try:
        query = service.check(text)
    except QuestionError as error:
        limit = service.settings.search.max_query_chars
        await message.reply_text(render.query_error(error, limit, texts))
        return
    with contextlib.suppress(TelegramError):  # "typing…" is a courtesy
        await context.bot.send_chat_action(message.chat_id, ChatAction.TYPING)
    found = await service.ask_timeline(query)
    await send_statements(message, query, found.statements, service.snapshot, texts)


async def not_text(update: Update, context: BotContext) -> None:
    """Ask for a question in words when a sticker, photo, voice, location or file arrives."""
    await _message(update).reply_text(render.notice(context.texts.not_text))


async def edited(update: Update, context: BotContext) -> None:
    """Ask for a new message rather than re-answering an edited one."""
    await _message(update).reply_text(render.notice(context.texts.edited))


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point to /help when a private chat sends a command the bot does not have."""
    await _message(update).reply_text(render.notice(context.texts.unknown_command))


async def inline_query(update: Update, context: BotContext) -> None:
    """Offer the answer, or the closest passages marked as such, as articles to post in any
    chat; for a question the interview does not cover, no articles but a button saying so;
    a hint when the query is empty."""
    inline = update.inline_query
    assert inline is not None  # registered as an InlineQueryHandler
    texts = context.texts
    text = context.checked(inline.query)
    # Not logged: Telegram sends a query at every pause in typing; what is logged is the
    # result the user posts (chosen_inline_result).
    reply = (
        await context.service.ask(text, client=sender_of(update.effective_user))
        if text is not None
        else None
    )
    results = render.inline_results(reply, texts) if reply is not None else []
    # Results are always personal: their labels are in the asking user's language.
    if results:
        await inline.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=True)
        return
    searched = reply is not None and (reply.reason is None or reply.reason.searched)
    # Nothing to post: say the interview does not answer it, or (for nothing, small talk
    # or a question about the source) how to ask.
    hint = texts.inline_not_covered if searched else texts.inline_hint
    button = InlineQueryResultsButton(hint, start_parameter="help")
    await inline.answer([], cache_time=INLINE_CACHE_SECONDS, is_personal=True, button=button)


async def chosen_inline_result(update: Update, context: BotContext) -> None:
    """Log the question behind an inline result a user posted, as its reply had it."""
    chosen = update.chosen_inline_result
    assert chosen is not None  # registered as a ChosenInlineResultHandler
    if (text := context.checked(chosen.query)) is not None:
        await context.service.ask(text, front_end=FrontEnd.INLINE, language=context.language)


async def reload_command(update: Update, context: BotContext) -> None:
    """Rebuild the index from the corpus and serve it (administrators only); on a read-only
    replica, serve the build published last."""
    message = _message(update)
    if not context.shared.is_admin(update):
        await message.reply_text(render.notice(context.texts.not_allowed))
        return
    user = update.effective_user
    log.info("reload requested by administrator %s", user.id if user else "?")
    texts = context.texts
    replica = context.service.settings.index.read_only
    await message.reply_text(
        render.notice(texts.reloading_published if replica else texts.reloading)
    )
    error = await context.service.try_reload()
    if error is not None:
        await message.reply_text(render.reload_failed(error, context.texts))
        return
    await message.reply_text(render.reloaded(context.service.snapshot, context.texts))


async def stats_command(update: Update, context: BotContext) -> None:
    """Uptime, questions answered and refused, the index served, reloads (administrators only)."""
    message = _message(update)
    if not context.shared.is_admin(update):
        await message.reply_text(render.notice(context.texts.not_allowed))
        return
    service = context.service
    text = render.stats(service.stats, context.shared.stats, service.snapshot, context.texts)
    await message.reply_text(f"{text}\n{render.notice(log_line(service, context.texts))}")


def log_line(service: AnswerService, texts: Texts) -> str:
    """The question log's state and counters: what it wrote, and what it lost and how."""
    stats = service.log_stats()
    return texts.stats_log.format(
        state=dict(texts.log_states).get(stats.state, stats.state),
        written=stats.written,
        dropped=stats.dropped,
        failed=stats.failed,
        queued=stats.queued,
    )


async def report_command(update: Update, context: BotContext) -> None:
    """The question log's report on the last 7 days, short (administrators only)."""
    message = _message(update)
    if not context.shared.is_admin(update):
        await message.reply_text(render.notice(context.texts.not_allowed))
        return
    try:
        summary = await asyncio.to_thread(context.service.report, REPORT_DAYS)
    except Exception as error:  # the log is off, or its database is down: say which
        log.warning("report failed: %s", error)
        await message.reply_text(render.notice(context.texts.report_failed.format(error=error)))
        return
    await message.reply_text(render.report(summary, REPORT_DAYS, context.texts))


async def on_error(update: object, context: BotContext) -> None:
    """Log the update id and the error, and tell the user when there is a chat to tell."""
    if not isinstance(update, Update):
        # Polling and network errors: PTB retries them, a line is enough.
        log.error("error outside an update: %s", context.error)
        return
    log.error("update %d failed: %s", update.update_id, context.error, exc_info=context.error)
    if update.effective_message is not None:
        with contextlib.suppress(TelegramError):
            await update.effective_message.reply_text(render.notice(context.texts.error))


def _message(update: Update) -> Message:
    message = update.effective_message
    assert message is not None  # the handler's filters let only messages through
    return message


async def _refuse(update: Update, context: BotContext) -> None:
    """Tell a chat off the allowlist, once, that the bot is private; queries get no results."""
    texts = context.texts
    if update.callback_query is not None:
        await update.callback_query.answer(texts.private_bot)  # or its button spins on
    elif update.inline_query is not None:
        await update.inline_query.answer([], cache_time=INLINE_CACHE_SECONDS, is_personal=True)
    elif (
        (message := update.message) is not None
        and is_addressed(message)
        and context.shared.allowlist.first_refusal(message.chat_id)
    ):
        # Logged so that the operator can add the chat, if it should be allowed.
        log.info("chat %d is not in bot.allowed_chats: told it is private", message.chat_id)
        await message.reply_text(render.notice(texts.private_bot))


async def _slow_down(
    update: Update, context: BotContext, admission: Admission, limit: int, seconds: int
) -> None:
    """Ask a user over a rate limit to wait, saying for how long; by message only the first
    time."""
    # A notice for every further message would be the very flood the limit stops. Queries
    # must be answered anyway (a button spins until then), and their answers are no messages.
    texts = context.texts
    if update.callback_query is not None:
        await update.callback_query.answer(
            texts.slow_down_presses.format(limit=limit, seconds=seconds)
        )
    elif update.inline_query is not None:
        button = InlineQueryResultsButton(texts.slow_down_button, start_parameter="help")
        await update.inline_query.answer(
            [], cache_time=INLINE_CACHE_SECONDS, is_personal=True, button=button
        )
    elif update.effective_message is not None and admission is Admission.WARN:
        await update.effective_message.reply_text(render.slow_down(limit, seconds, texts))
