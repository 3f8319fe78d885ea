"""What the administrators' commands and SIGHUP do: reload the index, report the counters."""

from __future__ import annotations

import logging
from typing import Any

from telegram.ext import Application

from retrieval.search import Searcher

from .context import Shared, shared_of

log = logging.getLogger(__name__)


async def reload_index(shared: Shared) -> str | None:
    """Serve a searcher on the corpus as it is now; on failure, the error's first line."""
    # On failure the previous searcher keeps serving: nothing was swapped.
    assert shared.reload is not None  # /reload and SIGHUP exist only with a reload
    async with shared.reload_lock:
        try:
            searcher = await shared.reload(shared.pipeline.searcher)
        except Exception as error:  # whatever broke, the bot goes on with what it had
            shared.stats.failed_reloads += 1
            log.error("reload failed, the previous index keeps serving: %s", error, exc_info=error)
            return first_line(error)
        # One assignment: each batch of questions reads it once, so sees one index or the other.
        shared.pipeline.searcher = searcher
        shared.stats.reloads += 1
    facts = index_facts(searcher)
    log.info("index reloaded: %d paragraphs, built %s", facts["paragraphs"], facts["built_at"])
    return None


def reload_on_signal(application: Application[Any, Any, Any, Any, Any, Any]) -> None:
    """What SIGHUP does: reload in the background, the bot answering meanwhile."""
    shared = shared_of(application)
    if shared.reload is None:
        log.warning("SIGHUP ignored: this bot was built without a reload")
        return
    if not application.running:
        # Starting up reads the index as it is now anyway.
        log.warning("SIGHUP ignored: the bot is not serving yet")
        return
    log.info("SIGHUP: reloading the index")
    application.create_task(reload_index(shared), name="reload")


def index_facts(searcher: Searcher) -> dict[str, Any]:
    """The served index's size and build, as render.stats() shows them."""
    manifest = searcher.index.manifest
    return {
        "paragraphs": len(searcher.index.paragraphs),
        "built_at": manifest.built_at,
        "build_seconds": manifest.build_seconds,
    }


def first_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
