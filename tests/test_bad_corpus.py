"""A bad corpus is refused in one line, and the index already built stays as it was."""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import write_config

from interview_bot.cli import cli
from retrieval.indexing.loading import load_index
from retrieval.ranking.ranker import Ranker
from service.settings import load_settings


def _empty(corpus: Path) -> None:
    (corpus / "interview.txt").write_bytes(b"")


def _binary(corpus: Path) -> None:
    (corpus / "interview.txt").write_bytes(bytes(range(256)) * 4)


def _cp1251(corpus: Path) -> None:
    (corpus / "interview.txt").write_bytes("Вопрос\tКак дела?\nОтвет\tХорошо.".encode("cp1251"))


def _answer_without_question(corpus: Path) -> None:
    (corpus / "extra.txt").write_text("Ответ\tОтвет без вопроса.", encoding="utf-8")


def _unknown_label(corpus: Path) -> None:
    (corpus / "extra.txt").write_text("Вопрос\tА?\nОтвет\tБ.\nРеплика\tВ.", encoding="utf-8")


def _only_headings(corpus: Path) -> None:
    (corpus / "extra.txt").write_text("ПЕРВЫЙ РАЗДЕЛ\n\tВТОРОЙ РАЗДЕЛ\n", encoding="utf-8")


def _huge_paragraph(corpus: Path) -> None:
    (corpus / "extra.txt").write_text("Вопрос\tА?\nОтвет\t" + "слово " * 200_000, encoding="utf-8")


def _same_file_twice(corpus: Path) -> None:
    shutil.copyfile(corpus / "interview.txt", corpus / "interview-copy.txt")


def _unreadable(corpus: Path) -> None:
    (corpus / "extra.txt").mkdir()


def _symlink_loop(corpus: Path) -> None:
    os.symlink("loop.txt", corpus / "loop.txt")


CASES: list[tuple[str, Callable[[Path], None], str]] = [
    ("empty", _empty, "interview.txt: "),
    ("binary", _binary, "interview.txt:1: binary file"),
    ("cp1251", _cp1251, "interview.txt:1: not UTF-8"),
    ("answer-without-question", _answer_without_question, "extra.txt:1: answer with no question"),
    ("unknown-label", _unknown_label, "extra.txt:3: unknown label 'Реплика'"),
    ("only-headings", _only_headings, "extra.txt: "),
    ("1MB-paragraph", _huge_paragraph, "extra.txt:2: "),
    ("same-file-twice", _same_file_twice, "same content as"),
    ("unreadable", _unreadable, "extra.txt: cannot read file"),
    ("symlink-loop", _symlink_loop, "loop.txt: cannot read file"),
]


def _digest(root: Path) -> dict[str, str]:
    build = (root / "current").resolve()
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(build.iterdir())}


@pytest.fixture(scope="module")
def good_index(built_settings) -> Path:
    return built_settings.index.dir


@pytest.mark.parametrize(("name", "spoil", "expected"), CASES, ids=[c[0] for c in CASES])
def test_bad_corpus_is_refused_and_the_index_kept(
    tmp_path, built_settings, good_index, encoder, name, spoil, expected
):
    corpus = tmp_path / "corpus"
    shutil.copytree(good_index.parent / "corpus", corpus)
    index = tmp_path / "index"
    shutil.copytree(good_index, index, symlinks=True)
    config = write_config(tmp_path, built_settings)
    before = _digest(index)

    spoil(corpus)
    result = CliRunner().invoke(cli, ["--config", str(config), "index"])

    assert result.exit_code == 1
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.output
    assert expected in lines[0]
    assert "Traceback" not in result.output
    assert _digest(index) == before
    # The kept index still answers (loaded without the spoilt corpus's fingerprint).
    settings = load_settings(config, env={})
    kept = load_index(settings.index.dir, settings.model.spec())
    question = "Следующий форум планируется провести в Астрахани"
    (ranking,) = Ranker(kept, {"dense": 1.0}).rank(
        [question], encoder.question_passes([question]), 1
    )
    assert ranking.best.paragraph.id == "interview/2.2"
