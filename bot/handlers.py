"""Update handlers, one a kind of update; application.py registers them with their filters.

Every reply is HTML (the application's Defaults set the parse mode) built by render.py.
Buttons send new messages as replies to the user's question, so that their own buttons can
find the question again from reply_to_message: nothing is kept in memory between updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence

from telegram import (
    CallbackQuery,
    InlineKeyboardMarkup,
    InlineQueryResultsButton,
    Message,
    ReplyKeyboardMarkup,
    Update,
)
from telegram.constants import ChatAction, ChatType
from telegram.error import TelegramError
from telegram.ext import ApplicationHandlerStop

from service.questions import QuestionError
from service.records import Paragraph
from service.replies import Reply
from service.snapshot import Snapshot

from . import keyboards, render
from .context import BotContext
from .guards import Verdict
from .questions import is_addressed, question_text
from .texts import Texts

log = logging.getLogger(__name__)

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
    verdict = shared.limit.check(sender) if sender is not None else Verdict.ALLOW
    if verdict is not Verdict.ALLOW:
        shared.stats.limited += 1
        await _slow_down(update, context, verdict)
        raise ApplicationHandlerStop


async def start(update: Update, context: BotContext) -> None:
    """Say what the bot knows and how to ask, with example questions to tap."""
    message = _message(update)
    documents = context.service.snapshot.documents
    # In a group the reply keyboard would pop up for everyone, and a tap sends no mention.
    private = message.chat.type == ChatType.PRIVATE
    markup = keyboards.examples_keyboard(context.texts) if private else None
    await _send(message, render.start(documents, context.bot.username, context.texts), markup)


async def help_command(update: Update, context: BotContext) -> None:
    """Explain how to ask, in private chats, groups and inline mode."""
    await _send(_message(update), render.help_text(context.bot.username, context.texts))


async def about(update: Update, context: BotContext) -> None:
    """List the sources: title, interviewee, date and link, as far as they are known."""
    documents = context.service.snapshot.documents
    await _send(_message(update), render.about(documents, context.texts))


async def question(update: Update, context: BotContext) -> None:
    """Answer a question with the closest paragraph, or offer the nearest interviewer questions."""
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
        reply = await service.ask(query)
    finally:
        # Awaited before replying, or "typing…" would linger after the reply; a failure is harmless.
        with contextlib.suppress(TelegramError):
            await typing
    await _send_reply(message, reply, context.texts)


async def not_text(update: Update, context: BotContext) -> None:
    """Ask for a question in words when a sticker, photo, voice, location or file arrives."""
    await _message(update).reply_text(render.notice(context.texts.not_text))


async def edited(update: Update, context: BotContext) -> None:
    """Ask for a new message rather than re-answering an edited one."""
    await _message(update).reply_text(render.notice(context.texts.edited))


async def unknown_command(update: Update, context: BotContext) -> None:
    """Point to /help when a private chat sends a command the bot does not have."""
    await _message(update).reply_text(render.notice(context.texts.unknown_command))


async def other_answers(update: Update, context: BotContext) -> None:
    """Re-run the question under the pressed answer and list its other hits, each a tap away."""
    query, shown = _pressed(update)
    asked = _asked(query)
    text = _searchable(question_text(asked), context) if asked else None
    if asked is None or text is None:
        await query.answer(context.texts.stale)
        return
    reply = await context.service.ask(text)
    others = [hit for hit in reply.hits if keyboards.paragraph_ref(hit.paragraph) != shown]
    if not others:
        await query.answer(context.texts.no_others)
        return
    await query.answer()
    chunks = render.other_answers(text, others, context.texts)
    await _send(asked, chunks, keyboards.numbered_keyboard(others), quote=True)


async def show_paragraph(update: Update, context: BotContext) -> None:
    """Show the paragraph a button names as an answer to the question the button is under."""
    if pressed := await _pressed_paragraph(update, context):
        paragraph, target, snapshot = pressed
        await _send_paragraph(target, paragraph, snapshot, context.texts)


async def whole_answer(update: Update, context: BotContext) -> None:
    """Show every paragraph of the interview answer a button names, in order."""
    if pressed := await _pressed_paragraph(update, context):
        paragraph, target, snapshot = pressed
        document = snapshot.document(paragraph.document)
        chunks = render.whole_answer(snapshot.whole_answer(paragraph), document, context.texts)
        await _send(target, chunks, quote=True)


async def stale_button(update: Update, context: BotContext) -> None:
    """Answer a button whose data this bot does not understand with a short notice."""
    query = update.callback_query
    assert query is not None  # registered as a CallbackQueryHandler
    await query.answer(context.texts.stale)


async def inline_query(update: Update, context: BotContext) -> None:
    """Offer the top hits as articles to post in any chat; a hint when the query is empty."""
    inline = update.inline_query
    assert inline is not None  # registered as an InlineQueryHandler
    text = _searchable(inline.query, context)
    if text is None:
        button = InlineQueryResultsButton(context.texts.inline_hint, start_parameter="help")
        await inline.answer([], cache_time=INLINE_CACHE_SECONDS, is_personal=True, button=button)
        return
    reply = await context.service.ask(text)
    results = [
        render.inline_article(hit, reply.snapshot.document(hit.paragraph.document), context.texts)
        for hit in reply.hits
    ]
    # Personal: the results' labels are in the asking user's language.
    await inline.answer(results, cache_time=INLINE_CACHE_SECONDS, is_personal=True)


async def reload_command(update: Update, context: BotContext) -> None:
    """Rebuild the index from the corpus and serve it (administrators only)."""
    message = _message(update)
    if not context.shared.is_admin(update):
        await message.reply_text(render.notice(context.texts.not_allowed))
        return
    user = update.effective_user
    log.info("reload requested by administrator %s", user.id if user else "?")
    await message.reply_text(render.notice(context.texts.reloading))
    error = await context.service.try_reload()
    if error is not None:
        await message.reply_text(render.reload_failed(error, context.texts))
        return
    await message.reply_text(render.reloaded(context.service.snapshot.manifest, context.texts))


async def stats_command(update: Update, context: BotContext) -> None:
    """Uptime, questions answered and refused, the index served, reloads (administrators only)."""
    message = _message(update)
    if not context.shared.is_admin(update):
        await message.reply_text(render.notice(context.texts.not_allowed))
        return
    service = context.service
    text = render.stats(
        service.stats, context.shared.stats, service.snapshot.manifest, context.texts
    )
    await message.reply_text(text)


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


async def _slow_down(update: Update, context: BotContext, verdict: Verdict) -> None:
    """Ask a user over the rate limit to wait; by message only the first time."""
    # A notice for every further message would be the very flood the limit stops. Queries
    # must be answered anyway (a button spins until then), and their answers are no messages.
    texts, limit = context.texts, context.shared.config.bot.questions_per_minute
    if update.callback_query is not None:
        await update.callback_query.answer(texts.slow_down.format(limit=limit))
    elif update.inline_query is not None:
        button = InlineQueryResultsButton(texts.slow_down_button, start_parameter="help")
        await update.inline_query.answer(
            [], cache_time=INLINE_CACHE_SECONDS, is_personal=True, button=button
        )
    elif update.effective_message is not None and verdict is Verdict.WARN:
        await update.effective_message.reply_text(render.slow_down(limit, texts))


def _pressed(update: Update) -> tuple[CallbackQuery, str]:
    """The callback query and the paragraph ref in its data."""
    query = update.callback_query
    assert query is not None and query.data is not None  # registered with a data pattern
    parsed = keyboards.parse_callback(query.data)
    assert parsed is not None  # the pattern matched an action
    return query, parsed[1]


async def _pressed_paragraph(
    update: Update, context: BotContext
) -> tuple[Paragraph, Message, Snapshot] | None:
    """Answer the callback query; return the paragraph its button names, the message to
    reply to and the snapshot they belong to, or None (with a notice) if either is gone."""
    query, ref = _pressed(update)
    snapshot = context.service.snapshot
    paragraph = keyboards.find_paragraph(ref, snapshot)
    target = _reply_target(query)
    if paragraph is None or target is None:
        await query.answer(context.texts.stale)
        return None
    await query.answer()
    return paragraph, target, snapshot


def _searchable(text: str, context: BotContext) -> str | None:
    """The question as the service cleans it, or None when it is empty or too long."""
    try:
        return context.service.check(text)
    except QuestionError:
        return None


def _asked(query: CallbackQuery) -> Message | None:
    """The user's question the pressed message replies to, if Telegram still shows it."""
    message = query.message
    if not isinstance(message, Message):  # too old: Telegram sends it as inaccessible
        return None
    asked = message.reply_to_message
    # Not one of the bot's own messages: a button's new message replies to the pressed one
    # when the question is gone.
    if asked is None or (asked.from_user and asked.from_user.id == query.get_bot().id):
        return None
    return asked


