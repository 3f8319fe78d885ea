"""Pure tests of the bot's messages and keyboards: attribution, the three decisions, compact
lists, escaping, splitting, callback data, languages; and the lengths of every list and
button over the eval set's questions, on the real index."""

from __future__ import annotations

import dataclasses
import re
import string
from collections.abc import Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from conftest import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import html, keyboards, render
from bot.keyboards import Action, Pressed
from bot.texts import ENGLISH, KAZAKH, LANGUAGES, RUSSIAN, Texts, texts_for
from records import Decision, Document, Hit, Paragraph, permalink
from retrieval.corpus import Corpus
from service.answering import AnswerService
from service.citation import cite
from service.evaluation import load_eval_set
from service.questions import QuestionError
from service.replies import Reply
from testkit.fake_telegram import parse_telegram_html, utf16_len

LIMIT = html.MAX_MESSAGE_CHARS
MINISTER = "Министр иностранных дел"


TOPICS = 9  # questions a made-up document has labels for


def document(doc_id: str = "interview", **fields: str) -> Document:
    return Document(
        id=doc_id,
        title=fields.pop("title", "Интервью"),
        path=Path(doc_id),
        topics=tuple(f"Тема {n}" for n in range(1, TOPICS + 1)),
        **fields,
    )


def paragraph(
    text: str = "Текст ответа.",
    *,
    doc_id: str = "interview",
    answer_no: int = 2,
    position: int = 1,
    count: int = 3,
    question: str = "Когда?",
    section: str | None = "РАЗДЕЛ",
) -> Paragraph:
    return Paragraph(
        id=f"{doc_id}/{answer_no}.{position}",
        document_id=doc_id,
        question=question,
        section=section,
        answer_no=answer_no,
        position=position,
        count=count,
        text=text,
        line=1,
    )


def snapshot_of(
    paragraphs: Sequence[Paragraph] = (),
    documents: Sequence[Document] = (),
    labels: dict[int, str] | None = None,
) -> Any:
    """What render and keyboards read of a Snapshot: its corpus, built from these records,
    each question labelled "Тема <n>" unless `labels` says otherwise."""
    topics = tuple((labels or {}).get(n, f"Тема {n}") for n in range(1, TOPICS + 1))
    kept = [d.model_copy(update={"topics": topics}) for d in documents or [DEFAULT_DOCUMENT]]
    corpus = Corpus(tuple(kept), tuple(paragraphs), "test")
    return SimpleNamespace(
        corpus=corpus, cite=lambda p: cite(p, corpus.document(p.document_id)), permalink=permalink
    )


DEFAULT_DOCUMENT = document(interviewee=MINISTER)
SNAPSHOT = snapshot_of()


def hit(rank: int, p: Paragraph, highlight: str | None = None) -> Hit:
    return Hit(
        rank=rank,
        score=0.5,
        paragraph=p,
        highlight=p.text if highlight is None else highlight,
        similarity=0.875,
        label=DEFAULT_DOCUMENT.topic(p.answer_no),
        document=DEFAULT_DOCUMENT,
        permalink=permalink(p.id),
    )


def reply(
    decision: Decision,
    hits: list[Hit],
    *,
    shown: int = 1,
    query: str = "Вопрос?",
    uncovered: tuple[str, ...] = (),
    nearest: tuple[Hit, ...] = (),
    snapshot: Any = SNAPSHOT,
    record_id: str | None = None,
) -> Reply:
    """A Reply as the service would make it for `decision` (whatever its policy), its hits
    labelled and attributed by `snapshot`."""

    def from_snapshot(hit: Hit) -> Hit:
        corpus = snapshot.corpus
        return hit.model_copy(
            update={
                "label": corpus.label(hit.paragraph),
                "document": corpus.document(hit.paragraph.document_id),
            }
        )

    made = tuple(from_snapshot(h) for h in hits)
    return Reply(
        query=query,
        decision=decision,
        confidence=0.5,
        hits=made,
        passages=() if decision is Decision.NOT_COVERED else made[:shown],
        uncovered_terms=uncovered,
        nearest_questions=tuple(from_snapshot(h) for h in nearest),
        position=(0.0, 0.0),
        record_id=record_id,
    ).made_from(snapshot)


def parsed(chunks: list[str]) -> list[str]:
    """The plain text Telegram shows for each chunk; fails on HTML Telegram would refuse."""
    texts = []
    for chunk in chunks:
        assert utf16_len(chunk) <= LIMIT
        text, _ = parse_telegram_html(chunk)
        texts.append(text.strip())  # as Telegram stores it
    return texts


def entity_texts(chunk: str, kind: str) -> list[str]:
    text, entities = parse_telegram_html(chunk)
    encoded = text.encode("utf-16-le")
    return [
        encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in entities
        if e["type"] == kind
    ]


def labels(markup: object) -> list[list[str]]:
    return [[b.text for b in row] for row in markup.inline_keyboard]  # type: ignore[attr-defined]


def data(markup: object) -> list[str]:
    return [b.callback_data for row in markup.inline_keyboard for b in row]  # type: ignore[attr-defined]


# ---- an answer: who asked, who answered, where it is from ------------------------------


