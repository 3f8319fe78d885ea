"""A page of its own for each statement, /p/{paragraph_id}: what a journalist sends a
colleague, and what Telegram previews when the link is pasted.

Rendered on the server (Jinja2, escaping everything) and readable without JavaScript: the
interviewer's question, who answered, the paragraph within its whole answer, the
quotation ready to copy, and a link to the source. OpenGraph tags name the topic and the
speaker and carry the paragraph's first words.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, FileSystemLoader, select_autoescape

from service.text import shorten

from .api import accept_language
from .context import web

router = APIRouter(tags=["page"])

TEMPLATES = Environment(
    loader=FileSystemLoader(Path(__file__).parent / "templates"),
    autoescape=select_autoescape(default=True),
    trim_blocks=True,
    lstrip_blocks=True,
)
# A link preview shows about this much of the description.
PREVIEW_CHARS = 200

# The page's own words, in the languages of the interface; the interview stays as it is.
WORDS = {
    "ru": {
        "question": "Вопрос",
        "answer": "Ответ",
        "whole": "Весь ответ",
        "quotation": "Цитата",
        "source": "Источник",
        "open_source": "Оригинал публикации",
        "search": "Искать в интервью",
        "missing": "Такого фрагмента нет",
        "missing_text": "В интервью нет фрагмента с таким номером. Возможно, индекс обновился.",
        "paragraph": "абзац {n} из {m}",
    },
    "en": {
        "question": "Question",
        "answer": "Answer",
        "whole": "The whole answer",
        "quotation": "Quotation",
        "source": "Source",
        "open_source": "The original publication",
        "search": "Search the interviews",
        "missing": "No such passage",
        "missing_text": "No passage of the interviews has this id. The index may have changed.",
        "paragraph": "paragraph {n} of {m}",
    },
    "kk": {
        "question": "Сұрақ",
        "answer": "Жауап",
        "whole": "Толық жауап",
        "quotation": "Дәйексөз",
        "source": "Дереккөз",
        "open_source": "Түпнұсқа жарияланым",
        "search": "Сұхбаттардан іздеу",
        "missing": "Мұндай үзінді жоқ",
        "missing_text": "Сұхбаттарда мұндай нөмірлі үзінді жоқ. Индекс жаңарған болуы мүмкін.",
        "paragraph": "{m} абзацтың {n}-і",
    },
}


@router.get("/p/{paragraph_id:path}", include_in_schema=False)
async def statement(request: Request, paragraph_id: str) -> HTMLResponse:
    language = accept_language(request.headers.get("accept-language"))
    language = language if language in WORDS else "ru"
    words = WORDS[language]
    snapshot = web(request).service.snapshot  # once: a reload may swap it
    corpus = snapshot.corpus
    paragraph = corpus.paragraph(paragraph_id)
    if paragraph is None:
        page = TEMPLATES.get_template("missing.html").render(words=words, language=language)
        return HTMLResponse(page, status_code=404)
    citation = snapshot.cite(paragraph)
    label = corpus.label(paragraph, language)
    speaker = citation.speaker or words["answer"]
    page = TEMPLATES.get_template("statement.html").render(
        words=words,
        language=language,
        paragraph=paragraph,
        answer=corpus.answer(paragraph),
        label=label,
        place=words["paragraph"].format(n=paragraph.position, m=paragraph.count),
        speaker=speaker,
        citation=citation,
        quotation=citation.quotation(paragraph.text, language),
        title=f"{label} — {speaker}",
        preview=shorten(paragraph.text, PREVIEW_CHARS),
        url=citation.link,
    )
    return HTMLResponse(page)
