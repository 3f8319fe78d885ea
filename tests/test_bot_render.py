"""Pure tests of the bot's messages and keyboards: escaping, splitting, callback data, languages."""

from __future__ import annotations

import dataclasses
import re
import string
from pathlib import Path

import pytest
from fake_telegram import parse_telegram_html, utf16_len
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import keyboards, render
from bot.keyboards import Action
from bot.texts import ENGLISH, LANGUAGES, RUSSIAN, texts_for
from service.questions import QuestionError
from service.records import Document, Hit, Paragraph

LIMIT = render.MAX_MESSAGE_CHARS


def document(doc_id: str = "interview", **fields: str) -> Document:
    return Document(id=doc_id, title=fields.pop("title", "Интервью"), path=Path(doc_id), **fields)


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
        document=doc_id,
        question=question,
        section=section,
        answer_no=answer_no,
        position=position,
        count=count,
        text=text,
        line=1,
    )


def hit(rank: int, p: Paragraph) -> Hit:
    return Hit(rank=rank, score=0.5, paragraph=p, highlight=p.text)


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


class FakeSnapshot:
    """The two Snapshot lookups find_paragraph uses."""

    def __init__(self, paragraphs: list[Paragraph], documents: list[Document]) -> None:
        self.by_id = {p.id: p for p in paragraphs}
        self.documents = tuple(documents)

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        return self.by_id.get(paragraph_id)


# ---- escaping ------------------------------------------------------------------------


def test_user_and_corpus_text_is_escaped() -> None:
    p = paragraph(
        'Цена < 5 & "кавычки" <script>alert(1)</script> &amp;',
        question="<b>Вопрос</b> & <i>ещё</i>",
        section="A <B> & C",
    )
    doc = document(title="T&C <1>", source_url='https://example.com/?a=1&b="2"')
    (chunk,) = render.answer(p, doc, RUSSIAN)
    (text,) = parsed([chunk])
    assert p.text in text and p.question in text and "A <B> & C" in text
    assert "Источник: T&C <1>" in text
    assert entity_texts(chunk, "bold") == [p.question]
    assert entity_texts(chunk, "italic") == ["A <B> & C"]
    (link,) = [e for e in parse_telegram_html(chunk)[1] if e["type"] == "text_link"]
    assert link["url"] == 'https://example.com/?a=1&b="2"'


def test_query_is_escaped_in_the_other_answers_list() -> None:
    query = "<b>договор</b> & <script>"
    hits = [hit(2, paragraph("Второй <абзац>.", position=2))]
    (chunk,) = render.other_answers(query, hits, RUSSIAN)
    (text,) = parsed([chunk])
    assert f"«{query}»" in text
    assert entity_texts(chunk, "bold") == ["Когда?"]


def test_answer_layout() -> None:
    (chunk,) = render.answer(paragraph(position=2, count=3), document(), RUSSIAN)
    assert parsed([chunk]) == [
        "Когда?\nРАЗДЕЛ\n\nТекст ответа.\n\nИсточник: Интервью\nАбзац 2 из 3"
    ]
    (chunk,) = render.answer(paragraph(section=None), document(), ENGLISH)
    assert parsed([chunk]) == ["Когда?\n\nТекст ответа.\n\nSource: Интервью\nParagraph 1 of 3"]


def test_about_leaves_out_missing_fields() -> None:
    docs = [
        document("a", title="Первое", date="2013-05-12", source_url="https://example.com/a"),
        document("b", title="Второе", interviewee="Министр"),
    ]
    (chunk,) = render.about(docs, RUSSIAN)
    (text,) = parsed([chunk])
    assert text == "Источники\n\n• Первое (2013-05-12)\n• Второе (Министр)"
    assert entity_texts(chunk, "text_link") == ["Первое"]


def test_query_errors_name_the_limit() -> None:
    assert "500" in render.query_error(QuestionError("too_long", "x"), 500, RUSSIAN)
    assert render.query_error(QuestionError("empty", "x"), 500, ENGLISH) == ENGLISH.empty