def test_answer_gives_the_interviewees_words_first_then_what_was_asked_and_where() -> None:
    p = paragraph("Первое. Второе главное. Третье.", position=2, count=3)
    (chunk,) = render.paragraph(p, SNAPSHOT, RUSSIAN, highlight="Второе главное.")
    # The speaker is named once, above their words: the source line leaves them out.
    assert parsed([chunk]) == [
        "Тема 2 · абзац 2 из 3\n\n"
        f"{MINISTER}:\n"
        "Первое. Второе главное. Третье.\n\n"
        "Вопрос: Когда?\n\n"
        "Источник: «Интервью» (interview/2.2)"
    ]
    # Three styles: the asker italic, the speaker underlined, the closest sentence bold
    # (and the topic label, a title, bold).
    assert entity_texts(chunk, "italic") == ["Вопрос: Когда?"]
    assert entity_texts(chunk, "underline") == [f"{MINISTER}:"]
    assert entity_texts(chunk, "bold") == ["Тема 2", "Второе главное."]


def test_the_asker_and_every_known_source_field_are_shown_and_nothing_else() -> None:
    known = document(
        title="Интервью",
        interviewee=MINISTER,
        interviewer="Иван Петров",
        outlet="Курсив",
        date="2013-05-12",
        source_url="https://example.com/a",
    )
    snapshot = snapshot_of(documents=[known])
    (text,) = parsed(render.paragraph(paragraph(count=1), snapshot, ENGLISH))
    assert text.startswith(
        f"Тема 2\n\n{MINISTER}:\nТекст ответа.\n\nQuestion (Иван Петров): Когда?"
    )
    assert text.endswith(
        "Source: «Интервью», Курсив, 2013-05-12, https://example.com/a "
        "(interview/2.1)\n\nThe interview is in Russian."
    )
    # The outlet asks when no interviewer is named; nobody is invented when neither is.
    outlet = snapshot_of(documents=[document(outlet="Курсив")])
    (text,) = parsed(render.paragraph(paragraph(), outlet, RUSSIAN))
    assert "Вопрос (Курсив): Когда?" in text
    (text,) = parsed(render.paragraph(paragraph(), snapshot_of(documents=[document()]), RUSSIAN))
    assert text == (
        "Тема 2 · абзац 1 из 3\n\nОтвет:\nТекст ответа.\n\nВопрос: Когда?\n\n"
        "Источник: «Интервью» (interview/2.1)"
    )
    assert "None" not in text


def test_user_and_corpus_text_is_escaped() -> None:
    p = paragraph(
        'Цена < 5 & "кавычки" <script>alert(1)</script> &amp;',
        question="<b>Вопрос</b> & <i>ещё</i>",
    )
    doc = document(title="T&C <1>", interviewee="<u>Я</u>", source_url='https://e.com/?a=1&b="2"')
    snapshot = snapshot_of(documents=[doc], labels={2: "<Тема> &"})
    (chunk,) = render.paragraph(p, snapshot, RUSSIAN)
    (text,) = parsed([chunk])
    assert p.text in text and p.question in text
    assert 'Источник: «T&C <1>», https://e.com/?a=1&b="2" (interview/2.1)' in text
    assert entity_texts(chunk, "bold") == ["<Тема> &"]
    assert entity_texts(chunk, "underline") == ["<u>Я</u>:"]


def test_the_quotation_is_the_paragraph_in_quotes_then_its_source() -> None:
    doc = document(interviewee=MINISTER, date="2013-05-12")
    words = paragraph("Слова <министра> & всё.")
    (chunk,) = render.quotation(words, snapshot_of(documents=[doc]), RUSSIAN)
    # Every part named, what the source does not record said so; the id after, alone.
    assert parsed([chunk]) == [
        f"«Слова <министра> & всё.»\n— {MINISTER}, «Интервью», издание не указано, 2013-05-12, "
        "ссылка не указана\ninterview/2.1"
    ]
    assert parse_telegram_html(chunk)[1] == []  # plain text, to copy
    (english,) = render.quotation(words, snapshot_of(documents=[document()]), ENGLISH)
    assert parsed([english]) == [
        "«Слова <министра> & всё.»\n— speaker not recorded, «Интервью», outlet not recorded, "
        "date not recorded, link not recorded\ninterview/2.1"
    ]


def test_about_lists_the_archive_newest_first_leaving_out_missing_fields() -> None:
    docs = [
        document("a", title="Первое", date="2013-05-12", source_url="https://example.com/a"),
        document("b", title="Второе", interviewee="Министр"),
        document("c", title="Третье", date="2019-01-02"),
    ]
    paragraphs = [paragraph(doc_id="a"), paragraph(doc_id="a", position=2), paragraph(doc_id="c")]
    (chunk,) = render.about(snapshot_of(paragraphs, docs), RUSSIAN)
    (text,) = parsed([chunk])
    assert text == (
        "Источники\n\n• Третье (2019-01-02, абзацев: 1)\n• Первое (2013-05-12, абзацев: 2)\n"
        "• Второе (Министр, абзацев: 0)"
    )
    assert entity_texts(chunk, "text_link") == ["Первое"]


