"""The JSON API: search (the reply `ask --json` prints), paragraphs, documents, health, and
feedback on an answer. Every route returns its response model."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request, Response
from pydantic import ValidationError

from records import FrontEnd, Paragraph, Scope, Timeline
from service.answering import AnswerService
from service.questions import Refusal
from service.replies import Reply
from service.snapshot import Snapshot

from .context import RECORD_HEADER, ApiError, ask, record_headers, timeline_of, web
from .models import (
    DocumentEntry,
    Documents,
    Error,
    FeedbackIn,
    FeedbackOut,
    Health,
    IndexBuild,
    ParagraphView,
)
from .safety import question_log_health, record_feedback

router = APIRouter(prefix="/api", tags=["api"])

INVALID: dict[int | str, dict[str, Any]] = {
    422: {"model": Error, "description": "a parameter out of range"}
}
QUESTION_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {
        "model": Refusal,
        "description": "an empty or over-long question, a malformed date, or filters no "
        "interview passes",
    },
    429: {
        "model": Error,
        "description": "over [web] questions_per_minute or encoder_seconds_per_minute",
    },
    503: {"model": Error, "description": "too many questions waiting: see Retry-After"},
    **INVALID,
}
FEEDBACK_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": Error, "description": "a body over 4 KB"},
    422: {"model": Error, "description": "an invalid body, or a paragraph_id that does not exist"},
    429: {"model": Error, "description": "over [web] encoder_seconds_per_minute"},
}
# One range of Accept-Language: a language tag and an optional weight.
_LANGUAGE_RANGE = re.compile(
    r"\s*([A-Za-z]{1,8})(?:-[A-Za-z0-9]{1,8})*\s*(?:;\s*q\s*=\s*([0-9.]+))?"
)

TopK = Annotated[int | None, Query(ge=1, le=100, description="hits (default: [search] top_k)")]


def scope_of(
    q: Annotated[str, Query(description="the question")] = "",
    since: Annotated[
        str | None, Query(description="only interviews published on or after (YYYY-MM-DD)")
    ] = None,
    until: Annotated[
        str | None, Query(description="only interviews published on or before (YYYY-MM-DD)")
    ] = None,
    speaker: Annotated[
        str | None, Query(description="only interviews whose interviewee's name contains this")
    ] = None,
    document: Annotated[str | None, Query(description="only this interview, by id")] = None,
) -> Scope | None:
    """The interviews a search is limited to (None: all). A malformed date, or dates that
    cross, is a 400 naming the parameter."""
    fields = {"since": since, "until": until, "speaker": speaker, "document": document}
    given = {name: value for name, value in fields.items() if value}
    if not given:
        return None
    try:
        return Scope.model_validate(given)
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        message = first["msg"].removeprefix("Value error, ")
        refusal = Refusal(query=q, error=f"{where}: {message}" if where else message)
        raise ApiError(400, refusal.model_dump()) from None


Scoped = Annotated[Scope | None, Depends(scope_of)]


@router.get(
    "/search",
    response_model=Reply,
    responses={
        200: {
            "description": f"the reply; its question-log id (for /api/feedback) is in the "
            f"{RECORD_HEADER} header when the log is on"
        },
        **QUESTION_ERRORS,
    },
)
async def search(
    request: Request,
    response: Response,
    scope: Scoped,
    q: Annotated[str, Query(description="the question")] = "",
    k: TopK = None,
) -> Reply:
    """The closest answer paragraphs, exactly as `interview-bot ask --json` prints them;
    only of the interviews the filters let through (the decision is made on them alone)."""
    language = accept_language(request.headers.get("accept-language"))
    reply = await ask(request, q, k, FrontEnd.API, language, scope=scope)
    response.headers.update(record_headers(reply))
    return reply


@router.get("/timeline", response_model=Timeline, responses=QUESTION_ERRORS)
async def timeline(
    request: Request,
    scope: Scoped,
    q: Annotated[str, Query(description="the question")] = "",
) -> Timeline:
    """What each interview says on the question, oldest first (those of unknown date last):
    its paragraph closest to the question, for each interview that answers it or may, as
    `interview-bot timeline --json` prints it. Not logged."""
    return await timeline_of(request, q, scope)


@router.get(
    "/paragraphs/{paragraph_id:path}",
    response_model=ParagraphView,
    responses={404: {"model": Error}},
)
async def paragraph(request: Request, paragraph_id: str) -> ParagraphView:
    """A paragraph (e.g. interview/2.2), the whole answer it belongs to, and its document."""
    snapshot = web(request).service.snapshot
    found = snapshot.corpus.paragraph(paragraph_id)
    if found is None:
        raise ApiError(404, {"error": "no such paragraph"})
    return paragraph_view(found, snapshot)


def paragraph_view(paragraph: Paragraph, snapshot: Snapshot) -> ParagraphView:
    corpus = snapshot.corpus
    document = corpus.document(paragraph.document_id)
    return ParagraphView(
        paragraph=paragraph,
        label=corpus.label(paragraph),
        answer=corpus.answer(paragraph),
        document=document,
        citation=snapshot.cite(paragraph),
    )


@router.get("/documents", response_model=Documents)
async def documents(request: Request) -> Documents:
    """The interviews being served, newest first (those of unknown date last), with how
    many answer paragraphs each has."""
    corpus = web(request).service.snapshot.corpus
    return Documents(
        documents=tuple(
            DocumentEntry(**d.model_dump(), paragraphs=corpus.count(d))
            for d in corpus.newest_first()
        )
    )


@router.get("/health", response_model=Health)
async def health(request: Request) -> Health:
    """The model, the index build being served, counts, and reloads since start-up."""
    return health_view(web(request).service)


def health_view(service: AnswerService) -> Health:
    snapshot = service.snapshot
    manifest = snapshot.manifest
    stats = service.stats
    return Health(
        model=manifest.model,
        index=IndexBuild(
            build=snapshot.build_id,
            built_at=manifest.built_at,
            build_seconds=manifest.build_seconds,
            index_type=manifest.index_type,
        ),
        documents=len(snapshot.corpus.documents),
        paragraphs=manifest.count,
        uptime_s=round(stats.uptime, 1),
        reloads=stats.reloads,
        failed_reloads=stats.failed_reloads,
        decisions=dict(sorted(stats.decisions.items())),
        question_log=question_log_health(service),
    )


@router.post("/feedback", response_model=FeedbackOut, responses=FEEDBACK_ERRORS)
async def feedback(request: Request, body: FeedbackIn) -> FeedbackOut:
    """👍 / 👎 on a reply, and/or the paragraph that answers its question better, by the
    record id a search returned in its X-Record-Id header (within the hour)."""
    return await record_feedback(request, body)


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
