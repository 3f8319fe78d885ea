"""The async answer pipeline: questions that arrive together share one encoder pass.

A lone question is encoded at once, with no waiting window; while that pass runs, new
questions queue up and the next pass takes all of them. So throughput under load
approaches batched encoding, and latency when idle stays one encoder pass.
"""

from __future__ import annotations

import asyncio
import contextlib

from .search import Answer, Searcher

_MAX_BATCH = 64


class AnswerPipeline:
    """Answers questions on a Searcher from async code (the bot), batching concurrent ones."""

    def __init__(self, searcher: Searcher, max_batch: int = _MAX_BATCH) -> None:
        self.searcher = searcher
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[str, int | None, asyncio.Future[Answer]]] | None = None
        self._worker: asyncio.Task[None] | None = None

    async def answer(self, query: str, top_k: int | None = None) -> Answer:
        if self._worker is None or self._worker.done():
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(), name="answer-pipeline")
        assert self._queue is not None
        future: asyncio.Future[Answer] = asyncio.get_running_loop().create_future()
        await self._queue.put((query, top_k, future))
        return await future

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def _run(self) -> None:
        assert self._queue is not None
        queue = self._queue
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            # Read once: a hot reload swaps `searcher` and this batch stays on one index.
            searcher = self.searcher
            k = max(top_k or searcher.top_k for _, top_k, _ in batch)
            try:
                answers = await asyncio.to_thread(
                    searcher.search_many, [query for query, _, _ in batch], k
                )
            except Exception as exc:  # handed to each waiting caller, not lost in the task
                for _, _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, top_k, future), answer in zip(batch, answers, strict=True):
                if not future.done():
                    future.set_result(_trim(answer, top_k or searcher.top_k))


def _trim(answer: Answer, k: int) -> Answer:
    if len(answer.hits) <= k:
        return answer
    return Answer(answer.query, answer.hits[:k], answer.answered, answer.nearest_questions)