def test_about_a_large_archive_lists_its_newest_interviews() -> None:
    dates = [f"20{10 + i % 10}-01-{1 + i // 10:02}" for i in range(45)]
    docs = [document(f"d{i}", title=f"№{i}", date=date) for i, date in enumerate(dates)]
    chunks = render.about(snapshot_of(documents=docs), ENGLISH)
    (text,) = parsed(chunks)
    listed = [line for line in text.splitlines() if line.startswith("• ")]
    assert len(listed) == render.MAX_SOURCES
    assert listed[0] == "• №39 (2019-01-04, paragraphs: 0)"  # the newest
    assert text.endswith(f"…and {45 - render.MAX_SOURCES} more (older)")


def test_query_errors_name_the_limit() -> None:
    assert "500" in render.query_error(QuestionError("too_long", "x"), 500, RUSSIAN)
    assert render.query_error(QuestionError("empty", "x"), 500, ENGLISH) == ENGLISH.empty


# ---- the three decisions ----------------------------------------------------------------


def test_uncertain_shows_each_passage_as_its_best_sentence_under_a_caveat() -> None:
    long = "Длинное " + "слово " * 80 + "конец."
    hits = [
        hit(1, paragraph(f"Начало. {long} Конец.", answer_no=2, position=1), long),
        hit(
            2,
            paragraph("Другое. Лучшее предложение!", answer_no=2, position=3),
            "Лучшее предложение!",
        ),
        hit(3, paragraph("Третье.", answer_no=3, count=1)),
    ]
    r = reply(Decision.UNCERTAIN, hits, shown=3)
    (chunk,) = render.uncertain(r, RUSSIAN)
    (text,) = parsed([chunk])
    first, *passages, source = text.split("\n\n")
    assert first == RUSSIAN.uncertain and entity_texts(chunk, "italic") == [RUSSIAN.uncertain]
    assert passages[0].startswith("1. Тема 2 · абзац 1 из 3\n«Длинное слово")
    assert passages[0].endswith("…»") and len(passages[0]) < 40 + render.SNIPPET_CHARS
    assert passages[1:] == [
        "2. Тема 2 · абзац 3 из 3\n«Лучшее предложение!»",
        "3. Тема 3\n«Третье.»",
    ]
    assert (
        source == f"Источник: {MINISTER}, «Интервью» (interview/2.1, interview/2.3, interview/3.1)"
    )
    # One "whole answer" per interview answer, named by its topic.
    # One "whole answer" per interview answer, named by its topic; a quotation per passage,
    # numbered as the message numbers them.
    (rows) = labels(keyboards.passages_keyboard(r, RUSSIAN))
    assert rows == [
        ["Весь ответ: Тема 2"],
        ["Весь ответ: Тема 3"],
        ["Цитата 1", "Цитата 2", "Цитата 3"],
    ]
    assert data(keyboards.passages_keyboard(r, RUSSIAN)) == [
        "w:interview/2.1",
        "w:interview/3.1",
        "c:interview/2.1",
        "c:interview/2.3",
        "c:interview/3.1",
    ]


def test_not_covered_names_the_missing_words_as_written_or_says_so_plainly() -> None:
    nearest = (hit(1, paragraph(answer_no=1)), hit(2, paragraph(answer_no=3)))
    r = reply(
        Decision.NOT_COVERED,
        [],
        query="ВТО и <ЕАЭС>?",
        uncovered=("ВТО", "<ЕАЭС>"),
        nearest=nearest,
    )
    assert parsed(render.not_covered(r, RUSSIAN)) == [
        "В интервью нет упоминаний: «ВТО», «<ЕАЭС>».\n\n" + RUSSIAN.nearest_questions
    ]
    assert parsed(render.not_covered(r, ENGLISH)) == [
        # The note right above the buttons it speaks of.
        "The interview does not mention “ВТО”, “<ЕАЭС>”.\n\nThe interview is in Russian.\n\n"
        + ENGLISH.nearest_questions
    ]
    plain = r.model_copy(update={"uncovered_terms": (), "nearest_questions": ()})
    assert parsed(render.not_covered(plain, KAZAKH)) == [
        "Сұхбатта «ВТО и <ЕАЭС>?» деген сұраққа жауап жоқ."
    ]
    # The nearest interviewer questions are buttons named by their topics, opened as topics.
    markup = keyboards.topics_keyboard(nearest, SNAPSHOT, RUSSIAN)
    assert labels(markup) == [["Тема 1"], ["Тема 3"]]
    assert data(markup) == ["t:interview/1.1", "t:interview/3.1"]


def test_other_answers_are_topic_labels_and_best_sentences_not_whole_paragraphs() -> None:
    question = "В" * 400  # the interviewer's question is never repeated
    hits = [
        hit(
            n,
            paragraph("Абзац. " * 60 + f"Лучшее {n}.", answer_no=n, question=question),
            f"Лучшее {n}.",
        )
        for n in (2, 3, 4, 5)
    ]
    query = "<b>договор</b> & " + "очень " * 30
    (chunk,) = render.other_answers(RUSSIAN.others_title, query, hits, SNAPSHOT, RUSSIAN)
    (text,) = parsed([chunk])
    assert text.startswith(
        f"Другие ответы на вопрос «{html.shorten(query, render.QUERY_CHARS)}»:\n\n"
    )
    assert "Тема 2 · абзац 1 из 3\n«Лучшее 2.»\n\nТема 3 · абзац 1 из 3\n«Лучшее 3.»" in text
    assert "ВВВ" not in text and "Абзац." not in text
    assert len(text) < 400
    markup = keyboards.choices_keyboard(hits, SNAPSHOT, RUSSIAN)
    assert labels(markup) == [[f"Тема {n} · 1/3"] for n in (2, 3, 4, 5)]
    assert data(markup) == [f"h:interview/{n}.1" for n in (2, 3, 4, 5)]


