"""The web API's remaining doors, shut: X-Forwarded-For only from trusted proxies, a Host
allow-list against DNS rebinding, feedback only on this service's fresh record ids with
real paragraphs and a small body, questions capped in tokens and refused when only
invisible, a bounded encoder queue (503) and a per-client budget in encoder time (429),
HEAD answered like GET, the question log's health, and connections bounded in time and
number. Over httpx's ASGI transport where the app decides, over a real uvicorn on loopback
where the server does."""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx
import pytest
from conftest import ROOT, copy_seed_corpus, running_bot, talking_to, write_config
from test_bot import reply
from test_web import TREATY, client_of, stored

from questionlog.recorder import QuestionLog
from questionlog.settings import StoreSettings
from service.answering import AnswerService
from service.encoder import Encoder
from service.settings import Settings
from service.snapshot import open_snapshot
from testkit.fake_telegram import FakeTelegram
from testkit.openapi import valid
from web.app import create_app
from web.server import listen, serving_web, url
from web.settings import WebSettings

APP = create_app(None)  # type: ignore[arg-type]
OTHER_ADDRESS = "127.0.0.2"  # Linux routes all of 127/8 to loopback: a second client


@contextlib.asynccontextmanager
async def served(
    service: AnswerService, settings: WebSettings | None = None, host: str = "127.0.0.1"
) -> AsyncIterator[str]:
    """The app on a real uvicorn on loopback; its base URL."""
    sock = listen(host, 0)
    async with serving_web(create_app(service, settings, host), sock):
        yield url(sock)


def from_address(address: str, base_url: str) -> httpx.AsyncClient:
    transport = httpx.AsyncHTTPTransport(local_address=address)
    return httpx.AsyncClient(transport=transport, base_url=base_url, timeout=10)


@pytest.fixture
def no_refusal_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    """For tests that count many refusals: each would otherwise take a second."""
    monkeypatch.setattr("web.context.REFUSAL_DELAY_S", 0.0)


# ---- who the client is ----------------------------------------------------------------


async def test_x_forwarded_for_from_an_untrusted_peer_picks_no_rate_limit_key(
    service: AnswerService, no_refusal_delay: None
) -> None:
    async with (
        served(service, WebSettings(questions_per_minute=3)) as base,
        httpx.AsyncClient(base_url=base) as client,
    ):
        statuses = [
            (
                await client.get(
                    "/api/search",
                    params={"q": TREATY},
                    headers={"X-Forwarded-For": f"198.51.100.{n}"},
                )
            ).status_code
            for n in range(10)
        ]
    assert statuses == [200] * 3 + [429] * 7


async def test_x_forwarded_for_from_a_trusted_proxy_names_the_client(
    service: AnswerService, no_refusal_delay: None
) -> None:
    settings = WebSettings(questions_per_minute=1, trusted_proxies=("127.0.0.1",))
    async with served(service, settings) as base, httpx.AsyncClient(base_url=base) as proxy:

        async def via_proxy(chain: str) -> int:
            response = await proxy.get(
                "/api/search", params={"q": TREATY}, headers={"X-Forwarded-For": chain}
            )
            return response.status_code

        first = await via_proxy("198.51.100.1")
        second = await via_proxy("198.51.100.2")
        again = await via_proxy("198.51.100.1")
        # A client writing its own first entry is still the address the proxy saw.
        forged = await via_proxy("203.0.113.77, 198.51.100.1")
    assert (first, second, again, forged) == (200, 200, 429, 429)


def test_trusted_proxies_and_allowed_hosts_are_checked_settings() -> None:
    with pytest.raises(ValueError, match=r"web\.trusted_proxies: 'proxy' is not an IP"):
        WebSettings(trusted_proxies=("proxy",))
    with pytest.raises(ValueError, match=r"web\.allowed_hosts: 'http://x' is not a host name"):
        WebSettings(allowed_hosts=("http://x",))
    assert WebSettings(trusted_proxies=("10.0.0.0/8", "::1")).networks


