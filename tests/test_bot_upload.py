"""Adding an interview through the bot, end to end: the real Application against the fake Bot
API server, on a copy of the seed corpus indexed with the fake encoder. A file or a page is
previewed, published with a button, and then answers questions; everything else is refused
with a message and leaves the corpus and the served index as they were."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from conftest import running_bot, talking_to

from bot.application import BotApplication
from bot.staging import FOLDER, Outcome, Staging, State
from bot.texts import ENGLISH, KAZAKH, LANGUAGES, RUSSIAN
from bot.upload_render import Choice, callback_data, parse_callback, preview
from importer import Source, import_source
from retrieval.corpus import load_corpus
from service.answering import AnswerService
from service.encoder import Encoder
from service.settings import load_settings
from service.snapshot import open_snapshot, rebuild_index
from testkit import publishing as pub
from testkit.fake_telegram import FakeTelegram
from testkit.website import Reply, Site

Json = dict[str, Any]
ADMIN = 4242
USER = 1001

# An interview the seed corpus does not have; its title has what Telegram HTML must escape.
WATER = pub.Seed(
    title="Интервью министра водных ресурсов: каналы & <реки>",
    answers=(
        (
            "Как будут восстанавливать каналы в южных областях?",
            (
                "Мы начнём с магистральных каналов, которые не ремонтировались сорок лет. "
                "Первые участки откроются весной.",
                "Подрядчиков выберут на открытом конкурсе, условия опубликуют заранее.",
            ),
        ),
        (
            "Хватит ли воды для посевной будущего года?",
            (
                "Запасы в водохранилищах выше прошлогодних на двенадцать процентов. "
                "Дефицита поливной воды мы не ожидаем.",
            ),
        ),
    ),
    heading="ВОДА ДЛЯ СЕЛЬСКОГО ХОЗЯЙСТВА",
    heading_before=1,
)
SLUG = "intervyu-ministra-vodnykh-resursov-kanaly-reki"
# Quotes a sentence of the second answer: the fake encoder answers it with that paragraph.
RESERVOIRS = "Запасы в водохранилищах выше прошлогодних на двенадцать процентов"
SEED_PARAGRAPHS = 11

PREVIEW = (
    "Новое интервью. Проверьте и опубликуйте:\n"
    f"Название: {WATER.title}\n"
    f"Дата: {pub.DATE}\n"
    "Отвечает: нет в источнике\n"
    "Спрашивает: нет в источнике\n"
    "Издание: нет в источнике\n"
    "Ссылка: нет в источнике\n"
    "Вопросов: 2, абзацев ответов: 3.\n\n"
    "1. Как будут восстанавливать каналы в южных областях? — абзацев: 2\n\n"
    "Раздел: ВОДА ДЛЯ СЕЛЬСКОГО ХОЗЯЙСТВА\n"
    "2. Хватит ли воды для посевной будущего года? — абзацев: 1"
)
PUBLISHED = (
    f"Опубликовано: {WATER.title} ({SLUG}.txt). Теперь в индексе абзацев: {SEED_PARAGRAPHS + 3}."
)
PNG = b"\x89PNG\r\n\x1a\n" + bytes(200)


@pytest.fixture
async def service(config_file: Path, encoder: Encoder) -> AsyncIterator[AnswerService]:
    """The service on its own copy of the seed corpus and index, which a publish changes."""
    settings = load_settings(config_file, env={})
    rebuild_index(settings, encoder)
    service = AnswerService(settings, encoder, open_snapshot(settings))
    yield service
    await service.close()


@pytest.fixture
async def bot(tg: FakeTelegram, service: AnswerService) -> AsyncIterator[BotApplication]:
    async with running_bot(service, talking_to(tg, admins=(ADMIN,))) as application:
        yield application


def corpus_files(service: AnswerService) -> dict[str, bytes]:
    folder = service.settings.corpus.dir
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


def buttons(message: Json) -> list[tuple[str, str]]:
    rows = message.get("reply_markup", {}).get("inline_keyboard", [])
    return [(button["text"], button["callback_data"]) for row in rows for button in row]


def answered(tg: FakeTelegram, update: Json) -> Json:
    """The answerCallbackQuery call for a button press."""
    query_id = update["callback_query"]["id"]
    (call,) = [c for c in tg.calls("answerCallbackQuery") if c["callback_query_id"] == query_id]
    return call


async def said(tg: FakeTelegram, update: Json, count: int = 1) -> list[str]:
    """Push `update`; the texts of the next `count` messages the bot sends."""
    before = len(tg.calls("sendMessage"))
    tg.push_update(update)
    await tg.wait_for("sendMessage", before + count)
    await asyncio.sleep(0.05)  # nothing more should follow (checked by the callers)
    return [m["text"] for m in tg.sent()[before:]]


async def previewed(tg: FakeTelegram, update: Json) -> Json:
    """Push an upload and return the preview the bot answers it with."""
    await said(tg, update)
    preview_message = tg.sent()[-1]
    assert buttons(preview_message), preview_message["text"]
    return preview_message


def now(tg: FakeTelegram, message: Json) -> Json:
    """`message` as the chat shows it now, after any edits."""
    (current,) = [
        m for m in tg.sent(message["chat"]["id"]) if m["message_id"] == message["message_id"]
    ]
    return current


def press(tg: FakeTelegram, choice: Choice, message: Json, user_id: int = ADMIN) -> Json:
    """A press on a preview's button, built now (while the button is there) to push later."""
    (data,) = [data for _, data in buttons(message) if data.startswith(f"{choice.value}:")]
    return tg.callback_update(data, message=message, user_id=user_id)


