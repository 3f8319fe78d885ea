"""Tests for retrieval.corpus: the transcript format, its refusals, metadata and fingerprint."""

from __future__ import annotations

import errno
import os
import pickle
import shutil
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from records import TranslatedTopics
from retrieval.corpus import (
    MAX_PARAGRAPH_CHARS,
    Corpus,
    CorpusError,
    Document,
    Paragraph,
    load_corpus,
    parse_document,
)

DATA = Path(__file__).resolve().parent.parent / "data"
SEED = DATA / "interview.txt"
SEED_SECTION = 'СОТРУДНИЧЕСТВО С РФ: КАЗАХСТАН НИКОГДА НЕ СОЙДЕТ С РОССИЙСКОЙ "ОРБИТЫ"'

CLEAN = (
    "Вопрос\tПервый вопрос?\n"
    "Ответ\tПервый абзац.\n"
    "\tВторой абзац.\n"
    "РАЗДЕЛ ВТОРОЙ\n"
    "Вопрос\tВторой вопрос?\n"
    "Ответ\tТретий абзац.\n"
)


def write(folder: Path, name: str, content: str | bytes) -> Path:
    path = folder / name
    path.write_bytes(content.encode() if isinstance(content, str) else content)
    return path


def shape(records: tuple[Paragraph, ...]) -> list[tuple[object, ...]]:
    """Everything about the records except source line numbers."""
    return [
        (p.id, p.document_id, p.question, p.section, p.answer_no, p.position, p.count, p.text)
        for p in records
    ]


def refusal(call, *args) -> CorpusError:
    with pytest.raises(CorpusError) as info:
        call(*args)
    error = info.value
    assert "\n" not in str(error)
    where = str(error.path) if error.line is None else f"{error.path}:{error.line}"
    assert str(error) == f"{where}: {error.reason}"
    return error


# --- the seed interview ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def seed() -> tuple[Document, tuple[Paragraph, ...]]:
    return parse_document(SEED)


SEED_RECORDS = [
    # id, line, section, answer_no, position, count
    ("interview/1.1", 2, None, 1, 1, 5),
    ("interview/1.2", 3, None, 1, 2, 5),
    ("interview/1.3", 4, None, 1, 3, 5),
    ("interview/1.4", 5, None, 1, 4, 5),
    ("interview/1.5", 6, None, 1, 5, 5),
    ("interview/2.1", 9, SEED_SECTION, 2, 1, 3),
    ("interview/2.2", 10, SEED_SECTION, 2, 2, 3),
    ("interview/2.3", 11, SEED_SECTION, 2, 3, 3),
    ("interview/3.1", 13, SEED_SECTION, 3, 1, 3),
    ("interview/3.2", 14, SEED_SECTION, 3, 2, 3),
    ("interview/3.3", 15, SEED_SECTION, 3, 3, 3),
]


def test_seed_has_eleven_records(seed):
    _, records = seed
    assert [p.id for p in records] == [row[0] for row in SEED_RECORDS]


@pytest.mark.parametrize(("index", "row"), list(enumerate(SEED_RECORDS)))
def test_seed_record(seed, index, row):
    paragraph_id, line, section, answer_no, position, count = row
    p = seed[1][index]
    assert (p.id, p.line, p.section, p.answer_no, p.position, p.count) == (
        paragraph_id,
        line,
        section,
        answer_no,
        position,
        count,
    )
    assert p.document_id == "interview"
    assert p.text == p.text.strip() and p.text


@pytest.mark.parametrize(
    ("answer_no", "question_start", "question_end", "first_words"),
    [
        (1, "Президент Нурсултан Назарбаев", "в практической плоскости?", "Задача эта не новая"),
        (2, "Астана и Москва готовят", "будут в нем закреплены ?", "Сейчас мы работаем"),
        (3, "Военно-техническое сотрудничество", "оправданы ли эти опасения?", "Нет, не оправданы"),
    ],
)
def test_seed_questions(seed, answer_no, question_start, question_end, first_words):
    answer = [p for p in seed[1] if p.answer_no == answer_no]
    assert {p.question for p in answer} == {answer[0].question}
    assert answer[0].question.startswith(question_start)
    assert answer[0].question.endswith(question_end)
    assert answer[0].text.startswith(first_words)


