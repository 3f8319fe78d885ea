"""What every route needs: the answering service, the [web] settings, the per-client limits;
and asking a question the one way every route does."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from typing import Any

from fastapi import Request

from records import FrontEnd, Scope, Timeline
from service.admission import Charge, EncoderBudget, OverBudget
from service.answering import AnswerService
from service.batching import Busy
from service.questions import QuestionError, Refusal, ScopeError
from service.ratelimit import SlidingWindow
from service.replies import Reply

from .clients import Clients
from .issued import IssuedRecords
from .settings import WebSettings

RECORD_HEADER = "X-Record-Id"
# A client over its limits gets its 429 this late. Each refusal still costs the event loop
# a request's parsing and routing, and a client that ignores Retry-After can send hundreds
# a second on a few connections, taking the core the loop shares with nobody else; held
# back, each of its connections makes one request a second. A client within its limits
# never waits for it.
REFUSAL_DELAY_S = 1.0


@dataclass(frozen=True)
class Web:
    service: AnswerService
    settings: WebSettings
    limit: SlidingWindow
    budget: EncoderBudget = field(default_factory=lambda: EncoderBudget(0))
    clients: Clients = field(default_factory=Clients)
    issued: IssuedRecords = field(default_factory=IssuedRecords)


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


def client_of(request: Request) -> str:
    """The client's address, for the per-client limits (X-Forwarded-For only from
    `[web] trusted_proxies`)."""
    peer = request.client.host if request.client else None
    return web(request).clients.client(peer, request.headers.get("x-forwarded-for"))


async def refused(status: int, message: str, retry_after: float) -> ApiError:
    """The 429 to raise for a client over a limit, after REFUSAL_DELAY_S."""
    await asyncio.sleep(REFUSAL_DELAY_S)
    return ApiError(status, {"error": message}, {"Retry-After": str(max(1, round(retry_after)))})


async def over_budget(error: OverBudget) -> ApiError:
    return await refused(429, str(error), error.retry_after)


async def ask(
    request: Request,
    text: str,
    k: int | None,
    front_end: FrontEnd | None,
    language: str | None,
    *,
    typing: bool = False,
    scope: Scope | None = None,
) -> Reply:
    """The service's reply; ApiError for a refused question or filters no interview
    passes (400, as `ask --json` words it), a client over its rate limit or encoder budget
    (429), or a full queue (503). Refused questions cost no model time, so they are not
    counted against the limits. The page's questions asked while typing (`typing`) are
    counted in a window of their own, as large: typing never spends the questions a client
    settles on, and cannot be used to ask more than twice the limit."""
    context = web(request)
    question, client, charge = await _admitted(request, text, scope, typing)
    try:
        reply = await context.service.ask(
            question,
            k,
            front_end=front_end,
            language=language,
            client=client,
            charge=charge,
            bounded=True,
            scope=scope,
        )
    except Busy as error:
        charge.cancel()
        raise ApiError(
            503, {"error": str(error)}, {"Retry-After": str(error.retry_after)}
        ) from None
    except BaseException:
        charge.cancel()
        raise
    if reply.record_id:
        context.issued.add(reply.record_id)
    return reply


async def timeline_of(request: Request, text: str, scope: Scope | None) -> Timeline:
    """What each interview says on a question, admitted as a question is: it costs one
    encoder pass, like one (the rankings of each interview reuse it)."""
    question, _, charge = await _admitted(request, text, scope, typing=False)
    try:
        return await web(request).service.ask_timeline(question, scope)
    except BaseException:
        charge.cancel()
        raise


async def _admitted(
    request: Request, text: str, scope: Scope | None, typing: bool
) -> tuple[str, str, Charge]:
    """The checked question, its client and the charge against the client's budget; else
    the ApiError to answer with."""
    context = web(request)
    service = context.service
    try:
        question = service.check(text)
        service.check_scope(scope)
    except (QuestionError, ScopeError) as error:
        raise ApiError(400, Refusal(query=text, error=str(error)).model_dump()) from None
    client = client_of(request)
    wait = context.limit.retry_after(("typing", client) if typing else client)
    if wait is not None:
        per_minute = context.limit.per_minute
        raise await refused(429, f"too many questions: at most {per_minute} a minute", wait)
    try:
        charge = context.budget.admit(client, service.estimate(question))
    except OverBudget as error:
        raise await over_budget(error) from None
    return question, client, charge


def record_headers(reply: Reply) -> dict[str, str]:
    """The question log's id travels in a header: the body stays `ask --json`'s shape."""
    return {RECORD_HEADER: reply.record_id} if reply.record_id else {}
