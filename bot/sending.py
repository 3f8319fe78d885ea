"""Sending the bot's messages: a reply as its decision says, a paragraph, any text.

One decision, one behaviour: answered shows the paragraph; uncertain the closest passages
under a caveat; not covered says so and offers the nearest interviewer questions, which open
as paragraphs of the interview, never as answers to the user's question. What was not a
question to search (nothing, small talk, the source itself) gets help, a friendly word or
what is known of the source, and never a paragraph.
"""

from __future__ import annotations

from collections.abc import Sequence

from telegram import InlineKeyboardMarkup, Message, ReplyKeyboardMarkup

from records import Decision, Paragraph, Statement
from service.replies import Reply
from service.snapshot import Snapshot

from . import keyboards, render
from .texts import Texts


async def send(
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


async def send_reply(to: Message, reply: Reply, texts: Texts) -> None:
    """The reply to the question `to`, as its decision says."""
    snapshot = reply.snapshot
    markup: InlineKeyboardMarkup | None
    if reply.reason is not None and not reply.reason.searched:
        chunks, markup = render.not_a_question(reply, texts), None
    elif reply.decision is Decision.ANSWERED and reply.passages:
        best = reply.passages[0]
        found = reply.statements
        chunks = render.paragraph(best.paragraph, snapshot, texts, best.highlight, found)
        earlier = render.newest(best.paragraph, found)
        markup = keyboards.answer_keyboard(best.paragraph, texts, reply.record_id, earlier=earlier)
    elif reply.decision is Decision.UNCERTAIN and reply.passages:
        chunks = render.uncertain(reply, texts)
        markup = keyboards.passages_keyboard(reply, texts)
    else:
        chunks = render.not_covered(reply, texts)
        nearest = reply.nearest_questions
        markup = keyboards.topics_keyboard(nearest, snapshot, texts) if nearest else None
    await send(to, chunks, markup, quote=True)


async def send_paragraph(
    to: Message, paragraph: Paragraph, snapshot: Snapshot, texts: Texts, *, others: bool = True
) -> None:
    """A paragraph a button opened; `others=False` when it answers no question of the
    user's (an interviewer question offered instead), so it offers no other answers."""
    chunks = render.paragraph(paragraph, snapshot, texts)
    await send(to, chunks, keyboards.answer_keyboard(paragraph, texts, others=others), quote=True)


async def send_statements(
    to: Message, query: str, found: Sequence[Statement], snapshot: Snapshot, texts: Texts
) -> None:
    """What each interview said on a question, oldest first, each a tap away."""
    chunks = render.statements(query, found, texts)
    markup = keyboards.statements_keyboard(found, snapshot, texts) if found else None
    await send(to, chunks, markup, quote=True)
