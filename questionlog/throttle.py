"""A warning at most once a minute: when the database is down every question fails, and
one line per question would flood the log and cost the answering thread."""

from __future__ import annotations

import logging
import threading
from datetime import datetime, timedelta

from questionlog.clock import Clock

INTERVAL = timedelta(minutes=1)


class WarningThrottle:
    def __init__(self, logger: logging.Logger, clock: Clock, interval: timedelta = INTERVAL):
        self._logger = logger
        self._clock = clock
        self._interval = interval
        self._lock = threading.Lock()
        self._last: datetime | None = None
        self._suppressed = 0

    def warn(self, message: str) -> None:
        """Log `message` unless a warning went out within the interval; the next one that
        does go out says how many were held back."""
        now = self._clock()
        with self._lock:
            if self._last is not None and now - self._last < self._interval:
                self._suppressed += 1
                return
            self._last, suppressed, self._suppressed = now, self._suppressed, 0
        if suppressed:
            message = f"{message} ({suppressed} more warnings held back since the last one)"
        self._logger.warning("%s", message)
