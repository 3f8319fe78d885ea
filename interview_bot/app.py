"""Wiring: settings -> corpus -> model -> index -> Searcher, each loaded once."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable
from pathlib import Path

from retrieval.corpus import load_corpus
from retrieval.index import Manifest, build_index, index_status, load_index
from retrieval.model import load_model
from retrieval.search import Searcher

from .settings import Settings

log = logging.getLogger(__name__)


def quiet_libraries() -> None:
    """Keep library chatter (progress bars, load reports) out of the console and the bot's log."""
    os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
    os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
    os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
    os.environ.setdefault("TRANSFORMERS_NO_ADVISORY_WARNINGS", "1")


def limit_encoder_threads() -> int:
    """Leave the bot's event loop a core: torch computes on the others, on one at least."""
    # Oversubscribed, each operator of a forward pass waits for a thread the OS has put
    # aside: on two cores shared with other work, two torch threads encoded questions ten
    # times slower than one.
    import torch

    # The cores this process may run on (a container or taskset may allow fewer).
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    threads = max(1, (cores or 1) - 1)
    torch.set_num_threads(threads)
    return threads


def rebuild_index(
    settings: Settings,
    corpus_dir: Path | None = None,
    out_dir: Path | None = None,
    *,
    progress: bool = False,
) -> Manifest:
    corpus = load_corpus(corpus_dir or settings.corpus.dir)
    spec = settings.model.spec()
    return build_index(
        corpus,
        spec,
        out_dir or settings.index.dir,
        lambda: load_model(spec),
        batch_size=settings.model.batch_size,
        progress=progress,
    )


def stale_reason(settings: Settings) -> str | None:
    """Why the index must be rebuilt before serving, or None."""
    corpus = load_corpus(settings.corpus.dir)
    return index_status(settings.index.dir, settings.model.spec(), corpus.fingerprint)


def open_searcher(settings: Settings) -> Searcher:
    """Check the index against config and corpus, then load the model: fail fast, load once."""
    spec = settings.model.spec()
    corpus = load_corpus(settings.corpus.dir)
    index = load_index(settings.index.dir, spec, corpus.fingerprint)
    return Searcher(
        index,
        load_model(spec),
        query_prompt=spec.query_prompt,
        threshold=settings.search.threshold,
        top_k=settings.search.top_k,
    )


def reload_searcher(settings: Settings, current: Searcher) -> Searcher:
    """A Searcher on the corpus as it is now, sharing `current`'s model; rebuilds if stale."""
    # When the index is up to date, the published build is loaded: someone may have run
    # `interview-bot index` meanwhile. CorpusError or IndexLoadError leave `current` alone.
    reason = stale_reason(settings)
    if reason is not None:
        log.info("rebuilding the index: %s", reason)
        rebuild_index(settings)
    # load_model() hands back the model `current` already uses: nothing is loaded twice.
    return open_searcher(settings)


def reloader(settings: Settings) -> Callable[[Searcher], Awaitable[Searcher]]:
    """reload_searcher() for the bot: in a worker thread, so that it answers meanwhile."""

    async def reload(current: Searcher) -> Searcher:
        return await asyncio.to_thread(reload_searcher, settings, current)

    return reload
