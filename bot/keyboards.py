"""Keyboards, and the callback data of their buttons.

Callback data is stateless, so buttons keep working after a restart: it names an action, a
paragraph (its id, e.g. "interview/2.3") and, for feedback, the question log's record id.
The question a button is about is not in it: it is the user's message the bot's reply
answers (its reply_to_message).

Every button that opens something says what: an answer by its topic label and place
("Новый договор с Россией · 2/3"), never by a cut-off interviewer question.
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, ReplyKeyboardMarkup

from records import Hit, Paragraph, Statement
from service.replies import Reply
from service.snapshot import Snapshot

from . import render
from .html import shorten
from .texts import Texts

MAX_CALLBACK_BYTES = 64
# A topic label on a button: sidecar labels are a few words, derived ones are cut here.
LABEL_CHARS = 40
UP, DOWN = "👍", "👎"
_DIGEST_CHARS = 8


class Action(StrEnum):
    OTHERS = "o"  # o:<paragraph>: the other hits for the question
    SHOW = "h"  # h:<paragraph>: one paragraph, as an answer to the question
    TOPIC = "t"  # t:<paragraph>: an interviewer question offered for one not covered
    WHOLE = "w"  # w:<paragraph>: every paragraph of the interview answer
    CITE = "c"  # c:<paragraph>: the paragraph as a quotation to paste
    CITE_WHOLE = "q"  # q:<paragraph>: the whole answer it belongs to, as a quotation
    EARLIER = "e"  # e:<paragraph>: what each interview said on the question, over time
    UP = "u"  # u:<record>: 👍 on a logged reply
    DOWN = "d"  # d:<record>: 👎 on it, which offers the other answers
    PREFERRED = "p"  # p:<record>:<paragraph>: one of those, opened: the better answer


_WITH_RECORD = frozenset({Action.UP, Action.DOWN, Action.PREFERRED})
_WITH_PARAGRAPH = frozenset(Action) - {Action.UP, Action.DOWN}


@dataclass(frozen=True)
class Pressed:
    """What a button's data says: the action, a paragraph ref, a record id ("" if none)."""

    action: Action
    ref: str = ""
    record: str = ""


def _digest(document_id: str) -> str:
    digest = hashlib.blake2b(document_id.encode(), digest_size=6).digest()
    return base64.urlsafe_b64encode(digest).decode()


def paragraph_ref(paragraph: Paragraph, room: int = MAX_CALLBACK_BYTES - 2) -> str:
    """A short, stable name for the paragraph: its id, or when that is longer than `room`
    bytes (a long document name), the id with a digest of the document name in its place."""
    if len(paragraph.id.encode()) <= room and not paragraph.id.startswith("#"):
        return paragraph.id
    return "#" + _digest(paragraph.document_id) + paragraph.id.removeprefix(paragraph.document_id)


def find_paragraph(ref: str, snapshot: Snapshot) -> Paragraph | None:
    """The paragraph `ref` names in the current index, or None if it is gone."""
    if not ref.startswith("#"):
        return snapshot.corpus.paragraph(ref)
    digest, rest = ref[1 : 1 + _DIGEST_CHARS], ref[1 + _DIGEST_CHARS :]
    for document in snapshot.corpus.documents:
        if _digest(document.id) == digest:
            return snapshot.corpus.paragraph(document.id + rest)
    return None


def callback_data(
    action: Action, paragraph: Paragraph | None = None, record: str | None = None
) -> str:
    prefix = ":".join([action.value, *([record] if record else [])])
    if paragraph is None:
        return prefix
    room = MAX_CALLBACK_BYTES - len(prefix.encode()) - 1
    return f"{prefix}:{paragraph_ref(paragraph, room)}"


def parse_callback(data: str) -> Pressed | None:
    """What a button's data says; None for data this bot never sends."""
    code, _, rest = data.partition(":")
    try:
        action = Action(code)
    except ValueError:
        return None
    record, ref = "", rest
    if action in _WITH_RECORD:
        record, _, ref = rest.partition(":")
    # Each action carries exactly what it needs: a record, a paragraph, or both.
    if (action in _WITH_RECORD) != bool(record) or (action in _WITH_PARAGRAPH) != bool(ref):
        return None
    return Pressed(action, ref, record)


def matcher(action: Action) -> Callable[[object], bool]:
    """The CallbackQueryHandler pattern of `action`'s buttons: well-formed data only, so
    that anything else gets the stale-button notice."""

    def matches(data: object) -> bool:
        pressed = parse_callback(data) if isinstance(data, str) else None
        return pressed is not None and pressed.action is action

    return matches


def _button(
    label: str, action: Action, paragraph: Paragraph | None = None, record: str | None = None
) -> InlineKeyboardButton:
    return InlineKeyboardButton(label, callback_data=callback_data(action, paragraph, record))


def _fits(record: str) -> bool:
    """Whether a record id leaves room for a paragraph ref in a button's data."""
    return len(callback_data(Action.PREFERRED, record=record).encode()) <= MAX_CALLBACK_BYTES // 2