def test_seed_metadata(seed):
    document, _ = seed
    assert document.id == "interview"
    assert document.path == SEED
    assert document.description.startswith("Интервью министра иностранных дел Казахстана")
    assert document.title is None  # the headline as published is not known yet
    assert document.interviewee == "Министр иностранных дел Республики Казахстан"
    assert document.language == "ru"
    # Not known yet: they must stay empty rather than be made up.
    assert document.date is None
    assert document.source_url is None


def test_data_folder_loads():
    corpus = load_corpus(DATA)
    records = [p for p in corpus.paragraphs if p.document_id == "interview"]
    assert [p.id for p in records] == [row[0] for row in SEED_RECORDS]
    assert corpus.document("interview").name.startswith("Интервью министра")


# --- accepted variants -----------------------------------------------------------------------


def _trailing_whitespace(text: str) -> str:
    return "".join(line + " \t \n" for line in text.splitlines())


VARIANTS = [
    # name, content, whether line numbers stay those of CLEAN
    ("clean", CLEAN, True),
    ("crlf", CLEAN.replace("\n", "\r\n"), True),
    ("bom", "\ufeff" + CLEAN, True),
    ("trailing spaces and tabs", _trailing_whitespace(CLEAN), True),
    ("no final newline", CLEAN.rstrip("\n"), True),
    ("english labels", CLEAN.replace("Вопрос", "Question").replace("Ответ", "Answer"), True),
    ("heading with a leading tab", CLEAN.replace("РАЗДЕЛ", "\tРАЗДЕЛ"), True),
    ("extra tab after a label", CLEAN.replace("Ответ\t", "Ответ\t\t"), True),
    (
        "bom, crlf, trailing spaces",
        "\ufeff" + _trailing_whitespace(CLEAN).replace("\n", "\r\n"),
        True,
    ),
    ("blank lines", "\n\n" + CLEAN.replace("\n", "\n\n \n\t\n"), False),
    ("question continuation", CLEAN.replace("Первый вопрос?", "Первый\n\tвопрос?"), False),
    ("label alone on its line", CLEAN.replace("Ответ\tТретий", "Ответ\n\tТретий"), False),
]


@pytest.mark.parametrize(("name", "content", "same_lines"), VARIANTS, ids=[v[0] for v in VARIANTS])
def test_variant_gives_the_clean_records(tmp_path, name, content, same_lines):
    _, expected = parse_document(write(tmp_path, "doc.txt", CLEAN))
    _, records = parse_document(write(tmp_path, "doc.txt", content))
    assert shape(records) == shape(expected)
    if same_lines:
        assert records == expected


def test_clean_records(tmp_path):
    _, records = parse_document(write(tmp_path, "doc.txt", CLEAN))
    assert [(p.id, p.line, p.section, p.position, p.count, p.text) for p in records] == [
        ("doc/1.1", 2, None, 1, 2, "Первый абзац."),
        ("doc/1.2", 3, None, 2, 2, "Второй абзац."),
        ("doc/2.1", 6, "РАЗДЕЛ ВТОРОЙ", 1, 1, "Третий абзац."),
    ]
    assert [p.question for p in records] == ["Первый вопрос?", "Первый вопрос?", "Второй вопрос?"]


def test_paragraph_at_the_limit_is_accepted(tmp_path):
    text = "я" * MAX_PARAGRAPH_CHARS
    _, records = parse_document(write(tmp_path, "doc.txt", f"Вопрос\tА?\nОтвет\t{text}\n"))
    assert records[0].text == text


# --- refusals in a document ------------------------------------------------------------------

