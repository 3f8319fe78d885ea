"""The JSON API: search (the shape of `ask --json`), paragraphs, documents, health, and
feedback on an answer."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse

from service.jsonview import reply_json

from . import schemas
from .context import RECORD_HEADER, ApiError, ask, record_headers, web
from .views import documents_view, health_view, paragraph_view

router = APIRouter(prefix="/api", tags=["api"])

INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": schemas.Error, "description": "a parameter out of range"}
}
QUESTION_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": schemas.QuestionRefused, "description": "empty or over-long question"},
    429: {"model": schemas.Error, "description": "over [web] questions_per_minute"},
    **INVALID,
}
# One range of Accept-Language: a language tag and an optional weight.
_LANGUAGE_RANGE = re.compile(
    r"\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?"
)

TopK = Annotated[int | None, Query(ge=1, le=100, description="hits (default: [search] top_k)")]


@router.get(
    "/search",
    response_model=schemas.SearchReply,
    responses={
        200: {
            "description": f"the reply; its question-log id (for /api/feedback) is in the "
            f"{RECORD_HEADER} header when the log is on"
        },
        **QUESTION_ERRORS,
    },
)
async def search(
    request: Request, q: Annotated[str, Query(description="the question")] = "", k: TopK = None
) -> JSONResponse:
    """The closest answer paragraphs, exactly as `interview-bot ask --json` prints them."""
    reply = await ask(request, q, k, "api", accept_language(request.headers.get("accept-language")))
    return JSONResponse(reply_json(reply), headers=record_headers(reply))


@router.get(
    "/paragraphs/{paragraph_id:path}",
    response_model=schemas.ParagraphView,
    responses={404: {"model": schemas.Error}},
)
async def paragraph(request: Request, paragraph_id: str) -> JSONResponse:
    """A paragraph (e.g. interview/2.2), the whole answer it belongs to, and its document."""
    snapshot = web(request).service.snapshot
    found = snapshot.paragraph(paragraph_id)
    if found is None:
        raise ApiError(404, {"error": "no such paragraph"})
    return JSONResponse(paragraph_view(found, snapshot))


@router.get("/documents", response_model=schemas.Documents)
async def documents(request: Request) -> JSONResponse:
    """The interviews being served, with how many answer paragraphs each has."""
    return JSONResponse(documents_view(web(request).service.snapshot))


@router.get("/health", response_model=schemas.Health)
async def health(request: Request) -> JSONResponse:
    """The model, the index build being served, counts, and reloads since start-up."""
    return JSONResponse(health_view(web(request).service))


@router.post(
    "/feedback",
    response_model=schemas.FeedbackOut,
    responses=INVALID,
)
async def feedback(request: Request, body: schemas.FeedbackIn) -> schemas.FeedbackOut:
    """👍 / 👎 on a reply, and/or the paragraph that answers its question better, by the
    record id a search returned in its X-Record-Id header."""
    if body.vote is None and body.paragraph_id is None:
        raise ApiError(422, {"error": "give a vote, a paragraph_id, or both"})
    service = web(request).service
    recorded = True
    if body.vote is not None:
        recorded = service.vote(body.record_id, body.vote)
    if body.paragraph_id is not None:
        recorded = service.prefer(body.record_id, body.paragraph_id) and recorded
    return schemas.FeedbackOut(recorded=recorded)


def accept_language(header: str | None) -> str | None:
    """The primary subtag of the client's most wanted language ("ru" of "ru-RU,en;q=0.8")."""
    best: tuple[float, str] | None = None
    for part in (header or "").split(",")[:20]:
        match = _LANGUAGE_RANGE.fullmatch(part)
        if match is None:
            continue
        try:
            weight = float(match[2]) if match[2] else 1.0
        except ValueError:
            continue
        if weight > 0 and (best is None or weight > best[0]):
            best = (weight, match[1].lower())
    return best[1] if best else None
