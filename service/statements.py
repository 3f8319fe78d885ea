"""What each interview of an archive says on a question: one statement per interview that
answers it, and which is the newest.

Each interview is ranked and decided on its own paragraphs, reusing the question's encoder
pass: the decision was fitted on one interview's paragraphs, so this is the ground it knows,
and "does this interview answer it?" is the question a timeline asks of each. Only
interviews among the question's candidates are asked, so the cost grows with how many
interviews speak of it (at most MAX_TIMELINE_DOCUMENTS), not with the archive.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from records import Decision, Hit, Statement

from .decision import MAX_SHOWN

if TYPE_CHECKING:
    from retrieval.model.passes import QuestionPass
    from retrieval.ranking.ranker import Ranking

    from .snapshot import Snapshot

# A timeline lists at most this many interviews: those whose paragraphs rank best.
MAX_TIMELINE_DOCUMENTS = 20


def per_document(
    snapshot: Snapshot,
    question: str,
    question_pass: QuestionPass,
    documents: Iterable[str],
    within: np.ndarray | None = None,
) -> list[tuple[Statement, Hit]]:
    """Each of `documents` that answers the question or may (its own best paragraph, and
    the decision on its paragraphs alone), oldest first, those of unknown date last; only
    paragraphs of `within` (a boolean per paragraph) when given."""
    corpus = snapshot.corpus
    found = []
    for document_id in documents:
        rows = corpus.document_rows(document_id)
        if within is not None:
            rows = rows & within
        if not rows.any():
            continue
        (ranking,) = snapshot.ranker.rank([question], [question_pass], MAX_SHOWN, rows)
        verdict = snapshot.policy.decide(ranking.evidence)
        if verdict.decision is Decision.NOT_COVERED or ranking.best is None:
            continue
        statement = Statement.of(ranking.best, verdict.decision, verdict.confidence)
        found.append((statement, ranking.best))
    return sorted(found, key=lambda pair: chronological(pair[0]))


def chronological(statement: Statement) -> tuple[bool, str]:
    return (statement.date is None, statement.date or "")


def among_hits(
    snapshot: Snapshot, ranking: Ranking, question_pass: QuestionPass, within: np.ndarray | None
) -> list[tuple[Statement, Hit]]:
    """The statements of the interviews a reply's hits come from; none unless two or more
    of them answer (one interview has no "earlier")."""
    documents = list(dict.fromkeys(hit.paragraph.document_id for hit in ranking.hits))
    if len(documents) < 2:
        return []
    found = per_document(snapshot, ranking.query, question_pass, documents, within)
    return found if len(found) >= 2 else []


def newest_answer(found: list[tuple[Statement, Hit]]) -> Hit | None:
    """The paragraph of the newest dated interview that answers the question itself."""
    answered = [pair for pair in found if pair[0].decision is Decision.ANSWERED and pair[0].date]
    return max(answered, key=lambda pair: pair[0].date or "")[1] if answered else None


def candidate_documents(snapshot: Snapshot, ranking: Ranking) -> list[str]:
    """The interviews of a question's candidates, best-ranked first, at most
    MAX_TIMELINE_DOCUMENTS."""
    evidence = ranking.evidence
    corpus = snapshot.corpus
    ids = (evidence.paragraphs[i] for i in evidence.order)
    documents = dict.fromkeys(
        paragraph.document_id for paragraph in map(corpus.paragraph, ids) if paragraph
    )
    return list(documents)[:MAX_TIMELINE_DOCUMENTS]
