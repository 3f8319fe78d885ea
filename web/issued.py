"""The record ids this web front end handed out, so that feedback is taken only on them.

An id is random and well-formed ids are easy to make: without this, anyone could post
votes for ids no search returned (orphan rows in the log, and in `feedback export`).
An id is accepted for `TTL_SECONDS` after its search; the newest `MAX_RECORDS` are kept,
the oldest forgotten first, so memory stays bounded whatever the traffic. The last vote
and preferred paragraph sent for each are kept too: sending the same again writes nothing.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

TTL_SECONDS = 3600.0
MAX_RECORDS = 100_000


@dataclass
class Issued:
    at: float
    vote: str | None = None
    paragraph_id: str | None = None


class IssuedRecords:
    def __init__(
        self,
        ttl: float = TTL_SECONDS,
        capacity: int = MAX_RECORDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.ttl = ttl
        self.capacity = capacity
        self.clock = clock
        self._records: OrderedDict[str, Issued] = OrderedDict()

    def add(self, record_id: str) -> None:
        self._records[record_id] = Issued(self.clock())
        self._records.move_to_end(record_id)
        while len(self._records) > self.capacity:
            self._records.popitem(last=False)

    def get(self, record_id: str) -> Issued | None:
        """The record, if this front end issued it and it has not expired."""
        now = self.clock()
        while self._records:  # the oldest first: expired ones go as they are met
            oldest_id, oldest = next(iter(self._records.items()))
            if now - oldest.at <= self.ttl:
                break
            del self._records[oldest_id]
        return self._records.get(record_id)

    def __len__(self) -> int:
        return len(self._records)
