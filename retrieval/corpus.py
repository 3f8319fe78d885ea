"""Interview transcripts → answer paragraphs, the records the bot retrieves.

A corpus is a folder of ``*.txt`` transcripts, one interview each, read line by line::

    Вопрос<TAB>question text          (or Question<TAB>)
    <TAB>more question text           joined to the question with a space
    Ответ<TAB>first answer paragraph  (or Answer<TAB>)
    <TAB>next answer paragraph
    SECTION HEADING IN CAPITALS       optionally after a TAB; sets the section of later questions

An optional ``<stem>.toml`` beside ``<stem>.txt`` holds the interview's metadata.
Anything the format does not allow is refused with a one-line ``CorpusError`` naming the
file and line, because a silently misparsed transcript would make the bot quote the wrong
answer.
"""

from __future__ import annotations

import datetime as dt
import errno
import hashlib
import os
import re
import tomllib
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np

from records import Document, Paragraph, Scope, TranslatedTopics, UserError

MAX_PARAGRAPH_CHARS = 20_000
# A topic labels a button: it must fit on one.
MAX_TOPIC_CHARS = 40
MAX_REMEMBERED_SCOPES = 256

QUESTION_LABELS = ("Вопрос", "Question")
ANSWER_LABELS = ("Ответ", "Answer")
_LABELS_HINT = "'Вопрос<TAB>', 'Ответ<TAB>' (or 'Question<TAB>', 'Answer<TAB>') or a leading TAB"
# A single word before a TAB reads as a label; longer prose before a TAB is just unlabelled text.
_WORD = re.compile(r"\w+")
_LABEL_WITHOUT_TAB = re.compile(r"(Вопрос|Ответ|Question|Answer)[ :]")
_TOML_POSITION = re.compile(r" \(at line (\d+), column (\d+)\)$")
_SIDECAR_FIELDS = (
    "title",
    "description",
    "date",
    "interviewee",
    "interviewer",
    "outlet",
    "source_url",
    "language",
    "topics",
    "topics_<language>",
)
# topics_en, topics_kk, ...: the labels in the language of an interface.
_TRANSLATED_TOPICS = re.compile(r"topics_([a-z]{2,3})")


def _one_line(text: str) -> str:
    # Messages end up in logs and chat replies: keep each on one line whatever the input holds.
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


class CorpusError(UserError):
    """A corpus file that cannot be used, with where and why."""

    def __init__(self, path: Path, line: int | None, reason: str) -> None:
        self.path = Path(path)
        self.line = line
        self.reason = _one_line(reason)
        where = str(path) if line is None else f"{path}:{line}"
        super().__init__(f"{_one_line(where)}: {self.reason}")

    def __reduce__(self) -> tuple[Any, ...]:
        # The default pickling would call CorpusError(message) and fail in worker processes.
        return (type(self), (self.path, self.line, self.reason))