def test_a_reply_in_english_or_kazakh_says_once_that_the_interview_is_in_russian() -> None:
    long = [paragraph(sentences(40), position=n) for n in (1, 2)]  # split in several messages
    for texts in (ENGLISH, KAZAKH):
        chunks = parsed(render.whole_answer(long, SNAPSHOT, texts))
        assert len(chunks) > 1
        assert "".join(chunks).count(texts.language_note) == 1
        assert chunks[-1].endswith(texts.language_note)
    assert RUSSIAN.language_note == ""
    assert "\n\n\n" not in parsed(render.paragraph(paragraph(), SNAPSHOT, RUSSIAN))[0]


def test_inline_results_follow_the_decision() -> None:
    hits = [hit(n, paragraph("Первое. Второе.", answer_no=n), "Второе.") for n in (1, 2, 3)]
    (answer,) = render.inline_results(reply(Decision.ANSWERED, hits), RUSSIAN)
    assert (answer.title, answer.description) == ("Тема 1", "Второе.")
    content = answer.input_message_content.message_text
    assert parsed([content])[0].startswith(f"Тема 1 · абзац 1 из 3\n\n{MINISTER}:\nПервое.")
    assert entity_texts(content, "bold") == ["Тема 1", "Второе."]

    closest = render.inline_results(reply(Decision.UNCERTAIN, hits, shown=2, query="q?"), ENGLISH)
    assert [r.title for r in closest] == ["Closest passage: Тема 1", "Closest passage: Тема 2"]
    shown = parsed([r.input_message_content.message_text for r in closest])
    assert all(text.startswith(ENGLISH.closest_passage.format(query="q?")) for text in shown)
    assert render.inline_results(reply(Decision.NOT_COVERED, hits), RUSSIAN) == []


def test_inline_message_is_one_message_even_for_a_long_paragraph() -> None:
    p = paragraph(sentences(200))
    (article,) = render.inline_results(reply(Decision.ANSWERED, [hit(1, p)]), RUSSIAN)
    content = article.input_message_content.message_text
    assert utf16_len(content) <= LIMIT
    text, _ = parse_telegram_html(content)
    assert text.endswith("конец.…\n\nВопрос: Когда?\n\nИсточник: «Интервью» (interview/2.1)")
    assert len(text) > LIMIT - 500  # cut at the last sentence that fits, not much before
    assert article.title == "Тема 2" and article.description.endswith("…")
    assert len(article.description) <= render.SNIPPET_CHARS


def test_the_inline_article_keeps_the_highlight_bold_when_shortened() -> None:
    p = paragraph("Второе. " + sentences(200))
    (article,) = render.inline_results(reply(Decision.ANSWERED, [hit(1, p, "Второе.")]), RUSSIAN)
    assert entity_texts(article.input_message_content.message_text, "bold") == ["Тема 2", "Второе."]


# ---- splitting -----------------------------------------------------------------------


def sentences(count: int, words: int = 30) -> str:
    return " ".join(f"Предложение {n} " + "слово " * words + "конец." for n in range(count))


HEAD = f"Тема 2\nВопрос: Когда?\n\n{MINISTER}:\n"
SOURCE = f"Источник: {MINISTER}, «Интервью» (interview/2.1)"


def whole(text: str = "Текст.", question: str = "Когда?") -> list[str]:
    """A one-paragraph answer shown whole ("Whole answer"): nothing of it is left out."""
    p = paragraph(text, question=question, count=1)
    return render.whole_answer([p], SNAPSHOT, RUSSIAN)


def test_an_answer_fits_a_phone_screen_with_the_answering_sentence_whole() -> None:
    best = "Главное предложение, которое отвечает на вопрос."
    text = f"{sentences(6)} {best} {sentences(6)}"
    p = paragraph(text, question=f"Первый вопрос? {sentences(3)}")
    (chunk,) = render.paragraph(p, SNAPSHOT, RUSSIAN, highlight=best)
    (shown,) = parsed([chunk])
    assert len(shown) <= render.ANSWER_CHARS
    assert entity_texts(chunk, "bold")[1] == best  # whole, and bold
    words = shown.split(f"{MINISTER}:\n", 1)[1].split("\n\n", 1)[0]
    assert words.startswith("… ") and words.endswith(" …")  # text left out is marked
    assert "Вопрос: Первый вопрос? …" in shown  # the question's first sentence only
    assert render.shortened(p)  # so "Whole answer" is offered even for one paragraph
    assert not render.shortened(paragraph("Коротко.", count=1))


def test_long_paragraph_is_split_at_sentence_ends() -> None:
    text = sentences(120)
    assert len(text) > 3 * LIMIT
    chunks = whole(text)
    assert len(chunks) >= 4
    shown = parsed(chunks)
    for part in shown[:-1]:
        assert part.endswith("конец.")
    assert shown[0].startswith(HEAD + "Предложение 0 ")
    assert shown[-1].endswith(SOURCE)
    body = " ".join(shown).removeprefix(HEAD)
    assert body.removesuffix("\n\n" + SOURCE) == text


