"""Logging for the servers (the bot, the page), with every secret kept out of every line.

The bot token is part of every Bot API URL, and httpx (at INFO) and error messages about
failed requests can put those URLs in a log line; a PostgreSQL URL carries the question
log's password.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote

REDACTED = "<redacted>"
# Loggers whose INFO lines tell how the servers run: start, stop, readiness, reloads.
_SERVICE_LOGGERS = ("bot", "web", "service", "questionlog", "interview_bot", "telegram")


class RedactSecrets(logging.Filter):
    """Replaces each secret in a record's message and traceback with <redacted>."""

    def __init__(self, secrets: Iterable[str | None]) -> None:
        super().__init__()
        found = [secret for secret in secrets if secret]
        # As a URL may carry it: a token's ":" percent-encoded.
        self.secrets = list(dict.fromkeys([*found, *(quote(s, safe="") for s in found)]))

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
            # The exception itself may hold a secret: handlers get only the redacted text.
            record.exc_info = None
        if record.stack_info:
            record.stack_info = self.redact(record.stack_info)
        return True


def install_redaction(secrets: Iterable[str | None]) -> Callable[[], None]:
    """Redact `secrets` from every log record made from now on, whichever handler emits it
    (a filter on handlers would miss handlers added later); returns what undoes it."""
    redact = RedactSecrets(secrets)
    previous = logging.getLogRecordFactory()

    def make_record(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = previous(*args, **kwargs)
        redact.filter(record)
        return record

    logging.setLogRecordFactory(make_record)
    return lambda: logging.setLogRecordFactory(previous)


def setup_logging(secrets: Iterable[str | None]) -> None:
    """Log the servers' progress at INFO, drop httpx's per-request lines, redact `secrets`."""
    for name in _SERVICE_LOGGERS:
        logging.getLogger(name).setLevel(logging.INFO)
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Warnings go through logging too, so through the redaction.
    logging.captureWarnings(True)
    install_redaction(secrets)
