"""The fake Bot API server in a child process, driven over stdin/stdout (for bench/botload.py).

Run as `python -m bench.fake_server`. It starts testkit/fake_telegram.py's FakeTelegram on
127.0.0.1, prints one JSON line `{"base_url", "token"}`, then answers one JSON command a
line:

- `{"cmd": "burst", "questions": [...], "first_chat": N, "timeout": S}`: one private chat
  per question (ids N, N+1, ...) sends it at once; when every chat has its reply, prints
  `{"seconds", "latencies", "api_calls"}`: seconds from the first update pushed to the
  last reply received, each chat's seconds from its update to its reply, and the Bot API
  calls other than getUpdates made meanwhile;
- `{"cmd": "quit"}`.

In its own process the server does not compete with the bot for the GIL, as Telegram
would not.
"""

from __future__ import annotations

import json
import sys
import time
from typing import Any


def burst(tg: Any, questions: list[str], first_chat: int, timeout: float) -> dict[str, Any]:
    """Push one question from each of len(questions) new chats; wait for all replies."""
    calls_before = len(tg.requests)
    replies_before = len(tg.calls("sendMessage"))
    pushed: dict[int, float] = {}
    started = time.monotonic()
    for i, question in enumerate(questions):
        chat = first_chat + i
        tg.push_update(tg.text_update(question, chat_id=chat, user_id=chat))
        pushed[chat] = time.monotonic()
    tg.wait_for_sync("sendMessage", replies_before + len(questions), timeout=timeout)
    latencies: list[float] = []
    last = started
    calls = 0
    for call in tg.requests[calls_before:]:
        if call.method.lower() != "getupdates":
            calls += 1
        if call.method.lower() == "sendmessage":
            chat = int(call.params.get("chat_id", 0))
            if chat in pushed:
                latencies.append(call.time - pushed.pop(chat))
                last = max(last, call.time)
    return {"seconds": last - started, "latencies": latencies, "api_calls": calls}


def main() -> None:
    from testkit.fake_telegram import FakeTelegram

    tg = FakeTelegram()
    tg.start_in_thread()
    try:
        print(json.dumps({"base_url": tg.base_url, "token": tg.token}), flush=True)
        for line in sys.stdin:
            command = json.loads(line)
            if command["cmd"] == "quit":
                break
            if command["cmd"] == "burst":
                result = burst(tg, command["questions"], command["first_chat"], command["timeout"])
                print(json.dumps(result), flush=True)
    finally:
        tg.stop_in_thread()


if __name__ == "__main__":
    main()
