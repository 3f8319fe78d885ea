"""Reloads as the operator meets them: an error they can fix is one log line without a
traceback (the previous index keeps serving); a question appended without a topic label
is labelled from its own words, with a warning, rather than failing every reload."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from conftest import copy_seed_corpus, write_config

from service.answering import AnswerService
from service.encoder import Encoder
from service.settings import Settings, load_settings
from service.snapshot import open_snapshot, rebuild_index


@pytest.fixture
def own_corpus(tmp_path: Path, built_settings: Settings, encoder: Encoder) -> Settings:
    copy_seed_corpus(tmp_path / "corpus")
    settings = load_settings(write_config(tmp_path, built_settings), env={})
    rebuild_index(settings, encoder)
    return settings


def reload_failures(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.getMessage().startswith("reload failed")]


async def test_a_corpus_error_is_one_line_without_a_traceback(
    own_corpus: Settings, encoder: Encoder, caplog: pytest.LogCaptureFixture
) -> None:
    service = AnswerService(own_corpus, encoder, open_snapshot(own_corpus))
    before = service.snapshot
    broken = own_corpus.corpus.dir / "broken.txt"
    broken.write_text("Ответ\tответ без вопроса\n", encoding="utf-8")
    with caplog.at_level(logging.INFO, logger="service"):
        error = await service.try_reload()
    await service.close()
    assert error is not None and "broken.txt" in error
    (record,) = reload_failures(caplog)
    assert record.exc_info is None and record.exc_text is None
    assert "broken.txt" in record.getMessage()
    assert service.snapshot is before  # the previous index keeps serving


async def test_an_error_the_operator_cannot_fix_keeps_its_traceback(
    own_corpus: Settings,
    encoder: Encoder,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    service = AnswerService(own_corpus, encoder, open_snapshot(own_corpus))

    def broken(settings: Settings) -> object:
        raise RuntimeError("a bug")

    monkeypatch.setattr("service.answering.open_snapshot", broken)
    error = await service.try_reload()
    await service.close()
    assert error == "a bug"
    (record,) = reload_failures(caplog)
    # (The servers' redaction, if installed, has already turned the traceback into text.)
    assert record.exc_info is not None or "Traceback" in (record.exc_text or "")


async def test_a_question_appended_without_a_topic_label_is_labelled_and_warned_about(
    own_corpus: Settings, encoder: Encoder, caplog: pytest.LogCaptureFixture
) -> None:
    service = AnswerService(own_corpus, encoder, open_snapshot(own_corpus))
    transcript = own_corpus.corpus.dir / "interview.txt"
    with transcript.open("a", encoding="utf-8") as file:
        file.write(
            "\nВопрос\tКак развивается сотрудничество в космосе?\n"
            "Ответ\tБайконур остаётся главной площадкой нашего сотрудничества в космосе.\n"
        )
    error = await service.try_reload()
    reply = await service.ask("Байконур остаётся главной площадкой нашего сотрудничества")
    await service.close()
    assert error is None
    assert service.snapshot.manifest.count == 12
    assert reply.hits[0].paragraph.id == "interview/4.1"
    label = service.snapshot.corpus.label(reply.hits[0].paragraph)
    assert label and label.lower() in "как развивается сотрудничество в космосе?"
    assert any("the sidecar labels 3 of 4 questions" in r.getMessage() for r in caplog.records)
