"""Button presses; application.py registers each for its action's callback data.

A button's data names a paragraph and, for feedback, the question log's record (see
keyboards.py); the question it is about is the user's message the pressed reply answers.
Buttons that open something send it as a reply to that question, so that its own buttons
find the question again: nothing is kept in memory between updates. A question is searched
again without being logged: it was logged when it was asked.
"""

from __future__ import annotations

from telegram import CallbackQuery, Message, Update

from records import Decision, Paragraph, Vote
from service.replies import Reply
from service.snapshot import Snapshot

from . import keyboards, render
from .context import BotContext
from .keyboards import Pressed
from .questions import question_text, sender_of
from .sending import send, send_paragraph, send_statements


async def other_answers(update: Update, context: BotContext) -> None:
    """Search the question under the pressed answer again and list its other hits, each a
    tap away; a question the interview does not cover has none."""
    query, pressed = _pressed(update)
    texts = context.texts
    found = await _ask_again(query, context)
    if found is None:
        await query.answer(texts.stale)
        return
    asked, reply = found
    if reply.decision is Decision.NOT_COVERED:
        await query.answer(texts.not_covered_notice)
        return
    shown = keyboards.find_paragraph(pressed.ref, reply.snapshot)
    others = [hit for hit in reply.hits if shown is None or hit.paragraph.id != shown.id]
    if not others:
        await query.answer(texts.no_others)
        return
    await query.answer()
    chunks = render.other_answers(texts.others_title, reply.query, others, reply.snapshot, texts)
    markup = keyboards.choices_keyboard(others, reply.snapshot, texts)
    await send(asked, chunks, markup, quote=True)


async def earlier_statements(update: Update, context: BotContext) -> None:
    """Search the question under the pressed answer again and list what each interview
    said on it, oldest first, each a tap away."""
    query, _ = _pressed(update)
    found = await _ask_again(query, context)
    if found is None:
        await query.answer(context.texts.stale)
        return
    asked, reply = found
    await query.answer()
    await send_statements(asked, reply.query, reply.statements, reply.snapshot, context.texts)


async def show_paragraph(update: Update, context: BotContext) -> None:
    """Show the paragraph a button names as an answer to the question the button is under."""
    if opened := await _opened(update, context):
        query, _, paragraph, snapshot = opened
        await send_paragraph(_reply_target(query), paragraph, snapshot, context.texts)


async def show_topic(update: Update, context: BotContext) -> None:
    """Show an interviewer question's paragraph offered for a question the interview does
    not cover: under the offer, not the question, and with no other answers to it."""
    if opened := await _opened(update, context):
        query, _, paragraph, snapshot = opened
        await send_paragraph(
            _pressed_message(query), paragraph, snapshot, context.texts, others=False
        )


async def whole_answer(update: Update, context: BotContext) -> None:
    """Show every paragraph of the interview answer a button names, in order."""
    if opened := await _opened(update, context):
        query, _, paragraph, snapshot = opened
        texts = context.texts
        chunks = render.whole_answer(snapshot.corpus.answer(paragraph), snapshot, texts)
        markup = keyboards.whole_answer_keyboard(paragraph, texts)
        await send(_reply_target(query), chunks, markup, quote=True)


async def cite(update: Update, context: BotContext) -> None:
    """Send the paragraph as a quotation with its source, plain text to copy."""
    if opened := await _opened(update, context):
        query, _, paragraph, snapshot = opened
        await send(
            _pressed_message(query),
            render.quotation(paragraph, snapshot, context.texts),
            quote=True,
        )


async def cite_whole(update: Update, context: BotContext) -> None:
    """Send a whole interview answer as a quotation with its source, plain text to copy."""
    if opened := await _opened(update, context):
        query, _, paragraph, snapshot = opened
        chunks = render.quotation(paragraph, snapshot, context.texts, whole=True)
        await send(_pressed_message(query), chunks, quote=True)


async def vote_up(update: Update, context: BotContext) -> None:
    """👍: log it and thank the user."""
    query, pressed = _pressed(update)
    context.service.vote(pressed.record, Vote.UP)
    await query.answer(context.texts.thanks)


