"""The report on a year of questions: the vectors the service computed when it answered are
kept in the log and reused, questions without one are encoded once per wording in fixed
batches, and grouping is exact up to a few thousand questions, sampled beyond, never an
O(n²) matrix over the whole log. (Time and peak memory at 20,000 rows: bench/report.py.)"""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import write_config

from interview_bot.cli import cli
from questionlog.queries import unanswered
from questionlog.recorder import QuestionLog
from questionlog.settings import StoreSettings
from questionlog.store import Store
from service import report
from service.answering import AnswerService
from service.encoder import Encoder
from service.settings import Settings
from service.snapshot import open_snapshot
from service.vectors import unpack, vector_tag
from testkit.fake_encoder import FakeEncoder
from testkit.questionlogs import fill_log, generated_questions


@pytest.fixture
def linkage_sizes(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The number of questions each exact complete linkage is run on."""
    sizes: list[int] = []
    exact = report._linkage

    def spied(vectors: np.ndarray) -> np.ndarray:
        sizes.append(len(vectors))
        return exact(vectors)

    monkeypatch.setattr(report, "_linkage", spied)
    return sizes


def fresh_encoder(settings: Settings) -> FakeEncoder:
    return FakeEncoder(settings.model.spec())


def vectors_of(encoder: FakeEncoder, texts: list[str]) -> np.ndarray:
    """The encoder's vector of each text, each wording encoded once."""
    wordings = sorted(set(texts))
    row = {w: i for i, w in enumerate(wordings)}
    return encoder.question_vectors(wordings)[[row[t] for t in texts]]


def test_a_report_over_20000_questions_reuses_their_vectors_and_bounds_the_linkage(
    built_settings: Settings, tmp_path: Path, linkage_sizes: list[int]
) -> None:
    store = StoreSettings(path=tmp_path / "questions.sqlite3")
    settings = dataclasses.replace(built_settings, store=store)
    texts = generated_questions(20_000)
    encoder = fresh_encoder(settings)
    fill_log(store, texts, vectors_of(encoder, texts), vector_tag(settings.model.spec()))
    encoder.calls.clear()
    service = AnswerService(settings, encoder, open_snapshot(settings))

    summary = service.report(30)

    assert encoder.calls == []  # every vector came from the log
    assert sum(group.count for group in summary.unanswered) == 20_000
    assert max(linkage_sizes) <= report.EXACT_MAX
    # A question asked again and again in the same words is one group, counted whole.
    most_asked = max(texts.count(t) for t in set(texts))
    assert summary.unanswered[0].count >= most_asked
    assert len(set(summary.unanswered[0].examples)) == len(summary.unanswered[0].examples)


def test_the_command_reports_on_a_large_log_without_loading_the_model(
    built_settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = StoreSettings(path=tmp_path / "questions.sqlite3")
    texts = generated_questions(5_000, seed=1)
    vectors = vectors_of(fresh_encoder(built_settings), texts)
    fill_log(store, texts, vectors, vector_tag(built_settings.model.spec()))
    loaded: list[object] = []
    monkeypatch.setattr("service.encoder.load_encoder", lambda *a, **k: loaded.append(a))
    config = write_config(
        tmp_path,
        built_settings,
        corpus={"dir": str(built_settings.corpus.dir)},
        index={"dir": str(built_settings.index.dir)},
        store={"path": str(store.path)},
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "report"])
    assert result.exit_code == 0, result.output
    assert "Questions since " in result.stdout and ": 5000 (" in result.stdout
    assert loaded == []


def test_questions_without_a_vector_of_this_model_are_encoded_once_per_wording(
    built_settings: Settings, tmp_path: Path
) -> None:
    store = StoreSettings(path=tmp_path / "questions.sqlite3")
    encoder = fresh_encoder(built_settings)
    tag = vector_tag(built_settings.model.spec())
    with_vectors = ["Что про ВТО?"] * 3
    fill_log(store, with_vectors, encoder.question_vectors(with_vectors), tag)
    fill_log(store, ["Что про визы?"] * 4)  # logged before vectors were kept
    fill_log(store, ["Что про тенге?"] * 2, encoder.question_vectors(["x", "y"]), "another-model")
    encoder.calls.clear()
    settings = dataclasses.replace(built_settings, store=store)
    summary = AnswerService(settings, encoder, open_snapshot(settings)).report(30)
    assert encoder.calls == [("question_vectors", 2)]  # "визы" and "тенге", once each
    assert sorted(group.count for group in summary.unanswered) == [2, 3, 4]


async def test_the_service_keeps_each_logged_questions_vector(
    built_settings: Settings, encoder: Encoder, tmp_path: Path
) -> None:
    store = StoreSettings(path=tmp_path / "questions.sqlite3")
    settings = dataclasses.replace(built_settings, store=store)
    service = AnswerService(settings, encoder, open_snapshot(settings), QuestionLog.open(store))
    question = "Как приготовить плов в казане?"
    reply = await service.ask(question, front_end="api")
    await service.close()
    yesterday = (datetime.now(UTC) - timedelta(days=1)).date()
    with Store.open(store) as opened:
        (row,) = [q for q in unanswered(opened, yesterday) if q.id == reply.record_id]
    assert row.vector_model == vector_tag(settings.model.spec())
    assert row.vector is not None
    stored = unpack(row.vector)
    assert stored is not None
    expected = encoder.question_vectors([question])[0]
    assert np.allclose(stored, expected, atol=2e-3)


def test_sampled_grouping_finds_the_groups_exact_linkage_finds() -> None:
    rng = np.random.default_rng(3)
    centres = rng.normal(size=(150, 64))
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    which = rng.integers(0, len(centres), size=3_500)
    vectors = centres[which] + rng.normal(scale=0.015, size=(len(which), 64))
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    vectors = vectors.astype(np.float32)

    sampled = report.cluster(vectors)
    assert len(vectors) > report.EXACT_MAX  # so the sampled rounds ran

    def partition(labels: np.ndarray) -> set[frozenset[int]]:
        groups: dict[int, set[int]] = {}
        for row, label in enumerate(labels):
            groups.setdefault(int(label), set()).add(row)
        return {frozenset(g) for g in groups.values()}

    truth = partition(which)
    assert partition(sampled) == truth
    assert partition(report._linkage(vectors)) == truth


def test_the_model_encodes_logged_questions_in_fixed_batches(
    model_encoder: Encoder, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = model_encoder.model  # type: ignore[attr-defined]
    batches: list[int] = []
    encode = model.encode

    def counted(texts, *args, **kwargs):  # type: ignore[no-untyped-def]
        batches.append(len(texts))
        return encode(texts, *args, **kwargs)

    texts = [f"Вопрос номер {n} про договор?" for n in range(70)] + ["Что? " * 100]
    alone = np.stack([model_encoder.question_vectors([t])[0] for t in texts[::10]])
    monkeypatch.setattr(model, "encode", counted)
    together = model_encoder.question_vectors(texts)
    assert max(batches) <= 32 and sum(batches) == len(texts)
    assert np.allclose(together[::10], alone, atol=1e-4)
