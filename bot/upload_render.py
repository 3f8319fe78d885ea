"""What an administrator reads when adding an interview: the preview, its two buttons, and
the notices. Everything from the file or page (title, names, questions, reasons that quote
them) is escaped: it is whatever a publisher or an uploader wrote."""

from __future__ import annotations

import html as html_module
from collections.abc import Sequence
from enum import StrEnum

from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from importer import Imported

from .html import Block, Span, lines, pack, shorten
from .staging import is_upload_id
from .texts import Texts

# A question in the preview: enough to recognise it, short enough to list forty.
QUESTION_CHARS = 120


class Choice(StrEnum):
    PUBLISH = "publish"
    CANCEL = "cancel"


def callback_data(choice: Choice, upload_id: str) -> str:
    # "publish:" and an 11-character id: 19 bytes of Telegram's 64.
    return f"{choice.value}:{upload_id}"


def parse_callback(data: object) -> tuple[Choice, str] | None:
    """The choice and the upload id of a preview's button; None for any other data."""
    if not isinstance(data, str):
        return None
    name, _, upload_id = data.partition(":")
    if name not in {choice.value for choice in Choice} or not is_upload_id(upload_id):
        return None
    return Choice(name), upload_id


def keyboard(upload_id: str, texts: Texts) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(
                    texts.upload_publish, callback_data=callback_data(Choice.PUBLISH, upload_id)
                ),
                InlineKeyboardButton(
                    texts.upload_cancel, callback_data=callback_data(Choice.CANCEL, upload_id)
                ),
            ]
        ]
    )


def preview(result: Imported, texts: Texts) -> list[str]:
    """What would be published: what the source states about itself (and, as such, what it
    does not), the number of questions and paragraphs, then each question with its number of
    paragraphs under its section heading."""
    interview = result.interview
    assert interview is not None  # only an import that found an interview is previewed
    metadata = result.metadata
    fields = (
        (texts.upload_title, metadata.title),
        (texts.upload_date, metadata.date),
        (texts.upload_interviewee, metadata.interviewee),
        (texts.upload_interviewer, metadata.interviewer),
        (texts.upload_outlet, metadata.outlet),
        (texts.upload_source_url, metadata.source_url),
    )
    paragraphs = sum(len(answer.paragraphs) for answer in interview.answers)
    about: list[Sequence[Span]] = [[Span(texts.upload_preview, "b")]]
    unknown = texts.upload_unknown
    about.extend([Span(label.format(value=value or unknown))] for label, value in fields)
    counts = texts.upload_counts.format(questions=len(interview.answers), paragraphs=paragraphs)
    about.append([Span(counts)])
    blocks: list[Block] = [lines(*about)]
    section: str | None = None
    rows: list[Sequence[Span]] = []
    for number, answer in enumerate(interview.answers, start=1):
        if answer.section and answer.section != section:
            if rows:
                blocks.append(lines(*rows))
            rows = [[Span(texts.upload_heading.format(heading=answer.section), "i")]]
        section = answer.section
        question = shorten(answer.question, QUESTION_CHARS)
        line = texts.upload_question.format(
            number=number, question=question, paragraphs=len(answer.paragraphs)
        )
        rows.append([Span(line)])
    blocks.append(lines(*rows))
    return pack(blocks)


def published_name(result: Imported) -> str:
    """The document as the administrator knows it: its title and file, or its file."""
    assert result.path is not None
    title = result.metadata.title
    return f"{title} ({result.path.name})" if title else result.path.name


def notice(text: str) -> str:
    """A one-line message as HTML: whatever it quotes is escaped."""
    return html_module.escape(text, quote=False)