# ---- the Host header ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("settings", "bound", "host", "status"),
    [
        (WebSettings(), None, "rebind.attacker.example", 421),
        (WebSettings(), None, "rebind.attacker.example:8000", 421),
        (WebSettings(), None, "localhost:8000", 200),
        (WebSettings(), None, "127.0.0.1", 200),
        (WebSettings(), None, "[::1]:8000", 200),
        (WebSettings(), "demo.lan", "demo.lan:8000", 200),
        (WebSettings(), "0.0.0.0", "192.0.2.10:8000", 200),  # any address of the machine
        (WebSettings(), "0.0.0.0", "rebind.attacker.example", 421),
        (WebSettings(allowed_hosts=("search.example.org",)), None, "search.example.org", 200),
        (WebSettings(allowed_hosts=("search.example.org",)), None, "localhost", 421),
        (WebSettings(allowed_hosts=("*",)), None, "anything.example", 200),
        (WebSettings(), None, "bad host!", 421),
    ],
)
async def test_a_host_not_allowed_is_refused(
    service: AnswerService, settings: WebSettings, bound: str | None, host: str, status: int
) -> None:
    transport = httpx.ASGITransport(app=create_app(service, settings, bound))
    async with httpx.AsyncClient(transport=transport, base_url="http://localhost") as client:
        response = await client.get("/api/search", params={"q": TREATY}, headers={"Host": host})
    assert response.status_code == status
    if status == 421:
        assert response.json() == {"error": "unknown host"}
        assert "x-record-id" not in response.headers
        assert response.headers["x-content-type-options"] == "nosniff"
    assert service.stats.decisions.total() == (1 if status == 200 else 0)


async def test_a_foreign_host_is_refused_by_the_real_server(service: AnswerService) -> None:
    async with served(service) as base, httpx.AsyncClient(base_url=base) as client:
        foreign = await client.get("/api/health", headers={"Host": "rebind.attacker.example"})
        own = await client.get("/api/health")
    assert (foreign.status_code, own.status_code) == (421, 200)


# ---- feedback -------------------------------------------------------------------------


async def test_forged_feedback_writes_nothing(logged: AnswerService, store: StoreSettings) -> None:
    async with client_of(logged) as client:
        search = await client.get("/api/search", params={"q": TREATY})
        record_id = search.headers["x-record-id"]
        forged = [
            await client.post("/api/feedback", json={"record_id": f"{n:016d}", "vote": "up"})
            for n in range(50)
        ]
        unknown_paragraph = await client.post(
            "/api/feedback", json={"record_id": record_id, "paragraph_id": "interview/99.1"}
        )
        real = await client.post(
            "/api/feedback",
            json={"record_id": record_id, "vote": "up", "paragraph_id": "interview/2.1"},
        )
    assert {r.json()["recorded"] for r in forged} == {False}
    assert unknown_paragraph.status_code == 422
    assert unknown_paragraph.json() == {"error": "paragraph_id: no such paragraph"}
    assert real.json() == {"recorded": True}
    assert logged.log is not None and logged.log.flush()
    rows = stored(store)
    assert set(rows) == {record_id}  # no orphan rows
    assert rows[record_id]["preferred_paragraph_id"] == "interview/2.1"


async def test_one_vote_per_record_the_last_one_wins(
    logged: AnswerService, store: StoreSettings
) -> None:
    async with client_of(logged) as client:
        record_id = (await client.get("/api/search", params={"q": TREATY})).headers["x-record-id"]
        assert logged.log is not None and logged.log.flush()
        written = logged.log.stats().written
        votes = [
            await client.post("/api/feedback", json={"record_id": record_id, "vote": vote})
            for vote in ("up", "up", "up", "down", "down", "up", "down")
        ]
    assert all(v.json() == {"recorded": True} for v in votes)
    assert logged.log.flush()
    assert logged.log.stats().written - written == 4  # repeats of the last vote write nothing
    assert stored(store)[record_id]["vote"] == "down"


