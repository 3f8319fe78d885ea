"""An archive of interviews: statements filtered by date, speaker and interview, the
newest statement and the timeline of a position, and a page of its own for each statement.

The archive here is the seed interview and three fictional ones (tests/archive/, marked
as fictional in their titles): one of 2015, one of 2019 and one without a date.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import html
import re
import shutil
from collections.abc import AsyncIterator

import httpx
import numpy as np
import pytest
from conftest import ROOT, copy_seed_corpus, open_service, write_config
from pydantic import ValidationError

from records import Document, Scope
from retrieval.corpus import load_corpus
from service.answering import AnswerService
from service.settings import Settings, load_settings
from service.snapshot import rebuild_index
from testkit import fake_encoder
from web.app import create_app

ARCHIVE = ROOT / "tests" / "archive"
# An interview whose words and metadata are markup: every page must show them as text.
MARKUP = 'Вопрос\tЧто такое <b>?\nОтвет\t<script>alert(1)</script> & "кавычки" — это текст.\n'
MARKUP_SIDECAR = 'title = "\\"><img src=x onerror=alert(1)>"\ninterviewee = "Кто-то <i>"\n'


@pytest.fixture(scope="module")
def archive_settings(tmp_path_factory: pytest.TempPathFactory, encoder) -> Settings:
    """The seed interview, the fictional ones and one of markup, indexed with the fake
    encoder."""
    folder = tmp_path_factory.mktemp("archive")
    corpus = copy_seed_corpus(folder / "corpus")
    for path in ARCHIVE.iterdir():
        shutil.copy(path, corpus / path.name)
    (corpus / "markup.txt").write_text(MARKUP, encoding="utf-8")
    (corpus / "markup.toml").write_text(MARKUP_SIDECAR, encoding="utf-8")
    config = write_config(
        folder,
        model={"name": fake_encoder.NAME},
        search={"decision": str(folder / "decision.json")},
    )
    settings = load_settings(config, env={})
    rebuild_index(settings, encoder)
    fake_encoder.decision(settings.model.spec()).save(settings.search.decision)
    return settings


@pytest.fixture(scope="module")
def archive_corpus(archive_settings: Settings):
    return load_corpus(archive_settings.corpus.dir)


@pytest.fixture
async def archive(archive_settings: Settings, encoder) -> AsyncIterator[AnswerService]:
    service = open_service(archive_settings, encoder)
    yield service
    await service.close()


@contextlib.asynccontextmanager
async def browsing(service: AnswerService) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(service), client=("127.0.0.1", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        yield client


def test_the_fictional_interviews_say_they_are_fictional() -> None:
    sidecars = sorted(ARCHIVE.glob("*.toml"))
    assert len(sidecars) == 3
    assert all("Вымышленн" in path.read_text(encoding="utf-8") for path in sidecars)


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (Scope(), {"energy-2015", "foreign-2019", "envoy-undated", "interview", "markup"}),
        (Scope(speaker="МИНИСТР"), {"energy-2015", "foreign-2019", "interview"}),
        (Scope(speaker="посол"), {"envoy-undated"}),
        (Scope(since=dt.date(2015, 3, 10)), {"energy-2015", "foreign-2019"}),
        (Scope(since=dt.date(2015, 3, 11)), {"foreign-2019"}),
        (Scope(until=dt.date(2015, 3, 10)), {"energy-2015"}),
        (Scope(document="interview"), {"interview"}),
        (Scope(document="interview", speaker="посол"), set()),
        (Scope(speaker="Путин"), set()),
    ],
)
def test_a_scope_lets_through_the_interviews_it_names(archive_corpus, scope, expected) -> None:
    admitted = {d.id for d in archive_corpus.documents if scope.admits(d)}
    assert admitted == expected
    # The same, as the rows of the index: every paragraph of those interviews, no other.
    rows = archive_corpus.rows(scope)
    assert rows.dtype == np.bool_ and len(rows) == len(archive_corpus.paragraphs)
    assert {
        p.document_id for p, kept in zip(archive_corpus.paragraphs, rows, strict=True) if kept
    } == expected
    assert archive_corpus.rows(scope) is rows  # worked out once


def test_a_date_bound_leaves_out_interviews_of_unknown_date_and_no_bound_keeps_them() -> None:
    undated = Document(id="x", interviewee="Кто-то")
    assert Scope().admits(undated) and Scope(speaker="кто").admits(undated)
    assert not Scope(until=dt.date(2030, 1, 1)).admits(undated)


def test_a_scope_whose_bounds_cross_is_refused_naming_them() -> None:
    with pytest.raises(
        ValidationError, match=r"since \(2020-01-02\) is after until \(2020-01-01\)"
    ):
        Scope(since=dt.date(2020, 1, 2), until=dt.date(2020, 1, 1))
    with pytest.raises(ValidationError, match="since"):
        Scope.model_validate({"since": "12.05.2014"})


def test_the_archive_lists_newest_first_and_the_undated_last(archive_corpus) -> None:
    assert [d.id for d in archive_corpus.newest_first()] == [
        "foreign-2019",
        "energy-2015",
        *(d.id for d in archive_corpus.documents if not d.date),
    ]
    assert {d.id for d in archive_corpus.documents if not d.date} == {
        "envoy-undated",
        "interview",
        "markup",
    }
    counts = {d.id: archive_corpus.count(d) for d in archive_corpus.documents}
    assert counts["foreign-2019"] == 2 and counts["energy-2015"] == 4 and counts["interview"] == 11


# ---- a page of its own for each statement ----------------------------------------------


def meta(page: str, name: str) -> str:
    found = re.search(rf'<meta property="{name}" content="([^"]*)">', page)
    assert found is not None, name
    return html.unescape(found[1])


async def test_every_statement_has_a_page_readable_without_javascript(archive) -> None:
    corpus = archive.snapshot.corpus
    async with browsing(archive) as client:
        for paragraph in corpus.paragraphs:
            response = await client.get(f"/p/{paragraph.id}")
            assert response.status_code == 200, paragraph.id
            page = response.text
            document = corpus.document(paragraph.document_id)
            assert "<script" not in page.replace("&lt;script", "")
            shown = html.unescape(page)
            # The question, who answered, the whole answer with this paragraph marked.
            assert paragraph.question in shown
            assert all(p.text in shown for p in corpus.answer(paragraph))
            assert '<blockquote id="statement"' in page
            # Linked to its neighbours in the answer, and to the source when known.
            for other in corpus.answer(paragraph):
                assert (f'href="/p/{other.id}"' in page) == (other.id != paragraph.id)
            assert (document.source_url or "") in shown
            # The preview Telegram shows: the topic and the speaker, the first words.
            label = corpus.label(paragraph)
            speaker = document.interviewee or "Ответ"
            assert meta(page, "og:title") == f"{label} — {speaker}"
            assert paragraph.text.startswith(meta(page, "og:description").rstrip("…"))


async def test_a_statements_page_escapes_the_interview_and_its_metadata(archive) -> None:
    async with browsing(archive) as client:
        page = (await client.get("/p/markup/1.1")).text
    assert "<script>alert" not in page and "<img" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page
    # In an attribute too: the quote cannot end it.
    (paragraph,) = [p for p in archive.snapshot.corpus.paragraphs if p.document_id == "markup"]
    label = archive.snapshot.corpus.label(paragraph)
    assert "<b>" in label and meta(page, "og:title") == f"{label} — Кто-то <i>"
    assert meta(page, "og:description").startswith('<script>alert(1)</script> & "кавычки"')


async def test_a_statement_that_does_not_exist_is_a_plain_404_page(archive) -> None:
    async with browsing(archive) as client:
        for missing in ("/p/nothing/9.9", "/p/interview/99.1", "/p/", "/p/%00"):
            response = await client.get(missing, headers={"Accept-Language": "en"})
            assert response.status_code == 404, missing
            assert "No such passage" in response.text and "Traceback" not in response.text


async def test_with_a_public_address_the_quotation_and_the_preview_carry_the_link(
    archive_settings, encoder
) -> None:
    settings = dataclasses.replace(archive_settings, public_url="https://example.org/archive/")
    service = open_service(settings, encoder)
    try:
        async with browsing(service) as client:
            page = (await client.get("/p/foreign-2019/1.1")).text
    finally:
        await service.close()
    link = "https://example.org/archive/p/foreign-2019/1.1"
    assert meta(page, "og:url") == link
    quotation = html.unescape(re.search(r"<pre>(.*?)</pre>", page, re.S)[1])  # type: ignore[index]
    # The fictional interview's metadata in full, the link after it on a line of its own.
    assert quotation.endswith(
        "— Вымышленный министр иностранных дел, «Вымышленное интервью: внешняя политика (для "
        f"тестов)», издание не указано, 2019-06-01, ссылка не указана\n{link}"
    )
