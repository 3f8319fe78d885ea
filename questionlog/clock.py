"""The clock the log stamps records, purges and throttles warnings by.

It is a parameter rather than a call to `datetime.now` so that a test can move time:
retention and the once-a-minute warning are both about time passing.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    """Now, timezone-aware in UTC: every time the log stores is UTC."""
    return datetime.now(UTC)
