"""Keyboards, and the callback data of their buttons.

Callback data is stateless, so buttons keep working after a restart: it names an action and
a paragraph (its id, e.g. "interview/2.3"). The question a button is about is not in it: it
is the user's message the bot's reply answers (its reply_to_message).
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from service.records import Hit, Paragraph
from service.snapshot import Snapshot

from .render import shorten
from .texts import Texts

MAX_CALLBACK_BYTES = 64
BUTTON_CHARS = 60
_DIGEST_CHARS = 8


class Action(StrEnum):
    OTHERS = "o"  # the other hits for the question
    SHOW = "h"  # one paragraph, as an answer
    WHOLE = "w"  # every paragraph of the interview answer

    @property
    def pattern(self) -> str:
        """The CallbackQueryHandler pattern of this action's buttons."""
        return f"^{self.value}:"


def _digest(document_id: str) -> str:
    digest = hashlib.blake2b(document_id.encode(), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode()


def paragraph_ref(paragraph: Paragraph) -> str:
    """A short, stable name for the paragraph: its id, or when that is too long for callback
    data (a long document name), the id with a digest of the document name in its place."""
    if len(paragraph.id.encode()) <= MAX_CALLBACK_BYTES - 2 and not paragraph.id.startswith("#"):
        return paragraph.id
    return "#" + _digest(paragraph.document) + paragraph.id.removeprefix(paragraph.document)


def find_paragraph(ref: str, snapshot: Snapshot) -> Paragraph | None:
    """The paragraph `ref` names in the current index, or None if it is gone."""
    if not ref.startswith("#"):
        return snapshot.paragraph(ref)
    digest, rest = ref[1 : 1 + _DIGEST_CHARS], ref[1 + _DIGEST_CHARS :]
    for document in snapshot.documents:
        if _digest(document.id) == digest:
            return snapshot.paragraph(document.id + rest)
    return None


def callback_data(action: Action, paragraph: Paragraph) -> str:
    return f"{action.value}:{paragraph_ref(paragraph)}"


def parse_callback(data: str) -> tuple[Action, str] | None:
    """(action, paragraph ref) of a button's data; None for data this bot never sends."""
    code, _, ref = data.partition(":")
    try:
        return (Action(code), ref) if ref else None
    except ValueError:
        return None


def _button(label: str, action: Action, paragraph: Paragraph) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callback_data(action, paragraph))


def answer_keyboard(paragraph: Paragraph, texts: Texts) -> InlineKeyboardMarkup:
    """Under an answer: the other hits, and the whole interview answer if it has more."""
    row = [_button(texts.other_answers, Action.OTHERS, paragraph)]
    if paragraph.count > 1:
        row.append(_button(texts.whole_answer, Action.WHOLE, paragraph))
    return InlineKeyboardMarkup([row])


def numbered_keyboard(hits: Sequence[Hit]) -> InlineKeyboardMarkup:
    """One button a hit, labelled with its rank, as numbered in the list above it."""
    return InlineKeyboardMarkup(
        [[_button(str(hit.rank), Action.SHOW, hit.paragraph) for hit in hits]]
    )


def suggestions_keyboard(hits: Sequence[Hit]) -> InlineKeyboardMarkup:
    """One row a suggested interviewer question, labelled with its start."""
    return InlineKeyboardMarkup(
        [
            [
                _button(
                    f"{n}. {shorten(hit.paragraph.question, BUTTON_CHARS)}",
                    Action.SHOW,
                    hit.paragraph,
                )
            ]
            for n, hit in enumerate(hits, 1)
        ]
    )


def examples_keyboard(texts: Texts) -> ReplyKeyboardMarkup:
    """The example questions as a reply keyboard: a tap sends one."""
    return ReplyKeyboardMarkup(
        [[example] for example in texts.examples], resize_keyboard=True, one_time_keyboard=True
    )
