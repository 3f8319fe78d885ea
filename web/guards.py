"""What stands between the internet and the answering service: the Host allow-list, the
cross-origin refusal, the cap on request bodies, HEAD answered as GET without a body,
security headers on every response, and a generic 500 that keeps stack traces in the log.
(The per-client limits are in context.py, the connection limits in server.py.)
"""

from __future__ import annotations

import ipaddress
import json
import logging
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .settings import host_name

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


# Request bodies are feedback: a record id, a vote and a paragraph id, well under 1 KB.
MAX_BODY_BYTES = 4096


class BodyTooLarge(HTTPException):
    """A request body over MAX_BODY_BYTES, found while it was read (an HTTPException, so
    that FastAPI's body parsing passes it on rather than call it malformed)."""

    def __init__(self) -> None:
        super().__init__(413, "request body too large")


class Guard:
    """ASGI middleware, outermost: refuses requests for a Host not allowed (421) and
    cross-origin requests from origins not allowed (403), and bodies over the cap (413),
    before anything reads them; answers HEAD as GET without the body; adds the security
    headers to every response; and turns any exception into a generic 500 (logged with
    its traceback here, never sent)."""

    def __init__(
        self,
        app: ASGIApp,
        allowed_origins: Iterable[str] = (),
        allowed_hosts: frozenset[str] | None = None,
        any_address: bool = False,
        max_body: int = MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.allowed = frozenset(allowed_origins)
        self.hosts = allowed_hosts
        self.any_address = any_address  # listening on every address: IP literals are ours
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        csp = DOCS_CSP if scope["path"] == "/docs" else PAGE_CSP
        extra = [*SECURITY_HEADERS, (b"content-security-policy", csp.encode())]
        headers = dict(scope["headers"])
        if not self._host_allowed(headers):
            # A page on another site whose name was made to point here (DNS rebinding)
            # sends its own name: it must not get to use a local instance's API.
            await _send_json(send, 421, {"error": "unknown host"}, extra)
            return
        if not self._origin_allowed(headers):
            await _send_json(send, 403, {"error": "cross-origin request refused"}, extra)
            return
        length = headers.get(b"content-length", b"0")
        if not length.isdigit() or int(length) > self.max_body:
            await _send_json(send, 413, {"error": "request body too large"}, extra)
            return
        head = scope["method"] == "HEAD"
        if head:
            scope = {**scope, "method": "GET"}
        started = False

        async def send_with_headers(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
                message = {**message, "headers": [*message.get("headers", ()), *extra]}
            elif head and message["type"] == "http.response.body":
                # The GET's headers, Content-Length included, and no body.
                message = {**message, "body": b""}
            await send(message)

        read = 0

        async def capped_receive() -> Message:
            # A chunked body has no Content-Length to refuse it by: count as it comes.
            nonlocal read
            message = await receive()
            if message["type"] == "http.request":
                read += len(message.get("body", b""))
                if read > self.max_body:
                    raise BodyTooLarge
            return message

        try:
            await self.app(scope, capped_receive, send_with_headers)
        except BodyTooLarge:
            if started:
                raise
            await _send_json(send, 413, {"error": "request body too large"}, extra)
        except Exception:
            log.exception("%s %s failed", scope["method"], scope["path"])
            if started:  # too late for a status: the client sees a cut-off response
                raise
            await _send_json(send, 500, {"error": "internal error"}, extra)

    def _host_allowed(self, headers: dict[bytes, bytes]) -> bool:
        if self.hosts is None or b"host" not in headers:
            # No Host: HTTP/1.0 from a script, never a browser's page.
            return True
        name = host_name(headers[b"host"].decode("latin-1"))
        if name is None:
            return False
        if name in self.hosts:
            return True
        # A rebinding page needs a name of its own; an address literal is not one.
        return self.any_address and _is_address(name)

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


def _is_address(name: str) -> bool:
    try:
        ipaddress.ip_address(name)
    except ValueError:
        return False
    return True
