"""Questions that arrive together share one encoder pass, taken in a fair order.

A lone question is worked on at once, with no waiting window; while that pass runs, new
questions queue up and the next pass takes several of them. So throughput under load
approaches batched encoding, and latency when idle stays one encoder pass.

Encoder time grows with a question's tokens, and a batch is padded to its longest
question: one long question in a batch makes every short one beside it wait as long. So:

- a batch is bounded in padded tokens (`max_batch_tokens`) as well as in questions, which
  bounds its memory and how long the next question waits for it;
- each client's questions wait in their own line, and the next batch starts with the
  client that has used the encoder least lately (its measured encoder seconds, decaying
  with a time constant of `USAGE_SECONDS`): a client sending heavy questions waits behind
  the others, not they behind it;
- the first question taken sets the batch's length; others join while they are no longer
  than that (or than `SHORT_TOKENS`), so that a short question's batch stays short;
- a bounded submission (`bounded=True`, the web's) is refused with `Busy` while
  `max_queued` questions are waiting, with the seconds the queue needs to drain.

Each question's encoder time is measured: its share of its batch's CPU time, in
proportion to its own tokens. CPU time rather than wall time, so that a machine busy with
other work does not make everyone's questions look dearer: the encoder's thread's CPU
seconds, times the threads the model computes on (`parallelism`; they each work about as
much). The caller gets it back with the result (`submit_measured`), to charge a
per-client budget (service/admission.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import math
import time
from collections import deque
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

In = TypeVar("In")
Out = TypeVar("Out")

MAX_BATCH = 64
# Padded tokens a batch may hold (questions x the longest): 64 short questions, or four
# of the longest the service accepts. About one second of encoder time on one thread.
MAX_BATCH_TOKENS = 1024
# A batch started by a short question takes others up to this length.
SHORT_TOKENS = 64
# How quickly a client's past use of the encoder stops counting against its place.
USAGE_SECONDS = 60.0
# Before anything was measured: encoder seconds per token of a question (e5-small on one
# core: ~27 ms for a 9-token question, ~265 ms for 260 tokens).
INITIAL_SECONDS_PER_TOKEN = 0.002
RETRY_AFTER_MAX = 30


class Busy(Exception):
    """Too many questions are waiting for the encoder: try again in `retry_after` seconds."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(f"the service is busy: try again in {retry_after} s")
        self.retry_after = retry_after


@dataclass(eq=False)
class _Waiting(Generic[In, Out]):
    item: In
    tokens: int
    client: Hashable
    future: asyncio.Future[tuple[Out, float]]
    order: int


@dataclass
class _Usage:
    seconds: float
    at: float

    def now(self, now: float) -> float:
        return self.seconds * math.exp(-(now - self.at) / USAGE_SECONDS)


