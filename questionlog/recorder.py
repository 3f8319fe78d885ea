"""QuestionLog: what the front ends call to log a question and the feedback on it.

Every call returns at once: it checks its arguments, stamps the time, makes the id, and
puts the record in the writer's queue; the database is only ever touched by the writer
thread. A record id is therefore known before anything is written, and a slow or dead
database costs the caller nothing but the record.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import timedelta
from types import TracebackType

import numpy as np
from sqlalchemy.exc import SQLAlchemyError

from questionlog.clock import Clock, utc_now
from questionlog.ids import is_record_id, new_record_id
from questionlog.migrations import SchemaError
from questionlog.records import Feedback, LogStats, Question
from questionlog.settings import StoreSettings
from questionlog.store import Store
from questionlog.throttle import WarningThrottle
from questionlog.writer import RETRY_SECONDS, Writer
from records import Decision, FrontEnd, Vote

log = logging.getLogger(__name__)

# Telegram's language codes are short ("en", "pt-br"); a web client's header need not be.
_MAX_LANGUAGE = 35
_MAX_PARAGRAPH_ID = 200
_WAIT_S = 10.0


class QuestionLog:
    """Thread-safe; built with `QuestionLog.open`. When logging is disabled nothing is
    written, `record` returns None and feedback calls return False: a front end that gets
    no id offers no feedback buttons."""

    def __init__(self, writer: Writer | None, clock: Clock = utc_now) -> None:
        self._writer = writer
        self._clock = clock

    @classmethod
    def open(
        cls,
        settings: StoreSettings,
        clock: Clock = utc_now,
        *,
        retry_seconds: float = RETRY_SECONDS,
    ) -> QuestionLog:
        """Start the log. A database that is down does not stop the start: it is warned
        about, records are refused, and it is tried again every `retry_seconds`. A schema
        newer than this program's does (SchemaError), since writing to it could corrupt it."""
        if not settings.enabled:
            return cls(None, clock)
        throttle = WarningThrottle(log, clock)
        store = Store(settings)
        failing = False
        try:
            store.probe()
        except SchemaError:
            store.close()
            raise
        except (SQLAlchemyError, OSError) as exc:
            failing = True
            throttle.warn(
                f"question log: {store.name} unavailable ({store.describe(exc)}); "
                "questions are dropped until it is back"
            )
        writer = Writer(
            store,
            queue_size=settings.queue_size,
            retention=timedelta(days=settings.retention_days),
            clock=clock,
            throttle=throttle,
            failing=failing,
            retry_seconds=retry_seconds,
        )
        return cls(writer, clock)

    def record(
        self,
        front_end: str,
        text: str,
        decision: str,
        hits: Iterable[tuple[str, float]],
        language: str | None = None,
        vector: tuple[str, np.ndarray] | None = None,
    ) -> str | None:
        """Log a question and how it was answered; returns its id at once, or None when
        the record will not be written (logging disabled, the queue full, or the database
        failing).

        `hits` are (paragraph id, score), best first; `vector` is the question's vector
        and the tag of the model that made it (service/vectors.py), for the report. Raises
        ValueError for what no front end should pass (an unknown front end or decision, a
        score that is not finite), never for the database's sake.
        """
        # Raise ValueError, naming the value, for what no enumeration member is.
        where, decided = FrontEnd(front_end), Decision(decision)
        kept = tuple((_storable(str(pid)), float(score)) for pid, score in hits)
        if not all(math.isfinite(score) for _, score in kept):
            raise ValueError(f"scores must be finite numbers: {kept}")
        if self._writer is None:
            return None
        question = Question(
            id=new_record_id(),
            at=self._clock(),
            front_end=where,
            language=_storable(language[:_MAX_LANGUAGE]) if language else None,
            text=_storable(text),
            decision=decided,
            hits=kept,
            vector=np.asarray(vector[1], dtype="<f2").tobytes() if vector else None,
            vector_model=vector[0] if vector else None,
        )
        return question.id if self._writer.submit(question) else None

    def vote(self, record_id: str, vote: str) -> bool:
        """A 👍 ("up") or 👎 ("down") on a recorded answer; the latest vote counts. False
        when it will not be written (disabled, queue full, or an id this log never made)."""
        return self._feedback(record_id, vote=Vote(vote))

    def prefer(self, record_id: str, paragraph_id: str) -> bool:
        """The user opened `paragraph_id` after the answer to `record_id`: the paragraph
        they were looking for, probably. The latest one counts."""
        if not paragraph_id or len(paragraph_id) > _MAX_PARAGRAPH_ID:
            return False
        return self._feedback(record_id, preferred_paragraph_id=_storable(paragraph_id))

    def _feedback(
        self, record_id: str, vote: Vote | None = None, preferred_paragraph_id: str | None = None
    ) -> bool:
        # The id comes back from a button, which a client can forge.
        if self._writer is None or not is_record_id(record_id):
            return False
        item = Feedback(record_id, self._clock(), vote, preferred_paragraph_id)
        return self._writer.submit(item)

    def flush(self, timeout: float = _WAIT_S) -> bool:
        """Wait until everything logged so far is committed or has failed; False on
        timeout. Blocking: from async code, `await asyncio.to_thread(log.flush)`."""
        return True if self._writer is None else self._writer.flush(timeout)

    def close(self, timeout: float = _WAIT_S) -> bool:
        """Write what is queued and stop the writer; later records are dropped."""
        return True if self._writer is None else self._writer.close(timeout)

    def stats(self) -> LogStats:
        if self._writer is None:
            return LogStats(enabled=False, written=0, dropped=0, failed=0, queued=0, state="off")
        counts, writer = self._writer.counters, self._writer
        return LogStats(
            True, counts.written, counts.dropped, counts.failed, writer.queued, writer.state
        )

    def __enter__(self) -> QuestionLog:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def _storable(text: str) -> str:
    """`text` as both databases accept it. PostgreSQL's text cannot hold NUL, and no driver
    encodes a lone surrogate; either would fail the whole batch the record is in, so one
    user's odd input would cost everyone's records."""
    text = text.replace("\x00", "\ufffd")
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        text = text.encode("utf-8", "replace").decode("utf-8")
    return text
