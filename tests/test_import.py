"""`interview-bot import`: the seed interview, laid out as publishers lay it out, comes back
word for word; what is not an interview is refused; the corpus only ever gains whole,
parseable, new documents."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import copy_seed_corpus, write_config

from importer import Imported, import_source
from interview_bot.cli import cli
from retrieval.corpus import load_corpus, parse_document
from testkit import publishing as pub

SEED = pub.seed()
LABELS = [
    ("Корр.", "Министр"),
    ("— Корр.", "— Министр"),
    ("Вопрос", "Ответ"),
    ("Question", "Answer"),
    ("Сұрақ", "Жауап"),
    ("А. Петров", "Е. Идрисов"),
]


def norm(text: str) -> str:
    return " ".join(text.split())


def seed_answers() -> list[tuple[str, list[str]]]:
    return [(norm(q), [norm(p) for p in ps]) for q, ps in SEED.answers]


def got_answers(result: Imported) -> list[tuple[str, list[str]]]:
    assert result.interview is not None
    return [(norm(a.question), [norm(p) for p in a.paragraphs]) for a in result.interview.answers]


def snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    if not folder.exists():
        return {}
    return {p.name: (p.read_bytes(), p.stat().st_mtime_ns) for p in sorted(folder.iterdir())}


def invoke(*args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(cli, ["import", *args])
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result.exit_code, result.stdout, result.stderr


# --- the layouts ------------------------------------------------------------------------------

# name, file name, builder, the title and date the layout states (None: it states none)
LAYOUTS: list[tuple[str, str, Callable[[], bytes], str | None, str | None]] = [
    ("ministry page, bold questions", "mfa.html", lambda: pub.bold_page(SEED), SEED.title,
     pub.DATE),
    ("dash dialogue, bold", "dash-b.html", lambda: pub.dash_page(SEED, "b"), SEED.title, pub.DATE),
    ("dash dialogue, italic", "dash-i.htm", lambda: pub.dash_page(SEED, "i"), SEED.title, pub.DATE),
    *[
        (f"labels {q}/{a}", f"labels-{n}.html", lambda q=q, a=a: pub.label_page(SEED, q, a),
         SEED.title, pub.DATE)
        for n, (q, a) in enumerate(LABELS)
    ],
    ("bold capitals heading, <br> paragraphs", "old.html", lambda: pub.caps_heading_page(SEED),
     SEED.title, None),
    ("Word file", "release.docx", lambda: pub.word_file(SEED), SEED.title, pub.DATE),
    ("PDF", "transcript.pdf", lambda: pub.pdf_file(SEED)[0], SEED.title, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "filename", "build", "title", "date"), LAYOUTS, ids=[x[0] for x in LAYOUTS]
)
def test_each_layout_gives_back_the_seed_word_for_word(
    tmp_path: Path, name: str, filename: str, build: Callable[[], bytes], title: str | None,
    date: str | None,
) -> None:  # fmt: skip
    if filename.endswith(".pdf") and pub.font_files() is None:
        pytest.skip("no Cyrillic TrueType font to write the PDF with")
    source = tmp_path / filename
    source.write_bytes(build())
    corpus = tmp_path / "corpus"

    result = import_source(str(source), corpus)

    assert result.status == "imported", result.reason
    assert got_answers(result) == seed_answers()
    assert result.interview is not None and result.interview.headings == (SEED.heading,)
    assert result.metadata.title == title
    assert result.metadata.date == date
    # What was written reads back through the corpus's own parser as the seed does.
    assert result.path is not None and result.path.parent == corpus
    document, records = parse_document(result.path)
    _, seed_records = parse_document(pub.SEED_FILE)
    assert [(r.question, r.section, r.answer_no, r.position, r.text) for r in records] == [
        (r.question, r.section, r.answer_no, r.position, r.text) for r in seed_records
    ]
    assert document.title == (title or result.path.stem)
    assert document.date == date


def test_ministry_page_metadata_and_no_chrome_in_the_text(tmp_path: Path) -> None:
    page = tmp_path / "page.html"
    page.write_bytes(pub.bold_page(SEED))

    result = import_source(str(page), tmp_path / "corpus")

    assert result.metadata.outlet == pub.SITE
    assert result.metadata.source_url == pub.CANONICAL
    assert result.metadata.language == "ru"
    assert result.path is not None
    text = result.path.read_text(encoding="utf-8")
    for chrome in ("cookie", "Поделиться", "Facebook", "Читайте также", "Какие задачи стоят",
                   "©", "Все права", "Главная", "Вопрос из скрипта", "Ответ из скрипта",
                   "Пресс-центр", "Телефон", pub.LEAD):  # fmt: skip
        assert chrome not in text
    sidecar = result.path.with_suffix(".toml").read_text(encoding="utf-8")
    assert f'outlet = "{pub.SITE}"' in sidecar
    assert f'date = "{pub.DATE}"' in sidecar
    assert "interviewer" not in sidecar and "interviewee" not in sidecar


def test_a_page_stating_no_date_gets_none_not_a_neighbours(tmp_path: Path) -> None:
    # The "read also" items carry <time> elements of their own dates.
    page = tmp_path / "old.html"
    page.write_bytes(pub.caps_heading_page(SEED))

    result = import_source(str(page), tmp_path / "corpus")

    assert result.status == "imported"
    assert result.metadata.date is None
    assert result.path is not None
    assert "date" not in result.path.with_suffix(".toml").read_text(encoding="utf-8")


def test_name_labels_name_who_asked_and_who_answered(tmp_path: Path) -> None:
    page = tmp_path / "names.html"
    page.write_bytes(pub.label_page(SEED, "А. Петров", "Е. Идрисов"))

    result = import_source(str(page), tmp_path / "corpus")

    assert (result.metadata.interviewer, result.metadata.interviewee) == ("А. Петров", "Е. Идрисов")
    # A role is not a name: "Министр" says nothing of who it was.
    page.write_bytes(pub.label_page(SEED, "Корр.", "Министр"))
    result = import_source(str(page), tmp_path / "other", dry_run=True)
    assert (result.metadata.interviewer, result.metadata.interviewee) == (None, None)


def test_pdf_heads_feet_page_numbers_and_hyphens(tmp_path: Path) -> None:
    if pub.font_files() is None:
        pytest.skip("no Cyrillic TrueType font to write the PDF with")
    data, layout = pub.pdf_file(SEED)
    # The layout really has what the importer must undo.
    assert layout.pages >= 2 and layout.split >= 1
    assert ("из-", "за") in layout.hyphenated and ("военно-", "технического") in layout.hyphenated
    assert sum(not head.endswith(("из-", "военно-")) for head, _ in layout.hyphenated) >= 5
    source = tmp_path / "t.pdf"
    source.write_bytes(data)

    result = import_source(str(source), tmp_path / "corpus")

    assert result.status == "imported", result.reason
    text = " ".join(p for _, ps in got_answers(result) for p in ps)
    assert "из-за высокой" in text and "военно-технического" in text
    for running in ("Пресс-служба", "Стенограмма", "Министерство иностранных дел Республики"):
        assert running not in text
    assert not re.search(r"\b\w+- \w", text)


# --- what is refused ----------------------------------------------------------------------------


def test_a_news_story_is_refused_with_its_first_lines(tmp_path: Path) -> None:
    story = tmp_path / "news.html"
    story.write_bytes(pub.news_page())
    corpus = tmp_path / "corpus"

    code, out, err = invoke("--into", str(corpus), str(story))

    assert code == 1
    assert out == ""
    lines = err.splitlines()
    assert len(lines) == 1
    assert lines[0].startswith(f"refused {story}: no questions and answers found in {story}")
    assert "«Министр провёл встречу с послом»" in lines[0]
    assert not corpus.exists()


def test_a_paragraph_the_corpus_parser_refuses_writes_nothing(tmp_path: Path) -> None:
    long = "Слово " * 4000
    source = tmp_path / "long.txt"
    source.write_text(f"Вопрос: Почему так длинно?\nОтвет: {long}\n", encoding="utf-8")
    corpus = copy_seed_corpus(tmp_path / "corpus")
    before = snapshot(corpus)

    result = import_source(str(source), corpus)

    assert result.status == "refused"
    assert result.reason is not None and "the limit is 20000" in result.reason
    assert snapshot(corpus) == before


def test_a_strange_title_makes_a_safe_file_name(tmp_path: Path) -> None:
    page = pub.label_page(SEED).replace(
        SEED.title.encode(), "../../etc/Интервью: <министр> / «тест»?\u202e".encode()
    )
    source = tmp_path / "page.html"
    source.write_bytes(page)
    corpus = tmp_path / "corpus"

    result = import_source(str(source), corpus)

    assert result.status == "imported"
    assert result.path is not None
    assert set(tmp_path.iterdir()) == {source, corpus}
    assert result.path.parent == corpus
    assert re.fullmatch(r"[a-z0-9-]+\.txt", result.path.name)
    assert result.path.stem == "etc-intervyu-ministr-test"


# --- duplicates ---------------------------------------------------------------------------------


def test_the_same_file_twice_changes_nothing(tmp_path: Path) -> None:
    source = tmp_path / "release.docx"
    source.write_bytes(pub.word_file(SEED))
    corpus = tmp_path / "corpus"
    assert import_source(str(source), corpus).status == "imported"
    before = snapshot(corpus)

    code, out, err = invoke("--into", str(corpus), str(source))
    forced = import_source(str(source), corpus, force=True)

    assert code == 0 and err == ""
    assert out.startswith(f"duplicate {source}: same interview as ")
    assert "(11 of 11 paragraphs)" in out
    assert forced.status == "duplicate"
    assert snapshot(corpus) == before
    load_corpus(corpus)


def test_a_repost_is_a_duplicate_of_the_corpus_document_unless_forced(tmp_path: Path) -> None:
    corpus = copy_seed_corpus(tmp_path / "corpus")
    repost = tmp_path / "repost.html"
    repost.write_bytes(pub.dash_page(SEED))
    before = snapshot(corpus)

    result = import_source(str(repost), corpus)

    assert result.status == "duplicate"
    assert result.reason == "same interview as interview.txt (11 of 11 paragraphs)"
    assert snapshot(corpus) == before

    forced = import_source(str(repost), corpus, force=True)

    assert forced.status == "imported" and forced.path is not None
    assert forced.path.parent == corpus and forced.path.name != "interview.txt"
    assert snapshot(corpus).keys() - before.keys() == {forced.path.name, forced.path.stem + ".toml"}
    assert {k: v for k, v in snapshot(corpus).items() if k in before} == before


def test_a_taken_name_is_not_overwritten(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    other = corpus / "intervyu.txt"
    other.write_text("Вопрос\tДругой вопрос?\nОтвет\tДругой ответ.\n", encoding="utf-8")
    page = pub.label_page(SEED).replace(SEED.title.encode(), "Интервью".encode())
    source = tmp_path / "p.html"
    source.write_bytes(page)

    result = import_source(str(source), corpus)

    assert result.status == "imported" and result.path == corpus / "intervyu-2.txt"
    assert other.read_text(encoding="utf-8").startswith("Вопрос\tДругой")


# --- the command --------------------------------------------------------------------------------


def test_dry_run_writes_nothing_and_shows_what_it_would(tmp_path: Path) -> None:
    source = tmp_path / "old.html"
    source.write_bytes(pub.caps_heading_page(SEED))
    corpus = tmp_path / "corpus"

    code, out, err = invoke("--into", str(corpus), "--dry-run", str(source))

    assert code == 0, err
    assert not corpus.exists()
    assert f"would import {source} → {corpus}/" in out
    assert f"title: {SEED.title}" in out
    assert "not found: date, interviewee, interviewer, outlet, source_url" in out
    assert f"heading: {SEED.heading}" in out
    assert "1. [5 paragraphs] Президент Нурсултан Назарбаев" in out
    assert "2. [3 paragraphs] Астана и Москва" in out
    assert "3. [3 paragraphs]" in out


def test_json_prints_one_object_per_source_in_the_documented_shape(tmp_path: Path) -> None:
    good = tmp_path / "mfa.html"
    good.write_bytes(pub.bold_page(SEED))
    bad = tmp_path / "news.html"
    bad.write_bytes(pub.news_page())
    corpus = tmp_path / "corpus"

    code, out, _ = invoke("--into", str(corpus), "--json", str(good), str(bad), str(good))

    assert code == 1
    first, second, third = (json.loads(line) for line in out.splitlines())
    assert first["source"] == str(good) and first["status"] == "imported"
    assert "reason" not in first
    assert first["document"] == {
        "title": SEED.title,
        "date": pub.DATE,
        "interviewee": None,
        "interviewer": None,
        "outlet": pub.SITE,
        "source_url": pub.CANONICAL,
    }
    assert [(a["question"], a["paragraphs"]) for a in first["answers"]] == seed_answers()
    assert first["headings"] == [SEED.heading]
    assert Path(first["path"]).exists()
    assert second["status"] == "refused" and "no questions and answers" in second["reason"]
    assert second["answers"] == [] and second["headings"] == []
    assert third["status"] == "duplicate" and third["reason"].startswith("same interview as ")


def test_exit_0_when_all_imported_and_into_defaults_to_the_corpus_dir(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    sources = []
    for name, build in (("a.html", pub.bold_page), ("b.docx", pub.word_file)):
        source = tmp_path / name
        source.write_bytes(build(SEED))
        sources.append(str(source))

    result = CliRunner().invoke(cli, ["--config", str(config), "import", sources[0]])

    assert result.exit_code == 0, result.output
    written = sorted(p.name for p in (tmp_path / "corpus").iterdir())
    assert written == [
        "intervyu-ministra-inostrannykh-del-kazakhstana-investitsii.toml",
        "intervyu-ministra-inostrannykh-del-kazakhstana-investitsii.txt",
    ]
    assert "index --if-stale" in result.stdout
    # The Word file is the same interview: reported, not refused, not written.
    again = CliRunner().invoke(cli, ["--config", str(config), "import", *sources])
    assert again.exit_code == 0
    assert sorted(p.name for p in (tmp_path / "corpus").iterdir()) == written


def test_one_refused_source_exits_1_and_the_others_are_still_imported(tmp_path: Path) -> None:
    good = tmp_path / "good.html"
    good.write_bytes(pub.label_page(SEED))
    corpus = tmp_path / "corpus"

    code, out, err = invoke("--into", str(corpus), str(tmp_path / "missing.pdf"), str(good))

    assert code == 1
    assert err == f"refused {tmp_path / 'missing.pdf'}: no such file\n"
    assert out.startswith(f"imported {good} → {corpus}/")
    assert len(list(corpus.glob("*.txt"))) == 1


# --- text and Markdown ------------------------------------------------------------------------


def test_the_corpus_format_itself_reads_back_as_the_same_interview(tmp_path: Path) -> None:
    result = import_source(str(pub.SEED_FILE), tmp_path / "corpus", dry_run=True)

    assert result.status == "imported", result.reason
    assert got_answers(result) == seed_answers()
    assert result.interview is not None and result.interview.headings == (SEED.heading,)


def test_markdown_with_bold_questions(tmp_path: Path) -> None:
    lines = [f"# {SEED.title}", "", pub.LEAD, ""]
    for heading, question, paragraphs in pub._turns(SEED):
        if heading:
            lines += [f"## {heading}", ""]
        lines += [f"**{question}**", ""]
        for paragraph in paragraphs:
            lines += [paragraph, ""]
    source = tmp_path / "interview.md"
    source.write_text("\n".join(lines), encoding="utf-8")

    result = import_source(str(source), tmp_path / "corpus")

    assert result.status == "imported", result.reason
    assert got_answers(result) == seed_answers()