@dataclass(frozen=True)
class Corpus:
    """Every document and paragraph of a corpus, in order, and the one place to look one up."""

    documents: tuple[Document, ...]
    paragraphs: tuple[Paragraph, ...]
    fingerprint: str

    def document(self, document_id: str) -> Document:
        return self._documents[document_id]

    def paragraph(self, paragraph_id: str) -> Paragraph | None:
        return self._paragraphs.get(paragraph_id)

    def answer(self, paragraph: Paragraph) -> tuple[Paragraph, ...]:
        """Every paragraph of the interview answer `paragraph` belongs to, in order."""
        return self._answers[paragraph.answer_key]

    def label(self, paragraph: Paragraph, language: str | None = None) -> str:
        """The topic label of the interviewer question `paragraph` answers, in `language`
        when its sidecar gives one (else in the interview's own)."""
        return self.document(paragraph.document_id).topic(paragraph.answer_no, language)

    def rows(self, scope: Scope) -> np.ndarray:
        """Which paragraphs (a boolean per paragraph, in index order) `scope` lets through."""
        rows = self._scoped.get(scope)
        if rows is None:
            if len(self._scoped) >= MAX_REMEMBERED_SCOPES:
                self._scoped.clear()
            admitted = np.array([scope.admits(d) for d in self.documents], dtype=bool)
            rows = self._scoped[scope] = admitted[self._document_of]
            rows.flags.writeable = False
        return rows

    def document_rows(self, document_id: str) -> np.ndarray:
        """Which paragraphs (a boolean per paragraph) belong to one document."""
        place = self._places.get(document_id)
        if place is None:
            return np.zeros(len(self.paragraphs), dtype=bool)
        return self._document_of == place

    def count(self, document: Document) -> int:
        """How many answer paragraphs `document` has."""
        return len(self._by_document.get(document.id, ()))

    def newest_first(self) -> tuple[Document, ...]:
        """The documents by date, newest first; those of unknown date last, in file order."""
        dated = sorted((d for d in self.documents if d.date), key=lambda d: d.date or "")
        return (*reversed(dated), *(d for d in self.documents if not d.date))

    def questions(self, document: Document) -> int:
        """How many interviewer questions `document` has."""
        return max(p.answer_no for p in self._by_document[document.id])

    @cached_property
    def _documents(self) -> dict[str, Document]:
        return {d.id: d for d in self.documents}

    @cached_property
    def _paragraphs(self) -> dict[str, Paragraph]:
        return {p.id: p for p in self.paragraphs}

    @cached_property
    def _answers(self) -> dict[tuple[str, int], tuple[Paragraph, ...]]:
        answers: dict[tuple[str, int], list[Paragraph]] = {}
        for paragraph in self.paragraphs:
            answers.setdefault(paragraph.answer_key, []).append(paragraph)
        return {key: tuple(paragraphs) for key, paragraphs in answers.items()}

    @cached_property
    def _places(self) -> dict[str, int]:
        return {d.id: i for i, d in enumerate(self.documents)}

    @cached_property
    def _document_of(self) -> np.ndarray:
        """Each paragraph's document, as its place in `documents`."""
        places = self._places
        return np.array([places[p.document_id] for p in self.paragraphs], dtype=np.int32)

    @cached_property
    def _scoped(self) -> dict[Scope, np.ndarray]:
        # The filters people use are few (a speaker, a year): each is worked out once.
        return {}

    @cached_property
    def _by_document(self) -> dict[str, list[Paragraph]]:
        by_document: dict[str, list[Paragraph]] = {}
        for paragraph in self.paragraphs:
            by_document.setdefault(paragraph.document_id, []).append(paragraph)
        return by_document


def parse_document(path: Path) -> tuple[Document, tuple[Paragraph, ...]]:
    """Parse one transcript and its sidecar metadata, if any."""
    path = Path(path)
    sidecar = path.with_suffix(".toml")
    return _parse(path, _read(path), sidecar, _read_sidecar(sidecar))


def load_corpus(folder: Path) -> Corpus:
    """Parse every ``*.txt`` transcript directly in ``folder``, in name order."""
    folder = Path(folder)
    digest = hashlib.sha256()
    documents: list[Document] = []
    paragraphs: list[Paragraph] = []
    first_with_content: dict[bytes, Path] = {}
    for path in _transcripts(folder):
        data = _read(path)
        # The same interview twice would make every answer come out twice in search results.
        key = hashlib.sha256(data).digest()
        if key in first_with_content:
            raise CorpusError(path, None, f"same content as {first_with_content[key].name}")
        first_with_content[key] = path
        sidecar = path.with_suffix(".toml")
        sidecar_data = _read_sidecar(sidecar)
        document, records = _parse(path, data, sidecar, sidecar_data)
        documents.append(document)
        paragraphs.extend(records)
        for name, content in ((path.name, data), (sidecar.name, sidecar_data)):
            if content is not None:
                # Name and length go first so that no two file sets hash the same byte stream.
                digest.update(f"{name}\0{len(content)}\0".encode())
                digest.update(content)
    return Corpus(tuple(documents), tuple(paragraphs), digest.hexdigest())


def _transcripts(folder: Path) -> list[Path]:
    if not folder.exists():
        raise CorpusError(folder, None, "corpus folder does not exist")
    if not folder.is_dir():
        raise CorpusError(folder, None, "corpus path is not a folder")
    try:
        names = os.listdir(folder)
    except OSError as e:
        raise CorpusError(folder, None, f"cannot list folder: {e.strerror or e}") from e
    # Hidden names are editor lock and backup files (Emacs leaves dangling `.#name.txt` links).
    transcripts = sorted(n for n in names if n.endswith(".txt") and not n.startswith("."))
    if not transcripts:
        raise CorpusError(folder, None, "no *.txt transcripts in folder")
    return [folder / name for name in transcripts]


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as e:
        reason = e.strerror or type(e).__name__
        if e.errno == errno.ENOENT and path.is_symlink():
            reason = f"broken symlink to {os.readlink(path)}"
        raise CorpusError(path, None, f"cannot read file: {reason}") from e