class Batcher(Generic[In, Out]):
    """Runs `work` in a worker thread on batches of the items submitted, fairly across
    clients (see the module's docstring)."""

    def __init__(
        self,
        work: Callable[[Sequence[In]], Sequence[Out]],
        max_batch: int = MAX_BATCH,
        *,
        max_batch_tokens: int = MAX_BATCH_TOKENS,
        max_queued: int | None = None,
        clock: Callable[[], float] = time.monotonic,
        parallelism: Callable[[], int] = lambda: 1,
    ) -> None:
        self.work = work
        self.max_batch = max_batch
        self.max_batch_tokens = max_batch_tokens
        self.max_queued = max_queued
        self.clock = clock
        self.parallelism = parallelism
        # Seconds per token of the questions themselves, moving averages of measured
        # batches: wall time for how long the queue takes to drain, CPU time (as charged)
        # for what a question is expected to cost before it is admitted.
        self.seconds_per_token = INITIAL_SECONDS_PER_TOKEN
        self.cpu_per_token = INITIAL_SECONDS_PER_TOKEN
        self._lines: dict[Hashable, deque[_Waiting[In, Out]]] = {}
        self._usage: dict[Hashable, _Usage] = {}
        self._queued = 0
        self._queued_tokens = 0
        self._order = itertools.count()
        self._wake: asyncio.Event | None = None
        self._worker: asyncio.Task[None] | None = None

    @property
    def queued(self) -> int:
        """Questions waiting for a batch (not those being encoded)."""
        return self._queued

    def estimate(self, tokens: int) -> float:
        """Encoder seconds a question of `tokens` tokens is expected to be charged."""
        return tokens * self.cpu_per_token

    async def submit(self, item: In, *, tokens: int = 1, client: Hashable = None) -> Out:
        result, _ = await self.submit_measured(item, tokens=tokens, client=client)
        return result

    async def submit_measured(
        self, item: In, *, tokens: int = 1, client: Hashable = None, bounded: bool = False
    ) -> tuple[Out, float]:
        """The result of `work` on `item`, and the encoder seconds charged to it. Raises
        Busy when `bounded` and the queue is full."""
        if bounded and self.max_queued is not None and self._queued >= self.max_queued:
            drain = self._queued_tokens * self.seconds_per_token
            raise Busy(min(RETRY_AFTER_MAX, max(1, math.ceil(drain))))
        if self._worker is None or self._worker.done():
            # Made on first use, in the loop that uses it (tests and servers each have one).
            self._wake = asyncio.Event()
            self._worker = asyncio.create_task(self._run(self._wake), name="batcher")
        assert self._wake is not None
        future: asyncio.Future[tuple[Out, float]] = asyncio.get_running_loop().create_future()
        waiting = _Waiting(item, max(1, tokens), client, future, next(self._order))
        self._lines.setdefault(client, deque()).append(waiting)
        self._queued += 1
        self._queued_tokens += waiting.tokens
        self._wake.set()
        try:
            return await future
        except asyncio.CancelledError:
            # The caller went away (a closed connection): its question need not be encoded.
            self._forget(waiting)
            raise

    async def close(self) -> None:
        if self._worker is not None:
            self._worker.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._worker
            self._worker = None

    def _forget(self, waiting: _Waiting[In, Out]) -> None:
        line = self._lines.get(waiting.client)
        if line is not None and waiting in line:
            line.remove(waiting)
            self._queued -= 1
            self._queued_tokens -= waiting.tokens
            if not line:
                del self._lines[waiting.client]

    async def _run(self, wake: asyncio.Event) -> None:
        while True:
            while not self._queued:
                wake.clear()
                await wake.wait()
            batch = self._take()
            started = time.perf_counter()
            try:
                results, cpu = await asyncio.to_thread(self._timed, [w.item for w in batch])
            except Exception as exc:  # handed to each waiting caller, not lost in the task
                for waiting in batch:
                    if not waiting.future.done():
                        waiting.future.set_exception(exc)
                continue
            self._measured(batch, time.perf_counter() - started, cpu)
            tokens = sum(w.tokens for w in batch)
            for waiting, result in zip(batch, results, strict=True):
                if not waiting.future.done():
                    waiting.future.set_result((result, cpu * waiting.tokens / tokens))

    def _timed(self, items: list[In]) -> tuple[Sequence[Out], float]:
        """`work` on `items`, and the CPU seconds it took (in the worker thread)."""
        started = time.thread_time()
        results = self.work(items)
        return results, (time.thread_time() - started) * max(1, self.parallelism())

    def _take(self) -> list[_Waiting[In, Out]]:
        """The next batch: clients by least recent use, one question each in turn."""
        now = self.clock()
        clients = sorted(
            self._lines,
            key=lambda c: (self._used(c, now), self._lines[c][0].order),
        )
        first = self._lines[clients[0]][0]
        length_cap = max(first.tokens, SHORT_TOKENS)
        batch: list[_Waiting[In, Out]] = []
        longest = 0
        taking = True
        while taking and len(batch) < self.max_batch:
            taking = False
            for client in clients:
                line = self._lines.get(client)
                if not line or len(batch) >= self.max_batch:
                    continue
                head = line[0]
                length = max(longest, head.tokens)
                fits = (len(batch) + 1) * length <= self.max_batch_tokens
                if batch and (head.tokens > length_cap or not fits):
                    continue
                line.popleft()
                if not line:
                    del self._lines[client]
                batch.append(head)
                longest = length
                taking = True
        self._queued -= len(batch)
        self._queued_tokens -= sum(w.tokens for w in batch)
        return batch

    def _used(self, client: Hashable, now: float) -> float:
        usage = self._usage.get(client)
        return usage.now(now) if usage is not None else 0.0

    def _measured(self, batch: list[_Waiting[In, Out]], seconds: float, cpu: float) -> None:
        tokens = sum(w.tokens for w in batch)
        # Wall time for the queue's drain (what a waiting client sees); CPU for fairness.
        self.seconds_per_token += 0.2 * (seconds / tokens - self.seconds_per_token)
        self.cpu_per_token += 0.2 * (cpu / tokens - self.cpu_per_token)
        now = self.clock()
        for waiting in batch:
            usage = self._usage.get(waiting.client)
            spent = cpu * waiting.tokens / tokens
            self._usage[waiting.client] = _Usage((usage.now(now) if usage else 0.0) + spent, now)
        if len(self._usage) > 4 * (len(self._lines) + 256):
            # Forget clients whose use has faded: passing clients must not grow memory.
            faded = [c for c, u in self._usage.items() if u.now(now) < 1e-3]
            for client in faded:
                del self._usage[client]
