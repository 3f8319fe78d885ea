"""The search page in a real headless Chromium (Debian's package, driven by playwright),
served by uvicorn on a free port of this test's event loop, on the real pipeline."""

from __future__ import annotations

import contextlib
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from conftest import ROOT, open_service, write_config
from playwright.async_api import Browser, ConsoleMessage, Page, async_playwright
from test_web import stored

from questionlog.recorder import QuestionLog
from questionlog.settings import StoreSettings
from service.answering import AnswerService
from service.encoder import Encoder
from service.settings import Settings, load_settings
from service.snapshot import rebuild_index
from web.app import create_app
from web.server import listen, serving_web, url

# Chromium: the full tier only.
pytestmark = pytest.mark.slow

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"]
SCREENSHOT = ROOT / "docs" / "screenshot-web.png"
TIMEOUT_MS = 15_000

FORUM = "Следующий форум планируется провести в Астрахани"  # a sentence of interview/2.2
ROUTER = "How do I reset my router password?"  # not covered
XSS_QUESTION = "<script>alert('q')</script> Как МИД защищает свой сайт от атак?"
XSS_PARAGRAPH = (
    "Сайт министерства защищён от атак: <img src=x onerror=alert(1)> показывается как текст."
)
XSS_TOPIC = "<img src=x onerror=alert(2)>"


@pytest.fixture(scope="module")
def xss_settings(tmp_path_factory: pytest.TempPathFactory, model_encoder: Encoder) -> Settings:
    """A small interview whose every field holds markup, indexed."""
    folder = tmp_path_factory.mktemp("xss")
    corpus = folder / "corpus"
    corpus.mkdir()
    (corpus / "xss.txt").write_text(
        "ЗАЩИТА <B>САЙТОВ</B>\n"
        "Вопрос\tКак МИД защищает свой сайт от атак <script>alert('asked')</script>?\n"
        f"Ответ\t{XSS_PARAGRAPH}\n"
        "\tМы проверяем всё, что публикуем на сайте & в соцсетях.\n"
        "Вопрос\tКакая погода в Астане?\n"
        "Ответ\tПогода в Астане <b>солнечная</b>.\n"
        "Вопрос\tКогда откроется новое посольство?\n"
        "Ответ\tНовое посольство откроется весной, и это <i>важно</i>.\n",
        encoding="utf-8",
    )
    (corpus / "xss.toml").write_text(
        'title = "<b>Заголовок</b> <script>alert(3)</script>"\n'
        'interviewer = "<i>Корреспондент</i>"\n'
        'source_url = "javascript:alert(4)"\n'
        f'topics = ["{XSS_TOPIC}", "Погода", "Посольство"]\n',
        encoding="utf-8",
    )
    settings = load_settings(write_config(folder), env={})
    rebuild_index(settings, model_encoder)
    return settings


@contextlib.asynccontextmanager
async def page_on(
    service: AnswerService, **viewport: int
) -> AsyncIterator[tuple[Page, str, list[str]]]:
    """A browser page, the app's URL, and the problems the page reports: console errors
    (a CSP violation is one), uncaught exceptions, dialogs (an alert() would be an XSS), and
    requests to anywhere but the app."""
    if not Path(CHROMIUM).exists():
        pytest.fail("Chromium not found: `make test` installs Debian's chromium package")
    sock = listen("127.0.0.1", 0)
    async with serving_web(create_app(service), sock), async_playwright() as playwright:
        browser: Browser = await playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS
        )
        try:
            page = await browser.new_page(
                viewport={"width": 1280, "height": 1050, **viewport}, locale="en-US"
            )
            page.set_default_timeout(TIMEOUT_MS)
            problems: list[str] = []

            def console(message: ConsoleMessage) -> None:
                if message.type == "error":
                    problems.append(f"console: {message.text}")

            async def dialog(d: Any) -> None:
                problems.append(f"dialog: {d.message}")
                await d.dismiss()

            base = url(sock)
            page.on("console", console)
            page.on("pageerror", lambda error: problems.append(f"error: {error}"))
            page.on("dialog", dialog)
            page.on(
                "request",
                lambda r: None if r.url.startswith(base) else problems.append(f"fetched {r.url}"),
            )
            yield page, base, problems
        finally:
            await browser.close()


@pytest.fixture
async def logged(
    model_settings: Settings, model_encoder: Encoder, tmp_path: Path
) -> AsyncIterator[tuple[AnswerService, StoreSettings]]:
    """The service on the session's index, logging to a fresh SQLite file."""
    store = StoreSettings(path=tmp_path / "questions.sqlite3")
    service = open_service(model_settings, model_encoder)
    service.log = QuestionLog.open(store)
    yield service, store
    await service.close()


async def top_hit(page: Page) -> str:
    return await page.inner_text("#hit-1 .text")


