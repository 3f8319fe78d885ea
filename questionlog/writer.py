"""The background writer: a bounded queue in front of the database, drained by one thread.

Callers on the event loop only ever put into the queue without waiting. When the queue is
full (the database is slow or locked, and the writer is stuck), the item is dropped and
counted: the log loses questions before the bot loses answers. The thread commits what it
finds in the queue as one batch, so a burst costs one transaction, and it purges old rows
itself as the clock passes.

When a write fails the log is "failing": that is said at once, records are refused at the
door (so that no front end hands out an id for a record that cannot be written), and the
thread checks the database every `retry_seconds`. When a check or a write succeeds again,
one line says how many records the outage cost, and the log is "writing" again. A SQLite
file deleted or replaced underneath is noticed before each write and opened afresh.
"""

from __future__ import annotations

import logging
import queue
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from questionlog.clock import Clock
from questionlog.records import Feedback, LogState, Question
from questionlog.store import Store
from questionlog.throttle import WarningThrottle

log = logging.getLogger(__name__)

BATCH_MAX = 500
PURGE_EVERY = timedelta(hours=1)
# How often an idle writer wakes to see whether a purge is due (real seconds).
_IDLE_WAKE_S = 60.0
# How often a failing log checks whether the database can be written again (real seconds).
RETRY_SECONDS = 2.0

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
        failing: bool = False,
        retry_seconds: float = RETRY_SECONDS,
    ) -> None:
        self.counters = Counters()
        self._store = store
        self._queue: queue.Queue[Item | _Flush | _Stop] = queue.Queue(queue_size)
        self._retention = retention
        self._clock = clock
        self._throttle = throttle
        self._retry_seconds = retry_seconds
        self._last_purge: datetime | None = None
        self._closed = False
        # Set by the writer thread, read by callers: a plain bool is safe to share.
        self._failing = failing
        self._lost_in_outage = 0  # failed or refused since the log started failing
        self._outage_lock = threading.Lock()  # submit() runs on callers' threads
        self._thread = threading.Thread(target=self._run, name="questionlog-writer", daemon=True)
        self._thread.start()

    @property
    def queued(self) -> int:
        return self._queue.qsize()

    @property
    def state(self) -> LogState:
        if self._closed:
            return "closed"
        return "failing" if self._failing else "writing"

    def submit(self, item: Item) -> bool:
        """Queue `item` without waiting; False when it was dropped."""
        if self._closed:
            reason = "log closed"
        elif self._failing:
            reason = f"{self._store.name} cannot be written"
        else:
            try:
                self._queue.put_nowait(item)
                return True
            except queue.Full:
                reason = f"queue full ({self._queue.maxsize})"
        self.counters.add(dropped=1)
        if self._failing:
            with self._outage_lock:
                self._lost_in_outage += 1
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
                first = self._queue.get(
                    timeout=self._retry_seconds if self._failing else _IDLE_WAKE_S
                )
            except queue.Empty:
                if self._failing:
                    self._retry()
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
        self._check_file()
        try:
            self._store.write(
                [item for item in items if isinstance(item, Question)],
                [item for item in items if isinstance(item, Feedback)],
            )
        # Whatever went wrong, the thread must live on to write the next batch.
        except Exception as exc:
            self.counters.add(failed=len(items))
            self._failed(exc, len(items))
        else:
            self.counters.add(written=len(items))
            self._recovered()

    def _retry(self) -> None:
        """While failing: check whether the database can be written again."""
        self._check_file()
        try:
            self._store.probe()
        except Exception as exc:
            self._throttle.warn(
                f"question log: {self._store.name} still cannot be written "
                f"({self._store.describe(exc)}); {self._lost_in_outage} records dropped so "
                f"far; {self._totals()}"
            )
        else:
            self._recovered()

    def _check_file(self) -> None:
        reason = self._store.reopened()
        if reason is not None:
            log.warning("question log: %s %s: opening a new one", self._store.name, reason)

    def _failed(self, exc: Exception, lost: int) -> None:
        with self._outage_lock:
            self._lost_in_outage += lost
        if self._failing:
            self._throttle.warn(
                f"question log: {lost} records lost, {self._store.name}: "
                f"{self._store.describe(exc)}; {self._totals()}"
            )
            return
        # Said at once, whatever the throttle: the start of an outage is what the operator
        # looks for.
        self._failing = True
        log.warning(
            "question log: cannot write to %s (%s): %d records lost; records are dropped "
            "until it can be written again; %s",
            self._store.name,
            self._store.describe(exc),
            lost,
            self._totals(),
        )

    def _recovered(self) -> None:
        if not self._failing:
            return
        with self._outage_lock:
            lost, self._lost_in_outage = self._lost_in_outage, 0
        self._failing = False
        log.warning(
            "question log: %d records dropped while %s was unreachable, writing again; %s",
            lost,
            self._store.name,
            self._totals(),
        )

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