def test_no_answer_lists_the_nearest_questions() -> None:
    nearest = tuple(hit(i, paragraph(answer_no=i, question=f"Вопрос {i} <?>")) for i in (1, 2, 3))
    (chunk,) = render.no_answer("<b>q</b> &", nearest, RUSSIAN)
    (text,) = parsed([chunk])
    assert text.startswith("В интервью нет близкого ответа на вопрос «<b>q</b> &».\n\n")
    assert text.endswith("1. Вопрос 1 <?>\n2. Вопрос 2 <?>\n3. Вопрос 3 <?>")
    assert parsed(render.no_answer("q", (), ENGLISH)) == [
        "The interview has no close answer to “q”."
    ]


# ---- splitting -----------------------------------------------------------------------


def sentences(count: int, words: int = 30) -> str:
    return " ".join(f"Предложение {n} " + "слово " * words + "конец." for n in range(count))


def test_long_paragraph_is_split_at_sentence_ends() -> None:
    text = sentences(120)
    assert len(text) > 3 * LIMIT
    chunks = render.answer(paragraph(text), document(), RUSSIAN)
    assert len(chunks) >= 4
    shown = parsed(chunks)
    for part in shown[:-1]:
        assert part.endswith("конец.")
    assert shown[0].startswith("Когда?\nРАЗДЕЛ\n\nПредложение 0 ")
    assert shown[-1].endswith("Источник: Интервью\nАбзац 1 из 3")
    body = " ".join(shown).removeprefix("Когда?\nРАЗДЕЛ\n\n")
    assert body.removesuffix("\n\nИсточник: Интервью\nАбзац 1 из 3") == text


def test_a_heading_is_not_left_alone_in_a_message() -> None:
    text = sentences(21)  # a message's worth, but not with the heading and the source
    assert LIMIT - 200 < len(text) <= LIMIT + 200
    first, second = parsed(render.answer(paragraph(text), document(), RUSSIAN))
    assert first.startswith("Когда?\nРАЗДЕЛ\n\nПредложение 0 ") and first.endswith("конец.")
    assert second.endswith("Источник: Интервью\nАбзац 1 из 3")


def test_whole_answer_is_split_between_paragraphs() -> None:
    paragraphs = [paragraph(sentences(12, 25), position=i, count=6) for i in range(1, 7)]
    chunks = render.whole_answer(paragraphs, document(), RUSSIAN)
    assert len(chunks) > 1
    shown = parsed(chunks)
    # Each paragraph is whole within one message, and they come in order.
    joined = "\n\n".join(shown)
    assert joined.count(paragraphs[0].text) == 6
    for part in shown[:-1]:
        assert part.endswith("конец.")
    assert shown[-1].endswith("Источник: Интервью")


def test_escaping_that_grows_the_text_still_fits() -> None:
    # "&" becomes "&amp;": five times longer in the HTML than in the text Telegram shows.
    text = " ".join(["& < >" * 40 + "."] * 60)
    chunks = render.answer(paragraph(text), document(), RUSSIAN)
    assert all(utf16_len(chunk) <= LIMIT for chunk in chunks)
    assert "".join(parsed(chunks)).count("&") == text.count("&")


def test_no_sentence_ends_or_spaces_still_splits_anywhere() -> None:
    for word, text in (("щука", "щука " * 2000), ("ж", "ж" * 9000), ("😀", "😀" * 5000)):
        chunks = render.answer(paragraph(text), document(), RUSSIAN)
        assert len(chunks) > 1
        assert "".join(parsed(chunks)).count(word) == text.count(word)


def test_a_long_question_is_split_inside_its_bold_tag() -> None:
    question = sentences(60)
    chunks = render.answer(paragraph(question=question), document(), RUSSIAN)
    shown = parsed(chunks)
    bold = "".join(" ".join(entity_texts(chunk, "bold")) + " " for chunk in chunks)
    assert " ".join(bold.split()) == question
    assert shown[-1].endswith("Абзац 1 из 3")


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
    spans = [[render.Span(text, tag) for text, tag in block] for block in blocks]
    chunks = render.pack(spans, limit)
    shown = []
    for chunk in chunks:
        assert utf16_len(chunk) <= limit
        shown.append(parse_telegram_html(chunk)[0])
    # Nothing is lost but whitespace.
    expected = "".join(text for block in blocks for text, _ in block)
    assert re.sub(r"\s", "", "".join(shown)) == re.sub(r"\s", "", expected)


