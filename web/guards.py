"""What stands between the internet and the answering service: the per-client rate limit,
the cross-origin refusal, security headers on every response, and a generic 500 that keeps
stack traces in the log.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger(__name__)

# The page's own scripts and styles only: no inline script can run, so text that slipped
# into the HTML unescaped still could not execute. Swagger UI (/docs) draws its icons as
# data: images.
PAGE_CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
DOCS_CSP = PAGE_CSP.replace("img-src 'self'", "img-src 'self' data:")
SECURITY_HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    # Questions travel in URLs (/?q=...): do not hand them to the sites the page links to.
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(), microphone=(), geolocation=()"),
)


class Guard:
    """ASGI middleware, outermost: refuses cross-origin requests from origins not allowed,
    adds the security headers to every response, and turns any exception into a generic
    500 (logged with its traceback here, never sent)."""

    def __init__(self, app: ASGIApp, allowed_origins: Iterable[str] = ()) -> None:
        self.app = app
        self.allowed = frozenset(allowed_origins)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/docs" else PAGE_CSP
        extra = [*SECURITY_HEADERS, (b"content-security-policy", csp.encode())]
        if not self._origin_allowed(dict(scope["headers"])):
            await _send_json(send, 403, {"error": "cross-origin request refused"}, extra)
            return
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            await send(message)

        try:
            await self.app(scope, receive, send_with_headers)
        except Exception:
            log.exception("%s %s failed", scope["method"], scope["path"])
            if started:  # too late for a status: the client sees a cut-off response
                raise
            await _send_json(send, 500, {"error": "internal error"}, extra)

    def _origin_allowed(self, headers: dict[bytes, bytes]) -> bool:
        """Browsers send Origin with cross-origin requests (and same-origin POSTs); a
        request without one comes from no web page, so no page can abuse it."""
        if b"origin" not in headers:
            return True
        origin = headers[b"origin"].decode("latin-1")
        host = headers.get(b"host", b"").decode("latin-1")
        # Behind a TLS proxy the app sees http while the browser says https: compare hosts.
        if host and urlsplit(origin).netloc == host:
            return True
        return "*" in self.allowed or origin in self.allowed


async def _send_json(
    send: Send, status: int, body: dict[str, Any], headers: Iterable[tuple[bytes, bytes]]
) -> None:
    data = json.dumps(body).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(data)).encode()),
                *headers,
            ],
        }
    )
    await send({"type": "http.response.body", "body": data})
