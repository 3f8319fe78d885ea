"""Keeping the database password out of messages: the store's URL is a secret, and error
messages about a failed connection are logged.

A URL can be malformed in ways that move the password: `postgresql://bot:pw/db` (no `@`)
makes SQLAlchemy read the password as a port and fail with "invalid literal for int():
'pw'"; an unescaped `@` in a password makes it read the tail of the password as the host.
So the secrets are found in the text as well as by parsing, and every one of them is
hidden wherever the URL or an error about it is shown.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

from sqlalchemy.engine import make_url

HIDDEN = "***"
_PASSWORD_PARAMETER = re.compile(r"[?&]password=([^&#]*)")


def url_secrets(url: str, *, whole: bool = True) -> list[str]:
    """Every text in `url` that may be its password, longest first: what the URL's parser
    finds, and what the text holds between the user name and the host, however malformed.
    A port may be among them: hiding it costs nothing. With `whole`, a URL too malformed
    to parse is itself among them (for a log filter)."""
    found: list[str] = []
    try:
        parsed = make_url(url)
    except Exception:  # ArgumentError, ValueError (a bad port), or whatever comes next
        parsed = None
    if parsed is not None:
        query = parsed.query.get("password")
        found += [parsed.password or "", *([query] if isinstance(query, str) else query or ())]
    rest = url.split("://", 1)[1] if "://" in url else url
    if "@" in rest:  # user:password@host, the password perhaps holding an unescaped @
        userinfo = rest[: rest.rfind("@")]
        found.append(userinfo.split(":", 1)[1] if ":" in userinfo else "")
    elif parsed is None:  # no @, so no parser can tell a password from a port: hide both
        authority = re.split(r"[/?#]", rest, maxsplit=1)[0]
        found.append(authority.split(":", 1)[1] if ":" in authority else "")
    found += _PASSWORD_PARAMETER.findall(url)
    if parsed is None and whole:  # too malformed to say where the password is: all of it
        found.append(url)
    secrets = {str(s) for s in found if s and str(s) != HIDDEN}
    secrets |= {unquote(s) for s in secrets}
    return sorted(secrets, key=len, reverse=True)


def url_password(url: str) -> str | None:
    """The password `url` most likely carries: the longest of its secrets."""
    secrets = url_secrets(url, whole=False)
    return secrets[0] if secrets else None


def redact(text: str, url: str) -> str:
    """`text` with every secret of `url` replaced by ***."""
    for secret in url_secrets(url):
        text = text.replace(secret, HIDDEN)
    return text


def redact_url(url: str) -> str:
    """`url` with its password, in the authority or as a `password=` query parameter,
    replaced by ***: the form to put in a message or a log line. A URL too malformed to
    find a password in is not shown at all."""
    secrets = url_secrets(url, whole=False)
    if not secrets and url_secrets(url) == [url]:
        return HIDDEN
    for secret in secrets:
        url = url.replace(secret, HIDDEN)
    return url


def describe_error(exc: BaseException, url: str) -> str:
    """One line about `exc` for a warning, without the password. The engine hides SQL
    parameters from its errors, so the line never holds a user's question."""
    orig = getattr(exc, "orig", None) or exc
    first_line = (str(orig).strip().splitlines() or [""])[0]
    text = f"{type(orig).__name__}: {first_line}" if first_line else type(orig).__name__
    return redact(text, url) if url else text
