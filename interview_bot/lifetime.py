"""Running front ends on one event loop and one answering service, until a stop signal.

SIGINT and SIGTERM stop every front end cleanly; SIGHUP reloads the service's index while
they go on answering.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
import sys
from collections.abc import Iterator, Sequence
from contextlib import AbstractAsyncContextManager
from typing import Any

from service.answering import AnswerService


def run(service: AnswerService, frontends: Sequence[AbstractAsyncContextManager[Any]]) -> None:
    """Serve `frontends` (started in order, stopped in reverse) until SIGINT or SIGTERM."""
    asyncio.run(_serve(service, frontends))


async def _serve(
    service: AnswerService, frontends: Sequence[AbstractAsyncContextManager[Any]]
) -> None:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    loop.add_signal_handler(signal.SIGHUP, service.reload_soon)
    try:
        async with contextlib.AsyncExitStack() as stack:
            for frontend in frontends:
                await stack.enter_async_context(frontend)
            await stop.wait()
    finally:
        await service.close()


@contextlib.contextmanager
def stop_signals_while_loading() -> Iterator[None]:
    """While the model loads: a stop request exits 0, like one while serving, and a reload
    request is moot (loading reads the index as it is now; SIGHUP's default would kill)."""
    previous = signal.signal(signal.SIGTERM, signal.default_int_handler)
    signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        yield
    except KeyboardInterrupt:
        sys.exit(0)
    finally:
        signal.signal(signal.SIGTERM, previous)
