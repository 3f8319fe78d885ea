"""The search page (/), its two JSON endpoints, and the API docs (/docs), all served from
files in this package: nothing is fetched from the internet."""

from __future__ import annotations

from importlib.resources import files
from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import FileResponse, JSONResponse, Response

from .api import QUESTION_ERRORS, TopK
from .context import ApiError, ask, record_headers, web
from .views import corpus_view, reply_view

STATIC = Path(__file__).parent / "static"

router = APIRouter(tags=["page"])

# Swagger UI for /docs, vendored by the fastapi-offline package (FastAPI's own docs page
# loads it from a CDN, and its inline script would need the CSP relaxed). Only these two of
# its files are served.
SWAGGER = Path(str(files("fastapi_offline") / "static"))
SWAGGER_FILES = frozenset({"swagger-ui-bundle.js", "swagger-ui.css"})


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


@router.get("/api/page/corpus")
async def corpus(request: Request) -> JSONResponse:
    """For the page: the corpus map (every paragraph as a point, coloured by interviewer
    question), the confidence an answer needs, the similarity scale, the example questions.
    Not a stable API."""
    context = web(request)
    return JSONResponse(corpus_view(context.service, context.settings.examples))


@router.get("/api/page/search", responses=QUESTION_ERRORS)
async def page_search(
    request: Request,
    q: str = "",
    k: TopK = None,
    lang: Annotated[Literal["ru", "en"] | None, Query(description="the page's language")] = None,
    typing: Annotated[bool, Query(description="asked while typing: not logged")] = False,
) -> JSONResponse:
    """For the page: the reply as /api/search gives it (under "reply"), and what the page
    draws besides (where the question lands on the map, labels, citations, whole answers).
    Questions asked as one types are not logged (they are unfinished), and get no record
    id; the one the user settles on is. Not a stable API."""
    reply = await ask(request, q, k, None if typing else "page", lang)
    return JSONResponse(reply_view(reply), headers=record_headers(reply))
