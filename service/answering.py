"""The answering service: the one model and index of the process, behind every front end.

It checks a question, encodes it (batched with the questions asked at the same moment:
one pass gives the dense vector, the sparse vector and the token states), ranks the
paragraphs of the index being served, decides what to show from the ranking's evidence,
and counts what it did. A reload rebuilds and swaps the index (and rereads the decision)
while questions go on being answered.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from questionlog.records import LogStats
from records import Decision, Document, FrontEnd, Reason, Scope, Timeline, Vote
from records.errors import UserError, first_line

from . import statements
from .admission import Charge
from .batching import Batcher
from .decision import MAX_SHOWN
from .encoder import Encoder, compute_threads, load_encoder
from .intake import Intake, classify
from .questions import check_question, rows_within
from .replies import Reply
from .report import Report, build_report
from .settings import Settings
from .snapshot import Snapshot, ensure_builder, open_snapshot, rebuild_index, stale_reason
from .vectors import collect_vectors, vector_tag, vectors_collected

if TYPE_CHECKING:
    from questionlog.recorder import QuestionLog
    from retrieval.model.passes import QuestionPass
    from retrieval.ranking.ranker import Ranking

log = logging.getLogger(__name__)

# A reply and its question's vector (None when the encoder pass was not the service's).
Answered = tuple[Reply, np.ndarray | None]


class Asked(NamedTuple):
    """A checked question waiting for the encoder, with how it is to be answered."""

    question: str
    top_k: int | None
    scope: Scope | None


WARM_UP = (
    "Когда будет подписан договор?",
    "When will the treaty be signed?",
    "Шартқа қашан қол қойылады?",
)


@dataclass
class ServiceStats:
    """Counters since the process started."""

    started: float = field(default_factory=time.monotonic)
    decisions: Counter[Decision] = field(default_factory=Counter)
    reloads: int = 0
    failed_reloads: int = 0

    @property
    def uptime(self) -> float:
        return time.monotonic() - self.started


class AnswerService:
    def __init__(
        self,
        settings: Settings,
        encoder: Encoder,
        snapshot: Snapshot,
        log: QuestionLog | None = None,
    ) -> None:
        self.settings = settings
        self.encoder = encoder
        self.log = log
        self.stats = ServiceStats()
        self._snapshot = snapshot
        self._batcher: Batcher[Asked, Answered] = Batcher(
            self._answer_batch,
            max_queued=settings.search.max_queued_questions,
            parallelism=compute_threads,
        )
        self._vector_tag = vector_tag(settings.model.spec())
        # One reload at a time: a second waits, then rebuilds from the corpus as it is then.
        self._reload_lock = asyncio.Lock()
        self._timeline_lock = asyncio.Lock()

    @classmethod
    def open(cls, settings: Settings, *, log_questions: bool = False) -> AnswerService:
        """Check the index against the config and the corpus, then load the model: fail fast.

        Servers log their users' questions ([store]); the command line does not.
        """
        snapshot = open_snapshot(settings)
        encoder = load_encoder(settings.model.spec(), settings.model.batch_size)
        log = None
        if log_questions:
            from questionlog.recorder import QuestionLog

            log = QuestionLog.open(settings.store)
        return cls(settings, encoder, snapshot, log)

    def warm_up(self) -> None:
        """Answer a question in each language once, so that what loads on first use (the
        lemmatisers' dictionaries: a third of a second for the first English question,
        torch's kernels) does not delay a user's first question. Servers call it."""
        self.answer(WARM_UP)

    @property
    def snapshot(self) -> Snapshot:
        """The index being served; read it afresh for each request, a reload swaps it."""
        return self._snapshot

    def check(self, text: str) -> str:
        """The question as the service searches it; QuestionError when empty or too long."""
        search = self.settings.search
        return check_question(
            text, search.max_query_chars, self.encoder.question_tokens, search.max_query_tokens
        )

    def check_scope(self, scope: Scope | None) -> None:
        """ScopeError when `scope` lets no interview through."""
        rows_within(self.snapshot.corpus, scope)

    def estimate(self, question: str) -> float:
        """The encoder seconds a checked question is expected to take (to admit it)."""
        return self._batcher.estimate(self.encoder.question_tokens(question))

    def answer(
        self, questions: Sequence[str], top_k: int | None = None, scope: Scope | None = None
    ) -> list[Reply]:
        """Answer checked questions now, with one encoder pass (for the CLI and evaluation),
        among the interviews `scope` lets through (ScopeError when none).

        What is not a question to search (intake.py) is answered without the model."""
        if not questions:
            return []
        # Read once: a reload may swap it, and this batch stays on one index.
        snapshot = self._snapshot
        within = rows_within(snapshot.corpus, scope)
        documents = _admitted(snapshot, scope)
        vocabulary = snapshot.index.vocabulary
        intakes = [classify(q, vocabulary, documents) for q in questions]
        searched = [q for q, i in zip(questions, intakes, strict=True) if not i.certain]
        k = top_k or self.settings.search.top_k
        passes = self.encoder.question_passes(searched) if searched else []
        # The log keeps a searched question's vector; what was not searched has none.
        dense = iter(p.dense for p in passes)
        collect_vectors(None if intake.certain else next(dense) for intake in intakes)
        # Ranked at least as deep as an uncertain reply shows, whatever k the hits are cut to.
        rankings = snapshot.ranker.rank(searched, passes, max(k, MAX_SHOWN), within)
        ranked = iter(zip(rankings, passes, strict=True))
        return [
            _not_searched(question, intake.reason, snapshot, documents)
            if intake.certain and intake.reason is not None
            else self._reply(*next(ranked), intake, snapshot, k, within, documents)
            for question, intake in zip(questions, intakes, strict=True)
        ]

    def timeline(self, question: str, scope: Scope | None = None) -> Timeline:
        """What each interview says on a checked question, oldest first: one statement per
        interview that answers it or may (service/statements.py). Blocking."""
        snapshot = self._snapshot
        within = rows_within(snapshot.corpus, scope)
        intake = classify(question, snapshot.index.vocabulary, _admitted(snapshot, scope))
        if intake.certain:
            return Timeline(query=question, statements=())
        (question_pass,) = self.encoder.question_passes([question])
        (ranking,) = snapshot.ranker.rank([question], [question_pass], MAX_SHOWN, within)
        documents = statements.candidate_documents(snapshot, ranking)
        found = statements.per_document(snapshot, question, question_pass, documents, within)
        return Timeline(query=question, statements=tuple(s for s, _ in found))

    async def ask(
        self,
        text: str,
        top_k: int | None = None,
        *,
        front_end: FrontEnd | None = None,
        language: str | None = None,
        client: Hashable = None,
        charge: Charge | None = None,
        bounded: bool = False,
        scope: Scope | None = None,
    ) -> Reply:
        """Answer a question from async code, sharing an encoder pass with concurrent ones.

        A question from a `front_end` ("bot", "inline", "page", "api") goes to the question
        log; the reply's `record_id` then names it for feedback. Questions wait for the
        encoder in a fair order across `client`s (service/batching.py); a `bounded` one is
        refused with Busy when the queue is full. `charge` is settled with the encoder
        time the question took. Only interviews `scope` lets through are searched
        (ScopeError, before any model work, when none).
        """
        question = self.check(text)
        self.check_scope(scope)
        (reply, vector), seconds = await self._batcher.submit_measured(
            Asked(question, top_k, scope),
            tokens=self.encoder.question_tokens(question),
            client=client,
            bounded=bounded,
        )
        if charge is not None:
            charge.settle(seconds)
        self.stats.decisions[reply.decision] += 1
        if front_end is None or self.log is None:
            return reply
        hits = [(hit.paragraph.id, hit.score) for hit in reply.hits]
        tagged = (self._vector_tag, vector) if vector is not None else None
        record_id = self.log.record(front_end, reply.query, reply.decision, hits, language, tagged)
        return reply if record_id is None else reply.with_record(record_id)

    async def ask_timeline(self, text: str, scope: Scope | None = None) -> Timeline:
        """timeline() from async code: one at a time, beside the batches of questions (it
        ranks each interview that speaks of the question: up to twenty rankings)."""
        question = self.check(text)
        self.check_scope(scope)
        async with self._timeline_lock:
            return await asyncio.to_thread(self.timeline, question, scope)

    def log_stats(self) -> LogStats:
        """The question log's counters and state ("off" when there is none)."""
        return self.log.stats() if self.log is not None else LogStats(False, 0, 0, 0, 0, "off")

    def vote(self, record_id: str, vote: Vote) -> bool:
        """👍 ("up") or 👎 ("down") on a logged reply; False when it cannot be recorded."""
        return self.log is not None and self.log.vote(record_id, vote)

    def prefer(self, record_id: str, paragraph_id: str) -> bool:
        """The paragraph a user opened instead of the logged reply's: an implicit label."""
        return self.log is not None and self.log.prefer(record_id, paragraph_id)

    def report(self, days: int) -> Report:
        """The question log's report on the last `days` days (blocking: call it in a thread).

        Raises when the log is off or its database cannot be opened."""
        if not self.settings.store.enabled:
            raise RuntimeError("the question log is off ([store] enabled = false)")
        from questionlog.store import Store

        since = (datetime.now(UTC) - timedelta(days=days)).date()
        with Store.open(self.settings.store) as store:
            return build_report(store, self.encoder.question_vectors, since, self._vector_tag)

    async def reload(self) -> Snapshot:
        """Serve the corpus as it is now, rebuilding the index if it changed; a read-only
        replica ([index] read_only) serves the build published last, never building.

        On any failure the exception propagates and the previous index keeps serving.
        """
        async with self._reload_lock:
            try:
                snapshot = await asyncio.to_thread(self._fresh_snapshot)
            except Exception:
                self.stats.failed_reloads += 1
                raise
            # One assignment: each batch reads it once, so sees one index or the other.
            self._snapshot = snapshot
            self.stats.reloads += 1
        manifest = snapshot.manifest
        log.info(
            "index reloaded: %d paragraphs, built %s (%s)",
            manifest.count,
            manifest.built_at,
            snapshot.build_id,
        )
        return snapshot

    async def publish(self, write: Callable[[], Sequence[Path]]) -> Snapshot | None:
        """Add files to the corpus and serve them, taking turns with reloads and other
        publishes; None when `write` wrote nothing.

        `write` (run in a thread) puts the files in place and returns their paths. When the
        index cannot be served with them they are removed again, so that the corpus stays
        what the previous index, which keeps serving, was built from; the error propagates.
        A read-only replica refuses (ReadOnlyError) and writes nothing.
        """
        ensure_builder(self.settings)
        async with self._reload_lock:
            written = await asyncio.to_thread(write)
            if not written:
                return None
            try:
                snapshot = await asyncio.to_thread(self._fresh_snapshot)
            except Exception:
                for path in written:
                    path.unlink(missing_ok=True)
                self.stats.failed_reloads += 1
                raise
            self._snapshot = snapshot
            self.stats.reloads += 1
        log.info("published %s: serving %d paragraphs", written[0].name, snapshot.manifest.count)
        return snapshot

    async def try_reload(self) -> str | None:
        """reload(), logged; None when it worked, else the error's first line."""
        try:
            await self.reload()
        except Exception as error:  # whatever broke, the previous index keeps serving
            # An error the operator can fix (a corpus line, a damaged index) is one line; a
            # traceback is for what they cannot.
            trace = None if isinstance(error, UserError) else error
            log.error("reload failed, the previous index keeps serving: %s", error, exc_info=trace)
            return first_line(error)
        return None

    def reload_soon(self) -> None:
        """What SIGHUP does: reload in the background, answering meanwhile; the log says how
        it went. Call it from the running event loop (a signal handler installed on it)."""
        log.info("SIGHUP: reloading the index")
        asyncio.get_running_loop().create_task(self.try_reload(), name="reload")

    async def close(self) -> None:
        await self._batcher.close()
        if self.log is not None:
            # Writes what is queued: nothing acknowledged is lost on a clean stop.
            await asyncio.to_thread(self.log.close)

    def _fresh_snapshot(self) -> Snapshot:
        # When the index is up to date, the published build is loaded: someone may have run
        # `interview-bot index` meanwhile. A replica loads whatever was published.
        if not self.settings.index.read_only:
            reason = stale_reason(self.settings)
            if reason is not None:
                log.info("rebuilding the index: %s", reason)
                rebuild_index(self.settings, self.encoder)
        return open_snapshot(self.settings)

    def _answer_batch(self, items: Sequence[Asked]) -> list[Answered]:
        # Questions under one scope are ranked together; a batch rarely mixes scopes.
        default = self.settings.search.top_k
        answered: dict[int, Answered] = {}
        groups: dict[Scope | None, list[int]] = {}
        for at, item in enumerate(items):
            groups.setdefault(item.scope, []).append(at)
        for scope, places in groups.items():
            k = max(items[at].top_k or default for at in places)
            with vectors_collected() as collected:
                replies = self.answer([items[at].question for at in places], k, scope)
            # A stand-in for `answer` (a test's) may make no pass of its own: no vectors then.
            vectors: list[np.ndarray | None] = list(collected)
            if len(vectors) != len(replies):
                vectors = [None] * len(replies)
            for at, reply, vector in zip(places, replies, vectors, strict=True):
                answered[at] = (reply.trimmed(items[at].top_k or default), vector)
        return [answered[at] for at in range(len(items))]

    def _reply(
        self,
        ranking: Ranking,
        question_pass: QuestionPass,
        intake: Intake,
        snapshot: Snapshot,
        k: int,
        within: np.ndarray | None,
        documents: Sequence[Document],
    ) -> Reply:
        verdict = snapshot.policy.decide(ranking.evidence)
        if intake.reason is not None and verdict.decision is not Decision.ANSWERED:
            return _not_searched(ranking.query, intake.reason, snapshot, documents)
        passages = ranking.hits[: verdict.shown]
        found = statements.among_hits(snapshot, ranking, question_pass, within)
        newest = statements.newest_answer(found)
        if verdict.decision is Decision.ANSWERED and newest is not None:
            # Several interviews answer it: the newest says what the position is now.
            passages = (next((h for h in ranking.hits if h.paragraph == newest.paragraph), newest),)
        return Reply(
            query=ranking.query,
            decision=verdict.decision,
            confidence=verdict.confidence,
            hits=ranking.hits[:k],
            passages=passages,
            statements=tuple(statement for statement, _ in found),
            uncovered_terms=verdict.uncovered_terms,
            reason=verdict.reason,
            nearest_questions=ranking.nearest_questions,
            position=ranking.position,
        ).made_from(snapshot)


def _admitted(snapshot: Snapshot, scope: Scope | None) -> tuple[Document, ...]:
    """The interviews `scope` lets through (all without one)."""
    documents = snapshot.corpus.documents
    return documents if scope is None else tuple(d for d in documents if scope.admits(d))


def _not_searched(
    question: str, reason: Reason, snapshot: Snapshot, documents: Sequence[Document]
) -> Reply:
    """A reply to what is not a question to search: no paragraph, and for a question about
    the interview itself, what the metadata of `documents` knows."""
    about = reason is Reason.ABOUT_INTERVIEW
    return Reply(
        query=question,
        decision=Decision.NOT_COVERED,
        confidence=0.0,
        uncovered_terms=(),
        reason=reason,
        hits=(),
        sources=tuple(documents) if about else (),
    ).made_from(snapshot)
