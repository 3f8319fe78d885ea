"""The background writer: a bounded queue in front of the database, drained by one thread.

Callers on the event loop only ever put into the queue without waiting. When the queue is
full (the database is slow, locked or down, and the writer is stuck or failing), the item
is dropped and counted: the log loses questions before the bot loses answers. The thread
commits what it finds in the queue as one batch, so a burst costs one transaction, and it
purges old rows itself as the clock passes.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from questionlog.clock import Clock
from questionlog.records import Feedback, Question
from questionlog.store import Store
from questionlog.throttle import WarningThrottle

log = logging.getLogger(__name__)

BATCH_MAX = 500
PURGE_EVERY = timedelta(hours=1)
# How often an idle writer wakes to see whether a purge is due (real seconds).
_IDLE_WAKE_S = 60.0

Item = Question | Feedback


@dataclass(frozen=True)
class _Flush:
    """Put after the items a flush waits for: set once they are committed or failed."""

    done: threading.Event = field(default_factory=threading.Event)


class _Stop:
    """The last thing the writer takes from the queue."""


class Counters:
    """written, dropped and failed, updated from both sides of the queue."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.written = self.dropped = self.failed = 0

    def add(self, *, written: int = 0, dropped: int = 0, failed: int = 0) -> None:
        with self._lock:
            self.written += written
            self.dropped += dropped
            self.failed += failed


class Writer:
    def __init__(
        self,
        store: Store,
        *,
        queue_size: int,
        retention: timedelta,
        clock: Clock,
        throttle: WarningThrottle,
    ) -> None:
        self.counters = Counters()
        self._store = store
        self._queue: queue.Queue[Item | _Flush | _Stop] = queue.Queue(queue_size)
        self._retention = retention
        self._clock = clock
        self._throttle = throttle
        self._last_purge: datetime | None = None
        self._closed = False
        self._thread = threading.Thread(target=self._run, name="questionlog-writer", daemon=True)
        self._thread.start()

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    def submit(self, item: Item) -> bool:
        """Queue `item` without waiting; False when it was dropped."""
        if not self._closed:
            try:
                self._queue.put_nowait(item)
                return True
            except queue.Full:
                reason = f"queue full ({self._queue.maxsize})"
        else:
            reason = "log closed"
        self.counters.add(dropped=1)
        self._throttle.warn(f"question log: dropping records: {reason}; {self._totals()}")
        return False

    def flush(self, timeout: float) -> bool:
        """Wait until everything queued so far is committed (or failed); False on timeout.
        Blocks: call it from a thread, or at shutdown, never on the event loop."""
        if self._closed:
            return not self._thread.is_alive()
        deadline = time.monotonic() + timeout
        marker = _Flush()
        try:
            self._queue.put(marker, timeout=timeout)
        except queue.Full:
            return False
        return marker.done.wait(max(0.0, deadline - time.monotonic()))

    def close(self, timeout: float) -> bool:
        """Refuse new items, write the queued ones, stop the thread and close the store;
        False if the thread had not finished within `timeout` (a daemon thread: it will not
        hold up the exit)."""
        if self._closed:
            return not self._thread.is_alive()
        self._closed = True
        try:
            self._queue.put(_Stop(), timeout=timeout)
        except queue.Full:
            return False
        self._thread.join(timeout)
        if self._thread.is_alive():
            return False
        # An item a caller put in while the log was closing came after the stop.
        late = 0
        while not self._queue.empty():
            late += isinstance(self._queue.get_nowait(), Question | Feedback)
        self.counters.add(dropped=late)
        self._store.close()
        return True

    def _run(self) -> None:
        self._purge_if_due()
        while True:
            try:
                first = self._queue.get(timeout=_IDLE_WAKE_S)
            except queue.Empty:
                self._purge_if_due()
                continue
            batch = [first]
            while len(batch) < BATCH_MAX and not isinstance(batch[-1], _Stop):
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._write([item for item in batch if isinstance(item, Question | Feedback)])
            self._purge_if_due()
            for item in batch:
                if isinstance(item, _Flush):
                    item.done.set()
            if isinstance(batch[-1], _Stop):
                return

    def _write(self, items: list[Item]) -> None:
        if not items:
            return
        try:
            self._store.write(
                [item for item in items if isinstance(item, Question)],
                [item for item in items if isinstance(item, Feedback)],
            )
        # Whatever went wrong, the thread must live on to write the next batch.
        except Exception as exc:
            self.counters.add(failed=len(items))
            self._throttle.warn(
                f"question log: {len(items)} records lost, {self._store.name}: "
                f"{self._store.describe(exc)}; {self._totals()}"
            )
        else:
            self.counters.add(written=len(items))

    def _purge_if_due(self) -> None:
        now = self._clock()
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        # Set before trying: a database that is down is tried again in an hour, not on
        # every batch.
        self._last_purge = now
        try:
            deleted = self._store.purge(now - self._retention)
        except Exception as exc:
            self._throttle.warn(f"question log: purge failed: {self._store.describe(exc)}")
        else:
            if deleted:
                log.info(
                    "question log: purged %d questions older than %s", deleted, self._retention
                )

    def _totals(self) -> str:
        counts = self.counters
        return f"written {counts.written}, dropped {counts.dropped}, failed {counts.failed}"