QA = "Вопрос\tА?\nОтвет\tДа.\n"
LONG = "я" * (MAX_PARAGRAPH_CHARS + 1)

REFUSALS = [
    # name, content, line, part of the reason
    ("cp1251", "Question\tHow?\nОтвет\tДа.\n".encode("cp1251"), 2, "not UTF-8"),
    ("bad byte on line 3", QA.encode() + b"\t\xff\n", 3, "byte 0xFF"),
    ("truncated UTF-8 at the end", QA.encode() + "\tя".encode()[:-1], 3, "not UTF-8"),
    ("bad byte after a BOM", b"\xef\xbb\xbf" + QA.encode() + b"\xc0", 3, "not UTF-8"),
    ("binary", b"\x00\x01\x02\x03\xff", 1, "binary file, not text"),
    ("NUL on line 2", b"Question\tA?\nAnswer\x00\n", 2, "binary file, not text"),
    ("UTF-16", QA.encode("utf-16"), 1, "UTF-16"),
    ("answer first", "Ответ\tДа.\n", 1, "answer with no question before it"),
    ("second answer", QA + "Ответ\tЕщё.\n", 3, "answer with no question before it"),
    ("answer after a heading", QA + "РАЗДЕЛ\nОтвет\tЕщё.\n", 4, "answer with no question"),
    ("text before any label", "Просто текст.\n" + QA, 1, "text before the first question"),
    ("tab text before any label", "\tПросто текст.\n" + QA, 1, "text before the first question"),
    ("text after a heading", "РАЗДЕЛ\n\tтекст\n" + QA, 2, "after the heading at line 1"),
    ("unknown label", "Вопрос\tА?\nКомментарий\tх\nОтвет\tДа.\n", 2, "unknown label 'Комментарий'"),
    ("lower-case label", "вопрос\tА?\nОтвет\tДа.\n", 1, "unknown label 'вопрос'"),
    ("label without a tab", "Вопрос А?\nОтвет\tДа.\n", 1, "'Вопрос' must be followed by a TAB"),
    ("unlabelled line", QA + "просто текст\n", 3, "line has no label"),
    ("empty file", b"", None, "no answers"),
    ("blank lines only", "\n \n\t\n\r\n", None, "no answers"),
    ("headings only", "РАЗДЕЛ ОДИН\n\tРАЗДЕЛ ДВА\n", None, "no answers"),
    ("question at the end", QA + "Вопрос\tБ?\n", 3, "question with no answer"),
    ("question then question", "Вопрос\tА?\n" + QA, 1, "question with no answer"),
    ("question then heading", "Вопрос\tА?\nРАЗДЕЛ\n" + QA, 1, "question with no answer"),
    ("empty question", "Вопрос\nОтвет\tДа.\n", 1, "empty question"),
    ("empty answer", "Вопрос\tА?\nОтвет\n" + QA, 2, "empty answer"),
    ("long first paragraph", f"Вопрос\tА?\nОтвет\t{LONG}\n", 2, f"{len(LONG)} characters"),
    ("long later paragraph", f"{QA}\n\t{LONG}", 4, f"{len(LONG)} characters long"),
]


@pytest.mark.parametrize(
    ("name", "content", "line", "reason"), REFUSALS, ids=[r[0] for r in REFUSALS]
)
def test_refusal(tmp_path, name, content, line, reason):
    path = write(tmp_path, "doc.txt", content)
    error = refusal(parse_document, path)
    assert (error.path, error.line) == (path, line)
    assert reason in error.reason
    where = f"{path}:{line}" if line is not None else f"{path}"
    assert str(error).startswith(f"{where}: ")


@pytest.mark.parametrize(("name", "content", "line", "reason"), REFUSALS[:6])
def test_refusal_in_a_folder_names_the_bad_file(tmp_path, name, content, line, reason):
    write(tmp_path, "a.txt", QA)
    bad = write(tmp_path, "b.txt", content)
    error = refusal(load_corpus, tmp_path)
    assert (error.path, error.line) == (bad, line)