def test_a_heading_is_not_left_alone_in_a_message() -> None:
    text = sentences(21)  # a message's worth, but not with the heading and the source
    assert LIMIT - 200 < len(text) <= LIMIT + 200
    first, second = parsed(whole(text))
    assert first.startswith(HEAD + "Предложение 0 ") and first.endswith("конец.")
    assert second.endswith(SOURCE)


def test_whole_answer_is_split_between_paragraphs() -> None:
    paragraphs = [paragraph(sentences(12, 25), position=i, count=6) for i in range(1, 7)]
    chunks = render.whole_answer(paragraphs, SNAPSHOT, RUSSIAN)
    assert len(chunks) > 1
    shown = parsed(chunks)
    assert shown[0].startswith(f"Тема 2\nВопрос: Когда?\n\n{MINISTER}:\nПредложение 0 ")
    # Each paragraph is whole within one message, and they come in order.
    joined = "\n\n".join(shown)
    assert joined.count(paragraphs[0].text) == 6
    for part in shown[:-1]:
        assert part.endswith("конец.")
    ids = ", ".join(p.id for p in paragraphs)
    assert shown[-1].endswith(f"Источник: {MINISTER}, «Интервью» ({ids})")


def test_escaping_that_grows_the_text_still_fits() -> None:
    # "&" becomes "&amp;": five times longer in the HTML than in the text Telegram shows.
    text = " ".join(["& < >" * 40 + "."] * 60)
    chunks = whole(text)
    assert all(utf16_len(chunk) <= LIMIT for chunk in chunks)
    assert "".join(parsed(chunks)).count("&") == text.count("&")


def test_no_sentence_ends_or_spaces_still_splits_anywhere() -> None:
    for word, text in (("щука", "щука " * 2000), ("ж", "ж" * 9000), ("😀", "😀" * 5000)):
        chunks = whole(text)
        assert len(chunks) > 1
        assert "".join(parsed(chunks)).count(word) == text.count(word)


def test_a_long_question_is_split_inside_its_italic_tag() -> None:
    question = sentences(60)
    chunks = whole(question=question)
    shown = parsed(chunks)
    italic = "".join(" ".join(entity_texts(chunk, "italic")) + " " for chunk in chunks)
    assert " ".join(italic.split()) == "Вопрос: " + question
    assert shown[-1].endswith(SOURCE)


_TEXT = st.text(
    alphabet=st.sampled_from([*string.ascii_letters, *" .!?…&<>\"'«»;#", "я", "😀", "\n"]),
    max_size=600,
)


@settings(max_examples=150, deadline=None)
@given(
    blocks=st.lists(
        st.lists(st.tuples(_TEXT, st.sampled_from(["", "b", "i"])), min_size=1, max_size=3),
        max_size=6,
    ),
    limit=st.integers(40, 300),
)
def test_pack_always_gives_valid_html_within_the_limit(
    blocks: list[list[tuple[str, str]]], limit: int
) -> None:
    spans = [[html.Span(text, tag) for text, tag in block] for block in blocks]
    chunks = html.pack(spans, limit)
    shown = []
    for chunk in chunks:
        assert utf16_len(chunk) <= limit
        shown.append(parse_telegram_html(chunk)[0])
    # Nothing is lost but whitespace.
    expected = "".join(text for block in blocks for text, _ in block)
    assert re.sub(r"\s", "", "".join(shown)) == re.sub(r"\s", "", expected)


@settings(max_examples=40, deadline=None)
@given(text=_TEXT, before=st.text(max_size=300), limit=st.integers(60, 400))
def test_one_message_always_fits_and_keeps_a_prefix(text: str, before: str, limit: int) -> None:
    def build(kept: str) -> list[html.Block]:
        return [[html.Span(before, "i")], [html.Span(kept, "b")]]

    message = html.one_message(build, text * 5, limit)
    assert utf16_len(message) <= limit
    shown, whole = squash(parse_telegram_html(message)[0]), squash(before + text * 5)
    assert shown == whole or whole.startswith(shown.removesuffix("…"))


def test_shorten_cuts_at_a_word_end() -> None:
    assert html.shorten("короткий", 20) == "короткий"
    assert html.shorten("раз два три четыре", 12) == "раз два…"
    assert len(html.shorten("я" * 100, 10)) == 10


# ---- keyboards and callback data -----------------------------------------------------

RECORD = "AbCdEfGhIjKlMn_-"  # a question log id: 16 URL-safe characters


def test_answer_keyboard_and_its_callback_data() -> None:
    p = paragraph()
    assert labels(keyboards.answer_keyboard(p, RUSSIAN)) == [
        ["Другие ответы", "Весь ответ"],
        ["Цитата"],
    ]
    assert data(keyboards.answer_keyboard(p, RUSSIAN, RECORD)) == [
        "o:interview/2.1",
        "w:interview/2.1",
        "c:interview/2.1",
        f"u:{RECORD}",
        f"d:{RECORD}",
    ]
    assert labels(keyboards.answer_keyboard(p, KAZAKH, RECORD))[1] == ["Дәйексөз", "👍", "👎"]
    single = p.model_copy(update={"count": 1})
    assert labels(keyboards.answer_keyboard(single, ENGLISH)) == [["Other answers"], ["Cite"]]
    # A paragraph offered for a question the interview does not cover has no other answers.
    assert labels(keyboards.answer_keyboard(p, ENGLISH, others=False)) == [
        ["Whole answer"],
        ["Cite"],
    ]