async def test_feedback_is_charged_to_the_clients_budget(
    logged: AnswerService, no_refusal_delay: None
) -> None:
    async with client_of(logged, WebSettings(encoder_seconds_per_minute=1)) as client:
        record_id = (await client.get("/api/search", params={"q": TREATY})).headers["x-record-id"]
        statuses = [
            (
                await client.post("/api/feedback", json={"record_id": record_id, "vote": "up"})
            ).status_code
            for _ in range(30)
        ]
    assert 15 <= statuses.count(200) <= 20 and statuses[-1] == 429


async def test_a_big_feedback_body_is_refused_before_it_is_read(service: AnswerService) -> None:
    big = b'{"record_id": "' + b"A" * 20_000_000 + b'", "vote": "up"}'

    async def chunks() -> AsyncIterator[bytes]:  # no Content-Length: counted as it comes
        for _ in range(40):
            yield b"x" * 1000

    async with served(service) as base, httpx.AsyncClient(base_url=base, timeout=30) as client:
        started = time.perf_counter()
        declared = await client.post(
            "/api/feedback", content=big, headers={"Content-Type": "application/json"}
        )
        chunked = await client.post(
            "/api/feedback", content=chunks(), headers={"Content-Type": "application/json"}
        )
        elapsed = time.perf_counter() - started
    assert declared.status_code == chunked.status_code == 413
    assert declared.json() == {"error": "request body too large"}
    print(f"\n20 MB body refused in {elapsed * 1000:.0f} ms")


# ---- questions ------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["\u200b", "\ufeff\u200b \u200d", "\u2060\u00ad", "\u3164"])
async def test_a_question_of_only_invisible_characters_is_empty(
    logged: AnswerService, store: StoreSettings, text: str
) -> None:
    async with client_of(logged) as client:
        response = await client.get("/api/search", params={"q": text})
    assert response.status_code == 400
    assert response.json() == {"query": text, "error": "empty question"}
    assert logged.stats.decisions.total() == 0
    assert logged.log is not None and logged.log.flush()
    assert stored(store) == {}


async def test_invisible_characters_inside_a_question_are_dropped(service: AnswerService) -> None:
    async with client_of(service) as client:
        response = await client.get("/api/search", params={"q": f"\ufeff{TREATY}\u200b"})
    assert response.json()["query"] == TREATY


async def test_a_question_is_capped_in_tokens_as_well_as_characters(
    service: AnswerService,
) -> None:
    heavy = "?!" * 200  # 400 characters, one token each
    async with client_of(service) as client:
        response = await client.get("/api/search", params={"q": heavy})
        prose = await client.get("/api/search", params={"q": ("Договор с Россией. " * 26)[:495]})
    assert response.status_code == 400
    assert response.json()["error"] == "question longer than 256 tokens (402)"
    assert prose.status_code == 200


class SlowEncoder:
    """The session's encoder, holding each question pass for `seconds` (a model's time)."""

    def __init__(self, encoder: Encoder, seconds: float) -> None:
        self.encoder = encoder
        self.seconds = seconds
        self.release = threading.Event()
        self.release.set()
        self.holding = threading.Event()

    def question_passes(self, texts: Sequence[str]) -> Any:
        self.holding.set()
        self.release.wait(10)
        end = time.thread_time() + self.seconds * len(texts)
        while time.thread_time() < end:  # computing, as a model does: CPU time is charged
            pass
        return self.encoder.question_passes(texts)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.encoder, name)


def slow_service(settings: Settings, encoder: Encoder, seconds: float, **search: int) -> Any:
    settings = dataclasses.replace(settings, search=dataclasses.replace(settings.search, **search))
    slow = SlowEncoder(encoder, seconds)
    return AnswerService(settings, slow, open_snapshot(settings)), slow  # type: ignore[arg-type]


