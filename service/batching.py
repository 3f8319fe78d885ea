"""Questions that arrive together share one encoder pass.

A lone question is worked on at once, with no waiting window; while that pass runs, new
questions queue up and the next pass takes all of them. So throughput under load
approaches batched encoding, and latency when idle stays one encoder pass.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

MAX_BATCH = 64


class Batcher(Generic[In, Out]):
    """Runs `work` in a worker thread on the items submitted while the previous call ran."""

    def __init__(
        self, work: Callable[[Sequence[In]], Sequence[Out]], max_batch: int = MAX_BATCH
    ) -> None:
        self.work = work
        self.max_batch = max_batch
        self._queue: asyncio.Queue[tuple[In, asyncio.Future[Out]]] | None = None
        self._worker: asyncio.Task[None] | None = None

    async def submit(self, item: In) -> Out:
        if self._worker is None or self._worker.done():
            # Made on first use, in the loop that uses it (tests and servers each have one).
            self._queue = asyncio.Queue()
            self._worker = asyncio.create_task(self._run(self._queue), name="batcher")
        assert self._queue is not None
        future: asyncio.Future[Out] = asyncio.get_running_loop().create_future()
        await self._queue.put((item, future))
        return await future

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    async def _run(self, queue: asyncio.Queue[tuple[In, asyncio.Future[Out]]]) -> None:
        while True:
            batch = [await queue.get()]
            while len(batch) < self.max_batch and not queue.empty():
                batch.append(queue.get_nowait())
            try:
                results = await asyncio.to_thread(self.work, [item for item, _ in batch])
            except Exception as exc:  # handed to each waiting caller, not lost in the task
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            for (_, future), result in zip(batch, results, strict=True):
                if not future.done():
                    future.set_result(result)
