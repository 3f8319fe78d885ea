"""Serving the web application with uvicorn, as one front end among others on the event
loop that interview_bot/serving.py runs."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
from collections.abc import AsyncIterator, Iterator

import uvicorn
from fastapi import FastAPI

# Seconds open requests get to finish once a stop is asked for.
GRACEFUL_SECONDS = 5
# Connections the kernel queues before the server accepts them (uvicorn's default).
BACKLOG = 2048


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


@contextlib.asynccontextmanager
async def serving_web(app: FastAPI, sock: socket.socket) -> AsyncIterator[uvicorn.Server]:
    """Serve `app` on the listening `sock` until the context ends, then finish open
    requests (for up to GRACEFUL_SECONDS) and close the socket."""
    config = uvicorn.Config(
        app,
        lifespan="off",  # the service's lifetime is the caller's
        log_config=None,  # the command line has set up logging
        # Off: each line would hold a question (?q=), and the question log is the one
        # place questions are kept, for as long as [store] says.
        access_log=False,
        server_header=False,
        timeout_graceful_shutdown=GRACEFUL_SECONDS,
    )
    server = _Server(config)
    task = asyncio.create_task(server.serve(sockets=[sock]), name="web")
    while not server.started:
        if task.done():
            task.result()  # raises what stopped it
            raise RuntimeError("the web server stopped while starting")
        await asyncio.sleep(0.01)
    try:
        yield server
    finally:
        server.should_exit = True
        await task