# --- refusals of files and folders -----------------------------------------------------------


def test_missing_folder(tmp_path):
    error = refusal(load_corpus, tmp_path / "nowhere")
    assert error.line is None and "does not exist" in error.reason


def test_folder_is_a_file(tmp_path):
    path = write(tmp_path, "doc.txt", QA)
    assert "not a folder" in refusal(load_corpus, path).reason


@pytest.mark.parametrize("names", [[], ["notes.md", "doc.toml"], [".hidden.txt"]])
def test_folder_without_transcripts(tmp_path, names):
    for name in names:
        write(tmp_path, name, QA)
    error = refusal(load_corpus, tmp_path)
    assert error.path == tmp_path and "no *.txt" in error.reason


def test_symlink_loop(tmp_path):
    write(tmp_path, "a.txt", QA)
    (tmp_path / "b.txt").symlink_to("b.txt")
    error = refusal(load_corpus, tmp_path)
    assert error.path == tmp_path / "b.txt"
    assert "cannot read file" in error.reason and os.strerror(errno.ELOOP) in error.reason


def test_dangling_symlink(tmp_path):
    (tmp_path / "a.txt").symlink_to(tmp_path / "gone.txt")
    error = refusal(load_corpus, tmp_path)
    assert error.path == tmp_path / "a.txt" and "broken symlink" in error.reason


def test_directory_named_like_a_transcript(tmp_path):
    (tmp_path / "a.txt").mkdir()
    error = refusal(load_corpus, tmp_path)
    assert error.path == tmp_path / "a.txt" and "cannot read file" in error.reason


def test_permission_denied(tmp_path, monkeypatch):
    path = write(tmp_path, "a.txt", QA)
    read_bytes = Path.read_bytes

    def deny(self: Path) -> bytes:
        if self == path:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", deny)
    error = refusal(load_corpus, tmp_path)
    assert error.path == path and os.strerror(errno.EACCES) in error.reason


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root can read anything")
def test_permission_denied_for_real(tmp_path):
    path = write(tmp_path, "a.txt", QA)
    path.chmod(0)
    error = refusal(parse_document, path)
    assert os.strerror(errno.EACCES) in error.reason


def test_duplicate_content_names_both_files(tmp_path):
    write(tmp_path, "a.txt", QA)
    write(tmp_path, "b.txt", CLEAN)
    duplicate = write(tmp_path, "c.txt", QA)
    error = refusal(load_corpus, tmp_path)
    assert error.path == duplicate and "a.txt" in error.reason
    assert "same content" in error.reason


# --- the corpus ------------------------------------------------------------------------------


def test_load_corpus_orders_documents_by_name(tmp_path):
    write(tmp_path, "b.txt", QA)
    write(tmp_path, "a.txt", CLEAN)
    write(tmp_path, "notes.md", "not a transcript")
    (tmp_path / "sub").mkdir()
    write(tmp_path / "sub", "c.txt", QA)  # not recursive
    corpus = load_corpus(tmp_path)
    assert [d.id for d in corpus.documents] == ["a", "b"]
    assert [p.id for p in corpus.paragraphs] == ["a/1.1", "a/1.2", "a/2.1", "b/1.1"]
    assert corpus.document("b").path == tmp_path / "b.txt"


def test_document_lookup_of_an_unknown_id(tmp_path):
    write(tmp_path, "a.txt", QA)
    with pytest.raises(KeyError):
        load_corpus(tmp_path).document("b")


def test_answer_returns_the_whole_answer_in_order():
    corpus = load_corpus(DATA)
    for paragraph in corpus.paragraphs:
        answer = corpus.answer(paragraph)
        assert paragraph in answer
        assert [p.position for p in answer] == list(range(1, paragraph.count + 1))
        assert {(p.document_id, p.answer_no) for p in answer} == {
            (paragraph.document_id, paragraph.answer_no)
        }
    first = next(p for p in corpus.paragraphs if p.id == "interview/1.3")
    assert [p.id for p in corpus.answer(first)] == [f"interview/1.{i}" for i in range(1, 6)]