def _reply_target(query: CallbackQuery) -> Message | None:
    """What a button's new message replies to: the question, else the pressed message."""
    asked = _asked(query)
    if asked is not None:
        return asked
    return query.message if isinstance(query.message, Message) else None


async def _send_reply(to: Message, reply: Reply, texts: Texts) -> None:
    """The best paragraph with its buttons, or "no close answer" with the nearest questions."""
    best = reply.best
    if reply.answered and best is not None:
        await _send_paragraph(to, best.paragraph, reply.snapshot, texts, best.highlight)
        return
    nearest = reply.nearest_questions
    markup = keyboards.suggestions_keyboard(nearest) if nearest else None
    chunks = render.no_answer(reply.query, nearest, texts)
    await _send(to, chunks, markup, quote=True)


async def _send_paragraph(
    to: Message,
    paragraph: Paragraph,
    snapshot: Snapshot,
    texts: Texts,
    highlight: str | None = None,
) -> None:
    chunks = render.answer(paragraph, snapshot.document(paragraph.document), texts, highlight)
    await _send(to, chunks, keyboards.answer_keyboard(paragraph, texts), quote=True)


async def _send(
    to: Message,
    chunks: Sequence[str],
    markup: InlineKeyboardMarkup | ReplyKeyboardMarkup | None = None,
    *,
    quote: bool | None = None,
) -> None:
    """Send `chunks` in order as replies to `to`, with the keyboard under the last one.

    quote=None quotes `to` in groups only (PTB's default); answers always quote the question.
    """
    for number, chunk in enumerate(chunks, 1):
        last = number == len(chunks)
        await to.reply_text(chunk, reply_markup=markup if last else None, do_quote=quote)
