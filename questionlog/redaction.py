"""Keeping the database password out of messages: the store's URL is a secret, and error
messages about a failed connection are logged."""

from __future__ import annotations

import re
from urllib.parse import quote

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

HIDDEN = "***"
# user:password@ in a URL that SQLAlchemy cannot parse.
_USERINFO_PASSWORD = re.compile(r"(://[^:/@]*:)([^@]*)@")


def redact_url(url: str) -> str:
    """`url` with its password, in the authority or as a `password=` query parameter,
    replaced by ***: the form to put in a message or a log line."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        return _USERINFO_PASSWORD.sub(rf"\g<1>{HIDDEN}@", url)
    if "password" not in parsed.query:
        return parsed.render_as_string(hide_password=True)
    shown = parsed.update_query_dict({"password": HIDDEN}).render_as_string(hide_password=True)
    return shown.replace(quote(HIDDEN, safe=""), HIDDEN)  # *** reads better unescaped


def url_password(url: str) -> str | None:
    """The password `url` carries, if any: what a log filter must redact."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        match = _USERINFO_PASSWORD.search(url)
        return match.group(2) if match else None
    query = parsed.query.get("password")
    return parsed.password or (query if isinstance(query, str) else None)


def describe_error(exc: BaseException, url: str) -> str:
    """One line about `exc` for a warning, without the password. The engine hides SQL
    parameters from its errors, so the line never holds a user's question."""
    orig = getattr(exc, "orig", None) or exc
    first_line = (str(orig).strip().splitlines() or [""])[0]
    text = f"{type(orig).__name__}: {first_line}" if first_line else type(orig).__name__
    password = url_password(url)
    return text.replace(password, HIDDEN) if password else text