def test_feedback_goes_with_a_logged_reply_only() -> None:
    hits = [hit(1, paragraph(position=1)), hit(2, paragraph(position=2))]
    logged = reply(Decision.UNCERTAIN, hits, shown=2, record_id=RECORD)
    assert labels(keyboards.passages_keyboard(logged, RUSSIAN)) == [
        ["Весь ответ: Тема 2"],
        ["Цитата 1", "Цитата 2"],
        ["👍", "👎"],
    ]
    unlogged = logged.model_copy(update={"record_id": None})
    assert labels(keyboards.passages_keyboard(unlogged, RUSSIAN)) == [
        ["Весь ответ: Тема 2"],
        ["Цитата 1", "Цитата 2"],
    ]
    # After 👎 the other answers carry the record, so that opening one labels the question.
    assert data(keyboards.choices_keyboard(hits, SNAPSHOT, RUSSIAN, RECORD)) == [
        f"p:{RECORD}:interview/2.1",
        f"p:{RECORD}:interview/2.2",
    ]
    # An id too long to leave room for a paragraph is not put in buttons at all.
    long_id = "x" * 40
    assert data(keyboards.answer_keyboard(paragraph(), RUSSIAN, long_id))[-1] == "c:interview/2.1"
    assert (
        data(keyboards.choices_keyboard(hits, SNAPSHOT, RUSSIAN, long_id))[0] == "h:interview/2.1"
    )


@pytest.mark.parametrize(
    "doc_id",
    ["interview", "интервью-министра-иностранных-дел-казахстана-2013", "x" * 200, "#hash"],
)
def test_callback_data_fits_and_round_trips(doc_id: str) -> None:
    target = paragraph(doc_id=doc_id, answer_no=123, position=45)
    other = paragraph(doc_id=doc_id + "-other", answer_no=123, position=45)
    snapshot = snapshot_of([target, other], [document(doc_id), document(doc_id + "-other")])
    for action in Action:
        record = RECORD if action in (Action.UP, Action.DOWN, Action.PREFERRED) else None
        shown = None if action in (Action.UP, Action.DOWN) else target
        encoded = keyboards.callback_data(action, shown, record)
        assert 1 <= len(encoded.encode()) <= keyboards.MAX_CALLBACK_BYTES
        assert keyboards.matcher(action)(encoded)
        assert not any(keyboards.matcher(a)(encoded) for a in Action if a is not action)
        pressed = keyboards.parse_callback(encoded)
        assert pressed is not None and pressed.action is action
        assert pressed.record == (record or "")
        if shown is not None:
            assert keyboards.find_paragraph(pressed.ref, snapshot) == target


def test_a_paragraph_that_is_gone_is_not_found() -> None:
    snapshot = snapshot_of([], [document()])
    ref = keyboards.paragraph_ref(paragraph())
    assert keyboards.find_paragraph(ref, snapshot) is None
    long_ref = keyboards.paragraph_ref(paragraph(doc_id="д" * 60))
    assert long_ref.startswith("#")
    assert keyboards.find_paragraph(long_ref, snapshot) is None


@pytest.mark.parametrize(
    "encoded",
    ["", "o", "o:", "x:interview/1.1", "старое", "u:", "d:", f"u:{RECORD}:x", "p:", f"p:{RECORD}"],
)
def test_unknown_callback_data_is_refused(encoded: str) -> None:
    assert keyboards.parse_callback(encoded) is None
    assert not any(keyboards.matcher(action)(encoded) for action in Action)


def test_parse_callback_reads_record_and_paragraph() -> None:
    assert keyboards.parse_callback(f"p:{RECORD}:doc:with:colons/1.2") == Pressed(
        Action.PREFERRED, "doc:with:colons/1.2", RECORD
    )
    assert keyboards.parse_callback(f"d:{RECORD}") == Pressed(Action.DOWN, "", RECORD)


def test_button_labels_are_topic_labels_never_cut_off_questions() -> None:
    snapshot = snapshot_of(labels={1: "Договор с Россией", 3: "Т" * 100})
    hits = [
        hit(1, paragraph(answer_no=1, position=2, question="В" * 400)),
        hit(2, paragraph(answer_no=3, count=1, question="В" * 400)),
    ]
    assert labels(keyboards.choices_keyboard(hits, snapshot, RUSSIAN)) == [
        ["Договор с Россией · 2/3"],
        [html.shorten("Т" * 100, keyboards.LABEL_CHARS)],
    ]
    assert labels(keyboards.topics_keyboard(hits, snapshot, RUSSIAN))[0] == ["Договор с Россией"]
    assert all(
        "ВВВ" not in label and len(label) <= keyboards.LABEL_CHARS + 6
        for markup in (
            keyboards.choices_keyboard(hits, snapshot, RUSSIAN),
            keyboards.topics_keyboard(hits, snapshot, RUSSIAN),
        )
        for row in labels(markup)
        for label in row
    )


# ---- languages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", ENGLISH),
        ("en-GB", ENGLISH),
        ("EN", ENGLISH),
        ("ru", RUSSIAN),
        ("kk", KAZAKH),
        ("kk-KZ", KAZAKH),
        ("uk", RUSSIAN),
        (None, RUSSIAN),
    ],
)
def test_language_choice(code: str | None, expected: Texts) -> None:
    assert texts_for(code) is expected