def test_inline_message_is_one_message_even_for_a_long_paragraph() -> None:
    p = paragraph(sentences(200))
    article = render.inline_article(hit(1, p), document(), RUSSIAN)
    content = article.input_message_content.message_text
    assert utf16_len(content) <= LIMIT
    text, _ = parse_telegram_html(content)
    assert text.endswith("…\n\nИсточник: Интервью\nАбзац 1 из 3")
    assert article.title == p.question and article.description.endswith("…")
    assert len(article.description) <= render.SNIPPET_CHARS


def test_shorten_cuts_at_a_word_end() -> None:
    assert render.shorten("короткий", 20) == "короткий"
    assert render.shorten("раз два три четыре", 12) == "раз два…"
    assert len(render.shorten("я" * 100, 10)) == 10


# ---- keyboards and callback data -----------------------------------------------------


def test_answer_keyboard_and_its_callback_data() -> None:
    p = paragraph()
    (row,) = keyboards.answer_keyboard(p, RUSSIAN).inline_keyboard
    assert [(b.text, b.callback_data) for b in row] == [
        ("Другие ответы", "o:interview/2.1"),
        ("Весь ответ", "w:interview/2.1"),
    ]
    (row,) = keyboards.answer_keyboard(dataclasses.replace(p, count=1), ENGLISH).inline_keyboard
    assert [b.text for b in row] == ["Other answers"]  # nothing more to show


@pytest.mark.parametrize(
    "doc_id",
    ["interview", "интервью-министра-иностранных-дел-казахстана-2013", "x" * 200, "#hash"],
)
def test_callback_data_fits_and_round_trips(doc_id: str) -> None:
    target = paragraph(doc_id=doc_id, answer_no=123, position=45)
    other = paragraph(doc_id=doc_id + "-other", answer_no=123, position=45)
    searcher = FakeSnapshot([target, other], [document(doc_id), document(doc_id + "-other")])
    for action in Action:
        data = keyboards.callback_data(action, target)
        assert 1 <= len(data.encode()) <= keyboards.MAX_CALLBACK_BYTES
        assert re.match(action.pattern, data)
        parsed_action, ref = keyboards.parse_callback(data)
        assert parsed_action is action
        assert keyboards.find_paragraph(ref, searcher) == target


def test_a_paragraph_that_is_gone_is_not_found() -> None:
    searcher = FakeSnapshot([], [document()])
    ref = keyboards.paragraph_ref(paragraph())
    assert keyboards.find_paragraph(ref, searcher) is None
    long_ref = keyboards.paragraph_ref(paragraph(doc_id="д" * 60))
    assert long_ref.startswith("#")
    assert keyboards.find_paragraph(long_ref, searcher) is None


@pytest.mark.parametrize("data", ["", "o", "o:", "x:interview/1.1", "старое"])
def test_unknown_callback_data_is_refused(data: str) -> None:
    assert keyboards.parse_callback(data) is None


def test_numbered_and_suggestion_keyboards() -> None:
    hits = [hit(rank, paragraph(answer_no=rank, question="В" * 100)) for rank in (1, 3)]
    (row,) = keyboards.numbered_keyboard(hits).inline_keyboard
    assert [(b.text, b.callback_data) for b in row] == [
        ("1", "h:interview/1.1"),
        ("3", "h:interview/3.1"),
    ]
    rows = keyboards.suggestions_keyboard(hits).inline_keyboard
    assert [len(r) for r in rows] == [1, 1]
    assert rows[1][0].text.startswith("2. ВВВ") and rows[1][0].text.endswith("…")
    assert len(rows[1][0].text) <= keyboards.BUTTON_CHARS + 3


# ---- languages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", ENGLISH),
        ("en-GB", ENGLISH),
        ("EN", ENGLISH),
        ("ru", RUSSIAN),
        ("kk", RUSSIAN),
        (None, RUSSIAN),
    ],
)
def test_language_choice(code: str | None, expected: object) -> None:
    assert texts_for(code) is expected


def test_both_languages_have_every_string_with_the_same_placeholders() -> None:
    placeholders = re.compile(r"\{(\w+)\}")
    for field in dataclasses.fields(RUSSIAN):
        ru, en = getattr(RUSSIAN, field.name), getattr(ENGLISH, field.name)
        if field.name == "language_code":
            continue
        assert ru and en, field.name
        if isinstance(ru, str):
            assert ru != en, field.name
            assert placeholders.findall(ru) == placeholders.findall(en), field.name
    assert [c for c, _ in RUSSIAN.commands] == [c for c, _ in ENGLISH.commands]
    assert [t.language_code for t in LANGUAGES] == [None, "en"]
    assert 3 <= len(RUSSIAN.examples) == len(ENGLISH.examples) <= 4


