"""An archive of interviews: statements filtered by date, speaker and interview, the
newest statement and the timeline of a position, and a page of its own for each statement.

The archive here (conftest's `archive_settings`) is the seed interview, three fictional
ones (tests/archive/, marked as fictional in their titles: one of 2015, one of 2019 and one
without a date) and one of markup.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import html
import json
import re
from collections.abc import AsyncIterator

import httpx
import numpy as np
import pytest
from click.testing import CliRunner, Result
from conftest import ARCHIVE, open_service, running_bot, talking_to
from pydantic import ValidationError
from test_bot import buttons, press, reply

from bot.html import shorten
from bot.render import QUERY_CHARS
from bot.texts import ENGLISH, RUSSIAN
from interview_bot.cli import cli
from records import Decision, Document, Scope
from retrieval.corpus import load_corpus
from service.answering import AnswerService
from service.questions import ScopeError
from service.settings import Settings
from testkit.fake_telegram import FakeTelegram
from testkit.openapi import valid
from web.app import create_app
from web.settings import WebSettings


@pytest.fixture(scope="module")
def archive_corpus(archive_settings: Settings):
    return load_corpus(archive_settings.corpus.dir)


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


# ---- the service: filters, the newest statement, the timeline --------------------------

TREATY = "Договор о добрососедстве и союзничестве в XXI веке"  # 2015, 2019 and the seed
CHINA = (
    "С китайскими партнерами мы проводим политику развития сотрудничества в несырьевых "
    "секторах экономики"
)


def documents_of(reply) -> set[str]:
    return {hit.paragraph.document_id for hit in reply.hits}


@pytest.mark.parametrize(
    ("scope", "expected"),
    [
        (Scope(speaker="вымышленный министр"), {"energy-2015", "foreign-2019"}),
        (Scope(since=dt.date(2016, 1, 1)), {"foreign-2019"}),
        (Scope(until=dt.date(2016, 1, 1)), {"energy-2015"}),
        (Scope(document="interview"), {"interview"}),
    ],
)
def test_a_filtered_search_finds_and_decides_among_the_interviews_let_through(
    archive, scope, expected
) -> None:
    (everything,) = archive.answer([TREATY])
    assert documents_of(everything) > expected
    (reply,) = archive.answer([TREATY], 5, scope)
    assert documents_of(reply) == expected
    # Decided on those alone: the seed interview only asks about the treaty, never quotes it.
    answered = {"interview": Decision.UNCERTAIN}.get(next(iter(expected)), Decision.ANSWERED)
    assert reply.decision is answered


def test_filters_no_interview_passes_are_refused_before_any_search(archive) -> None:
    with pytest.raises(ScopeError, match="no interview matches speaker 'Путин'"):
        archive.answer([TREATY], None, Scope(speaker="Путин"))
    with pytest.raises(ScopeError, match="document 'interview', since 2000-01-01"):
        archive.check_scope(Scope(document="interview", since=dt.date(2000, 1, 1)))


def test_several_interviews_answering_the_newest_is_shown_and_the_others_named(archive) -> None:
    (reply,) = archive.answer([TREATY])
    assert reply.decision is Decision.ANSWERED
    # The best-ranked paragraph is the 2015 one; the 2019 interview answers too: it is what
    # the position is now.
    assert reply.hits[0].paragraph.document_id == "energy-2015"
    assert [hit.paragraph.id for hit in reply.passages] == ["foreign-2019/1.1"]
    found = [(s.date, s.document, s.decision) for s in reply.statements]
    assert found == [
        ("2015-03-10", "energy-2015", Decision.ANSWERED),
        ("2019-06-01", "foreign-2019", Decision.ANSWERED),
        (None, "interview", Decision.UNCERTAIN),  # unknown date: last
    ]
    # One interview among the hits has no "earlier".
    (alone,) = archive.answer([TREATY], 5, Scope(document="foreign-2019"))
    assert alone.statements == ()


def test_the_timeline_lists_each_interview_that_answers_oldest_first(archive) -> None:
    timeline = archive.timeline(CHINA)
    assert [(s.date, s.paragraph_id, s.decision) for s in timeline.statements] == [
        ("2015-03-10", "energy-2015/1.2", Decision.UNCERTAIN),
        ("2019-06-01", "foreign-2019/2.1", Decision.ANSWERED),
        (None, "interview/1.5", Decision.ANSWERED),
    ]
    first = timeline.statements[1]
    assert first.interviewee == "Вымышленный министр иностранных дел"
    assert first.highlight in first.text and first.permalink == "/p/foreign-2019/2.1"
    assert first.model_dump(mode="json").keys() == {
        "date",
        "document",
        "interviewee",
        "paragraph_id",
        "text",
        "highlight",
        "decision",
        "confidence",
        "permalink",
    }
    # Filtered, and for what is no question, nothing.
    since = archive.timeline(CHINA, Scope(since=dt.date(2016, 1, 1)))
    assert [s.document for s in since.statements] == ["foreign-2019"]
    assert archive.timeline("Здравствуйте!").statements == ()
    assert archive.timeline("How to cook pasta?").statements == ()


# ---- the command line ------------------------------------------------------------------


def run(settings: Settings, *args: str) -> Result:
    return CliRunner().invoke(cli, ["--config", str(settings.path), *args])


def test_ask_takes_the_filters_and_refuses_bad_ones_with_a_usage_error(archive_settings) -> None:
    found = run(
        archive_settings, "ask", "--json", "--speaker", "посол", "--since", "2000-01-01", TREATY
    )
    assert (
        found.exit_code == 2
        and "no interview matches speaker 'посол', since 2000-01-01" in found.stderr
    )
    scoped = run(archive_settings, "ask", "--json", "--until", "2016-01-01", TREATY)
    assert scoped.exit_code == 0, scoped.output
    line = json.loads(scoped.stdout)
    assert {hit["document"]["id"] for hit in line["hits"]} == {"energy-2015"}
    assert line["hits"][0]["document"]["date"] == "2015-03-10"
    assert line["hits"][0]["document"]["interviewee"] == "Вымышленный министр энергетики"
    bad = run(archive_settings, "ask", "--since", "12.05.2014", TREATY)
    assert bad.exit_code == 2 and "'12.05.2014' does not match the format '%Y-%m-%d'" in bad.stderr
    crossed = run(archive_settings, "ask", "--since", "2020-01-02", "--until", "2020-01-01", TREATY)
    assert (
        crossed.exit_code == 2
        and "since (2020-01-02) is after until (2020-01-01)" in crossed.stderr
    )


def test_timeline_prints_each_interviews_statement_oldest_first(archive_settings) -> None:
    human = run(archive_settings, "timeline", CHINA)
    assert human.exit_code == 0, human.output
    dates = [line.split(" · ")[0] for line in human.stdout.splitlines() if " · " in line]
    assert dates == ["2015-03-10", "2019-06-01", "date not recorded"]
    assert "/p/foreign-2019/2.1" in human.stdout and "(answers it)" in human.stdout
    as_json = json.loads(run(archive_settings, "timeline", "--json", CHINA).stdout)
    assert [s["paragraph_id"] for s in as_json["statements"]] == [
        "energy-2015/1.2",
        "foreign-2019/2.1",
        "interview/1.5",
    ]
    assert as_json["query"] == CHINA
    none = run(archive_settings, "timeline", "How to cook pasta?")
    assert (
        none.exit_code == 0 and none.stdout.strip() == "No interview answers “How to cook pasta?”."
    )


# ---- the JSON API --------------------------------------------------------------------


async def test_the_api_searches_within_filters_and_refuses_bad_ones_naming_them(archive) -> None:
    async with browsing(archive) as client:
        scoped = await client.get("/api/search", params={"q": TREATY, "since": "2016-01-01"})
        bad = await client.get("/api/search", params={"q": TREATY, "since": "12.05.2014"})
        crossed = await client.get(
            "/api/search", params={"q": "x", "since": "2020-01-02", "until": "2020-01-01"}
        )
        nobody = await client.get("/api/search", params={"q": TREATY, "speaker": "Путин"})
        listing = (await client.get("/api/documents")).json()
    assert scoped.status_code == 200
    hits = valid(create_app(archive), "Reply", scoped.json())["hits"]
    assert {hit["document"]["id"] for hit in hits} == {"foreign-2019"}
    assert hits[0]["permalink"] == f"/p/{hits[0]['paragraph']['id']}"
    assert bad.status_code == 400 and bad.json()["error"].startswith("since: ")
    assert bad.json()["query"] == TREATY
    assert crossed.status_code == 400
    assert crossed.json()["error"] == "since (2020-01-02) is after until (2020-01-01)"
    assert nobody.status_code == 400
    assert nobody.json() == {"query": TREATY, "error": "no interview matches speaker 'Путин'"}
    valid(create_app(archive), "Refusal", bad.json())
    # The archive newest first, those of unknown date last, with their paragraph counts.
    assert [(d["id"], d["date"], d["paragraphs"]) for d in listing["documents"][:2]] == [
        ("foreign-2019", "2019-06-01", 2),
        ("energy-2015", "2015-03-10", 4),
    ]
    assert {d["date"] for d in listing["documents"][2:]} == {None}


async def test_the_page_offers_each_speaker_and_the_archives_dates_as_filters(archive) -> None:
    async with browsing(archive) as client:
        corpus = valid(
            create_app(archive), "PageCorpus", (await client.get("/api/page/corpus")).json()
        )
        speakers = corpus["speakers"]
        chosen = {
            speaker: (
                await client.get("/api/page/search", params={"q": TREATY, "speaker": speaker})
            )
            for speaker in speakers
        }
        since, until = corpus["dates"]
        spanned = await client.get(
            "/api/page/search", params={"q": TREATY, "since": since, "until": until, "k": 20}
        )
    documents = archive.snapshot.corpus.documents
    assert corpus["documents"] == len(documents) == 5  # more than one: the page shows filters
    # Every interviewee once, as written (markup too: the page puts it in as text),
    # alphabetically whatever the case.
    assert sorted(speakers) == sorted({d.interviewee for d in documents if d.interviewee})
    assert speakers == sorted(speakers, key=str.casefold) and "Кто-то <i>" in speakers
    # Each choice is a filter the search takes, and lets through that speaker's words.
    for speaker, response in chosen.items():
        assert response.status_code == 200, speaker
        hits = response.json()["reply"]["hits"]
        assert hits and all(speaker in hit["document"]["interviewee"] for hit in hits), speaker
    # The range from the first date to the last lets every dated interview through.
    assert (since, until) == ("2015-03-10", "2019-06-01")
    assert spanned.status_code == 200
    found = {hit["document"]["id"] for hit in spanned.json()["reply"]["hits"]}
    assert found == {d.id for d in documents if d.date}


async def test_the_api_gives_the_timeline_as_the_command_prints_it(
    archive, archive_settings
) -> None:
    async with browsing(archive) as client:
        found = await client.get("/api/timeline", params={"q": CHINA})
        scoped = await client.get("/api/timeline", params={"q": CHINA, "until": "2016-01-01"})
        empty = await client.get("/api/timeline", params={"q": ""})
    assert found.status_code == 200
    printed = json.loads(run(archive_settings, "timeline", "--json", CHINA).stdout)
    assert valid(create_app(archive), "Timeline", found.json()) == printed
    assert [s["document"] for s in scoped.json()["statements"]] == ["energy-2015"]
    assert empty.status_code == 400


def test_the_public_address_is_a_host_the_page_answers_to() -> None:
    hosts = WebSettings(public_url="https://News.example/archive/").hosts(None)
    assert hosts is not None and "news.example" in hosts


# ---- the bot ----------------------------------------------------------------------------


async def test_the_bot_shows_the_newest_statement_and_offers_the_earlier_ones(
    archive, tg: FakeTelegram
) -> None:
    async with running_bot(archive, talking_to(tg)):
        answer = await reply(tg, tg.text_update(TREATY))
        assert answer["text"].startswith(RUSSIAN.newest_statement.format(n=3))
        assert "Вымышленный министр иностранных дел" in answer["text"]
        assert ("Более ранние высказывания", "e:foreign-2019/1.1") in buttons(answer)
        listing = await press(tg, "e:foreign-2019/1.1", answer)
        # Oldest first, numbered as their buttons; each opens its paragraph.
        lines = listing["text"].splitlines()
        assert lines[0] == RUSSIAN.timeline_title.format(query=TREATY)
        assert [line.split(" · ")[0] for line in lines if " · " in line] == [
            "1. 2015-03-10",
            "2. 2019-06-01",
            "3. дата не указана",
        ]
        assert [data for _, data in buttons(listing)] == [
            "t:energy-2015/3.1",
            "t:foreign-2019/1.1",
            "t:interview/2.1",
        ]
        opened = await press(tg, "t:energy-2015/3.1", listing)
        assert "Договор о добрососедстве и союзничестве в XXI веке открыл" in opened["text"]


async def test_the_bot_answers_timeline_with_each_interviews_statement(
    archive, tg: FakeTelegram
) -> None:
    async with running_bot(archive, talking_to(tg)):
        usage = await reply(tg, tg.text_update("/timeline"))
        found = await reply(tg, tg.text_update(f"/timeline {CHINA}", language_code="en"))
        none = await reply(tg, tg.text_update("/timeline How to cook pasta?"))
    assert usage["text"] == RUSSIAN.timeline_usage
    # The question echoed shortened, as every list of the bot's does.
    assert found["text"].startswith(
        ENGLISH.timeline_title.format(query=shorten(CHINA, QUERY_CHARS))
    )
    assert "2. 2019-06-01 · Вымышленный министр иностранных дел — answers it" in found["text"]
    assert found["text"].endswith(ENGLISH.language_note)
    assert len(buttons(found)) == 3
    assert none["text"] == RUSSIAN.timeline_none.format(query="How to cook pasta?")


async def test_lists_that_span_interviews_say_when_and_by_whom_each_passage_was_said(
    archive, tg: FakeTelegram
) -> None:
    async with running_bot(archive, talking_to(tg)):
        answer = await reply(tg, tg.text_update(TREATY))
        listing = await press(tg, "o:foreign-2019/1.1", answer)
    assert "2015-03-10 · Вымышленный министр энергетики" in listing["text"]
    assert "дата не указана · Министр иностранных дел Республики Казахстан" in listing["text"]


def test_filters_no_interview_passes_are_refused_before_the_model_or_index_loads(
    config_file,
) -> None:
    # config_file has no index: loading anything would fail with exit 1 and "no index".
    for command in ("ask", "timeline"):
        args = ["--config", str(config_file), command, "--speaker", "Путин", TREATY]
        result = CliRunner().invoke(cli, args)
        assert result.exit_code == 2, result.output
        assert "no interview matches speaker 'Путин'" in result.stderr
        assert "no index" not in result.output