def test_every_language_has_every_string_with_the_same_placeholders() -> None:
    placeholders = re.compile(r"\{(\w+)\}")
    for field in dataclasses.fields(Texts):
        if field.name == "language_code":
            continue
        values = [getattr(texts, field.name) for texts in LANGUAGES]
        # Russian needs no note that the interview is in Russian.
        assert all(values[1:]) and (values[0] or field.name == "language_note"), field.name
        if isinstance(values[0], str):
            # Kazakh quotes as Russian does: «…».
            assert len(set(values)) == (2 if field.name == "term" else 3), field.name
            found = [sorted(placeholders.findall(v)) for v in values]
            assert found[1] == found[2] and found[0] in ([], found[1]), field.name
    assert len({tuple(c for c, _ in texts.commands) for texts in LANGUAGES}) == 1
    assert [t.language_code for t in LANGUAGES] == [None, "en", "kk"]
    assert all(3 <= len(t.examples) <= 4 for t in LANGUAGES)
    for texts in LANGUAGES:  # inline-mode buttons
        assert len(texts.slow_down_button) <= 64 and len(texts.inline_not_covered) <= 64


def test_start_in_every_language() -> None:
    docs = [document(title="Интервью <министра>")]
    for texts, opening in (
        (RUSSIAN, "Я отвечаю"),
        (ENGLISH, "I answer"),
        (KAZAKH, "Мен сұрақтарға"),
    ):
        (text,) = parsed(render.start(docs, "some_bot", texts))
        assert text.startswith(opening)
        assert "• Интервью <министра>" in text and "@some_bot" in text
        assert all(example in text for example in texts.examples)
    rows = keyboards.examples_keyboard(KAZAKH).keyboard
    assert [row[0].text for row in rows] == list(KAZAKH.examples)


# ---- highlight -------------------------------------------------------------------------


def test_the_highlight_sentence_is_bold_inside_the_paragraph() -> None:
    p = paragraph("Первое предложение. Второе <важное> & главное! Третье.")
    (chunk,) = render.paragraph(p, SNAPSHOT, RUSSIAN, highlight="Второе <важное> & главное!")
    (text,) = parsed([chunk])
    assert p.text in text
    assert entity_texts(chunk, "bold") == ["Тема 2", "Второе <важное> & главное!"]
    assert "<b>Второе &lt;важное&gt; &amp; главное!</b>" in chunk


@pytest.mark.parametrize("highlight", [None, "", "  ", "Не из этого абзаца.", "Одно предложение."])
def test_no_bold_when_the_highlight_is_missing_foreign_or_the_whole_paragraph(
    highlight: str | None,
) -> None:
    p = paragraph("Одно предложение.")
    (chunk,) = render.paragraph(p, SNAPSHOT, RUSSIAN, highlight=highlight)
    assert entity_texts(chunk, "bold") == ["Тема 2"]


def test_a_highlight_in_a_split_paragraph_stays_bold_across_messages() -> None:
    long_sentence = "Важное " + "слово " * 1000 + "конец."
    text = sentences(10) + " " + long_sentence + " " + sentences(10)
    chunks = render.paragraph(paragraph(text), SNAPSHOT, RUSSIAN, highlight=long_sentence)
    assert len(chunks) >= 2  # the answering sentence is kept whole, however long
    parsed(chunks)
    bold = " ".join(" ".join(entity_texts(chunk, "bold")) for chunk in chunks)
    assert " ".join(bold.split()) == "Тема 2 " + " ".join(long_sentence.split())


# ---- lengths over the eval set, on the real index ----------------------------------------


def visible_length(chunks: list[str]) -> int:
    return sum(len(parse_telegram_html(chunk)[0].strip()) for chunk in chunks)


async def test_other_answers_fit_a_phone_screen_and_buttons_are_short_for_every_eval_question(
    service: AnswerService,
) -> None:
    """Whatever decision each question gets: every reply's alternatives (all hits but the
    first, the most there can be) and every button its reply could carry."""
    items = load_eval_set(ROOT / "tests" / "eval_set.jsonl")
    longest_list, longest_label, longest_answer = (0, ""), "", 0
    for item, r in zip(items, service.answer([i.question for i in items]), strict=True):
        if not r.hits:
            continue  # not a question to search: no paragraph, no buttons
        snapshot, others = r.snapshot, r.hits[1:]
        logged = r.model_copy(update={"passages": r.hits[:3], "record_id": RECORD})
        markups = []
        for texts in LANGUAGES:
            markups += [
                keyboards.answer_keyboard(r.hits[0].paragraph, texts, RECORD),
                keyboards.choices_keyboard(others, snapshot, texts, RECORD),
                keyboards.topics_keyboard(r.nearest_questions, snapshot, texts),
                keyboards.passages_keyboard(logged, texts),
            ]
            # Its first hit as an answer: one phone screen, whatever the language.
            best = r.hits[0]
            shown = render.paragraph(best.paragraph, snapshot, texts, best.highlight)
            longest_answer = max(longest_answer, visible_length(shown))
            for heading in (texts.others_title, texts.downvoted):
                chunks = render.other_answers(heading, r.query, others, snapshot, texts)
                assert len(chunks) == 1
                longest_list = max(longest_list, (visible_length(chunks), item.question))
        for markup in markups:
            for row in labels(markup):
                longest_label = max(longest_label, *row, key=len)
    print(f"\nlongest Other answers: {longest_list[0]} characters ({longest_list[1]!r})")
    print(f"longest button label: {len(longest_label)} characters ({longest_label!r})")
    print(f"longest answer: {longest_answer} characters")
    assert longest_list[0] <= 1_000
    assert len(longest_label) <= 50
    assert longest_answer <= render.ANSWER_CHARS