async def until_answered(tg: FakeTelegram, *presses: Json) -> None:
    wanted = {p["callback_query"]["id"] for p in presses}
    async with asyncio.timeout(10):
        while not wanted <= {c["callback_query_id"] for c in tg.calls("answerCallbackQuery")}:
            await asyncio.sleep(0.01)


async def ask_bot(tg: FakeTelegram, question: str) -> str:
    (text,) = await said(tg, tg.text_update(question, user_id=USER))
    return text


# ---- publishing ------------------------------------------------------------------------


async def test_a_word_file_is_previewed_published_and_then_answers_questions(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    before = corpus_files(service)
    assert RESERVOIRS not in await ask_bot(tg, RESERVOIRS)  # not in the seed interview

    upload = tg.document_update(
        pub.word_file(WATER), "интервью.docx", mime_type="application/msword", user_id=ADMIN
    )
    preview_message = await previewed(tg, upload)
    assert preview_message["text"] == PREVIEW  # the title's "&" and "<>" arrive as written
    assert [e["type"] for e in preview_message["entities"]] == ["bold", "italic"]
    assert [text for text, _ in buttons(preview_message)] == ["Опубликовать", "Отмена"]
    assert all(len(data.encode()) < 64 for _, data in buttons(preview_message))
    assert [c["file_id"] for c in tg.calls("getFile")] == [upload["message"]["document"]["file_id"]]
    # A preview writes nothing into the corpus and changes nothing served.
    assert corpus_files(service) == before
    assert service.snapshot.manifest.count == SEED_PARAGRAPHS

    publish = press(tg, Choice.PUBLISH, preview_message)
    assert await said(tg, publish, 2) == [RUSSIAN.upload_publishing, PUBLISHED]
    assert answered(tg, publish)["text"] == RUSSIAN.upload_publishing
    assert buttons(now(tg, preview_message)) == []  # the preview's buttons are gone

    added = set(corpus_files(service)) - set(before)
    assert added == {f"{SLUG}.txt", f"{SLUG}.toml"}
    assert service.snapshot.manifest.count == SEED_PARAGRAPHS + 3
    assert load_corpus(service.settings.corpus.dir).fingerprint == (
        service.snapshot.corpus.fingerprint
    )
    answer = await ask_bot(tg, RESERVOIRS)
    assert WATER.answers[1][1][0] in answer
    assert WATER.title in answer  # cited by the new document's title


async def test_a_page_is_imported_by_url_from_a_loopback_site(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, site: Site
) -> None:
    site.routes["/ru/interview"] = Reply(body=pub.dash_page(WATER))
    url = f"{site.url}/ru/interview"
    preview_message = await previewed(tg, tg.text_update(f"/import {url}", user_id=ADMIN))
    lines = preview_message["text"].split("\n")
    assert lines[1:8] == [
        f"Название: {WATER.title}",
        f"Дата: {pub.DATE}",
        "Отвечает: нет в источнике",
        "Спрашивает: нет в источнике",
        "Издание: Казинформ",
        f"Ссылка: {url}",
        "Вопросов: 2, абзацев ответов: 3.",
    ]
    # What was previewed is what is published, even if the page changes meanwhile.
    site.routes["/ru/interview"] = Reply(body=pub.news_page())
    assert (await said(tg, press(tg, Choice.PUBLISH, preview_message), 2))[1] == PUBLISHED
    sidecar = (service.settings.corpus.dir / f"{SLUG}.toml").read_text(encoding="utf-8")
    assert f'source_url = "{url}"' in sidecar
    assert 'outlet = "Казинформ"' in sidecar
    assert WATER.answers[1][1][0] in await ask_bot(tg, RESERVOIRS)


async def test_publish_pressed_again_publishes_once_and_cancel_after_it_changes_nothing(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    preview_message = await previewed(
        tg, tg.document_update(pub.bold_page(WATER), "page.html", user_id=ADMIN)
    )
    # Built while the buttons show: a double tap, and Cancel tapped right after Publish.
    presses = [press(tg, Choice.PUBLISH, preview_message) for _ in range(5)]
    cancel = press(tg, Choice.CANCEL, preview_message)
    for update in presses:
        tg.push_update(update)
    await tg.wait_for("sendMessage", 3)
    await until_answered(tg, *presses)
    tg.push_update(cancel)
    await until_answered(tg, cancel)
    await asyncio.sleep(0.1)

    assert [m["text"] for m in tg.sent()[1:]] == [RUSSIAN.upload_publishing, PUBLISHED]
    notices = sorted(answered(tg, update).get("text", "") for update in presses)
    # The first press publishes; the others are told it is being, or has been, published.
    assert notices.count(RUSSIAN.upload_publishing) == 1
    assert set(notices) - {RUSSIAN.upload_publishing} <= {
        RUSSIAN.upload_busy,
        RUSSIAN.upload_was_published,
    }
    assert answered(tg, cancel)["text"] == RUSSIAN.upload_was_published
    assert sorted(p.name for p in service.settings.corpus.dir.glob("*.txt")) == [
        "interview.txt",
        f"{SLUG}.txt",
    ]
    assert service.snapshot.manifest.count == SEED_PARAGRAPHS + 3
    assert service.stats.reloads == 1


async def test_a_second_preview_of_what_was_published_meanwhile_is_a_duplicate(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    word = pub.word_file(WATER)
    first = await previewed(tg, tg.document_update(word, "w.docx", user_id=ADMIN))
    second = await previewed(tg, tg.document_update(word, "w.docx", user_id=ADMIN))
    assert (await said(tg, press(tg, Choice.PUBLISH, first), 2))[1] == PUBLISHED
    assert await said(tg, press(tg, Choice.PUBLISH, second), 2) == [
        RUSSIAN.upload_publishing,
        f"Это интервью уже есть в корпусе ({SLUG}.txt). Ничего не добавлено.",
    ]
    assert len(list(service.settings.corpus.dir.glob("*.txt"))) == 2
    assert service.stats.reloads == 1


async def test_cancel_publishes_nothing_and_a_later_publish_says_so(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    before = corpus_files(service)
    preview_message = await previewed(
        tg, tg.document_update(pub.word_file(WATER), "w.docx", user_id=ADMIN)
    )
    publish = press(tg, Choice.PUBLISH, preview_message)
    assert await said(tg, press(tg, Choice.CANCEL, preview_message)) == [RUSSIAN.upload_cancelled]
    assert buttons(now(tg, preview_message)) == []
    tg.push_update(publish)
    await until_answered(tg, publish)
    assert answered(tg, publish)["text"] == RUSSIAN.upload_was_cancelled
    assert corpus_files(service) == before
    assert service.stats.reloads == 0
    # The kept bytes are gone; what the press did is remembered for later presses.
    (kept,) = (service.settings.corpus.dir / FOLDER).iterdir()
    assert sorted(p.name for p in kept.iterdir()) == ["claimed", "outcome.json", "source.json"]


async def test_a_preview_from_before_a_restart_is_published_by_the_next_process(
    tg: FakeTelegram, service: AnswerService, config_file: Path, encoder: Encoder
) -> None:
    config = talking_to(tg, admins=(ADMIN,))
    async with running_bot(service, config):
        preview_message = await previewed(
            tg, tg.document_update(pub.word_file(WATER), "w.docx", user_id=ADMIN)
        )
    # A new process: a new service and bot, nothing in memory from the first.
    settings = load_settings(config_file, env={})
    restarted = AnswerService(settings, encoder, open_snapshot(settings))
    try:
        async with running_bot(restarted, config):
            publish = press(tg, Choice.PUBLISH, preview_message)
            assert (await said(tg, publish, 2))[1] == PUBLISHED
        assert restarted.snapshot.manifest.count == SEED_PARAGRAPHS + 3
    finally:
        await restarted.close()


async def test_a_publish_whose_index_cannot_be_built_removes_its_files_and_keeps_serving(
    bot: BotApplication,
    tg: FakeTelegram,
    service: AnswerService,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    before = corpus_files(service)
    served = service.snapshot
    preview_message = await previewed(
        tg, tg.document_update(pub.word_file(WATER), "w.docx", user_id=ADMIN)
    )

    def broken(*args: object, **kwargs: object) -> None:
        raise OSError("No space left on device")

    monkeypatch.setattr("service.answering.rebuild_index", broken)
    with caplog.at_level(logging.ERROR):
        texts = await said(tg, press(tg, Choice.PUBLISH, preview_message), 2)
    assert texts == [
        RUSSIAN.upload_publishing,
        RUSSIAN.upload_failed.format(error="No space left on device"),
    ]
    assert corpus_files(service) == before
    assert service.snapshot is served
    assert service.stats.failed_reloads == 1
    assert "publishing an upload failed" in caplog.text


# ---- refused ---------------------------------------------------------------------------


async def test_the_same_interview_again_is_reported_as_a_duplicate(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    before = corpus_files(service)
    repost = tg.document_update(pub.bold_page(pub.seed()), "repost.html", user_id=ADMIN)
    assert await said(tg, repost) == [
        "Это интервью уже есть в корпусе (interview.txt). Ничего не добавлено."
    ]
    assert buttons(tg.sent()[-1]) == []
    assert corpus_files(service) == before
    assert not (service.settings.corpus.dir / FOLDER).exists()  # nothing kept to publish


async def test_what_is_not_an_interview_is_refused_with_the_reason(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    (text,) = await said(tg, tg.document_update(pub.news_page(), "news.html", user_id=ADMIN))
    assert text.startswith("Не добавлено: no questions and answers found in news.html")
    assert buttons(tg.sent()[-1]) == []


@pytest.mark.parametrize(
    ("content", "name", "detail"),
    [
        (PNG, "interview.pdf", "a PNG image, not a document: run OCR first"),
        (b"PK\x03\x04" + bytes(100), "interview.docx", None),
        (b"\xd0\xcf\x11\xe0" + bytes(100), "interview.doc", "an old Word .doc"),
        (b"\x7fELF\x02\x01\x01\x00" + bytes(100), "interview.txt", "a binary file"),
    ],
)
async def test_a_file_of_another_type_is_refused_by_its_content_not_its_name(
    bot: BotApplication,
    tg: FakeTelegram,
    service: AnswerService,
    content: bytes,
    name: str,
    detail: str | None,
) -> None:
    before = corpus_files(service)
    (text,) = await said(tg, tg.document_update(content, name, user_id=ADMIN))
    if detail is None:  # a damaged ZIP that claims to be Word: the Word reader says why
        assert text.startswith("Не добавлено: ")
    else:
        assert text.startswith(f"Этот файл не подходит ({detail}")
        assert text.endswith("Пришлите Word (.docx), PDF, веб-страницу (.html) или текст (.txt).")
    assert corpus_files(service) == before
    assert service.stats.reloads == 0


async def test_a_file_over_the_limit_is_refused_before_it_is_downloaded(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    big = pub.word_file(WATER) + bytes(10 * 2**20)
    assert await said(tg, tg.document_update(big, "big.docx", user_id=ADMIN)) == [
        f"Файл слишком большой: {len(big) / 2**20:.1f} МБ, можно не больше 10 МБ."
    ]
    assert tg.calls("getFile") == []
    # When Telegram does not state the size, the download is measured.
    texts = await said(tg, tg.document_update(big, "big.docx", file_size=None, user_id=ADMIN))
    assert texts == [f"Файл слишком большой: {len(big) / 2**20:.1f} МБ, можно не больше 10 МБ."]
    assert len(tg.calls("getFile")) == 1


async def test_the_limit_is_a_setting(tg: FakeTelegram, service: AnswerService) -> None:
    word = pub.word_file(WATER)
    config = talking_to(tg, admins=(ADMIN,), max_upload_mb=1)
    async with running_bot(service, config):
        padded = word + bytes(2**20)
        (text,) = await said(tg, tg.document_update(padded, "w.docx", user_id=ADMIN))
        assert text == RUSSIAN.upload_too_large.format(size=f"{len(padded) / 2**20:.1f}", limit=1)
        assert buttons(await previewed(tg, tg.document_update(word, user_id=ADMIN)))


@pytest.mark.parametrize(
    ("argument", "expected"),
    [
        ("", RUSSIAN.import_usage),
        ("/etc/passwd", RUSSIAN.import_usage),
        ("file:///etc/passwd", "Не добавлено: file: URLs are not imported"),
        ("ftp://example.org/a.html", "Не добавлено: ftp: URLs are not imported"),
    ],
)
async def test_import_takes_only_an_http_url(
    bot: BotApplication, tg: FakeTelegram, argument: str, expected: str
) -> None:
    (text,) = await said(tg, tg.text_update(f"/import {argument}".strip(), user_id=ADMIN))
    assert text.startswith(expected)


async def test_a_page_that_does_not_answer_is_refused(
    bot: BotApplication, tg: FakeTelegram, site: Site
) -> None:
    update = tg.text_update(f"/import {site.url}/missing", user_id=ADMIN)
    assert await said(tg, update) == ["Не добавлено: HTTP 404 Not Found"]


async def test_anyone_else_is_told_adding_interviews_is_for_administrators(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService, site: Site
) -> None:
    site.routes["/page"] = Reply(body=pub.bold_page(WATER))
    before = corpus_files(service)
    word = pub.word_file(WATER)
    assert await said(tg, tg.document_update(word, "w.docx", user_id=USER)) == [
        RUSSIAN.upload_for_admins
    ]
    assert await said(tg, tg.text_update(f"/import {site.url}/page", user_id=USER)) == [
        RUSSIAN.not_allowed
    ]
    english = tg.document_update(word, "w.docx", user_id=USER + 1, language_code="en")
    assert await said(tg, english) == [ENGLISH.upload_for_admins]
    assert tg.calls("getFile") == []

    # An administrator's preview, pressed by someone else (in a group, say): refused.
    preview_message = await previewed(tg, tg.document_update(word, "w.docx", user_id=ADMIN))
    update = press(tg, Choice.PUBLISH, preview_message, user_id=USER)
    tg.push_update(update)
    await until_answered(tg, update)
    assert answered(tg, update)["text"] == RUSSIAN.not_allowed
    assert corpus_files(service) == before
    assert buttons(now(tg, preview_message))  # still there for an administrator


async def test_a_button_of_an_upload_no_longer_kept_says_so(
    bot: BotApplication, tg: FakeTelegram, service: AnswerService
) -> None:
    preview_message = await previewed(
        tg, tg.document_update(pub.word_file(WATER), "w.docx", user_id=ADMIN)
    )
    for kept in (service.settings.corpus.dir / FOLDER).iterdir():
        for path in kept.iterdir():
            path.unlink()
        kept.rmdir()
    update = press(tg, Choice.PUBLISH, preview_message)
    tg.push_update(update)
    await until_answered(tg, update)
    assert answered(tg, update)["text"] == RUSSIAN.upload_gone
    assert service.stats.reloads == 0


# ---- the pieces ------------------------------------------------------------------------


@pytest.mark.parametrize("texts", LANGUAGES, ids=lambda t: t.language_code or "ru")
def test_the_preview_reads_in_each_language(texts: Any, tmp_path: Path) -> None:
    result = import_source(
        Source(name="w.docx", data=pub.word_file(WATER), stem="w"), tmp_path, dry_run=True
    )
    (message,) = preview(result, texts)
    assert "{" not in message and "}" not in message
    assert "&amp; &lt;реки&gt;" in message  # escaped for Telegram HTML
    assert message.count(texts.upload_unknown) == 4
    if texts is KAZAKH:
        assert "Бөлім: ВОДА ДЛЯ СЕЛЬСКОГО ХОЗЯЙСТВА" in message


def test_a_long_interview_previews_in_several_messages() -> None:
    answers = tuple((f"Вопрос номер {n} о чём-то важном? " * 4, ("Ответ.",)) for n in range(80))
    long = pub.Seed("Длинное интервью", answers, "", -1)
    result = import_source(
        Source(name="long.docx", data=pub.word_file(long), stem="long"),
        Path("/nonexistent"),
        dry_run=True,
    )
    assert result.status == "imported", result.reason
    chunks = preview(result, RUSSIAN)
    assert len(chunks) > 1 and all(len(chunk) <= 4096 for chunk in chunks)
    assert "80. Вопрос номер 79" in chunks[-1]


def test_callback_data_names_the_upload_and_stays_short() -> None:
    for choice in Choice:
        assert parse_callback(callback_data(choice, "A" * 11)) == (choice, "A" * 11)
        assert len(callback_data(choice, "A" * 11).encode()) < 64
    for other in ("publish:../../etc", "publish:", "cancel:" + "A" * 12, "o:interview/1.1"):
        assert parse_callback(other) is None


def test_one_claim_wins_and_the_others_learn_what_it_did(tmp_path: Path) -> None:
    staging = Staging(tmp_path)
    upload_id = staging.stage(Source(name="a.html", data=b"<p>x</p>", stem="a", url=None))
    assert staging.source(upload_id) == Source("a.html", b"<p>x</p>", "a")
    assert staging.claim(upload_id).state is State.CLAIMED
    assert staging.claim(upload_id).state is State.BUSY
    staging.finish(upload_id, Outcome.PUBLISHED)
    claim = staging.claim(upload_id)
    assert (claim.state, claim.outcome) == (State.DONE, Outcome.PUBLISHED)
    assert staging.source(upload_id) is None
    for forged in ("../../../etc", "x" * 10, upload_id + "/"):
        assert staging.claim(forged).state is State.GONE


def test_uploads_older_than_a_week_go_when_a_new_one_arrives(tmp_path: Path) -> None:
    staging = Staging(tmp_path)
    old = staging.stage(Source(name="a", data=b"a", stem="a"))
    week_ago = time.time() - 8 * 86_400
    os.utime(staging.folder / old, (week_ago, week_ago))
    new = staging.stage(Source(name="b", data=b"b", stem="b"))
    assert staging.claim(old).state is State.GONE
    assert staging.claim(new).state is State.CLAIMED