def test_corpus_is_comparable_and_hashable(tmp_path):
    write(tmp_path, "a.txt", CLEAN)
    one, two = load_corpus(tmp_path), load_corpus(tmp_path)
    one.answer(one.paragraphs[0])  # fills the answer index; it must not affect equality
    assert one == two and hash(one) == hash(two)
    assert isinstance(one, Corpus)


# --- sidecar metadata ------------------------------------------------------------------------


def test_sidecar_absent(tmp_path):
    document, _ = parse_document(write(tmp_path, "talk.txt", QA))
    assert document == Document(id="talk", path=tmp_path / "talk.txt")
    assert document.name == "talk"  # no headline, no description: the file names it


def test_sidecar_present(tmp_path):
    write(
        tmp_path,
        "talk.toml",
        'title = "Интервью"\ndate = "2014-05-12"\ninterviewee = "Министр"\n'
        'interviewer = "Корреспондент"\noutlet = "Газета"\n'
        'source_url = "https://example.org/a"\nlanguage = "kk"\ntopics = ["  Да  и  нет "]\n',
    )
    document, _ = parse_document(write(tmp_path, "talk.txt", QA))
    assert document == Document(
        id="talk",
        title="Интервью",
        path=tmp_path / "talk.txt",
        date="2014-05-12",
        interviewee="Министр",
        interviewer="Корреспондент",
        outlet="Газета",
        source_url="https://example.org/a",
        language="kk",
        topics=("Да и нет",),
    )


@pytest.mark.parametrize(
    ("toml", "expected"),
    [
        ('date = "2014-05-12"', {"title": None, "name": "talk", "date": "2014-05-12"}),
        ("date = 2014-05-12", {"date": "2014-05-12"}),  # an unquoted TOML date
        ("# only a comment", {"title": None, "date": None, "language": "ru"}),
        ('description = "Беседа"', {"title": None, "name": "Беседа"}),
        ('title = "Т"', {"title": "Т", "interviewee": None, "source_url": None}),
    ],
)
def test_sidecar_fields(tmp_path, toml, expected):
    write(tmp_path, "talk.toml", toml + "\n")
    document, _ = parse_document(write(tmp_path, "talk.txt", QA))
    assert {name: getattr(document, name) for name in expected} == expected


def test_topic_labels_in_other_languages_fall_back_to_the_interviews_own(tmp_path):
    write(tmp_path, "talk.toml", 'topics = ["Да и нет"]\ntopics_en = ["  Yes  and no "]\n')
    document, _ = parse_document(write(tmp_path, "talk.txt", QA))
    assert document.translated_topics == (TranslatedTopics(language="en", topics=("Yes and no",)),)
    assert document.topic(1, "en") == "Yes and no"
    # Kazakh has no labels here, and the interview's own language needs none.
    assert document.topic(1, "kk") == document.topic(1, "ru") == document.topic(1) == "Да и нет"
    corpus = load_corpus(tmp_path)
    assert corpus.label(corpus.paragraphs[0], "en") == "Yes and no"