def topic_label(paragraph: Paragraph, snapshot: Snapshot, texts: Texts) -> str:
    """The short topic label of the interviewer question `paragraph` answers, in the
    interface's language when the interview has it."""
    return shorten(snapshot.corpus.label(paragraph, texts.language_code), LABEL_CHARS)


def item_label(paragraph: Paragraph, snapshot: Snapshot, texts: Texts) -> str:
    """A button that opens one paragraph: its topic, and its place when its answer has more."""
    label = topic_label(paragraph, snapshot, texts)
    return f"{label} · {paragraph.position}/{paragraph.count}" if paragraph.count > 1 else label


def _feedback(record: str | None) -> list[InlineKeyboardButton]:
    """👍 and 👎 for a logged reply; none when it was not logged."""
    if record is None or not _fits(record):
        return []
    return [_button(UP, Action.UP, record=record), _button(DOWN, Action.DOWN, record=record)]


def answer_keyboard(
    paragraph: Paragraph,
    texts: Texts,
    record: str | None = None,
    *,
    others: bool = True,
    earlier: bool = False,
) -> InlineKeyboardMarkup:
    """Under a paragraph: the other hits (unless it answers no question of the user's), the
    whole interview answer if it has more, the quotation, the earlier statements when other
    interviews answered too, and feedback when logged."""
    first = [_button(texts.other_answers, Action.OTHERS, paragraph)] if others else []
    if render.shortened(paragraph):
        first.append(_button(texts.whole_answer, Action.WHOLE, paragraph))
    second = [_button(texts.cite, Action.CITE, paragraph), *_feedback(record)]
    third = [_button(texts.earlier_statements, Action.EARLIER, paragraph)] if earlier else []
    return InlineKeyboardMarkup([row for row in (first, second, third) if row])


def passages_keyboard(reply: Reply, texts: Texts) -> InlineKeyboardMarkup:
    """Under the closest passages: the whole answer each belongs to (once an answer), and
    feedback when logged."""
    seen: set[tuple[str, int]] = set()
    rows = []
    # A quotation of each passage, numbered as the message numbers them.
    cites = [
        _button(f"{texts.cite} {number}", Action.CITE, hit.paragraph)
        for number, hit in enumerate(reply.passages, 1)
    ]
    for hit in reply.passages:
        paragraph = hit.paragraph
        if (paragraph.document_id, paragraph.answer_no) in seen:
            continue
        seen.add((paragraph.document_id, paragraph.answer_no))
        label = texts.whole_answer_of.format(label=topic_label(paragraph, reply.snapshot, texts))
        rows.append([_button(label, Action.WHOLE, paragraph)])
    feedback = _feedback(reply.record_id)
    return InlineKeyboardMarkup([*rows, cites, *([feedback] if feedback else [])])


def whole_answer_keyboard(paragraph: Paragraph, texts: Texts) -> InlineKeyboardMarkup:
    """Under a whole answer: its quotation."""
    return InlineKeyboardMarkup([[_button(texts.cite, Action.CITE_WHOLE, paragraph)]])


def choices_keyboard(
    hits: Sequence[Hit], snapshot: Snapshot, texts: Texts, record: str | None = None
) -> InlineKeyboardMarkup:
    """One row a hit, labelled with what it opens, in the order of the list above. With a
    record (after 👎), opening one tells the question log it was the better answer."""
    action = Action.PREFERRED if record is not None and _fits(record) else Action.SHOW
    kept = record if action is Action.PREFERRED else None
    return InlineKeyboardMarkup(
        [
            [_button(item_label(hit.paragraph, snapshot, texts), action, hit.paragraph, kept)]
            for hit in hits
        ]
    )


def statements_keyboard(
    statements: Sequence[Statement], snapshot: Snapshot, texts: Texts
) -> InlineKeyboardMarkup:
    """One row a statement, numbered as the list above numbers it, opening its paragraph
    (as a paragraph of its interview: it answers no question of the user's as such)."""
    rows = []
    for number, statement in enumerate(statements, 1):
        paragraph = snapshot.corpus.paragraph(statement.paragraph_id)
        if paragraph is None:
            continue
        date = statement.date or texts.date_not_recorded
        label = f"{number}. {date} · {topic_label(paragraph, snapshot, texts)}"
        rows.append([_button(shorten(label, LABEL_CHARS + 20), Action.TOPIC, paragraph)])
    return InlineKeyboardMarkup(rows)


def topics_keyboard(
    nearest: Sequence[Hit], snapshot: Snapshot, texts: Texts
) -> InlineKeyboardMarkup:
    """One row a nearest interviewer question, labelled with its topic."""
    return InlineKeyboardMarkup(
        [
            [_button(topic_label(hit.paragraph, snapshot, texts), Action.TOPIC, hit.paragraph)]
            for hit in nearest
        ]
    )


def examples_keyboard(texts: Texts) -> ReplyKeyboardMarkup:
    """The example questions as a reply keyboard: a tap sends one."""
    return ReplyKeyboardMarkup(
        [[example] for example in texts.examples], resize_keyboard=True, one_time_keyboard=True
    )