# ---- any text renders as valid Telegram HTML within the limit ----------------------------

# Any text: markup characters, emoji, newlines, control characters, up to ~20k characters.
# Long texts repeat a random piece: drawn whole, four of them would exceed Hypothesis's
# budget for one example.
_MARKUP = st.sampled_from([*"<>&;#\"' .!?\n", "я", "😀", "\u2003", "\x00", "a", "b"])
_LONG = st.builds(
    lambda piece, times: (piece * times)[:20_000],
    st.text(alphabet=_MARKUP, min_size=1, max_size=40) | st.sampled_from([" ", "\n", "😀"]),
    st.integers(100, 20_000),
)
_ANY = st.one_of(st.text(max_size=300), st.text(alphabet=_MARKUP, max_size=600), _LONG)


def squash(text: str) -> str:
    """The text without whitespace: what survives splitting and Telegram's trimming."""
    return "".join(char for char in text if not char.isspace())


def visible(chunks: list[str]) -> str:
    """The text Telegram would show for the messages, joined; fails on invalid messages."""
    texts = []
    for chunk in chunks:
        assert utf16_len(chunk) <= LIMIT
        text, _ = parse_telegram_html(chunk)
        assert text.strip(), f"a message Telegram would refuse as empty: {chunk!r}"
        texts.append(text)
    return "".join(texts)


@settings(max_examples=60, deadline=None)
@given(
    question=_ANY,
    label=_ANY,
    text=_ANY,
    title=_ANY.filter(bool),  # a sidecar field is never empty
    highlight_at=st.tuples(st.integers(0, 20_000), st.integers(0, 20_000)),
)
def test_any_paragraph_renders_as_valid_messages_showing_all_of_it(
    question: str, label: str, text: str, title: str, highlight_at: tuple[int, int]
) -> None:
    start, length = highlight_at
    highlight = text[start : start + length]
    p = paragraph(text, question=question)
    doc = document(title=title, interviewee=MINISTER, source_url="https://example.com/a?b=<2>")
    snapshot = snapshot_of(documents=[doc], labels={2: label})
    shown = squash(visible(render.whole_answer([p], snapshot, ENGLISH)))
    # In order: the topic, the question, the speaker and the paragraph, the source, the note.
    assert shown == squash(
        f"{label} Question: {question} {MINISTER}: {text} "
        f"Source: {MINISTER}, «{title}», https://example.com/a?b=<2> (interview/2.1) "
        f"{ENGLISH.language_note}"
    )
    # As an answer: valid messages within a phone screen (up to the answering sentence).
    answer = visible(render.paragraph(p, snapshot, ENGLISH, highlight=highlight))
    # (Labels and headlines are short in a real corpus; here they may be anything.)
    room = render.ANSWER_CHARS + len(label) + len(title) + len(highlight)
    assert len(answer) <= room


@settings(max_examples=40, deadline=None)
@given(query=_ANY, label=_ANY, text=_ANY, term=_ANY)
def test_any_text_renders_in_every_list_and_decision(
    query: str, label: str, text: str, term: str
) -> None:
    snapshot = snapshot_of(labels={2: label})
    hits = [hit(1, paragraph(text)), hit(2, paragraph(text, position=2))]
    uncertain = reply(Decision.UNCERTAIN, hits, shown=2, query=query, snapshot=snapshot)
    shown = squash(visible(render.uncertain(uncertain, KAZAKH)))
    assert squash(label) in shown and squash(html.shorten(text, render.SNIPPET_CHARS)) in shown
    refused = reply(Decision.NOT_COVERED, hits, query=query, uncovered=(term,), snapshot=snapshot)
    assert squash(term) in squash(visible(render.not_covered(refused, ENGLISH)))
    refused = refused.model_copy(update={"uncovered_terms": ()})
    shown = squash(visible(render.not_covered(refused, RUSSIAN)))
    assert squash(html.shorten(query, render.QUERY_CHARS)) in shown
    listed = render.other_answers(RUSSIAN.others_title, query, hits, snapshot, RUSSIAN)
    shown = squash(visible(listed))
    assert squash(html.shorten(query, render.QUERY_CHARS)) in shown and squash(label) in shown


@pytest.mark.parametrize("texts", [RUSSIAN, ENGLISH])
def test_uncertain_names_an_acronym_the_interview_never_uses_first(texts) -> None:
    hits = [hit(1, paragraph("Первое.")), hit(2, paragraph("Второе.", position=2))]
    r = reply(Decision.UNCERTAIN, hits, shown=2, uncovered=("ВТО",))
    (text,) = parsed(render.uncertain(r, texts))
    mentioned, caveat, *_ = text.split("\n\n")
    assert mentioned == texts.not_mentioned.format(terms=texts.term.format(term="ВТО"))
    assert caveat == texts.uncertain
