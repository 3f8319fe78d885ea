"""The bot end to end: the real Application and HTTP client against the fake Bot API server,
with the real model and index of the session fixtures."""

from __future__ import annotations

import asyncio
import contextlib
import copy
import datetime
import functools
import logging
import re
import signal
import time
from collections.abc import Sequence
from typing import Any

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import ROOT, ask, running_bot, talking_to

from bot.application import ALLOWED_UPDATES, BotApplication, Webhook, build_application, serving_bot
from bot.context import shared_of
from bot.html import shorten
from bot.keyboards import item_label
from bot.render import QUERY_CHARS, SNIPPET_CHARS, first_sentence
from bot.texts import ENGLISH, KAZAKH, LANGUAGES, RUSSIAN
from interview_bot.cli import cli
from questionlog.schema import feedback, questions
from questionlog.settings import StoreSettings
from questionlog.store import Store
from records import Decision, Hit, Paragraph, Scope
from service.answering import AnswerService
from service.logs import REDACTED, RedactSecrets
from service.replies import Reply
from service.settings import Settings
from testkit.commands import running_command, serve_env
from testkit.fake_telegram import Call, FakeTelegram, free_port, parse_telegram_html
from web.settings import WebSettings

Json = dict[str, Any]

# Questions that quote the interview, answered with the quoted paragraph on the fake
# encoder and on the real model alike (the decision is checked where it matters).
TREATY = "Следующий форум планируется провести в Астрахани"  # -> interview/2.2 of 2.1-2.3
ORBIT = "Нет, не оправданы. Казахстан не сходит с политической орбиты России"  # -> 3.1
CHINA = "С китайскими партнерами мы проводим политику развития сотрудничества"  # -> 1.5
OFF_TOPIC = "How to cook pasta?"  # well below the threshold (checked in the test)


def calls(tg: FakeTelegram, method: str) -> list[Call]:
    return [call for call in tg.requests if call.method == method]


async def reply(tg: FakeTelegram, update: Json, method: str = "sendMessage") -> Json:
    """Push `update` and return the bot's next message, as the fake stores it."""
    before = len(calls(tg, method))
    tg.push_update(update)
    await tg.wait_for(method, before + 1)
    return tg.sent()[-1]


async def press(tg: FakeTelegram, data: str, message: Json, **options: Any) -> Json:
    """Press a button and return the message it brings; the query must be answered first."""
    update = tg.callback_update(data, message=message, **options)
    sent = await reply(tg, update)
    (answered,) = [
        c
        for c in calls(tg, "answerCallbackQuery")
        if c.params["callback_query_id"] == update["callback_query"]["id"]
    ]
    assert answered.status == 200 and "text" not in answered.params
    assert answered.time <= calls(tg, "sendMessage")[-1].time
    return sent


def buttons(message: Json) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


def entity_texts(message: Json, kind: str) -> list[str]:
    encoded = message["text"].encode("utf-16-le")
    return [
        encoded[2 * e["offset"] : 2 * (e["offset"] + e["length"])].decode("utf-16-le")
        for e in message.get("entities", [])
        if e["type"] == kind
    ]


def mentioning(tg: FakeTelegram, text: str) -> Json:
    """A group message that starts with the bot's @username, marked up as Telegram does."""
    mention = "@interview_test_bot"
    entity = {"type": "mention", "offset": 0, "length": len(mention)}
    return tg.text_update(f"{mention} {text}".strip(), entities=[entity], chat_type="supergroup")


def best_id(service: AnswerService, question: str) -> str:
    answer = ask(service, question)
    assert answer.answered and answer.best is not None
    return answer.best.paragraph.id


def forcing(
    monkeypatch: pytest.MonkeyPatch,
    service: AnswerService,
    decision: Decision,
    *,
    shown: int = 1,
    uncovered: tuple[str, ...] = (),
) -> None:
    """Make the service decide `decision` for every question, showing its first `shown`
    hits (none when not covered): the presentation is tested whatever the policy decides."""
    answer = functools.partial(AnswerService.answer, service)

    def forced(
        questions: Sequence[str], top_k: int | None = None, scope: Scope | None = None
    ) -> list[Reply]:
        return [
            reply.model_copy(
                update={
                    "decision": decision,
                    "passages": () if decision is Decision.NOT_COVERED else reply.hits[:shown],
                    "uncovered_terms": uncovered,
                }
            )
            for reply in answer(questions, top_k, scope)
        ]

    monkeypatch.setattr(service, "answer", forced)


async def toast(tg: FakeTelegram, data: str, message: Json, **options: Any) -> str | None:
    """Press a button; the notice its query was answered with (None: none)."""
    update = tg.callback_update(data, message=message, **options)
    before = len(calls(tg, "answerCallbackQuery"))
    tg.push_update(update)
    await tg.wait_for("answerCallbackQuery", before + 1)
    (answered,) = [
        c
        for c in calls(tg, "answerCallbackQuery")
        if c.params["callback_query_id"] == update["callback_query"]["id"]
    ]
    notice: str | None = answered.params.get("text")
    return notice


def heading(service: AnswerService, paragraph: Paragraph, texts: Any = RUSSIAN) -> str:
    """How an answer starts: its topic and place."""
    place = texts.position.format(n=paragraph.position, m=paragraph.count)
    return f"{service.snapshot.corpus.label(paragraph, texts.language_code)} · {place}"