SIDECAR_REFUSALS = [
    # name, content, line, part of the reason
    ("bad TOML", 'title = "x"\ndate = \n', 2, "not valid TOML"),
    ("unclosed string", 'title = "x\n', 1, "not valid TOML"),
    ("not UTF-8", 'title = "Интервью"\n'.encode("cp1251"), 1, "not UTF-8"),
    ("title is a number", "title = 5\n", None, "field 'title' must be a string, not int"),
    ("language is a list", 'language = ["ru"]\n', None, "field 'language' must be a string"),
    ("date-time", "date = 2014-05-12T10:00:00\n", None, "field 'date' must be a string"),
    ("date not ISO", 'date = "12.05.2014"\n', None, "field 'date' must be an ISO date"),
    ("empty title", 'title = ""\n', None, "field 'title' is empty"),
    ("unknown field", 'title = "x"\nauthor = "y"\n', None, "unknown field 'author'"),
    ("topics not a list", 'topics = "Инвестиции"\n', None, "'topics' must be a list of strings"),
    ("topic not a string", "topics = [1]\n", None, "field 'topics[1]' must be a string, not int"),
    ("empty topic", 'topics = [" "]\n', None, "field 'topics[1]' is empty"),
    ("topic too long", f'topics = ["{"т" * 41}"]\n', None, "topics[1] is 41 characters"),
    ("a topic too many", 'topics = ["А", "Б"]\n', None, "'topics' has 2 labels, talk.txt has 1"),
    ("table", '[meta]\ntitle = "x"\n', None, "unknown field 'meta'"),
    ("translated topic", "topics_en = [2]\n", None, "field 'topics_en[1]' must be a string"),
    ("too many", 'topics_kk = ["А", "Б"]\n', None, "'topics_kk' has 2 labels, talk.txt has 1"),
    ("no language", 'topics_ = ["А"]\n', None, "unknown field 'topics_'"),
]


@pytest.mark.parametrize(
    ("name", "content", "line", "reason"), SIDECAR_REFUSALS, ids=[r[0] for r in SIDECAR_REFUSALS]
)
def test_sidecar_refusal(tmp_path, name, content, line, reason):
    sidecar = write(tmp_path, "talk.toml", content)
    write(tmp_path, "talk.txt", QA)
    for call, argument in ((parse_document, tmp_path / "talk.txt"), (load_corpus, tmp_path)):
        error = refusal(call, argument)
        assert (error.path, error.line) == (sidecar, line)
        assert reason in error.reason


def test_dangling_sidecar_symlink_is_refused(tmp_path):
    (tmp_path / "talk.toml").symlink_to(tmp_path / "gone.toml")
    error = refusal(parse_document, write(tmp_path, "talk.txt", QA))
    assert error.path == tmp_path / "talk.toml" and "broken symlink" in error.reason


def test_seed_sidecar_leaves_unknown_fields_out():
    text = (DATA / "interview.toml").read_text(encoding="utf-8")
    assert "unknown" in text
    assert not any(line.startswith(("date", "source_url")) for line in text.splitlines())


# --- fingerprint -----------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    folder = tmp_path / "corpus"
    folder.mkdir()
    write(folder, "a.txt", CLEAN)
    write(folder, "a.toml", 'title = "A"\n')
    write(folder, "b.txt", QA)
    return folder


def test_fingerprint_is_stable(folder, tmp_path):
    first = load_corpus(folder).fingerprint
    assert len(first) == 64 and int(first, 16) >= 0
    assert load_corpus(folder).fingerprint == first
    os.utime(folder / "a.txt", (0, 0))  # times are not content
    write(folder, "notes.md", "ignored")  # nor are files that are not part of the corpus
    assert load_corpus(folder).fingerprint == first
    copy = shutil.copytree(folder, tmp_path / "copy")  # nor is where the folder lives
    assert load_corpus(copy).fingerprint == first


@pytest.mark.parametrize(
    "change",
    [
        lambda f: write(f, "a.txt", CLEAN.replace("Первый абзац", "Первый  абзац")),
        lambda f: write(f, "b.txt", QA.replace("\n", "\r\n")),  # same records, other bytes
        lambda f: write(f, "a.toml", 'title = "B"\n'),
        lambda f: (f / "a.toml").unlink(),
        lambda f: write(f, "b.toml", 'title = "B"\n'),
        lambda f: (f / "b.txt").rename(f / "c.txt"),
        lambda f: write(f, "c.txt", "Вопрос\tВ?\nОтвет\tНет.\n"),
    ],
    ids=["text", "line endings", "sidecar", "sidecar removed", "sidecar added", "rename", "added"],
)
def test_fingerprint_changes_with_content(folder, change):
    before = load_corpus(folder).fingerprint
    change(folder)
    assert load_corpus(folder).fingerprint != before