async def test_a_full_queue_answers_503_with_retry_after(
    built_settings: Settings, encoder: Encoder
) -> None:
    service, slow = slow_service(built_settings, encoder, 0.0, max_queued_questions=4)
    slow.release.clear()
    try:
        async with client_of(service) as client:
            first = asyncio.create_task(client.get("/api/search", params={"q": TREATY}))
            # The encoder holds the first question; the next ones wait in the queue.
            assert await asyncio.to_thread(slow.holding.wait, 10)
            asked = [
                asyncio.create_task(client.get("/api/search", params={"q": f"{TREATY} {n}"}))
                for n in range(12)
            ]
            await asyncio.sleep(0.3)
            slow.release.set()
            responses = await asyncio.gather(*asked)
            assert (await first).status_code == 200
    finally:
        slow.release.set()
        await service.close()
    statuses = [r.status_code for r in responses]
    assert statuses.count(200) == 4 and statuses.count(503) == 8
    busy = next(r for r in responses if r.status_code == 503)
    assert 1 <= int(busy.headers["retry-after"]) <= 30
    assert busy.json()["error"].startswith("the service is busy")


async def test_a_client_over_its_encoder_budget_waits_and_others_do_not(
    built_settings: Settings,
    encoder: Encoder,
    monkeypatch: pytest.MonkeyPatch,
    no_refusal_delay: None,
) -> None:
    # The stand-in computes on one thread, whatever torch would use.
    monkeypatch.setattr("service.answering.compute_threads", lambda: 1)
    service, _ = slow_service(built_settings, encoder, 0.25)
    settings = WebSettings(encoder_seconds_per_minute=1, questions_per_minute=0)
    app = create_app(service, settings)
    heavy = httpx.ASGITransport(app=app, client=("10.0.0.1", 1))
    light = httpx.ASGITransport(app=app, client=("10.0.0.2", 1))
    try:
        async with (
            httpx.AsyncClient(transport=heavy, base_url="http://localhost") as abuser,
            httpx.AsyncClient(transport=light, base_url="http://localhost") as other,
        ):
            statuses = [
                (await abuser.get("/api/search", params={"q": f"{TREATY} {n}"})).status_code
                for n in range(8)
            ]
            refused = await abuser.get("/api/search", params={"q": TREATY})
            fine = await other.get("/api/search", params={"q": TREATY})
    finally:
        await service.close()
    assert 4 <= statuses.count(200) <= 5 and statuses[-1] == 429
    assert refused.status_code == 429
    assert refused.json()["error"].startswith("too much encoder time: at most 1 s a minute")
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert fine.status_code == 200


async def test_a_client_over_its_limit_is_answered_late_and_others_are_not(
    service: AnswerService,
) -> None:
    app = create_app(service, WebSettings(questions_per_minute=1))
    flooding = httpx.ASGITransport(app=app, client=("10.0.0.1", 1))
    other = httpx.ASGITransport(app=app, client=("10.0.0.2", 1))
    async with (
        httpx.AsyncClient(transport=flooding, base_url="http://localhost") as flood,
        httpx.AsyncClient(transport=other, base_url="http://localhost") as calm,
    ):
        assert (await flood.get("/api/search", params={"q": TREATY})).status_code == 200
        started = time.perf_counter()
        refusals = asyncio.gather(
            *(flood.get("/api/search", params={"q": TREATY}) for _ in range(5))
        )
        answered = await calm.get("/api/search", params={"q": TREATY})
        calm_seconds = time.perf_counter() - started
        statuses = [r.status_code for r in await refusals]
        flood_seconds = time.perf_counter() - started
    assert statuses == [429] * 5 and flood_seconds >= 1.0
    assert answered.status_code == 200 and calm_seconds < 1.0


# ---- HEAD, health ---------------------------------------------------------------------