def cited(
    service: AnswerService, *paragraphs: Paragraph, texts: Any = RUSSIAN, speaker: bool = True
) -> str:
    """The citation line under paragraphs of the seed interview (no date, no link yet);
    under an answer, which names the speaker already, without them."""
    document = service.snapshot.corpus.documents[0]
    ids = ", ".join(p.id for p in paragraphs)
    # The seed records no headline: the description names it, without quotation marks.
    source = f"{document.interviewee}, " * speaker + document.description
    return texts.source.format(source=f"{source} ({ids})")


def assert_answer(
    service: AnswerService, text: str, paragraph: Paragraph, texts: Any = RUSSIAN
) -> str:
    """`text` is `paragraph` as an answer: topic and place; who said it and their words
    (the whole paragraph, or a part of it between ellipses); what they were asked (its
    first sentence); the source; the language note. Returns the words shown."""
    speaker = service.snapshot.corpus.documents[0].interviewee
    head, said, asked, source, *note = text.split("\n\n")
    assert head == heading(service, paragraph, texts)
    assert said.startswith(f"{speaker}:\n")
    words = said.removeprefix(f"{speaker}:\n")
    assert words == paragraph.text or words.strip(" …") in paragraph.text
    assert asked == f"{texts.question}: {first_sentence(paragraph.question)}"
    assert source == cited(service, paragraph, texts=texts, speaker=False)
    assert note == ([texts.language_note] if texts.language_note else [])
    return words


def listed(service: AnswerService, hit: Hit, texts: Any = RUSSIAN) -> str:
    """A hit in a list: its topic and place, and its best sentence in quotes."""
    p = hit.paragraph
    place = texts.position.format(n=p.position, m=p.count)
    quoted = texts.term.format(term=shorten(hit.highlight, SNIPPET_CHARS))
    return f"{service.snapshot.corpus.label(p, texts.language_code)} · {place}\n{quoted}"


# ---- questions -----------------------------------------------------------------------