def test_start_in_english_and_russian() -> None:
    docs = [document(title="Интервью <министра>")]
    (ru,) = parsed(render.start(docs, "some_bot", RUSSIAN))
    (en,) = parsed(render.start(docs, "some_bot", ENGLISH))
    for text, texts in ((ru, RUSSIAN), (en, ENGLISH)):
        assert "• Интервью <министра>" in text
        assert "@some_bot" in text
        assert all(example in text for example in texts.examples)
    assert ru.startswith("Я отвечаю") and en.startswith("I answer")
    rows = keyboards.examples_keyboard(ENGLISH).keyboard
    assert [row[0].text for row in rows] == list(ENGLISH.examples)


# ---- highlight -------------------------------------------------------------------------


def test_the_highlight_sentence_is_bold_inside_the_paragraph() -> None:
    p = paragraph("Первое предложение. Второе <важное> & главное! Третье.")
    (chunk,) = render.answer(p, document(), RUSSIAN, highlight="Второе <важное> & главное!")
    (text,) = parsed([chunk])
    assert p.text in text
    assert entity_texts(chunk, "bold") == ["Когда?", "Второе <важное> & главное!"]
    assert "<b>Второе &lt;важное&gt; &amp; главное!</b>" in chunk


@pytest.mark.parametrize("highlight", [None, "", "  ", "Не из этого абзаца.", "Одно предложение."])
def test_no_bold_when_the_highlight_is_missing_foreign_or_the_whole_paragraph(
    highlight: str | None,
) -> None:
    p = paragraph("Одно предложение.")
    (chunk,) = render.answer(p, document(), RUSSIAN, highlight=highlight)
    assert entity_texts(chunk, "bold") == ["Когда?"]


def test_a_highlight_in_a_split_paragraph_stays_bold_across_messages() -> None:
    long_sentence = "Важное " + "слово " * 1000 + "конец."
    text = sentences(10) + " " + long_sentence + " " + sentences(10)
    chunks = render.answer(paragraph(text), document(), RUSSIAN, highlight=long_sentence)
    assert len(chunks) >= 3
    parsed(chunks)
    bold = " ".join(" ".join(entity_texts(chunk, "bold")) for chunk in chunks)
    assert " ".join(bold.split()) == "Когда? " + " ".join(long_sentence.split())


def test_the_inline_article_keeps_the_highlight_bold() -> None:
    p = paragraph("Первое. Второе. Третье.")
    article = render.inline_article(
        Hit(rank=1, score=0.9, paragraph=p, highlight="Второе."), document(), RUSSIAN
    )
    content = article.input_message_content.message_text
    assert entity_texts(content, "bold") == ["Когда?", "Второе."]


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
    section=st.none() | _ANY,
    text=_ANY,
    title=_ANY,
    highlight_at=st.tuples(st.integers(0, 20_000), st.integers(0, 20_000)),
)
def test_any_paragraph_renders_as_valid_messages_showing_all_of_it(
    question: str, section: str | None, text: str, title: str, highlight_at: tuple[int, int]
) -> None:
    start, length = highlight_at
    highlight = text[start : start + length]
    p = paragraph(text, question=question, section=section)
    doc = document(title=title, source_url="https://example.com/a?b=1&c=<2>")
    chunks = render.answer(p, doc, RUSSIAN, highlight=highlight)
    shown = squash(visible(chunks))
    for part in (question, section or "", text, title):
        assert squash(part) in shown
    # And in order: the heading, the paragraph, the source.
    assert shown.startswith(squash(question) + squash(section or "") + squash(text))
    assert shown.endswith(squash("Источник: " + title + "Абзац 1 из 3"))


@settings(max_examples=40, deadline=None)
@given(query=_ANY, question=_ANY, text=_ANY)
def test_any_question_renders_in_no_answer_and_other_answers(
    query: str, question: str, text: str
) -> None:
    p = paragraph(text, question=question)
    nearest = (hit(1, p),)
    shown = squash(visible(render.no_answer(query, nearest, ENGLISH)))
    assert squash(query) in shown and squash(question) in shown
    shown = squash(visible(render.other_answers(query, [hit(2, p)], RUSSIAN)))
    assert squash(query) in shown and squash(question) in shown
