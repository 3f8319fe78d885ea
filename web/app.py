"""The web application: the search page and the JSON API on one answering service."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from service.admission import EncoderBudget
from service.answering import AnswerService
from service.ratelimit import SlidingWindow

from . import api, page, statement
from .clients import Clients
from .context import RECORD_HEADER, ApiError, Web
from .guards import Guard
from .settings import WebSettings, is_wildcard


def create_app(
    service: AnswerService, settings: WebSettings | None = None, host: str | None = None
) -> FastAPI:
    """The page at /, the API under /api, its docs at /docs; `service` answers (its
    lifetime is the caller's: the app neither opens nor closes it). `host` is the address
    the server listens on: a Host header naming it is allowed (`[web] allowed_hosts`)."""
    settings = settings or WebSettings()
    app = FastAPI(
        title="interview-bot",
        summary="Questions answered with the closest paragraph of an interview.",
        version="1",
        docs_url=None,  # served by page.docs from local files, not from a CDN
        redoc_url=None,
    )
    app.state.web = Web(
        service,
        settings,
        SlidingWindow(settings.questions_per_minute),
        EncoderBudget(settings.encoder_seconds_per_minute),
        Clients(settings.networks),
    )
    app.include_router(api.router)
    app.include_router(page.router)
    app.include_router(statement.router)
    app.mount("/static", StaticFiles(directory=page.STATIC), name="static")
    app.add_exception_handler(ApiError, _api_error)  # type: ignore[arg-type]
    app.add_exception_handler(RequestValidationError, _invalid_request)  # type: ignore[arg-type]
    app.add_exception_handler(HTTPException, _http_error)  # type: ignore[arg-type]
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(settings.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Content-Type"],
            expose_headers=[RECORD_HEADER],
        )
    # Outermost: its headers and its generic 500 cover every response.
    app.add_middleware(
        Guard,
        allowed_origins=settings.cors_origins,
        allowed_hosts=settings.hosts(host),
        any_address=is_wildcard(host),
    )
    return app


async def _api_error(request: Request, error: ApiError) -> JSONResponse:
    return JSONResponse(error.body, status_code=error.status, headers=error.headers)


async def _invalid_request(request: Request, error: RequestValidationError) -> JSONResponse:
    # One line naming the field; FastAPI's default would echo the whole input back.
    first = error.errors()[0] if error.errors() else {}
    where = ".".join(str(part) for part in first.get("loc", ()) if part not in ("query", "body"))
    message = first.get("msg", "invalid request")
    return JSONResponse({"error": f"{where}: {message}" if where else message}, status_code=422)


async def _http_error(request: Request, error: HTTPException) -> JSONResponse:
    return JSONResponse(
        {"error": error.detail}, status_code=error.status_code, headers=error.headers
    )
