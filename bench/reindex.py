"""Index builds of the seed corpus: cold, unchanged, and with one paragraph edited.

All three run in this process with the model already loaded, so the cold build is the
embedding, indexing and writing work alone (no model load): the speed-up of an unchanged
rebuild over it is the conservative one. The unchanged rebuild gets a model factory that
fails if called, so it also proves that no model is loaded when nothing changed.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

from .common import Context, log, p50


def _no_model() -> Any:
    raise AssertionError("an unchanged rebuild asked for the model")


class _Factory:
    """Hands out the loaded model, counting how often it was asked for."""

    def __init__(self, model: Any) -> None:
        self.model = model
        self.calls = 0

    def __call__(self) -> Any:
        self.calls += 1
        return self.model


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
    from retrieval.index import build_index

    rounds = 2 if ctx.quick else 7
    spec = ctx.settings.model.spec()
    model = ctx.model
    corpus = load_corpus(ctx.corpus_dir)
    cold: list[float] = []
    unchanged: list[float] = []
    one_changed: list[float] = []
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
            build_index(corpus, spec, root, lambda: model)
            cold.append(time.perf_counter() - started)

            started = time.perf_counter()
            again = build_index(corpus, spec, root, _no_model)
            unchanged.append(time.perf_counter() - started)

            factory = _Factory(model)
            started = time.perf_counter()
            changed = build_index(edited, spec, root, factory)
            one_changed.append(time.perf_counter() - started)
            if not factory.calls or not 0 < changed.reused_embeddings < again.reused_embeddings:
                raise RuntimeError("the one-changed rebuild did not re-embed just the change")
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
    cold_s, unchanged_s, one_s = p50(cold), p50(unchanged), p50(one_changed)
    return {
        "index_build_s": round(cold_s, 4),
        "index_build_model": "preloaded in-process (excluded)",
        "index_paragraphs": len(corpus.paragraphs),
        "reindex_unchanged_s": round(unchanged_s, 4),
        "reindex_unchanged_speedup": round(cold_s / unchanged_s, 1),
        "reindex_one_changed_s": round(one_s, 4),
        "reindex_one_changed_speedup": round(cold_s / one_s, 2),
    }
