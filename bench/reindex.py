"""Index builds of the seed corpus: cold, unchanged, and with one paragraph edited.

All three run in this process with the model already loaded, so the cold build is the
embedding, indexing and writing work alone (no model load): the speed-up of an unchanged
rebuild over it is the conservative one. The unchanged rebuild gets an encoder that fails
if called, so it also proves that nothing is embedded (and, as `interview-bot index`
loads the model at its encoder's first call, no model loaded) when nothing changed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from .common import Context, Row, Target, log, p50

ROWS = (
    Row(
        "reindex, nothing changed",
        "reindex_unchanged_s",
        "s",
        "cold build",
        "index_build_s",
        "reindex_unchanged_speedup",
    ),
    Row(
        "reindex, one paragraph changed",
        "reindex_one_changed_s",
        "s",
        "cold build",
        "index_build_s",
        "reindex_one_changed_speedup",
    ),
)
TARGETS = (Target("reindex_unchanged_speedup", ">=", 20, "cold build / unchanged rebuild"),)


class _NoEncoding:
    """An index build's encoder that fails if asked: an unchanged rebuild encodes nothing."""

    def passages(self, texts: Sequence[str], keep_states: Sequence[bool]) -> Any:
        raise AssertionError(f"an unchanged rebuild asked to embed {len(texts)} texts")

    def sparse(self, texts: Sequence[str]) -> Any:
        raise AssertionError(f"an unchanged rebuild asked for {len(texts)} sparse vectors")


class _Counted:
    """The encoder, counting the texts it was asked to embed (passage pass)."""

    def __init__(self, encoder: Any) -> None:
        self.encoder = encoder
        self.texts = 0

    def passages(self, texts: Sequence[str], keep_states: Sequence[bool]) -> Any:
        self.texts += len(texts)
        return self.encoder.passages(texts, keep_states)

    def sparse(self, texts: Sequence[str]) -> Any:
        return self.encoder.sparse(texts)


def edit_one_paragraph(corpus_dir: Path) -> None:
    """Append a sentence to the first answer paragraph of the first transcript."""
    path = sorted(corpus_dir.glob("*.txt"))[0]
    lines = path.read_text(encoding="utf-8").split("\n")
    for number, line in enumerate(lines):
        if line.startswith(("Ответ\t", "Answer\t")):
            lines[number] = line.rstrip() + " Это предложение добавлено для замера."
            break
    else:
        raise RuntimeError(f"{path} has no answer line to edit")
    path.write_text("\n".join(lines), encoding="utf-8")


def run(ctx: Context) -> dict[str, Any]:
    """Median seconds of `build_index` into an empty folder (cold), again with nothing
    changed, and again with one paragraph edited, over a few rounds."""
    from retrieval.corpus import load_corpus
    from retrieval.indexing.build import build_index

    rounds = 2 if ctx.quick else 7
    spec = ctx.settings.model.spec()
    embed = ctx.encoder
    corpus = load_corpus(ctx.corpus_dir)
    cold: list[float] = []
    unchanged: list[float] = []
    one_changed: list[float] = []
    views = embedded = 0
    log(f"reindex: {rounds} rounds of cold / unchanged / one-changed builds")
    for _ in range(rounds):
        scratch = Path(tempfile.mkdtemp(prefix="reindex-", dir=ctx.folder))
        try:
            root = scratch / "index"
            edited_dir = scratch / "corpus"
            shutil.copytree(ctx.corpus_dir, edited_dir)
            edit_one_paragraph(edited_dir)
            edited = load_corpus(edited_dir)

            started = time.perf_counter()
            build_index(corpus, spec, root, embed)
            cold.append(time.perf_counter() - started)

            started = time.perf_counter()
            again = build_index(corpus, spec, root, _NoEncoding())
            unchanged.append(time.perf_counter() - started)

            counted = _Counted(embed)
            started = time.perf_counter()
            changed = build_index(edited, spec, root, counted)
            one_changed.append(time.perf_counter() - started)
            if not counted.texts or not 0 < changed.reused_embeddings < again.reused_embeddings:
                raise RuntimeError("the one-changed rebuild did not re-embed just the change")
            views, embedded = again.views, counted.texts
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    cold_s, unchanged_s, one_s = p50(cold), p50(unchanged), p50(one_changed)
    return {
        "index_build_s": round(cold_s, 4),
        "index_build_model": "preloaded in-process (excluded)",
        "index_paragraphs": len(corpus.paragraphs),
        "index_texts_embedded_cold": views,
        "reindex_one_changed_texts_embedded": embedded,
        "reindex_unchanged_s": round(unchanged_s, 4),
        "reindex_unchanged_speedup": round(cold_s / unchanged_s, 1),
        "reindex_one_changed_s": round(one_s, 4),
        "reindex_one_changed_speedup": round(cold_s / one_s, 2),
    }
