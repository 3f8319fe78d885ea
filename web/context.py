"""What every route needs: the answering service, the [web] settings, the rate limit; and
asking a question the one way every route does."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import Request

from records import FrontEnd
from service.answering import AnswerService
from service.questions import QuestionError, Refusal
from service.ratelimit import SlidingWindow
from service.replies import Reply

from .settings import WebSettings

RECORD_HEADER = "X-Record-Id"


@dataclass(frozen=True)
class Web:
    service: AnswerService
    settings: WebSettings
    limit: SlidingWindow


class ApiError(Exception):
    """A refusal the client is told about: a status and a JSON body."""

    def __init__(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None):
        super().__init__(status, body)
        self.status = status
        self.body = body
        self.headers = headers or {}


def web(request: Request) -> Web:
    context: Web = request.app.state.web
    return context


async def ask(
    request: Request,
    text: str,
    k: int | None,
    front_end: FrontEnd | None,
    language: str | None,
    *,
    typing: bool = False,
) -> Reply:
    """The service's reply; ApiError for a refused question (400, as `ask --json` words it)
    or a client over the rate limit (429). Refused questions cost no model time, so they
    are not counted against the limit. The page's questions asked while typing (`typing`)
    are counted in a window of their own, as large: typing never spends the questions a
    client settles on, and cannot be used to ask more than twice the limit."""
    context = web(request)
    service = context.service
    try:
        question = service.check(text)
    except QuestionError as error:
        raise ApiError(400, Refusal.of(text, error).model_dump()) from None
    client = request.client.host if request.client else "unknown"
    wait = context.limit.retry_after(("typing", client) if typing else client)
    if wait is not None:
        per_minute = context.limit.per_minute
        raise ApiError(
            429,
            {"error": f"too many questions: at most {per_minute} a minute"},
            {"Retry-After": str(max(1, round(wait)))},
        )
    return await service.ask(question, k, front_end=front_end, language=language)


def record_headers(reply: Reply) -> dict[str, str]:
    """The question log's id travels in a header: the body stays `ask --json`'s shape."""
    return {RECORD_HEADER: reply.record_id} if reply.record_id else {}