async def test_question_gets_its_paragraph_as_a_reply(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    assert best_id(service, TREATY) == "interview/2.2"  # the premise, checked on the real index
    expected = service.snapshot.corpus.paragraph("interview/2.2")
    assert expected is not None
    update = tg.text_update(TREATY)
    pushed = time.monotonic()
    answer = await reply(tg, update)
    latency = calls(tg, "sendMessage")[0].time - pushed

    speaker = service.snapshot.corpus.documents[0].interviewee
    assert assert_answer(service, answer["text"], expected) == expected.text
    # Who asked (italic), who answered (underlined) and the sentence closest to the question
    # (bold, inside the paragraph) look different; the topic label is the bold title.
    best = ask(service, TREATY).best
    assert best is not None and best.highlight != expected.text
    assert best.highlight == f"{TREATY}."
    label = service.snapshot.corpus.label(expected)
    assert label == "Новый договор с Россией"  # the seed sidecar's topic
    assert entity_texts(answer, "bold") == [label, best.highlight]
    assert entity_texts(answer, "italic") == [f"Вопрос: {first_sentence(expected.question)}"]
    assert entity_texts(answer, "underline") == [f"{speaker}:"]
    assert answer["reply_to_message"]["message_id"] == update["message"]["message_id"]
    # No question log here: no 👍/👎.
    assert buttons(answer) == [
        ("Другие ответы", "o:interview/2.2"),
        ("Весь ответ", "w:interview/2.2"),
        ("Цитата", "c:interview/2.2"),
    ]
    # "typing…" is shown first, and the reply is HTML without a link preview.
    assert [c.params for c in calls(tg, "sendChatAction")] == [
        {"chat_id": 1001, "action": "typing"}
    ]
    assert calls(tg, "sendChatAction")[0].time <= calls(tg, "sendMessage")[0].time
    params = calls(tg, "sendMessage")[0].params
    assert params["parse_mode"] == "HTML" and params["link_preview_options"]["is_disabled"]
    print(f"\nupdate-to-reply: {latency * 1000:.0f} ms")
    assert latency < 5


async def test_long_polling_confirms_every_update_once(
    bot: BotApplication, tg: FakeTelegram
) -> None:
    updates = [tg.text_update(q) for q in (TREATY, ORBIT, CHINA)]
    ids = [tg.push_update(update) for update in updates]
    await tg.wait_for("sendMessage", 3)
    # A poll with an offset past the last update confirms all three: the fake forgets them.
    while not any((c.get("offset") or 0) > ids[-1] for c in tg.calls("getUpdates")):
        await tg.wait_for("getUpdates", len(tg.calls("getUpdates")) + 1, timeout=3)
    assert tg.pending_updates == []
    await asyncio.sleep(0.1)
    answered = sorted(m["reply_to_message"]["message_id"] for m in tg.sent())
    assert answered == sorted(u["message"]["message_id"] for u in updates)
    assert tg.calls("getUpdates")[0]["allowed_updates"] == ALLOWED_UPDATES
    offsets = [c.get("offset") or 0 for c in tg.calls("getUpdates")]
    assert offsets == sorted(offsets)


async def test_other_answers_then_one_of_them_then_its_other_answers(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    hits = ask(service, TREATY).hits
    assert hits[0].paragraph.id == "interview/2.2"
    question = tg.text_update(TREATY)
    answer = await reply(tg, question)
    asked = question["message"]["message_id"]

    listing = await press(tg, "o:interview/2.2", answer)
    others = hits[1:]
    snapshot = service.snapshot
    # Compact: each alternative as its topic and best sentence, within one phone screen;
    # one button each, saying what it opens.
    assert listing["text"] == "\n\n".join(
        [f"Другие ответы на вопрос «{TREATY}»:", *(listed(service, hit) for hit in others)]
    )
    assert len(listing["text"]) <= 1_000
    assert not any(hit.paragraph.question in listing["text"] for hit in others)
    assert buttons(listing) == [
        (item_label(h.paragraph, snapshot, RUSSIAN), f"h:{h.paragraph.id}") for h in others
    ]
    assert [len(row) for row in listing["reply_markup"]["inline_keyboard"]] == [1] * len(others)
    assert listing["reply_to_message"]["message_id"] == asked

    second = others[0].paragraph
    shown = await press(tg, f"h:{second.id}", listing)
    assert_answer(service, shown["text"], second)
    assert shown["reply_to_message"]["message_id"] == asked
    assert buttons(shown) == [
        ("Другие ответы", f"o:{second.id}"),
        ("Весь ответ", f"w:{second.id}"),
        ("Цитата", f"c:{second.id}"),
    ]
    # Its own "Other answers" finds the question again, now leaving out the paragraph shown.
    relisting = await press(tg, f"o:{second.id}", shown)
    assert [data for _, data in buttons(relisting)] == [
        f"h:{h.paragraph.id}" for h in hits if h.paragraph.id != second.id
    ]


async def test_whole_answer_shows_every_paragraph_in_order(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    question = tg.text_update(TREATY)
    answer = await reply(tg, question)
    whole = await press(tg, "w:interview/2.2", answer)
    shown = service.snapshot.corpus.paragraph("interview/2.2")
    assert shown is not None
    paragraphs = service.snapshot.corpus.answer(shown)
    assert [p.id for p in paragraphs] == ["interview/2.1", "interview/2.2", "interview/2.3"]
    speaker = service.snapshot.corpus.documents[0].interviewee
    assert whole["text"] == (
        f"{service.snapshot.corpus.label(shown)}\nВопрос: {shown.question}\n\n{speaker}:\n"
        + "\n\n".join(p.text for p in paragraphs)
        + f"\n\n{cited(service, *paragraphs)}"
    )
    assert whole["reply_to_message"]["message_id"] == question["message"]["message_id"]
    # Its quotation: the whole answer, referenced by its first and last paragraph.
    assert buttons(whole) == [("Цитата", "q:interview/2.2")]
    quotation = await press(tg, "q:interview/2.2", whole)
    assert quotation["text"].startswith("«" + " ".join(p.text for p in paragraphs) + "»\n— ")
    assert quotation["text"].endswith("\ninterview/2.1–interview/2.3")


async def test_cite_sends_a_ready_quotation(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    answer = await reply(tg, tg.text_update(ORBIT))
    orbit = service.snapshot.corpus.paragraph(best_id(service, ORBIT))
    assert orbit is not None
    quotation = await press(tg, f"c:{orbit.id}", answer)
    document = service.snapshot.corpus.documents[0]
    # Every part the seed does not record is said to be so; the id comes after, alone.
    assert quotation["text"] == (
        f"«{orbit.text}»\n— {document.interviewee}, заголовок не указан, издание не указано, "
        f"дата не указана, ссылка не указана\n{orbit.id}"
    )
    assert "entities" not in quotation  # plain text, to copy as it is
    assert quotation["reply_to_message"]["message_id"] == answer["message_id"]


async def test_buttons_work_after_a_restart(tg: FakeTelegram, service: AnswerService) -> None:
    config = talking_to(tg)
    async with running_bot(service, config):
        answer = await reply(tg, tg.text_update(ORBIT))
    async with running_bot(service, config):
        whole = await press(tg, "w:interview/3.1", answer)
    orbit = service.snapshot.corpus.paragraph("interview/3.1")
    assert orbit is not None
    assert all(p.text in whole["text"] for p in service.snapshot.corpus.answer(orbit))


async def test_stale_buttons_get_a_notice(bot: BotApplication, tg: FakeTelegram) -> None:
    answer = await reply(tg, tg.text_update(TREATY))
    # A message as an older bot or index left it: a paragraph that is gone, data this bot
    # never sends, and a question that was deleted.
    old = copy.deepcopy(answer)
    old["message_id"] = 9_999
    del old["reply_to_message"]
    old["reply_markup"] = {
        "inline_keyboard": [
            [
                {"text": "a", "callback_data": "w:interview/99.1"},
                {"text": "b", "callback_data": "page:2"},
                {"text": "c", "callback_data": "o:interview/2.2"},
            ]
        ]
    }
    sent = len(calls(tg, "sendMessage"))
    for data in ("w:interview/99.1", "page:2", "o:interview/2.2"):
        tg.push_update(tg.callback_update(data, message=old))
    notices = await tg.wait_for("answerCallbackQuery", 3)
    assert [n["text"] for n in notices] == [RUSSIAN.stale] * 3
    assert len(calls(tg, "sendMessage")) == sent


async def test_not_covered_says_so_and_offers_topics_that_never_answer_the_question(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    forcing(monkeypatch, service, Decision.NOT_COVERED)
    premise = ask(service, OFF_TOPIC)
    nearest = [hit.paragraph for hit in premise.nearest_questions]
    assert premise.passages == () and len(nearest) == 3

    question = tg.text_update(OFF_TOPIC)
    offer = await reply(tg, question)
    assert offer["text"] == (
        f"В интервью нет ответа на вопрос «{OFF_TOPIC}».\n\n{RUSSIAN.nearest_questions}"
    )
    # The nearest interviewer questions, each a button named by its topic.
    assert buttons(offer) == [(service.snapshot.corpus.label(p), f"t:{p.id}") for p in nearest]
    assert {text for text, _ in buttons(offer)} == {
        "Инвестиции и новые технологии",
        "Новый договор с Россией",
        "Военно-техническое сотрудничество",
    }
    assert [len(row) for row in offer["reply_markup"]["inline_keyboard"]] == [1, 1, 1]

    # A topic opens as a paragraph of the interview under the offer, not as an answer to
    # the question: no "Other answers" to it.
    shown = await press(tg, f"t:{nearest[0].id}", offer)
    assert_answer(service, shown["text"], nearest[0])
    assert shown["reply_to_message"]["message_id"] == offer["message_id"]
    assert buttons(shown) == [
        ("Весь ответ", f"w:{nearest[0].id}"),
        ("Цитата", f"c:{nearest[0].id}"),
    ]
    # Even an "Other answers" button left by an older bot under such a paragraph lists
    # nothing for a question the interview does not cover.
    old = copy.deepcopy(shown)
    old["message_id"] = 9_999
    old["reply_to_message"] = question["message"]
    old["reply_markup"] = {
        "inline_keyboard": [[{"text": "Other answers", "callback_data": f"o:{nearest[0].id}"}]]
    }
    sent = len(calls(tg, "sendMessage"))
    assert await toast(tg, f"o:{nearest[0].id}", old) == RUSSIAN.not_covered_notice
    await asyncio.sleep(0.2)
    assert len(calls(tg, "sendMessage")) == sent


async def test_not_covered_names_the_words_the_interview_never_mentions(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    forcing(monkeypatch, service, Decision.NOT_COVERED, uncovered=("ВТО",))
    offer = await reply(tg, tg.text_update("Когда Казахстан вступит в ВТО?", language_code="en"))
    assert offer["text"] == (
        "The interview does not mention “ВТО”.\n\nThe interview is in Russian.\n\n"
        f"{ENGLISH.nearest_questions}"
    )
    # The topics named in English, as the seed's sidecar gives them.
    (english,) = service.snapshot.corpus.documents[0].translated_topics[:1]
    assert english.language == "en"
    assert sorted(text for text, _ in buttons(offer)) == sorted(english.topics)


async def test_uncertain_shows_the_closest_passages_compactly_under_a_caveat(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    forcing(monkeypatch, service, Decision.UNCERTAIN, shown=3)
    passages = ask(service, ORBIT).passages
    assert len(passages) == 3
    closest = await reply(tg, tg.text_update(ORBIT))
    assert closest["text"] == "\n\n".join(
        [
            RUSSIAN.uncertain,
            *(f"{n}. {listed(service, hit)}" for n, hit in enumerate(passages, 1)),
            cited(service, *(hit.paragraph for hit in passages)),
        ]
    )
    assert entity_texts(closest, "italic") == [RUSSIAN.uncertain]
    # "Whole answer" once for each interview answer the passages come from; no "Other
    # answers" (the passages are the closest there are) and no log here, so no 👍/👎.
    firsts: dict[tuple[str, int], Paragraph] = {}
    for hit in passages:
        firsts.setdefault((hit.paragraph.document_id, hit.paragraph.answer_no), hit.paragraph)
    expected = [
        (f"Весь ответ: {service.snapshot.corpus.label(p)}", f"w:{p.id}") for p in firsts.values()
    ]
    # And a quotation of each passage, numbered as the list is.
    cites = [(f"Цитата {n}", f"c:{hit.paragraph.id}") for n, hit in enumerate(passages, 1)]
    assert buttons(closest) == expected + cites
    whole = await press(tg, expected[0][1], closest)
    first = service.snapshot.corpus.paragraph(expected[0][1][2:])
    assert first is not None
    assert all(p.text in whole["text"] for p in service.snapshot.corpus.answer(first))


async def test_html_in_the_question_is_escaped(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Not covered: the reply echoes the question.
    forcing(monkeypatch, service, Decision.NOT_COVERED)
    question = "<b>договор</b> & <script>"
    offer = await reply(tg, tg.text_update(question))
    assert [c.status for c in calls(tg, "sendMessage")] == [200]  # the fake parsed the HTML
    assert offer["text"].startswith(f"В интервью нет ответа на вопрос «{question}».")
    assert entity_texts(offer, "bold") == []
    # A long question is echoed shortened.
    long = await reply(tg, tg.text_update("договор " * 60))
    echoed = long["text"].split("«", 1)[1].split("»", 1)[0]
    assert echoed.startswith("договор договор") and echoed.endswith("…")
    assert len(echoed) <= QUERY_CHARS


async def test_non_questions_get_a_short_reply(bot: BotApplication, tg: FakeTelegram) -> None:
    cases = [
        (tg.sticker_update(), RUSSIAN.not_text),
        (tg.photo_update("Когда подпишут договор?"), RUSSIAN.not_text),
        (tg.voice_update(), RUSSIAN.not_text),
        (tg.location_update(), RUSSIAN.not_text),
        (tg.edited_text_update("исправлено", message_id=1), RUSSIAN.edited),
        (tg.text_update(" \u2003 "), RUSSIAN.empty),
        (tg.text_update("вопрос " * 100), RUSSIAN.too_long.format(limit=500)),
        (tg.text_update("/nonsense"), RUSSIAN.unknown_command),
    ]
    for update, expected in cases:
        assert (await reply(tg, update))["text"] == expected
    assert calls(tg, "sendChatAction") == []  # nothing was searched
    assert [c.status for c in calls(tg, "sendMessage")] == [200] * len(cases)


# PTB's own RetryAfter warns about its int retry_after (deprecated since 22.2): not ours to fix.
@pytest.mark.filterwarnings("ignore::telegram.warnings.PTBDeprecationWarning")
async def test_retry_after_is_waited_out_and_the_reply_sent_once(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    tg.fail_next("sendMessage", status=429, retry_after=1)
    tg.push_update(tg.text_update(ORBIT))
    await tg.wait_for("sendMessage", 2, timeout=10)
    await asyncio.sleep(0.2)
    failed, retried = calls(tg, "sendMessage")
    assert (failed.status, retried.status) == (429, 200)
    assert retried.time - failed.time >= 1.0
    (answer,) = tg.sent()
    paragraph = service.snapshot.corpus.paragraph(best_id(service, ORBIT))
    assert paragraph is not None
    assert_answer(service, answer["text"], paragraph)


# ---- chats, commands, languages ------------------------------------------------------


async def test_start_lists_the_documents_and_offers_examples(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    forcing(monkeypatch, service, Decision.ANSWERED)  # whichever paragraph the model finds
    start = await reply(tg, tg.text_update("/start"))
    assert start["text"].startswith("Я отвечаю на вопросы")
    assert f"• {service.snapshot.corpus.documents[0].description}" in start["text"]
    assert "@interview_test_bot" in start["text"]
    keyboard = calls(tg, "sendMessage")[0].params["reply_markup"]
    assert [row[0]["text"] for row in keyboard["keyboard"]] == list(RUSSIAN.examples)
    # Tapping an example sends it as a question.
    example = await reply(tg, tg.text_update(RUSSIAN.examples[0]))
    assert buttons(example)[0][1] == f"o:{best_id(service, RUSSIAN.examples[0])}"


async def test_help_and_about(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    assert "/about — Источники ответов" in (await reply(tg, tg.text_update("/help")))["text"]
    about = await reply(tg, tg.text_update("/about"))
    document = service.snapshot.corpus.documents[0]
    # The seed corpus has no date or URL yet: they are left out, not shown as "None".
    count = len(service.snapshot.corpus.paragraphs)
    assert about["text"] == (
        f"Источники\n\n• {document.description} ({document.interviewee}, абзацев: {count})"
    )


async def test_commands_are_registered_in_every_language(
    bot: BotApplication, tg: FakeTelegram
) -> None:
    # serving_bot() registered them on start.
    registered = {c.get("language_code"): c["commands"] for c in tg.calls("setMyCommands")}
    assert set(registered) == {None, "en", "kk"}
    for texts in LANGUAGES:
        commands = registered[texts.language_code]
        assert [(c["command"], c["description"]) for c in commands] == list(texts.commands)


@pytest.mark.parametrize(
    ("texts", "language_code", "opening"),
    [(ENGLISH, "en-GB", "I answer questions"), (KAZAKH, "kk", "Мен сұрақтарға")],
)
async def test_english_and_kazakh_interfaces_say_the_interview_is_in_russian(
    bot: BotApplication,
    tg: FakeTelegram,
    service: AnswerService,
    monkeypatch: pytest.MonkeyPatch,
    texts: Any,
    language_code: str,
    opening: str,
) -> None:
    forcing(monkeypatch, service, Decision.ANSWERED)  # whichever paragraph the model finds
    start = await reply(tg, tg.text_update("/start", language_code=language_code))
    assert start["text"].startswith(opening)
    keyboard = calls(tg, "sendMessage")[0].params["reply_markup"]
    assert [row[0]["text"] for row in keyboard["keyboard"]] == list(texts.examples)

    question = texts.examples[1]
    answer = await reply(tg, tg.text_update(question, language_code=language_code))
    paragraph = service.snapshot.corpus.paragraph(best_id(service, question))
    assert paragraph is not None
    # The labels in the user's language, the interview in Russian, and a note saying so,
    # once, at the end.
    assert_answer(service, answer["text"], paragraph, texts)
    assert answer["text"].count(texts.language_note) == 1
    assert [text for text, _ in buttons(answer)] == [
        texts.other_answers,
        texts.whole_answer,
        texts.cite,
    ]
    # The seed's sidecar labels its topics in English and Kazakh too: in text and buttons.
    corpus = service.snapshot.corpus
    label = corpus.label(paragraph, texts.language_code)
    assert label != corpus.label(paragraph) and answer["text"].startswith(label)
    listing = await press(tg, f"o:{paragraph.id}", answer, language_code=language_code)
    assert listing["text"].startswith(texts.others_title.format(query=question))
    assert listing["text"].endswith(f"\n\n{texts.language_note}")
    others = [corpus.paragraph(data[2:]) for _, data in buttons(listing)]
    assert [text for text, _ in buttons(listing)] == [
        item_label(p, service.snapshot, texts) for p in others if p is not None
    ]
    assert not any(corpus.label(p) in listing["text"] for p in others if p is not None)
    whole = await press(tg, f"w:{paragraph.id}", answer, language_code=language_code)
    assert whole["text"].endswith(texts.language_note)
    assert texts.source.format(source="").strip() in whole["text"]


async def test_every_example_question_is_answered(model_service: AnswerService) -> None:
    """The bot's, the page's and the README's examples: each shows what it is for."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    # The tour's table rows that say "answered", and the questions its commands ask.
    from_readme = [
        row.split("|")[1].strip() for row in readme.splitlines() if "| answered" in row
    ] + re.findall(r'interview-bot ask "([^"]+)"', readme)
    examples = [*(e for t in LANGUAGES for e in t.examples), *WebSettings().examples, *from_readme]
    assert len(from_readme) >= 3
    answers = model_service.answer(examples)
    assert [a.query for a in answers if not a.answered] == []


async def test_in_groups_only_mentions_and_replies_are_answered(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    group = {"chat_type": "supergroup"}
    tg.push_update(tg.text_update(ORBIT, **group))  # other people's conversation
    tg.push_update(tg.sticker_update(**group))
    asked = mentioning(tg, ORBIT)
    answer = await reply(tg, asked)
    orbit = service.snapshot.corpus.paragraph(best_id(service, ORBIT))
    assert orbit is not None
    assert_answer(service, answer["text"], orbit)
    assert answer["chat"]["type"] == "supergroup"
    assert answer["reply_to_message"]["message_id"] == asked["message"]["message_id"]

    followup = await reply(tg, tg.text_update(CHINA, reply_to_bot=True, **group))
    china = service.snapshot.corpus.paragraph(best_id(service, CHINA))
    assert china is not None
    assert_answer(service, followup["text"], china)
    assert len(calls(tg, "sendMessage")) == 2 and len(calls(tg, "sendChatAction")) == 2

    # The mention is not part of the question the buttons search again.
    listing = await press(tg, f"o:{orbit.id}", answer)
    assert listing["text"].startswith(f"Другие ответы на вопрос «{ORBIT}»:")
    # A bare mention is an empty question; /start shows no reply keyboard to the whole group.
    assert (await reply(tg, mentioning(tg, "")))["text"] == RUSSIAN.empty
    await reply(tg, tg.text_update("/start@interview_test_bot", **group))
    assert "reply_markup" not in calls(tg, "sendMessage")[-1].params


async def inline_answer(tg: FakeTelegram, query: str, **options: Any) -> Json:
    before = len(calls(tg, "answerInlineQuery"))
    tg.push_update(tg.inline_update(query, **options))
    return (await tg.wait_for("answerInlineQuery", before + 1))[-1]


async def test_inline_mode_applies_the_decision(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, monkeypatch: pytest.MonkeyPatch
) -> None:
    premise = ask(service, TREATY)
    assert premise.decision is Decision.ANSWERED
    (best,) = premise.passages
    # Answered: the answer, titled by its topic, posting the message a chat would get.
    answered = await inline_answer(tg, TREATY)
    (result,) = answered["results"]
    label = service.snapshot.corpus.label(best.paragraph)
    assert (result["title"], result["description"]) == (label, best.highlight)
    content = result["input_message_content"]
    assert content["parse_mode"] == "HTML"
    shown, entities = parse_telegram_html(content["message_text"])
    chat = await reply(tg, tg.text_update(TREATY))
    assert shown == chat["text"] and entities == chat["entities"]
    assert answered["cache_time"] <= 60 and answered["is_personal"] is True

    # Uncertain: the closest passages, each marked as such where it is picked and posted.
    forcing(monkeypatch, service, Decision.UNCERTAIN, shown=3)
    passages = ask(service, ORBIT).passages
    closest = (await inline_answer(tg, ORBIT))["results"]
    assert [r["title"] for r in closest] == [
        f"Близкий фрагмент: {service.snapshot.corpus.label(h.paragraph)}" for h in passages
    ]
    for result, hit in zip(closest, passages, strict=True):
        shown, _ = parse_telegram_html(result["input_message_content"]["message_text"])
        assert shown.startswith(RUSSIAN.closest_passage.format(query=ORBIT) + "\n\n")
        assert hit.paragraph.text in shown

    # Not covered: nothing to post, and a button saying so.
    forcing(monkeypatch, service, Decision.NOT_COVERED)
    refused = await inline_answer(tg, "рецепт плова", language_code="en")
    assert refused["results"] == []
    assert refused["button"] == {"text": ENGLISH.inline_not_covered, "start_parameter": "help"}

    empty = await inline_answer(tg, "", language_code="en")
    assert empty["results"] == []
    assert empty["button"] == {"text": ENGLISH.inline_hint, "start_parameter": "help"}
    assert all(c.status == 200 for c in calls(tg, "answerInlineQuery"))


# ---- feedback --------------------------------------------------------------------------


def logged_rows(service: AnswerService, store: StoreSettings) -> list[Any]:
    """The question log's rows, each question with its feedback, oldest first."""
    assert service.log is not None and service.log.flush()
    statement = (
        sa.select(questions, feedback.c.vote, feedback.c.preferred_paragraph_id)
        .select_from(
            questions.join(feedback, feedback.c.question_id == questions.c.id, isouter=True)
        )
        .order_by(questions.c.at)
    )
    with contextlib.closing(Store.open(store)) as opened, opened.engine.connect() as connection:
        return list(connection.execute(statement))


async def test_votes_and_the_better_answer_go_to_the_question_log(
    tg: FakeTelegram, logged: AnswerService, store: StoreSettings
) -> None:
    hits = ask(logged, TREATY).hits
    async with running_bot(logged, talking_to(tg)):
        answer = await reply(tg, tg.text_update(TREATY, language_code="en"))
        record = buttons(answer)[-1][1].removeprefix("d:")
        assert len(record) == 16
        assert buttons(answer)[-3:] == [
            ("Cite", "c:interview/2.2"),
            ("👍", f"u:{record}"),
            ("👎", f"d:{record}"),
        ]
        # 👍: thanked, nothing sent.
        sent = len(calls(tg, "sendMessage"))
        assert await toast(tg, f"u:{record}", answer, language_code="en") == ENGLISH.thanks
        assert [(row.id, row.vote) for row in logged_rows(logged, store)] == [(record, "up")]
        # 👎: thanked, and offered the other answers, which carry the record.
        assert await toast(tg, f"d:{record}", answer, language_code="en") == ENGLISH.thanks
        await tg.wait_for("sendMessage", sent + 1)
        offer = tg.sent()[-1]
        assert offer["reply_to_message"]["message_id"] == answer["reply_to_message"]["message_id"]
        assert offer["text"].startswith(f"Perhaps another answer fits “{TREATY}”:\n\n")
        assert offer["text"].endswith(ENGLISH.language_note)
        assert buttons(offer) == [
            (item_label(h.paragraph, logged.snapshot, ENGLISH), f"p:{record}:{h.paragraph.id}")
            for h in hits[1:]
        ]
        # Opening one: shown as an answer, and logged as the better paragraph.
        better = hits[2].paragraph
        shown = await press(tg, f"p:{record}:{better.id}", offer, language_code="en")
        assert_answer(logged, shown["text"], better, ENGLISH)
        assert [text for text, _ in buttons(shown)] == ["Other answers", "Whole answer", "Cite"]
        # A button's search again is not logged, nor an inline query as it is typed: only
        # the inline result the user posts.
        await inline_answer(tg, ORBIT[:10], language_code="kk")
        await inline_answer(tg, ORBIT, language_code="kk")
        tg.push_update(tg.chosen_inline_result_update(ORBIT, language_code="kk"))
        for _ in range(100):  # the bot logs it after one more search: wait for the row
            if len(logged_rows(logged, store)) == 2:
                break
            await asyncio.sleep(0.1)
    rows = logged_rows(logged, store)
    assert [(r.front_end, r.text, r.language) for r in rows] == [
        ("bot", TREATY, "en"),
        ("inline", ORBIT, "kk"),
    ]
    assert (rows[0].vote, rows[0].preferred_paragraph_id) == ("down", better.id)
    assert rows[0].id == record


async def test_closest_passages_get_feedback_and_a_refusal_does_not(
    tg: FakeTelegram, logged: AnswerService, store: StoreSettings, monkeypatch: pytest.MonkeyPatch
) -> None:
    forcing(monkeypatch, logged, Decision.UNCERTAIN, shown=2)
    async with running_bot(logged, talking_to(tg)):
        closest = await reply(tg, tg.text_update(ORBIT))
        up, down = buttons(closest)[-2:]
        assert (up[0], down[0]) == ("👍", "👎")
        record = down[1].removeprefix("d:")
        assert await toast(tg, down[1], closest) == RUSSIAN.thanks
        await tg.wait_for("sendMessage", 2)
        # The other answers offered are the hits not shown already.
        hits = ask(logged, ORBIT).hits
        assert [data for _, data in buttons(tg.sent()[-1])] == [
            f"p:{record}:{h.paragraph.id}" for h in hits[2:]
        ]
        # A refusal is no answer to judge: no 👍/👎 under it. And 👎 under an older reply
        # whose question the service no longer covers offers nothing.
        forcing(monkeypatch, logged, Decision.NOT_COVERED)
        offer = await reply(tg, tg.text_update(OFF_TOPIC))
        assert all(data.startswith("t:") for _, data in buttons(offer))
        sent = len(calls(tg, "sendMessage"))
        assert await toast(tg, down[1], closest) == RUSSIAN.thanks
        await asyncio.sleep(0.2)
        assert len(calls(tg, "sendMessage")) == sent
    first, _ = logged_rows(logged, store)
    assert (first.decision, first.vote, first.preferred_paragraph_id) == ("uncertain", "down", None)


# ---- errors and logs -----------------------------------------------------------------


async def test_errors_are_logged_with_the_update_id_and_never_the_token(
    bot: BotApplication,
    tg: FakeTelegram,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # As `serve` installs it on the root handlers; httpx logs each URL, token included.
    caplog.handler.addFilter(RedactSecrets([tg.token]))
    caplog.set_level(logging.DEBUG)
    await reply(tg, tg.text_update(CHINA))

    async def broken(query: str, top_k: int | None = None, **logged: Any) -> None:
        raise RuntimeError(f"index unavailable at {tg.base_url}{tg.token}/")

    monkeypatch.setattr(shared_of(bot).service, "ask", broken)
    update_id = tg.push_update(tg.text_update(ORBIT))
    await tg.wait_for("sendMessage", 2)
    assert tg.sent()[-1]["text"] == RUSSIAN.error

    assert f"update {update_id} failed: index unavailable at" in caplog.text
    assert REDACTED in caplog.text  # httpx's request lines, and the error, were redacted
    assert tg.token not in caplog.text
    assert not any(tg.token in record.getMessage() for record in caplog.records)


# ---- webhook and the serve command ---------------------------------------------------


async def test_webhook_needs_the_secret_token(tg: FakeTelegram, service: AnswerService) -> None:
    port = free_port()
    hook = Webhook(f"http://127.0.0.1:{port}/telegram/hook", "s3cret_token-1", "127.0.0.1", port)
    application = build_application(service, talking_to(tg))
    async with serving_bot(application, hook):
        assert tg.webhook is not None
        assert (tg.webhook["url"], tg.webhook["secret_token"]) == (hook.url, hook.secret)
        assert tg.webhook["allowed_updates"] == ALLOWED_UPDATES
        assert await tg.post_webhook(hook.url, tg.text_update(ORBIT), "wrong") == 403
        assert await tg.post_webhook(hook.url, tg.text_update(ORBIT)) == 403
        assert await tg.deliver_to_webhook(tg.text_update(CHINA)) == 200
        await tg.wait_for("sendMessage")
        await asyncio.sleep(0.2)
    (answer,) = tg.sent()
    china = service.snapshot.corpus.paragraph(best_id(service, CHINA))
    assert china is not None
    assert_answer(service, answer["text"], china)
    assert tg.calls("getUpdates") == []


def test_serve_answers_over_long_polling_reloads_on_sighup_and_exits_0_on_sigint(
    model_settings: Settings,
) -> None:
    with FakeTelegram() as tg:
        env = serve_env(model_settings, TELEGRAM_BOT_TOKEN=tg.token, TELEGRAM_BASE_URL=tg.base_url)
        started, started_at = time.monotonic(), time.time()
        with running_command(["-v", "serve"], env) as served:
            while not calls(tg, "getUpdates"):
                assert served.process.poll() is None, served.stderr
                assert time.monotonic() - started < 120, "no getUpdates within 120 s"
                time.sleep(0.01)
            first_poll = calls(tg, "getUpdates")[0].time - started
            pushed = time.monotonic()
            tg.push_update(tg.text_update(TREATY))
            tg.wait_for_sync("sendMessage", timeout=30)
            latency = calls(tg, "sendMessage")[0].time - pushed
            # SIGHUP reloads the index (the same one: the corpus did not change).
            served.process.send_signal(signal.SIGHUP)
            reloaded = served.wait_for("index reloaded: ")
            # Faults that make PTB and the bot log errors, none with the token in it.
            tg.reset_next("getUpdates")
            tg.fail_next("sendMessage", status=500)
            tg.push_update(tg.text_update(ORBIT))
            tg.wait_for_sync("sendMessage", 3, timeout=30)
            served.wait_for("error outside an update: httpx.RemoteProtocolError")
            returncode = served.stop()
    stderr = served.stderr
    assert returncode == 0, stderr
    first, second = tg.sent()
    assert "Идеальным было бы его подписание" in first["text"]  # interview/2.2
    assert "Нет, не оправданы." in second["text"]  # interview/3.1
    assert [c.status for c in calls(tg, "sendMessage")] == [200, 500, 200]
    # The model and the index load before polling starts, announced in one line.
    (ready,) = [line for line in stderr.splitlines() if " ready in " in line]
    assert "long polling" in ready
    ready_at = datetime.datetime.strptime(ready[:23], "%Y-%m-%d %H:%M:%S,%f").timestamp()
    assert ready_at <= started_at + (calls(tg, "getMe")[0].time - started)
    assert "index reloaded: 11 paragraphs" in reloaded
    assert "sendMessage failed (Internal Server Error), retry 1 in 0.2s" in stderr
    assert tg.token not in stderr
    assert {c.get("language_code") for c in tg.calls("setMyCommands")} == {None, "en", "kk"}
    print(f"\nserve start to first getUpdates: {first_poll:.2f} s")
    print(f"update-to-reply (first question): {latency * 1000:.0f} ms")


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ([], {}, "TELEGRAM_BOT_TOKEN"),
        (
            ["--webhook-url", "https://bot.example.com/hook"],
            {"TELEGRAM_BOT_TOKEN": "1:x"},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
        (["--webhook-url", "bot.example.com"], {"TELEGRAM_BOT_TOKEN": "1:x"}, "--webhook-url"),
        (
            ["--webhook-url", "https://bot.example.com/hook"],
            {"TELEGRAM_BOT_TOKEN": "1:x", "TELEGRAM_WEBHOOK_SECRET": "not valid!"},
            "TELEGRAM_WEBHOOK_SECRET",
        ),
    ],
)
def test_serve_refuses_to_start_without_what_it_needs(
    built_settings: Settings, args: list[str], env: dict[str, str], message: str
) -> None:
    result = CliRunner().invoke(cli, ["serve", *args], env=serve_env(built_settings, **env))
    assert result.exit_code == 2
    assert message in result.stderr


async def test_what_is_no_question_gets_help_a_friendly_word_or_the_source_never_a_paragraph(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    examples = "\n".join(f"— {e}" for e in RUSSIAN.examples)
    nothing = await reply(tg, tg.text_update("?"))
    assert nothing["text"] == f"{RUSSIAN.no_content}\n{examples}"
    assert "reply_markup" not in nothing  # no Cite, no feedback: nothing was answered
    hello = await reply(tg, tg.text_update("привет!"))
    assert hello["text"] == f"{RUSSIAN.greeting}\n{examples}"
    thanks = await reply(tg, tg.text_update("спасибо", language_code="en"))
    assert thanks["text"] == ENGLISH.welcome
    about = await reply(tg, tg.text_update("Когда было опубликовано интервью?"))
    document = service.snapshot.corpus.documents[0]
    assert about["text"] == (
        f"Что известно об интервью\n\n{document.description}\n"
        f"Отвечает: {document.interviewee}\n"
        "Спрашивает: не указано в источнике\n"
        "Издание: не указано в источнике\n"
        "Дата публикации: не указано в источнике\n"
        "Ссылка: не указано в источнике"
    )
    assert all(p.text not in about["text"] for p in service.snapshot.corpus.paragraphs)
    # Inline, nothing to post: how to ask, not "the interview does not answer this".
    hint = (await inline_answer(tg, "привет"))["button"]
    assert hint == {"text": RUSSIAN.inline_hint, "start_parameter": "help"}
