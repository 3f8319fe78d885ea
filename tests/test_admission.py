"""Admission by cost, as parts: the encoder queue's fair order, its bounds and its
measurements (service/batching.py), the per-client encoder-time budget
(service/admission.py), who a client is behind a proxy (web/clients.py) and which record
ids feedback is taken on (web/issued.py)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence

import pytest

from service.admission import EncoderBudget, OverBudget
from service.batching import Batcher, Busy
from web.clients import Clients, parse_networks
from web.issued import IssuedRecords


def busy(seconds: float) -> None:
    """Spend `seconds` of CPU time, as a model pass does (what the queue measures)."""
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


class Gate:
    """Work that records each batch and waits until let through (the queue fills
    meanwhile), then computes for a time in proportion to the batch's tokens."""

    def __init__(self, seconds_per_token: float = 0.0) -> None:
        self.batches: list[list[str]] = []
        self.open = threading.Event()
        self.seconds_per_token = seconds_per_token

    def __call__(self, items: Sequence[tuple[str, int]]) -> list[str]:
        self.batches.append([name for name, _ in items])
        self.open.wait(10)
        busy(self.seconds_per_token * sum(tokens for _, tokens in items))
        return [name for name, _ in items]


async def until(condition, timeout: float = 5.0) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.005)


async def test_the_next_batch_starts_with_the_client_that_used_the_encoder_least() -> None:
    gate = Gate(seconds_per_token=0.001)
    batcher: Batcher[tuple[str, int], str] = Batcher(gate, max_batch=2)

    def ask(name: str, client: str, tokens: int = 10) -> asyncio.Task[tuple[str, float]]:
        return asyncio.create_task(
            batcher.submit_measured((name, tokens), tokens=tokens, client=client)
        )

    gate.open.set()
    await ask("warm", "heavy", tokens=200)  # the heavy client has used the encoder lately
    gate.open.clear()
    first = ask("blocker", "other")
    await until(lambda: len(gate.batches) == 2)
    heavy = [ask(f"heavy{n}", "heavy", tokens=200) for n in range(3)]
    await asyncio.sleep(0.01)
    light = ask("light", "light")  # arrives last
    await asyncio.sleep(0.01)
    gate.open.set()
    await asyncio.gather(first, light, *heavy)
    await batcher.close()
    assert gate.batches[2][0] == "light"  # not behind the three heavy questions
    # A heavy question does not ride in a short question's batch: it would make it long.
    assert "heavy0" not in gate.batches[2]


async def test_a_batch_is_bounded_in_padded_tokens() -> None:
    gate = Gate()
    batcher: Batcher[tuple[str, int], str] = Batcher(gate, max_batch=64, max_batch_tokens=1000)
    blocker = asyncio.create_task(batcher.submit(("blocker", 1), tokens=1))
    await until(lambda: len(gate.batches) == 1)
    waiting = [
        asyncio.create_task(batcher.submit((f"q{n}", 250), tokens=250, client=n)) for n in range(9)
    ]
    await asyncio.sleep(0.01)
    gate.open.set()
    await asyncio.gather(blocker, *waiting)
    await batcher.close()
    assert [len(batch) for batch in gate.batches] == [1, 4, 4, 1]


async def test_a_full_queue_refuses_bounded_questions_with_a_wait() -> None:
    gate = Gate()
    batcher: Batcher[tuple[str, int], str] = Batcher(gate, max_queued=2)
    running = asyncio.create_task(batcher.submit_measured(("running", 5), tokens=5, bounded=True))
    await until(lambda: len(gate.batches) == 1)
    queued = [
        asyncio.create_task(batcher.submit_measured((f"q{n}", 5), tokens=5, bounded=True))
        for n in range(2)
    ]
    await asyncio.sleep(0.01)
    with pytest.raises(Busy) as refused:
        await batcher.submit_measured(("one too many", 5), tokens=5, bounded=True)
    assert 1 <= refused.value.retry_after <= 30
    # Unbounded submissions (the bot's: Telegram users cannot retry) still wait their turn.
    unbounded = asyncio.create_task(batcher.submit(("bot", 5), tokens=5))
    await asyncio.sleep(0.01)
    gate.open.set()
    await asyncio.gather(running, unbounded, *queued)
    await batcher.close()
    assert batcher.queued == 0


async def test_a_question_whose_caller_left_is_not_encoded() -> None:
    gate = Gate()
    batcher: Batcher[tuple[str, int], str] = Batcher(gate)
    running = asyncio.create_task(batcher.submit(("running", 1)))
    await until(lambda: len(gate.batches) == 1)
    gone = asyncio.create_task(batcher.submit(("gone", 1)))
    await asyncio.sleep(0.01)
    gone.cancel()
    await asyncio.sleep(0.01)
    assert batcher.queued == 0
    gate.open.set()
    await running
    await batcher.close()
    assert ["gone"] not in gate.batches