async def vote_down(update: Update, context: BotContext) -> None:
    """👎: log it, thank the user, and offer the other answers to the question; opening one
    of them tells the log it was the better answer."""
    query, pressed = _pressed(update)
    texts = context.texts
    context.service.vote(pressed.record, Vote.DOWN)
    await query.answer(texts.thanks)
    found = await _ask_again(query, context)
    if found is None or found[1].decision is Decision.NOT_COVERED:
        return
    asked, reply = found
    shown = {hit.paragraph.id for hit in reply.passages}
    others = [hit for hit in reply.hits if hit.paragraph.id not in shown]
    if others:
        snapshot = reply.snapshot
        chunks = render.other_answers(texts.downvoted, reply.query, others, snapshot, texts)
        markup = keyboards.choices_keyboard(others, snapshot, texts, pressed.record)
        await send(asked, chunks, markup, quote=True)


async def show_preferred(update: Update, context: BotContext) -> None:
    """A paragraph opened after 👎: log it as the better answer, and show it as an answer."""
    if opened := await _opened(update, context):
        query, pressed, paragraph, snapshot = opened
        context.service.prefer(pressed.record, paragraph.id)
        await send_paragraph(_reply_target(query), paragraph, snapshot, context.texts)


async def stale_button(update: Update, context: BotContext) -> None:
    """Answer a button whose data this bot does not understand with a short notice."""
    query = update.callback_query
    assert query is not None  # registered as a CallbackQueryHandler
    await query.answer(context.texts.stale)


HANDLERS = {
    keyboards.Action.OTHERS: other_answers,
    keyboards.Action.SHOW: show_paragraph,
    keyboards.Action.TOPIC: show_topic,
    keyboards.Action.WHOLE: whole_answer,
    keyboards.Action.CITE: cite,
    keyboards.Action.CITE_WHOLE: cite_whole,
    keyboards.Action.EARLIER: earlier_statements,
    keyboards.Action.UP: vote_up,
    keyboards.Action.DOWN: vote_down,
    keyboards.Action.PREFERRED: show_preferred,
}


def _pressed(update: Update) -> tuple[CallbackQuery, Pressed]:
    """The callback query and what its data says."""
    query = update.callback_query
    assert query is not None and query.data is not None  # registered with a data pattern
    pressed = keyboards.parse_callback(query.data)
    assert pressed is not None  # the handler's pattern let only well-formed data through
    return query, pressed


async def _opened(
    update: Update, context: BotContext
) -> tuple[CallbackQuery, Pressed, Paragraph, Snapshot] | None:
    """Answer the callback query; return it, what its data says, the paragraph its button
    names and the snapshot it belongs to; None (with a notice) if the paragraph or the
    message is gone."""
    query, pressed = _pressed(update)
    snapshot = context.service.snapshot
    paragraph = keyboards.find_paragraph(pressed.ref, snapshot)
    if paragraph is None or not isinstance(query.message, Message):
        await query.answer(context.texts.stale)
        return None
    await query.answer()
    return query, pressed, paragraph, snapshot


async def _ask_again(query: CallbackQuery, context: BotContext) -> tuple[Message, Reply] | None:
    """The user's question under the pressed message and the service's reply to it, or None
    when Telegram no longer shows the question or it cannot be searched."""
    asked = _asked(query)
    text = context.checked(question_text(asked)) if asked is not None else None
    if asked is None or text is None:
        return None
    return asked, await context.service.ask(text, client=sender_of(query.from_user))


def _asked(query: CallbackQuery) -> Message | None:
    """The user's question the pressed message replies to, if Telegram still shows it."""
    message = query.message
    if not isinstance(message, Message):  # too old: Telegram sends it as inaccessible
        return None
    asked = message.reply_to_message
    # Not one of the bot's own messages: a button's new message replies to the pressed one
    # when the question is gone, and an offered topic replies to the offer.
    if asked is None or (asked.from_user and asked.from_user.id == query.get_bot().id):
        return None
    return asked


def _pressed_message(query: CallbackQuery) -> Message:
    assert isinstance(query.message, Message)  # checked by _opened
    return query.message


def _reply_target(query: CallbackQuery) -> Message:
    """What a button's new message replies to: the question, else the pressed message."""
    return _asked(query) or _pressed_message(query)
