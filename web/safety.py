"""What the API checks before it takes feedback, and what it says about the question log's
health: the parts of api.py's routes that keep the log honest."""

from __future__ import annotations

from fastapi import Request

from service.admission import OverBudget
from service.answering import AnswerService

from .context import ApiError, client_of, over_budget, web
from .models import FeedbackIn, FeedbackOut, QuestionLogHealth

# Feedback costs no encoder time, but a write: it is charged this much of the client's
# encoder budget, about what a short question costs, so the same budget bounds it.
FEEDBACK_SECONDS = 0.05


def question_log_health(service: AnswerService) -> QuestionLogHealth:
    stats = service.log_stats()
    return QuestionLogHealth(
        state=stats.state,
        written=stats.written,
        dropped=stats.dropped,
        failed=stats.failed,
        queued=stats.queued,
    )


async def record_feedback(request: Request, body: FeedbackIn) -> FeedbackOut:
    """Feedback on a search this front end answered and whose id has not expired, naming a
    paragraph that exists; charged to the client's budget. The last vote (and paragraph)
    sent for a record is the one kept."""
    if body.vote is None and body.paragraph_id is None:
        raise ApiError(422, {"error": "give a vote, a paragraph_id, or both"})
    context = web(request)
    service = context.service
    if (
        body.paragraph_id is not None
        and service.snapshot.corpus.paragraph(body.paragraph_id) is None
    ):
        raise ApiError(422, {"error": "paragraph_id: no such paragraph"})
    try:
        context.budget.admit(client_of(request), FEEDBACK_SECONDS)
    except OverBudget as error:
        raise await over_budget(error) from None
    issued = context.issued.get(body.record_id)
    if issued is None:
        return FeedbackOut(recorded=False)
    recorded = True
    if body.vote is not None and body.vote != issued.vote:
        recorded = service.vote(body.record_id, body.vote)
        issued.vote = body.vote if recorded else issued.vote
    if body.paragraph_id is not None and body.paragraph_id != issued.paragraph_id:
        sent = service.prefer(body.record_id, body.paragraph_id)
        issued.paragraph_id = body.paragraph_id if sent else issued.paragraph_id
        recorded = sent and recorded
    return FeedbackOut(recorded=recorded)