async def test_each_question_is_charged_its_share_of_the_batch_by_its_tokens() -> None:
    gate = Gate(seconds_per_token=0.002)
    gate.open.set()
    batcher: Batcher[tuple[str, int], str] = Batcher(gate)
    blocker = asyncio.create_task(batcher.submit_measured(("first", 1), tokens=1))
    await asyncio.sleep(0)
    short = asyncio.create_task(batcher.submit_measured(("short", 10), tokens=10, client="a"))
    long = asyncio.create_task(batcher.submit_measured(("long", 30), tokens=30, client="b"))
    await blocker
    (_, short_cost), (_, long_cost) = await asyncio.gather(short, long)
    await batcher.close()
    assert long_cost == pytest.approx(3 * short_cost, rel=0.01)
    assert short_cost + long_cost == pytest.approx(0.08, rel=0.25)  # the batch's CPU time
    assert batcher.estimate(100) > 0


async def test_a_question_is_charged_cpu_time_not_time_spent_waiting_for_a_core() -> None:
    def sleeps(items: Sequence[tuple[str, int]]) -> list[str]:
        time.sleep(0.2)  # another process has the core
        busy(0.02)
        return [name for name, _ in items]

    batcher: Batcher[tuple[str, int], str] = Batcher(sleeps, parallelism=lambda: 2)
    (_, cost) = await batcher.submit_measured(("q", 10), tokens=10)
    await batcher.close()
    assert cost == pytest.approx(0.04, rel=0.3)  # two compute threads: twice the CPU


def test_the_encoder_budget_is_a_sliding_minute_of_measured_time() -> None:
    now = [0.0]
    budget = EncoderBudget(1, clock=lambda: now[0])
    charges = [budget.admit("a", 0.25) for _ in range(4)]  # reserved at once
    with pytest.raises(OverBudget) as refused:
        budget.admit("a", 0.25)
    assert refused.value.retry_after == 60
    budget.admit("b", 0.25)  # another client is not held up
    charges[0].settle(0.0)  # it cost nothing after all: room again
    now[0] = 10.0
    budget.admit("a", 0.25)
    with pytest.raises(OverBudget) as again:
        budget.admit("a", 0.25)
    assert again.value.retry_after == 50  # when the reservations of second 0 leave
    now[0] = 70.0
    budget.admit("a", 5.0)  # the window slid; one question may overrun the budget
    with pytest.raises(OverBudget):
        budget.admit("a", 0.01)
    now[0] = 500.0
    budget.admit("c", 0.1)
    assert len(budget) == 1  # idle clients are forgotten
    assert EncoderBudget(0).admit("a", 1e9) is not None  # 0: no limit


@pytest.mark.parametrize(
    ("peer", "header", "client"),
    [
        ("203.0.113.9", "1.2.3.4", "203.0.113.9"),  # not a proxy: its header means nothing
        ("127.0.0.1", "1.2.3.4", "1.2.3.4"),
        ("127.0.0.1", "6.6.6.6, 1.2.3.4", "1.2.3.4"),  # the client wrote the first entry
        ("10.1.2.3", "6.6.6.6, 1.2.3.4, 10.0.0.7", "1.2.3.4"),  # a chain of our proxies
        ("127.0.0.1", "[2001:db8::1]:4711", "2001:db8::1"),
        ("127.0.0.1", "not an address", "127.0.0.1"),
        ("127.0.0.1", None, "127.0.0.1"),
        ("127.0.0.1", "10.0.0.7", "10.0.0.7"),  # only proxies: the farthest one
    ],
)
def test_the_client_is_the_last_address_no_trusted_proxy_added(
    peer: str, header: str | None, client: str
) -> None:
    clients = Clients(parse_networks(["127.0.0.1", "10.0.0.0/8"], "web.trusted_proxies"))
    assert clients.client(peer, header) == client
    assert Clients().client(peer, header) == peer  # none trusted: the peer, always


def test_feedback_ids_expire_and_the_oldest_are_forgotten_first() -> None:
    now = [0.0]
    issued = IssuedRecords(ttl=3600, capacity=3, clock=lambda: now[0])
    for n in range(4):
        issued.add(f"id{n}")
    assert issued.get("id0") is None and issued.get("id1") is not None
    now[0] = 3601
    assert issued.get("id1") is None and len(issued) == 0
