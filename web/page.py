"""The search page (/), its two JSON endpoints, and the API docs (/docs), all served from
files in this package: nothing is fetched from the internet."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal, get_args

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import FileResponse

from records import FrontEnd, Hit, Paragraph
from service.answering import AnswerService
from service.replies import Reply
from service.text import shorten

from .api import QUESTION_ERRORS, Scoped, TopK
from .context import ApiError, ask, record_headers, web
from .models import (
    AnswerParagraph,
    MapPoint,
    MapTopic,
    NearestQuestion,
    PageCitation,
    PageCorpus,
    PageHit,
    PageReply,
)

STATIC = Path(__file__).parent / "static"

router = APIRouter(tags=["page"])

# Swagger UI for /docs, vendored by the fastapi-offline package (FastAPI's own docs page
# loads it from a CDN, and its inline script would need the CSP relaxed). Only these two of
# its files are served.
SWAGGER = Path(str(files("fastapi_offline") / "static"))
SWAGGER_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})
# Hovering a point on the map shows its paragraph up to this length.
MAP_TEXT_CHARS = 400
# e5's cosines are compressed (unrelated questions still score 0.7 or more): a bar from 0
# would look full for every hit. The page's similarity bars start here.
SIMILARITY_FLOOR = 0.6
# The page's interface languages; a quotation's missing parts are said in the page's.
Language = Literal["ru", "en", "kk"]
LANGUAGES: tuple[Language, ...] = get_args(Language)
DEFAULT_LANGUAGE: Language = "ru"


@router.get("/", include_in_schema=False)
async def page() -> Response:
    # The page is static: a question comes from ?q= through the page's script.
    return FileResponse(STATIC / "index.html", headers={"Cache-Control": "no-cache"})


@router.get("/docs", include_in_schema=False)
async def docs() -> Response:
    return FileResponse(STATIC / "docs.html", headers={"Cache-Control": "no-cache"})


@router.get("/static/swagger/{name}", include_in_schema=False)
async def swagger_asset(name: str) -> Response:
    if name not in SWAGGER_FILES:
        raise ApiError(404, {"error": "not found"})
    return FileResponse(SWAGGER / name)


@router.get("/api/page/corpus", response_model=PageCorpus)
async def corpus(request: Request) -> PageCorpus:
    """For the page: the corpus map (every paragraph as a point, coloured by interviewer
    question), the confidence an answer needs, the similarity scale, the example questions,
    and the archive's speakers and dates for the filters. Not a stable API."""
    context = web(request)
    return corpus_view(context.service, context.settings.examples)


def corpus_view(service: AnswerService, examples: tuple[str, ...]) -> PageCorpus:
    snapshot = service.snapshot
    search = service.settings.search
    documents = snapshot.corpus.documents
    dates = sorted(d.date for d in documents if d.date)
    topics: dict[str, MapTopic] = {}
    points = []
    for p, x, y in snapshot.map_points():
        key = topic_key(p)
        if key not in topics:
            labels: dict[str, str] = {lang: snapshot.corpus.label(p, lang) for lang in LANGUAGES}
            topics[key] = MapTopic(key=key, labels=labels, question=p.question)
        points.append(MapPoint(id=p.id, x=x, y=y, topic=key, text=shorten(p.text, MAP_TEXT_CHARS)))
    return PageCorpus(
        build=snapshot.build_id,
        # What the page draws: the confidence an answer needs, on the decision's bar, and
        # the scale of the hits' similarity bars. The decision itself is the service's.
        answer_confidence=snapshot.answer_confidence,
        similarity_scale=(SIMILARITY_FLOOR, 1.0),
        top_k=search.top_k,
        max_query_chars=search.max_query_chars,
        examples=examples,
        # The filters' choices: who speaks in the archive, and when it was said.
        documents=len(documents),
        speakers=tuple(
            sorted({d.interviewee for d in documents if d.interviewee}, key=str.casefold)
        ),
        dates=(dates[0], dates[-1]) if dates else None,
        topics=tuple(topics.values()),
        points=tuple(points),
    )


@router.get("/api/page/search", response_model=PageReply, responses=QUESTION_ERRORS)
async def page_search(
    request: Request,
    response: Response,
    q: str = "",
    k: TopK = None,
    lang: Annotated[Language | None, Query(description="the page's language")] = None,
    typing: Annotated[bool, Query(description="asked while typing: not logged")] = False,
    scope: Scoped = None,
) -> PageReply:
    """For the page: the reply as /api/search gives it (under "reply"), and what the page
    draws besides (where the question lands on the map, citations, whole answers). Questions
    asked as one types are not logged (they are unfinished), and get no record id; the one
    the user settles on is. Not a stable API."""
    front_end = None if typing else FrontEnd.PAGE
    reply = await ask(request, q, k, front_end, lang, typing=typing, scope=scope)
    response.headers.update(record_headers(reply))
    return reply_view(reply, lang or DEFAULT_LANGUAGE)


def reply_view(reply: Reply, language: Language = DEFAULT_LANGUAGE) -> PageReply:
    """The reply and what the page draws besides, all from the snapshot that produced it;
    quotations in the page's `language`."""
    corpus = reply.snapshot.corpus
    shown = {hit.paragraph.id for hit in reply.passages}

    def drawn(hit: Hit) -> PageHit:
        citation = reply.snapshot.cite(hit.paragraph)
        return PageHit(
            shown=hit.paragraph.id in shown,
            topic=topic_key(hit.paragraph),
            label=corpus.label(hit.paragraph, language),
            # The source without its link, which the page adds only if it is a web address.
            citation=PageCitation(
                source=citation.model_copy(update={"url": None}).source, url=citation.url
            ),
            # Exactly what the bot's Cite button sends, so a quotation reads the same
            # whichever front end it was copied from.
            quotation=citation.quotation(hit.paragraph.text, language),
            whole_answer=tuple(
                AnswerParagraph(id=p.id, text=p.text) for p in corpus.answer(hit.paragraph)
            ),
        )

    return PageReply(
        reply=reply,
        language=language,
        build=reply.snapshot.build_id,
        position=reply.position,
        hits=tuple(drawn(hit) for hit in reply.hits),
        nearest_questions=tuple(
            NearestQuestion(
                label=corpus.label(hit.paragraph, language), question=hit.paragraph.question
            )
            for hit in reply.nearest_questions
        ),
    )


def topic_key(p: Paragraph) -> str:
    """The interviewer question a paragraph answers: the map colours points by it."""
    return f"{p.document_id}#{p.answer_no}"
