"""Build the FAISS index over a corpus's answer paragraphs, and load it back safely.

A build folder holds `manifest.json` (what the index was built from), `records.json`
(documents and paragraphs, in index order), `embeddings.npy` (the normalised vectors,
reused by later builds for unchanged paragraphs) and `vectors.faiss`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from . import ann, labels, store, views
from .corpus import Corpus, Document, Paragraph
from .model import ModelSpec, model_fingerprint
from .projection import Projection, fit_projection

if TYPE_CHECKING:
    import faiss

log = logging.getLogger(__name__)

FORMAT_VERSION = 3
MANIFEST = "manifest.json"
RECORDS = "records.json"
EMBEDDINGS = "embeddings.npy"
VECTORS = "vectors.faiss"
MAP = "map.npy"


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

    @property
    def documents(self) -> tuple[Document, ...]:
        return self.corpus.documents

    @property
    def paragraphs(self) -> tuple[Paragraph, ...]:
        return self.corpus.paragraphs


def build_index(
    corpus: Corpus, spec: ModelSpec, root: Path, embed: Callable[[list[str]], np.ndarray]
) -> Manifest:
    """Embed the corpus and publish a new build under `root`.

    `embed` turns passages into normalised vectors; it is called only for texts that the
    live build has not embedded already, so an unchanged corpus never loads the model.
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
    texts = list(dict.fromkeys([*(t for plan in plans for t in plan.all_texts), *label_texts]))
    keys = [_embedding_key(fingerprint, spec.passage_prompt, t) for t in texts]
    view_matrix, reused = _embeddings(texts, keys, _previous_embeddings(root), embed)
    row_of = {t: i for i, t in enumerate(texts)}
    vector_of = {t: view_matrix[i] for t, i in row_of.items()}
    matrix = np.stack([views.paragraph_vector(plan, vector_of) for plan in plans])
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
            reused_embeddings=reused,
        )
        records = {
            "documents": [_document_record(d) for d in corpus.documents],
            "paragraphs": [asdict(p) for p in corpus.paragraphs],
            "sentence_rows": sentence_rows,
            "labels": {**given, **derived},
            "projection": projection.to_json(),
            "embedding_keys": keys,
        }
        _write_build(build, manifest, records, view_matrix, index)
        np.save(build / MAP, projection(matrix).astype(np.float32))
        store.publish(root, build)
    except BaseException:
        store.discard(build)
        raise
    log.info(
        "indexed %d paragraphs (%d of %d texts embedded) in %.2fs",
        manifest.count,
        len(keys) - reused,
        len(keys),
        manifest.build_seconds,
    )
    return manifest


def _embeddings(
    texts: list[str],
    keys: list[str],
    cached: dict[str, np.ndarray],
    embed: Callable[[list[str]], np.ndarray],
) -> tuple[np.ndarray, int]:
    """The texts' vectors, taken from `cached` where their key is there; how many were."""
    todo = [i for i, key in enumerate(keys) if key not in cached]
    fresh: dict[str, np.ndarray] = {}
    if todo:
        vectors = embed([texts[i] for i in todo])
        fresh = {keys[i]: v for i, v in zip(todo, vectors, strict=True)}
    matrix = np.stack([fresh[k] if k in fresh else cached[k] for k in keys])
    return matrix.astype(np.float32), len(keys) - len(todo)


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
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as exc:
        raise IndexLoadError(
            f"index in {build} is damaged ({_first_line(exc)}): run `interview-bot index`"
        ) from exc
    rows_fit = all(0 <= r < len(view_vectors) for rows in sentence_rows for r in rows)
    labelled = all(labels.answer_key(p) in topic_labels for p in paragraphs)
    counts = {index.ntotal, len(paragraphs), len(sentence_rows), len(map_points), manifest.count}
    if not (len(counts) == 1 and rows_fit and labelled):
        raise IndexLoadError(
            f"index in {build} is damaged: manifest says {manifest.count} paragraphs, "
            f"found {index.ntotal} vectors and {len(paragraphs)} records: run `interview-bot index`"
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
) -> None:
    import faiss

    store.write_json(build / RECORDS, records)
    np.save(build / EMBEDDINGS, view_matrix)
    faiss.write_index(index, str(build / VECTORS))
    # The manifest goes last: a build folder without one is never mistaken for a whole build.
    store.write_json(build / MANIFEST, asdict(manifest))


def _previous_embeddings(root: Path) -> dict[str, np.ndarray]:
    """Vectors of the live build, keyed by content, for reuse; empty when unusable."""
    build = store.current_build(root)
    if build is None:
        return {}
    try:
        keys = json.loads((build / RECORDS).read_text(encoding="utf-8"))["embedding_keys"]
        matrix = np.load(build / EMBEDDINGS)
    except (OSError, ValueError, KeyError) as exc:
        log.warning("cannot reuse embeddings from %s (%s)", build, _first_line(exc))
        return {}
    if len(keys) != len(matrix):
        return {}
    return dict(zip(keys, matrix, strict=True))


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