# --- the error type --------------------------------------------------------------------------


def test_error_message_format():
    assert str(CorpusError(Path("a/b.txt"), 3, "bad")) == "a/b.txt:3: bad"
    assert str(CorpusError(Path("a/b.txt"), None, "bad")) == "a/b.txt: bad"


def test_error_message_is_one_line():
    error = CorpusError(Path("a\nb.txt"), 1, "two\nlines\r")
    assert "\n" not in str(error) and "\r" not in str(error)
    assert error.reason == "two\\nlines\\r"


def test_error_survives_pickling():
    error = pickle.loads(pickle.dumps(CorpusError(Path("a.txt"), 2, "bad")))
    assert (error.path, error.line, error.reason, str(error)) == (
        Path("a.txt"),
        2,
        "bad",
        "a.txt:2: bad",
    )


# --- properties ------------------------------------------------------------------------------

PROPERTY = settings(
    max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def check_records(records: tuple[Paragraph, ...]) -> None:
    assert records
    assert len({p.id for p in records}) == len(records)
    assert [p.line for p in records] == sorted(p.line for p in records)
    answer_numbers = sorted({p.answer_no for p in records})
    assert answer_numbers == list(range(1, len(answer_numbers) + 1))
    for p in records:
        assert p.id == f"{p.document_id}/{p.answer_no}.{p.position}"
        assert 1 <= p.position <= p.count
        assert p.text and p.text == p.text.strip() and "\n" not in p.text
        assert p.question and "\n" not in p.question
        assert len(p.text) <= MAX_PARAGRAPH_CHARS


def parse_or_refuse(path: Path, content: bytes) -> None:
    path.write_bytes(content)
    try:
        _, records = parse_document(path)
    except CorpusError as error:
        assert "\n" not in str(error) and "\r" not in str(error)
        assert error.path == path
    else:
        check_records(records)


@PROPERTY
@given(text=st.text())
def test_any_text_is_parsed_or_refused(tmp_path, text):
    parse_or_refuse(tmp_path / "doc.txt", text.encode())


@PROPERTY
@given(data=st.binary())
def test_any_bytes_are_parsed_or_refused(tmp_path, data):
    parse_or_refuse(tmp_path / "doc.txt", data)


LINE_STARTS = ["Вопрос\t", "Ответ\t", "Question\t", "Answer\t", "\t", "", "Комментарий\t", "Ответ"]
LINES = st.tuples(
    st.sampled_from(LINE_STARTS),
    st.one_of(st.sampled_from(["РАЗДЕЛ", "Да.", "как?", " ", "\t"]), st.text(max_size=12)),
).map("".join)


@PROPERTY
@given(lines=st.lists(LINES, max_size=12), newline=st.sampled_from(["\n", "\r\n"]))
def test_any_transcript_shaped_text_is_parsed_or_refused(tmp_path, lines, newline):
    parse_or_refuse(tmp_path / "doc.txt", newline.join(lines).encode())


@PROPERTY
@given(lines=st.lists(LINES, max_size=12))
def test_line_endings_do_not_change_the_records(tmp_path, lines):
    text = "\n".join(lines)
    results = []
    for content in (text, text.replace("\n", "\r\n"), "\ufeff" + text + "\n"):
        try:
            results.append(parse_document(write(tmp_path, "doc.txt", content))[1])
        except CorpusError as error:
            results.append(where_and_why(error))
    assert results[0] == results[1] == results[2]


def where_and_why(error: CorpusError) -> tuple[int | None, str]:
    return (error.line, error.reason)


def test_records_are_frozen(tmp_path):
    _, records = parse_document(write(tmp_path, "doc.txt", QA))
    with pytest.raises(ValidationError, match="frozen"):
        records[0].text = "changed"  # type: ignore[misc]
    assert records[0].model_copy(update={"text": "x"}).text == "x"