async def test_head_answers_like_get_without_a_body(service: AnswerService) -> None:
    async with served(service) as base, httpx.AsyncClient(base_url=base) as client:
        for path in ("/", "/api/health", "/api/documents", "/static/app.js"):
            get, head = await client.get(path), await client.head(path)
            assert head.status_code == get.status_code == 200, path
            assert head.content == b""
            assert head.headers["content-type"] == get.headers["content-type"]
            assert head.headers["content-length"] == get.headers["content-length"]
            assert head.headers["content-security-policy"]


async def test_health_counts_the_question_logs_losses_and_no_id_is_given_while_it_fails(
    built_settings: Settings, encoder: Encoder, tmp_path: Path
) -> None:
    (tmp_path / "not-a-folder").write_text("")
    dead = StoreSettings(path=tmp_path / "not-a-folder" / "questions.sqlite3")
    log = QuestionLog.open(dead)
    service = AnswerService(built_settings, encoder, open_snapshot(built_settings), log)
    try:
        async with client_of(service) as client:
            search = await client.get("/api/search", params={"q": TREATY})
            vote = await client.post("/api/feedback", json={"record_id": "A" * 16, "vote": "up"})
            health = (await client.get("/api/health")).json()
    finally:
        await service.close()
    assert search.status_code == 200 and "x-record-id" not in search.headers
    assert vote.json() == {"recorded": False}
    valid(APP, "Health", health)
    assert health["question_log"] == {
        "state": "failing",
        "written": 0,
        "dropped": 1,
        "failed": 0,
        "queued": 0,
    }


async def test_health_says_the_log_is_writing_and_counts_what_it_wrote(
    logged: AnswerService,
) -> None:
    async with client_of(logged) as client:
        await client.get("/api/search", params={"q": TREATY})
        assert logged.log is not None and await asyncio.to_thread(logged.log.flush)
        health = (await client.get("/api/health")).json()
    assert health["question_log"]["state"] == "writing"
    assert health["question_log"]["written"] == 1


# ---- connections ----------------------------------------------------------------------


async def test_slow_clients_are_bounded_in_number_and_time(service: AnswerService) -> None:
    settings = WebSettings(request_timeout=1, max_connections_per_client=10)
    async with served(service, settings) as base:
        port = int(base.rsplit(":", 1)[1].strip("/"))
        idle = []
        for _ in range(30):  # connect, send half a request head, then nothing
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            writer.write(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n")
            idle.append((reader, writer))
        await asyncio.sleep(0.2)
        closed_at_once = sum([reader.at_eof() or await _closed(reader) for reader, _ in idle])
        async with from_address(OTHER_ADDRESS, base) as other:
            answered = await other.get("/api/health")
        await asyncio.sleep(1.5)
        still_open = [not await _closed(reader) for reader, _ in idle]
        for _, writer in idle:
            writer.close()
    assert closed_at_once == 20  # past ten from one address
    assert answered.status_code == 200  # another client is not locked out
    assert not any(still_open)  # the request timeout closed the rest


async def test_a_kept_alive_connection_has_the_same_time_for_its_next_request(
    service: AnswerService,
) -> None:
    async with served(service, WebSettings(request_timeout=1, keepalive_timeout=30)) as base:
        port = int(base.rsplit(":", 1)[1].strip("/"))
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"GET /api/health HTTP/1.1\r\nHost: localhost\r\n\r\n")
        head = await reader.readuntil(b"\r\n\r\n")
        length = int(next(h for h in head.split(b"\r\n") if h.startswith(b"content-length"))[15:])
        await reader.readexactly(length)
        for part in (b"GET /api/health HTTP/1.1\r\n", b"Host: local", b"host\r\n"):
            writer.write(part)  # a byte now and then, never the end of the head
            await asyncio.sleep(0.4)
        closed = await _closed(reader) or await asyncio.sleep(0.5) or await _closed(reader)
        writer.close()
    assert head.startswith(b"HTTP/1.1 200")
    assert closed