def _read_sidecar(path: Path) -> bytes | None:
    # A broken sidecar symlink is an error, not a missing sidecar: someone meant it to exist.
    if not path.exists() and not path.is_symlink():
        return None
    return _read(path)


def _decode(path: Path, data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise CorpusError(path, 1, "UTF-16 text; save the file as UTF-8")
    nul = data.find(b"\0")
    if nul >= 0:
        raise CorpusError(path, data.count(b"\n", 0, nul) + 1, "binary file, not text")
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError as e:
        line = body.count(b"\n", 0, e.start) + 1
        reason = f"not UTF-8 (byte 0x{body[e.start]:02X}); save the file as UTF-8"
        raise CorpusError(path, line, reason) from e


def _parse(
    path: Path, data: bytes, sidecar: Path, sidecar_data: bytes | None
) -> tuple[Document, tuple[Paragraph, ...]]:
    metadata = {} if sidecar_data is None else _metadata(sidecar, sidecar_data)
    topics = metadata.pop("topics", ())
    translated = tuple(
        TranslatedTopics(language=name.removeprefix("topics_"), topics=metadata.pop(name))
        for name in [k for k in metadata if k.startswith("topics_")]
    )
    document = Document(
        id=path.stem, path=path, topics=tuple(topics), translated_topics=translated, **metadata
    )
    parser = _Parser(path)
    for number, line in _lines(_decode(path, data)):
        parser.feed(number, line)
    paragraphs = parser.finish()
    questions = paragraphs[-1].answer_no
    # Fewer labels than questions is a question added since the sidecar was written: the
    # index derives the missing labels. More cannot be matched to the questions.
    for name, given in [
        ("topics", topics),
        *((f"topics_{t.language}", t.topics) for t in translated),
    ]:
        if len(given) > questions:
            reason = f"'{name}' has {len(given)} labels, {path.name} has {questions} questions"
            raise CorpusError(sidecar, None, reason)
    return document, paragraphs


def _lines(text: str) -> Iterator[tuple[int, str]]:
    # Only "\n" ends a line: str.splitlines() would also split on form feeds, U+2028 and the
    # like, and the line numbers in error messages would no longer match the editor's.
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.rstrip(" \t\r")
        if line.strip():
            yield number, line


def _is_heading(line: str) -> bool:
    return sum(c.isupper() for c in line) >= 3 and not any(c.islower() for c in line)


class _Parser:
    """Turns lines into paragraph records, one question and its answer at a time."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.section: str | None = None
        self.heading_line: int | None = None
        self.question_line: int | None = None  # None until a question opens, and after a heading
        self.question: list[str] = []
        self.answer_line: int | None = None  # None while the open question is unanswered
        self.answer: list[tuple[int, str]] = []
        self.answer_no = 0
        self.records: list[Paragraph] = []

    def error(self, line: int | None, reason: str) -> CorpusError:
        return CorpusError(self.path, line, reason)

    def feed(self, number: int, line: str) -> None:
        if _is_heading(line):
            self.close_question()
            self.section = line.strip()
            self.heading_line = number
            self.question_line = None
            return
        if line.startswith("\t"):
            self.continue_with(number, line.strip())
            return
        label, tab, text = line.partition("\t")
        text = text.strip()
        if label in QUESTION_LABELS:
            self.close_question()
            self.question_line, self.question = number, [text] if text else []
            self.answer_line, self.answer = None, []
        elif label in ANSWER_LABELS:
            self.start_answer(number, text)
        elif tab and _WORD.fullmatch(label):
            raise self.error(number, f"unknown label '{label}'; expected {_LABELS_HINT}")
        elif match := _LABEL_WITHOUT_TAB.match(line):
            raise self.error(number, f"label '{match[1]}' must be followed by a TAB")
        elif self.question_line is None and self.heading_line is None:
            raise self.error(number, f"text before the first question; expected {_LABELS_HINT}")
        else:
            raise self.error(number, f"line has no label; expected {_LABELS_HINT}")

    def start_answer(self, number: int, text: str) -> None:
        if self.question_line is None:
            raise self.error(number, "answer with no question before it")
        if self.answer_line is not None:
            raise self.error(
                number,
                f"answer with no question before it (the question at line {self.question_line}"
                f" was already answered at line {self.answer_line})",
            )
        self.answer_line = number
        if text:
            self.add_paragraph(number, text)

    def continue_with(self, number: int, text: str) -> None:
        if self.answer_line is not None:
            self.add_paragraph(number, text)
        elif self.question_line is not None:
            self.question.append(text)
        elif self.heading_line is not None:
            raise self.error(
                number, f"text after the heading at line {self.heading_line}, before any question"
            )
        else:
            raise self.error(number, f"text before the first question; expected {_LABELS_HINT}")

    def add_paragraph(self, number: int, text: str) -> None:
        if len(text) > MAX_PARAGRAPH_CHARS:
            raise self.error(
                number,
                f"paragraph is {len(text)} characters long; the limit is {MAX_PARAGRAPH_CHARS}",
            )
        self.answer.append((number, text))

    def close_question(self) -> None:
        if self.question_line is None:
            return
        if self.answer_line is None:
            raise self.error(self.question_line, "question with no answer")
        if not self.question:
            raise self.error(self.question_line, "empty question")
        if not self.answer:
            raise self.error(self.answer_line, "empty answer")
        self.answer_no += 1
        document = self.path.stem
        for position, (line, text) in enumerate(self.answer, start=1):
            self.records.append(
                Paragraph(
                    id=f"{document}/{self.answer_no}.{position}",
                    document_id=document,
                    question=" ".join(self.question),
                    section=self.section,
                    answer_no=self.answer_no,
                    position=position,
                    count=len(self.answer),
                    text=text,
                    line=line,
                )
            )
        self.question_line, self.answer_line = None, None

    def finish(self) -> tuple[Paragraph, ...]:
        self.close_question()
        if not self.records:
            raise self.error(None, "no answers in file")
        return tuple(self.records)


def _metadata(path: Path, data: bytes) -> dict[str, Any]:
    try:
        table = tomllib.loads(_decode(path, data))
    except tomllib.TOMLDecodeError as e:
        message = str(e)
        position = _TOML_POSITION.search(message)
        if position is None:
            raise CorpusError(path, None, f"not valid TOML: {message}") from e
        reason = f"not valid TOML: {message[: position.start()]} (column {position[2]})"
        raise CorpusError(path, int(position[1]), reason) from e
    metadata: dict[str, Any] = {}
    for name, value in table.items():
        if _TRANSLATED_TOPICS.fullmatch(name):
            metadata[name] = _topics(path, value, name)
            continue
        if name not in _SIDECAR_FIELDS:
            raise CorpusError(
                path, None, f"unknown field '{name}'; expected one of {', '.join(_SIDECAR_FIELDS)}"
            )
        # An unquoted TOML date is what people write for a date; accept it as the ISO string.
        if name == "date" and type(value) is dt.date:
            value = value.isoformat()
        if name == "topics":
            metadata[name] = _topics(path, value, name)
            continue
        _check_text(path, name, value)
        if name == "date":
            try:
                value = dt.date.fromisoformat(value).isoformat()
            except ValueError as e:
                reason = f"field 'date' must be an ISO date like 2014-05-12, not '{value}'"
                raise CorpusError(path, None, reason) from e
        metadata[name] = value
    return metadata


def _check_text(path: Path, name: str, value: object) -> None:
    if not isinstance(value, str):
        kind = type(value).__name__
        raise CorpusError(path, None, f"field '{name}' must be a string, not {kind}")
    if not value.strip():
        raise CorpusError(path, None, f"field '{name}' is empty; leave it out instead")


def _topics(path: Path, value: object, name: str) -> list[str]:
    if not isinstance(value, list):
        kind = type(value).__name__
        raise CorpusError(path, None, f"field '{name}' must be a list of strings, not {kind}")
    for number, topic in enumerate(value, 1):
        _check_text(path, f"{name}[{number}]", topic)
        if len(topic) > MAX_TOPIC_CHARS:
            reason = f"{name}[{number}] is {len(topic)} characters; at most {MAX_TOPIC_CHARS}"
            raise CorpusError(path, None, reason)
    return [" ".join(topic.split()) for topic in value]
