"""Serving the web application with uvicorn, as one front end among others on the event
loop that interview_bot/serving.py runs.

A connection costs a file descriptor whether or not its client ever sends a request, and
under systemd a process gets 1,024 of them: a thousand half-open connections used to make
the server unreachable, and asyncio then logged a traceback for every failed accept. So:

- a client has `[web] request_timeout` seconds to send its whole request, from when it
  connects or its previous answer went out (uvicorn has no such timeout of its own), and
  an idle kept-alive connection is closed after `keepalive_timeout`;
- at most `max_connections` are open, and `max_connections_per_client` from one address
  (trusted proxies excepted): a connection past either is closed as soon as it is
  accepted, so one client cannot hold every slot;
- the soft limit on open files is raised to the hard one at start;
- a failed accept ("Too many open files") is logged in one line a minute, not a
  traceback each time.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import resource
import socket
import time
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.h11_impl import H11Protocol

from .clients import Clients
from .settings import WebSettings

log = logging.getLogger(__name__)

# Seconds open requests get to finish once a stop is asked for.
GRACEFUL_SECONDS = 5
# Connections the kernel queues before the server accepts them (uvicorn's default).
BACKLOG = 2048
# What accept() fails with when the process or the machine is out of descriptors or memory.
_OUT_OF_RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})


class ListenError(Exception):
    """The address cannot be listened on (in use, not this machine's, not allowed)."""

    def __init__(self, message: str, in_use: bool) -> None:
        super().__init__(message)
        self.in_use = in_use


def listen(host: str, port: int) -> socket.socket:
    """A socket listening on host:port (port 0: a free one), made before the model loads,
    so that a port in use is reported at once."""
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
        # With proto 0 instead of TCP's, asyncio would leave Nagle's algorithm on for the
        # connections: a response written in two parts then waits for the client's delayed
        # ACK, 20-40 ms on each answer.
        sock = socket.socket(family, kind, proto)
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind(address)
            sock.listen(BACKLOG)
        except BaseException:
            sock.close()
            raise
    except OSError as error:  # socket.gaierror included: a host name that does not resolve
        in_use = error.errno == errno.EADDRINUSE
        reason = "address already in use" if in_use else error.strerror or str(error)
        raise ListenError(f"cannot listen on {host}:{port}: {reason}", in_use) from None
    sock.setblocking(False)
    return sock


def url(sock: socket.socket) -> str:
    """The page's address on `sock`."""
    host, port = sock.getsockname()[:2]
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        # The loop's owner (interview_bot/serving.py) handles SIGINT, SIGTERM and SIGHUP.
        yield


class OncePerMinute:
    """Logs a warning at most once a minute, saying how many were held back."""

    def __init__(self, interval: float = 60.0) -> None:
        self.interval = interval
        self._last: float | None = None
        self._held = 0

    def warn(self, message: str, *args: object) -> None:
        now = time.monotonic()
        if self._last is not None and now - self._last < self.interval:
            self._held += 1
            return
        held, self._last, self._held = self._held, now, 0
        suffix = f" ({held} more since the last such line)" if held else ""
        log.warning(message + suffix, *args)


class Connections:
    """The open connections of one server, in all and per client address."""

    def __init__(self, settings: WebSettings, clients: Clients) -> None:
        self.settings = settings
        self.clients = clients
        self.total = 0
        self.per_address: dict[str, int] = {}
        self.refusals = OncePerMinute()

    def admit(self, address: str) -> bool:
        settings = self.settings
        own = self.per_address.get(address, 0)
        if self.total >= settings.max_connections:
            reason = f"{self.total} open (web.max_connections)"
        elif own >= settings.max_connections_per_client and not self.clients.is_trusted(address):
            reason = f"{own} open from one address (web.max_connections_per_client)"
        else:
            self.total += 1
            self.per_address[address] = own + 1
            return True
        self.refusals.warn("web: closing new connections at once: %s", reason)
        return False

    def release(self, address: str) -> None:
        self.total -= 1
        left = self.per_address.get(address, 1) - 1
        if left > 0:
            self.per_address[address] = left
        else:
            self.per_address.pop(address, None)


def guarded_protocol(connections: Connections, request_timeout: float) -> type[H11Protocol]:
    """uvicorn's h11 protocol with the connection limits and the request timeout."""

    class Guarded(H11Protocol):
        _address: str | None = None
        _deadline: asyncio.TimerHandle | None = None

        def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
            peer = transport.get_extra_info("peername")
            address = str(peer[0]) if peer else "unknown"
            if not connections.admit(address):
                transport.abort()  # frees its descriptor now: no goodbye to flush
                return
            self._address = address
            super().connection_made(transport)
            self._arm()

        def connection_lost(self, exc: Exception | None) -> None:
            if self._address is None:
                return  # refused: uvicorn never knew it
            connections.release(self._address)
            self._address = None
            self._disarm()
            super().connection_lost(exc)

        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            cycle = self.cycle
            # The whole of a new request is in (not the last one's, answered already): the
            # app has it, and the time it takes is not the client's.
            if cycle is not None and not cycle.response_complete and not cycle.more_body:
                self._disarm()

        def on_response_complete(self) -> None:
            super().on_response_complete()
            if not self.transport.is_closing():
                self._arm()  # the next request, if any, has as long as the first

        def _arm(self) -> None:
            self._disarm()
            self._deadline = self.loop.call_later(request_timeout, self._too_slow)

        def _disarm(self) -> None:
            if self._deadline is not None:
                self._deadline.cancel()
                self._deadline = None

        def _too_slow(self) -> None:
            self._deadline = None
            cycle = self.cycle
            reading = cycle is None or cycle.response_complete or cycle.more_body
            if reading and not self.transport.is_closing():
                self.transport.close()

    return Guarded


def _accept_errors(
    previous: Callable[[asyncio.AbstractEventLoop, dict[str, Any]], object] | None,
) -> Callable[[asyncio.AbstractEventLoop, dict[str, Any]], None]:
    """A loop exception handler that turns asyncio's traceback per failed accept (out of
    file descriptors or memory) into one line a minute; anything else goes on as before."""
    if getattr(previous, "accept_errors", False):
        return previous  # type: ignore[return-value]  # already in place on this loop
    throttle = OncePerMinute()

    def handle(loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        error = context.get("exception")
        if isinstance(error, OSError) and error.errno in _OUT_OF_RESOURCES:
            throttle.warn(
                "web: cannot accept connections: %s; retrying each second", error.strerror
            )
            return
        if isinstance(error, ValueError) and "_start_serving" in repr(context.get("handle")):
            # asyncio's retry of a failed accept, run after the server closed its socket
            # on the way out: nothing is lost, and a traceback would say otherwise.
            return
        if previous is not None:
            previous(loop, context)
        else:
            loop.default_exception_handler(context)

    handle.accept_errors = True  # type: ignore[attr-defined]
    return handle


def raise_open_files_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit; the new limit."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft == hard:
        return soft
    with contextlib.suppress(ValueError, OSError):
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
        return hard
    return soft


@contextlib.asynccontextmanager
async def serving_web(app: FastAPI, sock: socket.socket) -> AsyncIterator[uvicorn.Server]:
    """Serve `app` on the listening `sock` until the context ends, then finish open
    requests (for up to GRACEFUL_SECONDS) and close the socket. The limits are the app's
    `[web]` settings."""
    context = getattr(app.state, "web", None)
    settings: WebSettings = context.settings if context is not None else WebSettings()
    clients: Clients = context.clients if context is not None else Clients()
    raise_open_files_limit()
    config = uvicorn.Config(
        app,
        lifespan="off",  # the service's lifetime is the caller's
        log_config=None,  # the command line has set up logging
        # Off: each line would hold a question (?q=), and the question log is the one
        # place questions are kept, for as long as [store] says.
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
        http=guarded_protocol(Connections(settings, clients), settings.request_timeout),
        ws="none",
        timeout_keep_alive=settings.keepalive_timeout,
        # X-Forwarded-For is read by the app, from `[web] trusted_proxies` only
        # (web/clients.py); uvicorn's own reading trusts any local peer.
        proxy_headers=False,
    )
    server = _Server(config)
    loop = asyncio.get_running_loop()
    # Left in place when the server stops: an accept retry may still be pending then.
    loop.set_exception_handler(_accept_errors(loop.get_exception_handler()))
    task = asyncio.create_task(server.serve(sockets=[sock]), name="web")
    try:
        while not server.started:
            if task.done():
                task.result()  # raises what stopped it
                raise RuntimeError("the web server stopped while starting")
            await asyncio.sleep(0.01)
        yield server
    finally:
        server.should_exit = True
        await task
