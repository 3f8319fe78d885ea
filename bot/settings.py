"""The bot's settings: [telegram] and [bot] of config.toml, secrets from the environment."""

from __future__ import annotations

from dataclasses import dataclass, field

from service.settings import ConfigFile, section

SECTIONS = ("telegram", "bot")


@dataclass(frozen=True)
class TelegramSettings:
    # Bot API base URL; the token is appended. TELEGRAM_BASE_URL overrides it.
    base_url: str = "https://api.telegram.org/bot"
    # Secrets: TELEGRAM_BOT_TOKEN and TELEGRAM_WEBHOOK_SECRET, never the file.
    token: str | None = field(default=None, repr=False)
    webhook_secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class BotSettings:
    # Messages and inline queries, each a search.
    questions_per_minute: int = 20
    # Button presses: most open what was already found, so they get more room.
    presses_per_minute: int = 60
    allowed_chats: tuple[int, ...] = ()
    admins: tuple[int, ...] = ()
    # The largest file or page an administrator may add as an interview, in MB.
    max_upload_mb: int = 10

    def __post_init__(self) -> None:
        for name in ("questions_per_minute", "presses_per_minute"):
            if getattr(self, name) < 0:
                raise ValueError(f"bot.{name} must be 0 (no limit) or more")
        if self.max_upload_mb < 1:
            raise ValueError(f"bot.max_upload_mb must be at least 1, got {self.max_upload_mb}")


@dataclass(frozen=True)
class BotConfig:
    telegram: TelegramSettings
    bot: BotSettings


def bot_config(config: ConfigFile) -> BotConfig:
    telegram = section(config, "telegram", TelegramSettings, secrets=("token", "webhook_secret"))
    env = config.env
    return BotConfig(
        telegram=TelegramSettings(
            base_url=env.get("TELEGRAM_BASE_URL") or telegram.base_url,
            token=env.get("TELEGRAM_BOT_TOKEN") or None,
            webhook_secret=env.get("TELEGRAM_WEBHOOK_SECRET") or None,
        ),
        bot=section(config, "bot", BotSettings),
    )