async def _closed(reader: asyncio.StreamReader) -> bool:
    try:
        data = await asyncio.wait_for(reader.read(1), 0.05)
    except TimeoutError:
        return False
    except ConnectionError:
        return True
    return data == b""


_LOW_FILES = """
import resource, sys
resource.setrlimit(resource.RLIMIT_NOFILE, (200, 200))
from testkit import fake_encoder
fake_encoder.register()
from interview_bot.cli import cli
cli(prog_name="interview-bot")
"""


@pytest.mark.slow  # the console script as a process of its own
def test_running_out_of_file_descriptors_is_one_line_not_a_traceback_per_accept(
    built_settings: Settings, tmp_path: Path
) -> None:
    copy_seed_corpus(tmp_path / "corpus")
    config = write_config(
        tmp_path,
        built_settings,
        index={"dir": str(built_settings.index.dir)},
        web={"max_connections_per_client": 1000, "max_connections": 1000},
        store={"enabled": False},
    )
    process = subprocess.Popen(
        [sys.executable, "-c", _LOW_FILES, "--config", str(config), "web", "--port", "0"],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        stderr=subprocess.PIPE,
        text=True,
    )
    lines: list[str] = []
    assert process.stderr is not None
    reader = threading.Thread(target=lambda: lines.extend(iter(process.stderr.readline, "")))
    reader.start()
    held: list[socket.socket] = []
    try:
        deadline = time.monotonic() + 60
        while not any("The search page is at " in line for line in lines):
            assert process.poll() is None and time.monotonic() < deadline, "".join(lines)
            time.sleep(0.05)
        announced = next(line for line in lines if "The search page is at " in line)
        base = announced.split(" is at ", 1)[1].split()[0]
        port = int(base.rstrip("/").rsplit(":", 1)[1])
        time.sleep(0.5)  # the server starts listening just after saying where
        for _ in range(400):  # twice what the process may have open
            held.append(socket.create_connection(("127.0.0.1", port)))
        time.sleep(3.5)  # asyncio retries the accept every second
        for sock in held:
            sock.close()
        held.clear()
        time.sleep(0.5)
        with httpx.Client(base_url=base, timeout=10) as client:
            assert client.get("/api/health").status_code == 200  # it recovered
    finally:
        for sock in held:
            sock.close()
        process.terminate()
        process.wait(timeout=30)
        reader.join(timeout=10)
    stderr = "".join(lines)
    out_of_files = [line for line in lines if "Too many open files" in line]
    assert len(out_of_files) == 1, stderr
    assert "web: cannot accept connections: Too many open files" in out_of_files[0]
    assert "Traceback" not in stderr


async def test_the_bot_stats_show_the_question_logs_state_and_losses(
    tg: FakeTelegram, built_settings: Settings, encoder: Encoder, tmp_path: Path
) -> None:
    (tmp_path / "not-a-folder").write_text("")
    dead = StoreSettings(path=tmp_path / "not-a-folder" / "questions.sqlite3")
    service = AnswerService(
        built_settings, encoder, open_snapshot(built_settings), QuestionLog.open(dead)
    )
    admin = 4242
    async with running_bot(service, talking_to(tg, admins=(admin,))):
        await reply(tg, tg.text_update(TREATY))
        english = await reply(tg, tg.text_update("/stats", user_id=admin, language_code="en"))
        russian = await reply(tg, tg.text_update("/stats", user_id=admin, language_code="ru"))
    await service.close()
    assert english["text"].splitlines()[-1] == (
        "Question log: the database cannot be written, records are lost; "
        "written 0, dropped 1, failed 0, queued 0"
    )
    assert (
        russian["text"]
        .splitlines()[-1]
        .startswith("Журнал вопросов: база недоступна, записи теряются; записано 0, отброшено 1")
    )
