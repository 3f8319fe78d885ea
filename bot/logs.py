"""Logging for the running bot, with the bot token kept out of every line.

The token is part of every Bot API URL, and httpx (at INFO) and error messages about
failed requests can put those URLs in a log line.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable

REDACTED = "<redacted>"
# Loggers whose INFO lines tell how the bot runs: start, stop, readiness.
_SERVICE_LOGGERS = ("bot", "interview_bot", "telegram")


class RedactSecrets(logging.Filter):
    """Replaces each secret in a record's message and traceback with <redacted>."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, REDACTED)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: the handler reports it, with its own format
        redacted = self.redact(message)
        if redacted != message:
            record.msg, record.args = redacted, None
        if record.exc_info and not record.exc_text:
            # Formatters reuse exc_text, so formatting the traceback here redacts it for all.
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self.redact(record.exc_text)
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def setup_logging(secrets: Iterable[str | None]) -> None:
    """Log the bot's progress at INFO, drop httpx's per-request lines, redact `secrets`."""
    for name in _SERVICE_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    redact = RedactSecrets(secrets)
    for handler in logging.getLogger().handlers:
        handler.addFilter(redact)