async def test_the_page_answers_searches_as_one_types_and_takes_feedback(
    logged: tuple[AnswerService, StoreSettings],
) -> None:
    service, store = logged
    forum = service.snapshot.corpus.paragraph("interview/2.2")
    assert forum is not None
    async with page_on(service) as (page, base, problems):
        # A shared link opens with its question answered.
        await page.goto(f"{base}?q={quote(FORUM)}&lang=en")
        await page.wait_for_selector("#hit-1")
        assert await top_hit(page) == forum.text
        assert await page.inner_text("#hit-1 mark") == FORUM + "."
        assert (await page.inner_text(".decision strong")) == "Answered"
        assert await page.locator("#map circle").count() == len(service.snapshot.corpus.paragraphs)
        assert await page.locator("#map polygon.query").count() == 1
        assert await page.locator("#map line").count() == 5  # to each hit
        SCREENSHOT.parent.mkdir(exist_ok=True)
        await page.screenshot(path=str(SCREENSHOT))

        # Hovering a point shows its paragraph.
        await page.hover("#map circle.hit-point >> nth=0")
        assert "interview/" in await page.inner_text("#tip")

        # 👎, then the paragraph that answers it better: both land on the logged question.
        await page.click("#feedback button[aria-label='No, not helpful']")
        await page.wait_for_selector("text=Thank you for the feedback!")
        second_id = (await page.inner_text("#hit-2 .cite")).rsplit("(", 1)[1].rstrip(")")
        await page.click("#hit-2 .better button")
        await page.wait_for_selector("#hit-2 .better >> text=Thank you")

        # Typing asks as one goes: the results change without Enter.
        await page.fill("#q", ROUTER)
        await page.wait_for_selector(".decision.not_covered")
        assert (
            await page.inner_text(".decision strong")
            == "The interview does not cover this question"
        )
        # No paragraph is drawn as if it were a result of a question the interview does
        # not answer: the interviewer's nearest questions are offered instead.
        assert await page.locator("#hits li").count() == 0
        assert await page.locator(".decision.not_covered li button").count() >= 1

        # Enter settles a question: it is logged and the address shares it.
        await page.fill("#q", "Where will the next cross-border forum with Russia be held?")
        await page.press("#q", "Enter")
        await page.wait_for_selector("#feedback button")
        assert "q=Where+will" in page.url or "q=Where%20will" in page.url
        assert (await page.inner_text("#hit-1 .asked")).startswith("Новый договор с Россией")

        # The interface in Russian; the keyboard reaches the box and the examples.
        await page.click("button[data-lang='ru']")
        assert await page.inner_text("h1") == "Спросите министра"
        assert await page.inner_text(".decision strong") == "Ответ найден"
        await page.keyboard.press("Escape")
        await page.click("body")
        await page.keyboard.press("/")
        assert await page.evaluate("document.activeElement.id") == "q"
        await page.keyboard.press("Tab")  # the search button
        await page.keyboard.press("Tab")  # the first example
        example = await page.evaluate("document.activeElement.textContent")
        await page.keyboard.press("Enter")
        await page.wait_for_function(
            "text => document.querySelector('#q').value === text", arg=example
        )
        await page.wait_for_function("() => !document.querySelector('#status').textContent")
    assert problems == []
    assert service.log is not None and service.log.flush()
    downvoted = [q for q in stored(store).values() if q["vote"] == "down"]
    assert [(q["text"], q["front_end"], q["language"]) for q in downvoted] == [
        (FORUM, "page", "en")
    ]
    assert downvoted[0]["preferred_paragraph_id"] == second_id


async def test_markup_in_questions_and_in_the_corpus_shows_as_text(
    xss_settings: Settings, model_encoder: Encoder
) -> None:
    service = open_service(xss_settings, model_encoder)
    try:
        async with page_on(service) as (page, base, problems):
            await page.goto(f"{base}?q={quote(XSS_QUESTION)}&lang=en")
            await page.wait_for_selector("#hit-1")
            assert await top_hit(page) == XSS_PARAGRAPH
            assert await page.input_value("#q") == XSS_QUESTION
            hit = await page.inner_text("#hit-1")
            assert "<B>САЙТОВ</B>" in hit and "<script>alert('asked')</script>" in hit
            assert "<b>Заголовок</b> <script>alert(3)</script>" in hit
            assert "javascript:alert(4)" in hit  # shown, not linked
            assert XSS_TOPIC in await page.inner_text("#legend")
            await page.hover("#map circle[aria-label*='onerror=alert(1)']")
            assert XSS_PARAGRAPH in await page.inner_text("#tip")
            # Not a single element made from that text: no image, no script, no link.
            assert await page.evaluate("document.images.length") == 0
            assert await page.evaluate("document.scripts.length") == 1  # app.js
            assert await page.locator("a[href^='javascript']").count() == 0
            assert await page.locator("#hits b, #hits i, #legend img").count() == 0
    finally:
        await service.close()
    assert problems == []


async def test_the_page_fits_a_phone(model_service: AnswerService) -> None:
    async with page_on(model_service, width=390, height=844) as (page, base, problems):
        await page.goto(f"{base}?q={quote(FORUM)}")
        await page.wait_for_selector("#hit-1")
        assert await page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (
            "the page scrolls sideways on a phone"
        )
        font = await page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
        assert font >= 16
    assert problems == []


async def test_the_api_docs_render_with_nothing_from_the_internet(
    model_service: AnswerService,
) -> None:
    async with page_on(model_service) as (page, base, problems):
        await page.goto(f"{base}docs")
        await page.wait_for_selector("#operations-api-search_api_search_get")
        await page.click("#operations-api-search_api_search_get")
        await page.click("text=Try it out")
        await page.fill("input[placeholder=q]", FORUM)
        await page.click("text=Execute")
        await page.wait_for_selector(".live-responses-table >> text=interview/2.2")
    assert problems == []  # nothing from the internet, and the CSP let all it needs through
