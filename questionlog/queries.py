"""The read side, for the owner's report and export: run from the command line, in its
own process, synchronously. Each function takes the earliest time to include: a date
means midnight UTC that day."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa

from questionlog.records import DayCount, Question, QuestionWithFeedback, VoteCounts
from questionlog.schema import feedback, questions
from questionlog.store import Store
from records import Decision, FrontEnd, Vote


def questions_per_day(store: Store, since: date) -> list[DayCount]:
    """How many questions each UTC day had, per decision, oldest day first."""
    day = sa.func.date(questions.c.at, type_=sa.Date).label("day")
    statement = (
        sa.select(day, questions.c.decision, sa.func.count())
        .where(questions.c.at >= _start(since))
        .group_by(day, questions.c.decision)
        .order_by(day, questions.c.decision)
    )
    with store.engine.connect() as connection:
        return [
            DayCount(d, Decision(decision), n) for d, decision, n in connection.execute(statement)
        ]


def unanswered(store: Store, since: date) -> list[Question]:
    """Questions the interview did not cover, or covered only uncertainly, oldest first:
    what the owner may want to add to the corpus."""
    statement = (
        sa.select(questions)
        .where(questions.c.at >= _start(since))
        .where(questions.c.decision.in_(("not_covered", "uncertain")))
        .order_by(questions.c.at, questions.c.id)
    )
    with store.engine.connect() as connection:
        return [_question(row) for row in connection.execute(statement)]


def downvoted(store: Store, since: date) -> list[QuestionWithFeedback]:
    """Answers whose latest vote is 👎, with the paragraph the user opened instead, if any
    (the question's `shown_paragraph_id` is the answer they voted on)."""
    return _with_feedback(store, since, feedback.c.vote == "down")


def vote_counts(store: Store, since: date) -> VoteCounts:
    """👍 and 👎 on questions asked since `since` (each question's latest vote)."""
    statement = (
        sa.select(feedback.c.vote, sa.func.count())
        .join(questions, questions.c.id == feedback.c.question_id)
        .where(questions.c.at >= _start(since))
        .where(feedback.c.vote.is_not(None))
        .group_by(feedback.c.vote)
    )
    with store.engine.connect() as connection:
        counts = {vote: count for vote, count in connection.execute(statement)}
    return VoteCounts(up=counts.get("up", 0), down=counts.get("down", 0))


def labelled(store: Store, since: date) -> list[QuestionWithFeedback]:
    """The rows to export as labelled data: questions with a preferred paragraph (the label
    a user gave by opening it), and questions the interview does not cover (labelled
    "no answer"), oldest first."""
    return _with_feedback(
        store,
        since,
        sa.or_(
            feedback.c.preferred_paragraph_id.is_not(None),
            questions.c.decision == "not_covered",
        ),
        outer=True,
    )


def _with_feedback(
    store: Store, since: date, condition: sa.ColumnElement[bool], outer: bool = False
) -> list[QuestionWithFeedback]:
    statement = (
        sa.select(questions, feedback.c.vote, feedback.c.preferred_paragraph_id)
        .select_from(
            questions.join(feedback, feedback.c.question_id == questions.c.id, isouter=outer)
        )
        .where(questions.c.at >= _start(since))
        .where(condition)
        .order_by(questions.c.at, questions.c.id)
    )
    with store.engine.connect() as connection:
        return [
            QuestionWithFeedback(
                _question(row), Vote(row.vote) if row.vote else None, row.preferred_paragraph_id
            )
            for row in connection.execute(statement)
        ]


def _question(row: Any) -> Question:
    return Question(
        id=row.id,
        at=row.at,
        front_end=FrontEnd(row.front_end),
        language=row.language,
        text=row.text,
        decision=Decision(row.decision),
        hits=tuple((str(pid), float(score)) for pid, score in row.hits),
        vector=bytes(row.vector) if row.vector is not None else None,
        vector_model=row.vector_model,
    )


def _start(since: date) -> datetime:
    if isinstance(since, datetime):
        if since.tzinfo is None:
            raise ValueError(f"since must be a date or an aware datetime, got {since}")
        return since.astimezone(UTC)
    return datetime.combine(since, time(), UTC)
