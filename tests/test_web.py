"""The web API on the real pipeline (the session's model and index), through httpx's ASGI
transport on the test's own event loop: fields, errors, the cap, the rate limit, the
question log and feedback, cross-origin refusal, headers, and no stack trace to a client."""

from __future__ import annotations

import contextlib
import logging
import re
import statistics
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from conftest import ROOT, write_config

from questionlog.schema import feedback, questions
from questionlog.settings import StoreSettings
from questionlog.store import Store
from service.answering import AnswerService
from service.citation import cite
from service.ratelimit import SlidingWindow
from service.settings import SettingsError, read_config
from testkit.openapi import valid
from web.api import accept_language
from web.app import create_app
from web.server import listen, serving_web, url
from web.settings import WebSettings, web_settings

TREATY_SENTENCE = "Следующий форум планируется провести в Астрахани"  # -> interview/2.2
TREATY = "Идеальным было бы его подписание в рамках встречи наших лидеров"  # -> 2.2, answered
STATIC = ROOT / "web" / "static"
# The OpenAPI document does not depend on the service: any app describes the routes.
APP = create_app(None)  # type: ignore[arg-type]


@contextlib.asynccontextmanager
async def client_of(
    service: AnswerService, settings: WebSettings | None = None, ip: str = "127.0.0.1"
) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(service, settings), client=(ip, 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


def stored(settings: StoreSettings) -> dict[str, dict[str, Any]]:
    """Every logged question with its feedback, by record id."""
    with Store.open(settings) as store, store.engine.connect() as connection:
        joined = questions.outerjoin(feedback, feedback.c.question_id == questions.c.id)
        statement = sa.select(questions, feedback.c.vote, feedback.c.preferred_paragraph_id)
        rows = connection.execute(statement.select_from(joined)).mappings()
        return {row["id"]: dict(row) for row in rows}


async def test_search_is_exactly_ask_json(service: AnswerService) -> None:
    async with client_of(service) as client:
        response = await client.get("/api/search", params={"q": f"  {TREATY_SENTENCE} ", "k": 3})
        default_k = await client.get("/api/search", params={"q": TREATY})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    body = valid(APP, "Reply", response.json())
    (reply,) = service.answer([TREATY_SENTENCE], 3)
    assert body == reply.model_dump(mode="json")  # what `ask --json --top-k 3` prints
    assert body["query"] == TREATY_SENTENCE
    assert body["hits"][0]["paragraph"]["id"] == "interview/2.2"
    assert body["decision"] == "answered" and body["answered"] is True
    assert (
        body["hits"][0]["document"]["interviewee"] == "Министр иностранных дел Республики Казахстан"
    )
    assert len(valid(APP, "Reply", default_k.json())["hits"]) == 5  # [search] top_k
    # No question log here, so no id to give feedback on.
    assert "x-record-id" not in response.headers


@pytest.mark.parametrize(
    ("params", "status", "body"),
    [
        ({}, 400, {"query": "", "error": "empty question"}),
        ({"q": "  \t "}, 400, {"query": "  \t ", "error": "empty question"}),
        (
            {"q": "я" * 501},
            400,
            {"query": "я" * 501, "error": "question longer than 500 characters"},
        ),
        ({"q": "x", "k": 0}, 422, {"error": "k: Input should be greater than or equal to 1"}),
        ({"q": "x", "k": "five"}, 422, None),
    ],
)
async def test_refused_questions_are_ask_json_errors_with_a_4xx(
    service: AnswerService, params: dict[str, Any], status: int, body: Any
) -> None:
    async with client_of(service) as client:
        response = await client.get("/api/search", params=params)
        page = await client.get("/api/page/search", params=params)
    assert response.status_code == page.status_code == status
    assert response.json() == page.json()
    if body is not None:
        assert response.json() == body
    else:
        assert set(response.json()) == {"error"} and response.json()["error"].startswith("k: ")
    # The cap is the service's own: refused before any model time.
    assert service.stats.decisions.total() == 0


async def test_the_rate_limit_is_per_client_and_refused_questions_do_not_count(
    service: AnswerService,
) -> None:
    settings = WebSettings(questions_per_minute=2)
    app = create_app(service, settings)
    one = httpx.ASGITransport(app=app, client=("10.0.0.1", 1))
    other = httpx.ASGITransport(app=app, client=("10.0.0.2", 1))
    async with (
        httpx.AsyncClient(transport=one, base_url="http://localhost") as first,
        httpx.AsyncClient(transport=other, base_url="http://localhost") as second,
    ):
        assert (await first.get("/api/search", params={"q": ""})).status_code == 400
        for _ in range(2):
            assert (await first.get("/api/search", params={"q": TREATY})).status_code == 200
        limited = await first.get("/api/page/search", params={"q": TREATY})
        assert (await second.get("/api/search", params={"q": TREATY})).status_code == 200
    assert limited.status_code == 429
    assert limited.json() == {"error": "too many questions: at most 2 a minute"}
    assert 1 <= int(limited.headers["retry-after"]) <= 60


def test_the_rate_limit_window_slides() -> None:
    now = [1000.0]
    limit = SlidingWindow(2, clock=lambda: now[0])
    assert limit.retry_after("a") is None
    now[0] += 10
    assert limit.retry_after("a") is None
    assert limit.retry_after("a") == pytest.approx(50)  # the first one leaves the window
    now[0] += 50
    assert limit.retry_after("a") is None
    assert limit.retry_after("a") == pytest.approx(10)
    now[0] += 200  # a quiet client is forgotten, so passing clients do not grow memory
    assert limit.retry_after("b") is None
    assert len(limit) == 1
    assert all(SlidingWindow(0).retry_after("a") is None for _ in range(100))


async def test_paragraphs_documents_and_health(service: AnswerService) -> None:
    async with client_of(service) as client:
        paragraph = (await client.get("/api/paragraphs/interview/2.2")).json()
        missing = await client.get("/api/paragraphs/interview/9.9")
        documents = (await client.get("/api/documents")).json()
        health = (await client.get("/api/health")).json()
    snapshot = service.snapshot
    valid(APP, "ParagraphView", paragraph)
    assert paragraph["paragraph"]["text"].startswith("Идеальным было бы его подписание")
    assert [p["id"] for p in paragraph["answer"]] == [
        "interview/2.1",
        "interview/2.2",
        "interview/2.3",
    ]
    assert paragraph["label"] == "Новый договор с Россией"
    assert paragraph["document"]["title"] == snapshot.corpus.document("interview").title
    assert paragraph["citation"]["source"].startswith("Министр иностранных дел")
    assert "path" not in paragraph["document"]  # no server paths
    assert missing.status_code == 404 and missing.json() == {"error": "no such paragraph"}
    valid(APP, "Documents", documents)
    assert [(d["id"], d["paragraphs"]) for d in documents["documents"]] == [("interview", 11)]
    valid(APP, "Health", health)
    assert health["model"] == service.settings.model.name
    assert health["index"]["built_at"] == snapshot.manifest.built_at
    assert (health["documents"], health["paragraphs"]) == (1, 11)


async def test_questions_are_logged_by_front_end_and_feedback_lands_on_them(
    logged: AnswerService, store: StoreSettings
) -> None:
    async with client_of(logged) as client:
        api = await client.get(
            "/api/search", params={"q": TREATY}, headers={"Accept-Language": "en-GB,ru;q=0.8"}
        )
        page = await client.get("/api/page/search", params={"q": TREATY, "lang": "ru"})
        typing = await client.get("/api/page/search", params={"q": "Когда подпи", "typing": 1})
        api_id, page_id = api.headers["x-record-id"], page.headers["x-record-id"]
        votes = [
            await client.post("/api/feedback", json={"record_id": api_id, "vote": "up"}),
            await client.post(
                "/api/feedback",
                json={"record_id": page_id, "vote": "down", "paragraph_id": "interview/2.1"},
            ),
            await client.post("/api/feedback", json={"record_id": "not an id", "vote": "up"}),
        ]
        refused = [
            await client.post("/api/feedback", json={"record_id": api_id}),
            await client.post("/api/feedback", json={"record_id": api_id, "vote": "meh"}),
            await client.post("/api/feedback", content=b"not json"),
        ]
    # The record id travels in a header: the body keeps `ask --json`'s shape.
    valid(APP, "Reply", api.json())
    assert page.json()["reply"] == api.json()
    assert "x-record-id" not in typing.headers  # an unfinished question is not logged
    assert [valid(APP, "FeedbackOut", v.json()) for v in votes] == [
        {"recorded": True},
        {"recorded": True},
        {"recorded": False},  # not an id the log could have made
    ]
    assert [r.status_code for r in refused] == [422, 422, 422]
    assert all(set(r.json()) == {"error"} for r in refused)
    assert logged.log is not None and logged.log.flush()
    rows = stored(store)
    assert set(rows) == {api_id, page_id}
    assert (rows[api_id]["front_end"], rows[api_id]["language"]) == ("api", "en")
    assert (rows[page_id]["front_end"], rows[page_id]["language"]) == ("page", "ru")
    assert rows[api_id]["text"] == TREATY and rows[api_id]["vote"] == "up"
    assert rows[page_id]["vote"] == "down"
    assert rows[page_id]["preferred_paragraph_id"] == "interview/2.1"


@pytest.mark.parametrize(
    ("header", "language"),
    [
        ("ru-RU,ru;q=0.9,en-US;q=0.8,en;q=0.7", "ru"),
        ("en;q=0.5, kk", "kk"),
        ("*", None),
        ("fr;q=0", None),
        ("'; drop table", None),
        (None, None),
    ],
)
def test_the_api_language_is_the_clients_first_choice(
    header: str | None, language: str | None
) -> None:
    assert accept_language(header) == language


async def test_the_page_gets_what_it_draws_from_the_replys_index(service: AnswerService) -> None:
    async with client_of(service) as client:
        corpus = (await client.get("/api/page/corpus")).json()
        view = (await client.get("/api/page/search", params={"q": TREATY, "k": 3})).json()
    snapshot = service.snapshot
    assert corpus["build"] == view["build"]
    assert len(corpus["points"]) == len(snapshot.corpus.paragraphs) == 11
    assert [t["labels"]["ru"] for t in corpus["topics"]] == [
        "Инвестиции и новые технологии",
        "Новый договор с Россией",
        "Военно-техническое сотрудничество",
    ]
    # And as the seed's sidecar names them for the English and Kazakh page.
    assert corpus["topics"][1]["labels"] == {
        "ru": "Новый договор с Россией",
        "en": "The new treaty with Russia",
        "kk": "Ресеймен жаңа шарт",
    }
    assert corpus["answer_confidence"] == pytest.approx(snapshot.answer_confidence, abs=1e-4)
    assert 0 < snapshot.answer_confidence < 1
    low, high = corpus["similarity_scale"]
    assert 0 < low < high == 1.0
    # One interview: the page offers no filters; its speaker, and no date, for it records none.
    (document,) = snapshot.corpus.documents
    assert (corpus["documents"], corpus["speakers"], corpus["dates"]) == (
        1,
        [document.interviewee],
        None,
    )
    (reply,) = service.answer([TREATY], 3)
    assert view["reply"] == reply.model_dump(mode="json")
    assert view["position"] == pytest.approx(list(reply.position), abs=1e-4)
    first = view["hits"][0]
    best = view["reply"]["hits"][0]
    assert best["paragraph"]["id"].startswith("interview/2.")
    assert first["shown"] and not any(hit["shown"] for hit in view["hits"][1:])  # answered: one
    assert best["label"] == "Новый договор с Россией" and first["topic"] == "interview#2"
    assert [p["id"] for p in first["whole_answer"]] == [f"interview/2.{i}" for i in (1, 2, 3)]
    assert first["citation"]["url"] is None


@pytest.mark.parametrize("language", ["ru", "en", "kk"])
async def test_the_page_cites_each_hit_as_the_bot_does_in_the_pages_language(
    service: AnswerService, language: str
) -> None:
    async with client_of(service) as client:
        view = (await client.get("/api/page/search", params={"q": TREATY, "lang": language})).json()
    corpus = service.snapshot.corpus
    assert view["language"] == language
    for hit, drawn in zip(view["reply"]["hits"], view["hits"], strict=True):
        paragraph = corpus.paragraph(hit["paragraph"]["id"])
        assert paragraph is not None
        citation = cite(paragraph, corpus.document(paragraph.document_id))
        # The text the bot's Cite button sends (bot/render.py quotation), to the letter.
        assert drawn["quotation"] == citation.quotation(paragraph.text, language)
    said = {"ru": "заголовок не указан", "en": "headline not recorded", "kk": "тақырыбы"}
    assert said[language] in view["hits"][0]["quotation"]
    # The topic in the page's language.
    assert [drawn["label"] for drawn in view["hits"]] == [
        corpus.label(corpus.paragraph(h["paragraph"]["id"]), language)
        for h in view["reply"]["hits"]
    ]
    assert (
        view["hits"][0]["label"]
        == {
            "ru": "Новый договор с Россией",
            "en": "The new treaty with Russia",
            "kk": "Ресеймен жаңа шарт",
        }[language]
    )


async def test_questions_asked_while_typing_spend_a_budget_of_their_own(
    logged: AnswerService, store: StoreSettings
) -> None:
    """The page asks as one types (typing=1): those requests never use up the questions a
    person settles on, and are limited on their own, so that typing=1 is no way around the
    limit."""
    app = create_app(logged, WebSettings(questions_per_minute=2))
    transport = httpx.ASGITransport(app=app, client=("10.0.0.1", 1))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:

        async def ask(typing: bool) -> int:
            params = {"q": TREATY, "lang": "kk", **({"typing": "1"} if typing else {})}
            return (await client.get("/api/page/search", params=params)).status_code

        statuses = [await ask(typing=True) for _ in range(2)]
        statuses += [await ask(typing=False) for _ in range(2)]
        statuses += [await ask(typing=True), await ask(typing=False)]
    assert statuses == [200, 200, 200, 200, 429, 429]
    assert logged.log is not None and logged.log.flush()
    # Only the settled questions are logged, in the page's language.
    assert [(q["front_end"], q["language"]) for q in stored(store).values()] == [("page", "kk")] * 2


async def test_cross_origin_requests_are_refused_unless_configured(service: AnswerService) -> None:
    evil = {"Origin": "https://evil.example"}
    async with client_of(service) as client:
        refused = await client.get("/api/search", params={"q": TREATY}, headers=evil)
        vote = await client.post(
            "/api/feedback", json={"record_id": "x", "vote": "up"}, headers=evil
        )
        null = await client.get("/api/health", headers={"Origin": "null"})
        same = await client.post(
            "/api/feedback",
            json={"record_id": "A" * 16, "vote": "up"},
            headers={"Origin": "http://localhost"},
        )
    assert [refused.status_code, vote.status_code, null.status_code] == [403, 403, 403]
    assert refused.json() == {"error": "cross-origin request refused"}
    assert same.status_code == 200
    assert service.stats.decisions.total() == 0  # nothing was answered for them
    allowed = WebSettings(cors_origins=("https://demo.example",))
    async with client_of(service, allowed) as client:
        ok = await client.get(
            "/api/search", params={"q": TREATY}, headers={"Origin": "https://demo.example"}
        )
        preflight = await client.options(
            "/api/feedback",
            headers={
                "Origin": "https://demo.example",
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        still = await client.get("/api/health", headers=evil)
    assert ok.status_code == 200
    assert ok.headers["access-control-allow-origin"] == "https://demo.example"
    assert "x-record-id" in ok.headers["access-control-expose-headers"].lower()
    assert preflight.status_code == 200
    assert still.status_code == 403


async def test_no_stack_trace_reaches_a_client(
    service: AnswerService, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    async def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("secret detail at /srv/interview-bot/service.py")

    monkeypatch.setattr(service, "ask", broken)
    with caplog.at_level(logging.ERROR, logger="web.guards"):
        async with client_of(service) as client:
            response = await client.get("/api/search", params={"q": TREATY})
    assert response.status_code == 500
    assert response.json() == {"error": "internal error"}
    assert "secret" not in response.text and "Traceback" not in response.text
    assert response.headers["x-content-type-options"] == "nosniff"
    assert "secret detail" in caplog.text  # the owner still sees it, in the log


async def test_every_response_has_the_security_headers(service: AnswerService) -> None:
    async with client_of(service) as client:
        responses = [
            await client.get("/"),
            await client.get("/api/search", params={"q": "<script>alert(1)</script>"}),
            await client.get("/no/such/page"),
            await client.get("/docs"),
        ]
    for response in responses:
        csp = response.headers["content-security-policy"]
        assert "script-src 'self';" in csp and "style-src 'self';" in csp
        assert "unsafe" not in csp and "frame-ancestors 'none'" in csp
        assert response.headers["x-content-type-options"] == "nosniff"
        assert response.headers["referrer-policy"] == "no-referrer"
    page, search, missing, docs = responses
    assert "img-src 'self';" in page.headers["content-security-policy"]
    assert "img-src 'self' data:;" in docs.headers["content-security-policy"]  # Swagger's icons
    assert search.headers["content-type"] == "application/json"
    assert search.json()["query"] == "<script>alert(1)</script>"  # data, never markup
    assert missing.status_code == 404 and missing.json() == {"error": "Not Found"}


async def test_the_page_and_the_docs_need_nothing_from_the_internet(service: AnswerService) -> None:
    async with client_of(service) as client:
        html = {path: (await client.get(path)).text for path in ("/", "/docs")}
        openapi = (await client.get("/openapi.json")).json()
        urls = {
            url
            for text in html.values()
            for url in re.findall(r'(?:src|href)="([^"]+)"', text)
            if not url.startswith("/api/")  # the noscript hint and the footer's links
        }
        assets = {url: await client.get(url) for url in urls}
        petstore = await client.get("/static/swagger/index.html")
    assert urls and all(url.startswith("/") and not url.startswith("//") for url in urls)
    assert {url: r.status_code for url, r in assets.items()} == dict.fromkeys(urls, 200)
    # No inline script: the CSP would block it, and none is needed.
    for text in html.values():
        assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", text))
    assert {
        "/api/search",
        "/api/paragraphs/{paragraph_id}",
        "/api/documents",
        "/api/health",
        "/api/feedback",
        "/api/timeline",
    } <= set(openapi["paths"])
    assert petstore.status_code == 404
    weight = sum(len((STATIC / name).read_bytes()) for name in ("index.html", "app.js", "app.css"))
    print(f"\npage weight (HTML+JS+CSS): {weight} bytes")
    assert weight < 55_000  # no framework: a third of it is the interface in three languages


def test_web_settings_are_checked_field_by_field(tmp_path: Path) -> None:
    def parsed(**web: object) -> WebSettings:
        return web_settings(read_config(write_config(tmp_path, web=web), env={}))

    assert parsed() == WebSettings()
    custom = parsed(questions_per_minute=5, cors_origins=["https://a.example:8443"])
    assert custom.cors_origins == ("https://a.example:8443",)
    for web, message in [
        ({"questions_per_minute": -1}, "web.questions_per_minute must be 0"),
        ({"questions_per_minute": "5"}, "web.questions_per_minute must be int"),
        ({"cors_origins": ["https://a.example/path"]}, "is not an origin"),
        ({"cors_origins": "https://a.example"}, "web.cors_origins must be a list of strings"),
        ({"port": 80}, "unknown field web.port"),
        ({"public_url": "example.org"}, "web.public_url: 'example.org' is not a web address"),
        ({"public_url": "https://example.org/?a=1"}, "is not a web address"),
    ]:
        with pytest.raises(SettingsError, match=re.escape(message)):
            parsed(**web)


async def test_a_kept_alive_connection_gets_each_answer_at_once(service: AnswerService) -> None:
    """A response goes out in two writes (head, body): with Nagle's algorithm left on, the
    second waits for the client's delayed ACK, 20-40 ms on every request."""
    sock = listen("127.0.0.1", 0)
    async with (
        serving_web(create_app(service), sock),
        httpx.AsyncClient(base_url=url(sock)) as client,
    ):
        times = []
        for _ in range(21):
            started = time.perf_counter()
            assert (await client.get("/api/health")).status_code == 200
            times.append(time.perf_counter() - started)
    assert statistics.median(times) < 0.010, f"median {statistics.median(times) * 1000:.1f} ms"
