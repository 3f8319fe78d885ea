"""A fake Telegram Bot API server for tests.

It lets tests run the real ``telegram.ext.Application`` and its real HTTP client (httpx)
against a local aiohttp server instead of api.telegram.org::

    async with FakeTelegram() as tg:
        app = (
            Application.builder()
            .token(tg.token)
            .base_url(tg.base_url)
            .base_file_url(tg.base_file_url)
            .build()
        )
        ...
        tg.push_update(tg.text_update("привет"))
        (reply,) = await tg.wait_for("sendMessage")

The fake answers like Telegram where that is cheap and catches real bugs: it checks the token,
parses Telegram HTML the way Telegram does (and refuses what Telegram refuses), enforces the
message length and ``callback_data`` limits, refuses edits that change nothing, and keeps
the long-polling ``offset`` semantics. Everything the bot calls is recorded in ``requests``.

It runs on the test's own event loop (``async with`` / ``start()``), or on a loop in a
background thread (``with`` / ``start_in_thread()``) when the bot under test is a subprocess.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import inspect
import itertools
import json
import re
import socket
import string
import threading
import time
from collections.abc import AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web

DEFAULT_TOKEN = "123456789:AAFakeTokenForTests-abcdefghijklmnopq"
DEFAULT_USER_ID = 1001
DEFAULT_GROUP_ID = -1001234567890

MAX_MESSAGE_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_INLINE_RESULTS = 50
# getFile hands bots files of at most this size (a self-hosted Bot API server: more).
MAX_DOWNLOAD_BYTES = 20 * 2**20

Json = dict[str, Any]


@dataclass
class Call:
    """One Bot API call the fake received.

    ``status`` is the HTTP status it answered with (None while the call is still being
    answered, e.g. a long poll; 0 when the fake dropped the connection), and ``response``
    the JSON body it sent back.
    """

    method: str
    params: Json
    time: float  # time.monotonic() at arrival
    status: int | None = None
    response: Json | None = None


class ApiError(Exception):
    """An error answer: becomes ``{"ok": false, "error_code": ..., "description": ...}``."""

    def __init__(self, status: int, description: str, parameters: Json | None = None):
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> Json:
        body: Json = {"ok": False, "error_code": self.status, "description": self.description}
        if self.parameters:
            body["parameters"] = self.parameters
        return body


def bad_request(what: str) -> ApiError:
    return ApiError(400, f"Bad Request: {what}")


def free_port() -> int:
    """A TCP port that was free a moment ago (for the bot's webhook server)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def utf16_len(text: str) -> int:
    """Telegram measures entity offsets and lengths in UTF-16 code units."""
    return len(text.encode("utf-16-le")) // 2


# --------------------------------------------------------------------------------------
# Telegram HTML
# --------------------------------------------------------------------------------------

# Start tag -> entity type. Anything else is refused, like Telegram does (e.g. <br>, <p>).
_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_UNQUOTED_VALUE_CHARS = set(string.ascii_letters + string.digits + ".-")


class HtmlError(Exception):
    pass


def _decode_entity(src: str, i: int) -> tuple[str, int] | None:
    """Decode the HTML entity at src[i] == "&" into (character, end index), or None.

    Telegram knows only &lt; &gt; &amp; &quot; and numeric entities, the ';' is optional,
    and an unknown entity (&nbsp;, a bare "&") is kept as literal text rather than refused.
    """
    j = i + 1
    if src.startswith("#", j):
        j += 1
        is_hex = src.startswith(("x", "X"), j)
        if is_hex:
            j += 1
        digits = string.hexdigits if is_hex else string.digits
        start = j
        while j < len(src) and src[j] in digits:
            j += 1
        if j == start:
            return None
        code = int(src[start:j], 16 if is_hex else 10)
        if code == 0 or code > 0x10FFFF or 0xD800 <= code <= 0xDFFF:
            return None
        char = chr(code)
    else:
        start = j
        while j < len(src) and src[j] in string.ascii_letters:
            j += 1
        named = _NAMED_ENTITIES.get(src[start:j])
        if named is None:
            return None
        char = named
    if src.startswith(";", j):
        j += 1
    return char, j


def _decode_entities(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        decoded = _decode_entity(text, i) if text[i] == "&" else None
        if decoded:
            out.append(decoded[0])
            i = decoded[1]
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


def parse_telegram_html(src: str) -> tuple[str, list[Json]]:
    """Parse Telegram-flavoured HTML into (plain text, entities), or raise HtmlError.

    A hand-written scanner rather than html.parser: html.parser happily accepts text such
    as "1 < 2" or "<b>x</i>", which Telegram refuses. This follows Telegram's own parser
    (tdlib's parse_html) and its error messages, including offsets in bytes of UTF-8.
    """

    def byte_offset(i: int) -> int:
        return len(src[:i].encode())

    out: list[str] = []
    out_len = 0  # length of the plain text so far, in UTF-16 code units
    stack: list[tuple[str, str, int]] = []  # open tags: (tag, argument, start offset)
    entities: list[Json] = []
    i, n = 0, len(src)
    while i < n:
        char = src[i]
        decoded = _decode_entity(src, i) if char == "&" else None
        if decoded or char != "<":
            piece, i = decoded if decoded else (char, i + 1)
            out.append(piece)
            out_len += utf16_len(piece)
            continue

        begin = i
        if src.startswith("/", i + 1):
            if not stack:
                raise HtmlError(f"Unexpected end tag at byte offset {byte_offset(begin)}")
            j = i + 2
            while j < n and not src[j].isspace() and src[j] != ">":
                j += 1
            end_name = src[i + 2 : j].lower()
            while j < n and src[j].isspace():
                j += 1
            if j >= n or src[j] != ">":
                raise HtmlError(f"Unclosed end tag at byte offset {byte_offset(begin)}")
            tag, argument, start = stack.pop()
            if end_name and end_name != tag:
                raise HtmlError(
                    f"Unmatched end tag at byte offset {byte_offset(begin)}, "
                    f'expected "</{tag}>", found "</{end_name}>"'
                )
            _close_entity(entities, tag, argument, start, out_len)
            i = j + 1
            continue

        # A start tag: its name runs to the first space or ">", so "1 < 2" names tag "".
        j = i + 1
        while j < n and not src[j].isspace() and src[j] != ">":
            j += 1
        if j >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {byte_offset(begin)}")
        tag = src[i + 1 : j].lower()
        if tag not in _HTML_TAGS:
            raise HtmlError(f'Unsupported start tag "{tag}" at byte offset {byte_offset(begin)}')
        attributes, j = _parse_attributes(src, j, tag, begin_offset=byte_offset(begin))
        stack.append((tag, _tag_argument(tag, attributes, byte_offset(begin)), out_len))
        i = j + 1

    if stack:
        raise HtmlError(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)  # only a <pre> keeps the language of its <code>
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(out), entities


def _parse_attributes(src: str, i: int, tag: str, begin_offset: int) -> tuple[dict, int]:
    """Read `name="value"` pairs from src[i:] up to the closing ">"; return them and its index."""
    attributes: dict[str, str] = {}
    n = len(src)
    while True:
        while i < n and src[i].isspace():
            i += 1
        if i >= n:
            raise HtmlError(f"Unclosed start tag at byte offset {begin_offset}")
        if src[i] == ">":
            return attributes, i
        start = i
        while i < n and not src[i].isspace() and src[i] not in "=>":
            i += 1
        name = src[start:i].lower()
        if not name:
            raise HtmlError(
                f'Empty attribute name in the tag "{tag}" at byte offset {begin_offset}'
            )
        while i < n and src[i].isspace():
            i += 1
        if i >= n:
            raise HtmlError(f'Unclosed start tag "{tag}" at byte offset {begin_offset}')
        if src[i] != "=":
            attributes[name] = ""  # a bare attribute, e.g. <blockquote expandable>
            continue
        i += 1
        while i < n and src[i].isspace():
            i += 1
        if i < n and src[i] in "\"'":
            end = src.find(src[i], i + 1)
            if end < 0:
                raise HtmlError(f"Unclosed start tag at byte offset {begin_offset}")
            attributes[name] = _decode_entities(src[i + 1 : end])
            i = end + 1
        else:
            start = i
            while i < n and src[i] in _UNQUOTED_VALUE_CHARS:
                i += 1
            if i >= n or not (src[i].isspace() or src[i] == ">"):
                raise HtmlError(
                    f"Unexpected end of name token at byte offset {len(src[:start].encode())}"
                )
            attributes[name] = src[start:i]


def _tag_argument(tag: str, attributes: dict[str, str], begin_offset: int) -> str:
    """The part of a start tag an entity keeps: a link's URL, a code language, an emoji id."""
    if tag == "a":
        return attributes.get("href", "")
    if tag == "code":
        css_class = attributes.get("class", "")
        return css_class.removeprefix("language-") if css_class.startswith("language-") else ""
    if tag == "span":
        if attributes.get("class") != "tg-spoiler":
            raise HtmlError(
                f'Tag "span" must have class "tg-spoiler" at byte offset {begin_offset}'
            )
        return ""
    if tag == "tg-emoji":
        emoji_id = attributes.get("emoji-id", "")
        if not emoji_id.isdigit():
            raise HtmlError("Invalid custom emoji identifier specified")
        return emoji_id
    if tag == "blockquote":
        return "expandable" if "expandable" in attributes else ""
    return ""


def _close_entity(entities: list[Json], tag: str, argument: str, start: int, end: int) -> None:
    if end <= start:
        return  # Telegram drops empty entities
    entity: Json = {"type": _HTML_TAGS[tag], "offset": start, "length": end - start}
    if tag == "a":
        if not argument:
            return
        entity["url"] = argument
    elif tag == "tg-emoji":
        entity["custom_emoji_id"] = argument
    elif tag == "blockquote" and argument:
        entity["type"] = "expandable_blockquote"
    elif tag == "code" and argument:
        entity["language"] = argument
    elif tag == "pre":
        # <pre><code class="language-x">...</code></pre> is one "pre" entity with a language.
        inner = entities[-1] if entities else None
        if (
            inner
            and inner["type"] == "code"
            and (inner["offset"], inner["length"])
            == (
                start,
                end - start,
            )
        ):
            entities.pop()
            if "language" in inner:
                entity["language"] = inner["language"]
    entities.append(entity)


def _strip_text(text: str, entities: list[Json]) -> tuple[str, list[Json]]:
    """Telegram trims whitespace around a message; entities shift and shrink with it."""
    stripped = text.strip()
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - lead)
        end = min(total, entity["offset"] + entity["length"] - lead)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


# --------------------------------------------------------------------------------------
# Request decoding
# --------------------------------------------------------------------------------------

# PTB form-encodes every parameter, JSON-encoding the non-string ones ("123", "true",
# '{"inline_keyboard": ...}') but sending strings raw. So a field is JSON-decoded unless the
# Bot API types it as a string: otherwise a message text "42" would come back as int 42.
_STRING_PARAMS = frozenset(
    {
        "action",
        "business_connection_id",
        "callback_query_id",
        "caption",
        "custom_emoji_id",
        "description",
        "emoji",
        "explanation",
        "file_id",
        "first_name",
        "inline_message_id",
        "inline_query_id",
        "ip_address",
        "language_code",
        "last_name",
        "message_effect_id",
        "name",
        "next_offset",
        "parse_mode",
        "query",
        "question",
        "secret_token",
        "short_description",
        "text",
        "title",
        "url",
        "username",
    }
)


def _decode_field(name: str, value: str) -> Any:
    if name in _STRING_PARAMS:
        return value
    try:
        return json.loads(value)
    except ValueError:
        return value  # e.g. chat_id="@channelname"


async def _read_params(request: web.Request) -> Json:
    """Parameters from the query string and a form, multipart or JSON body."""
    params: Json = {k: _decode_field(k, v) for k, v in request.query.items()}
    if request.content_type == "application/json":
        body = await request.json() if request.can_read_body else {}
        params.update(body or {})
    elif request.can_read_body:
        for name, value in (await request.post()).items():
            if isinstance(value, web.FileField):  # an uploaded file
                params[name] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "content": value.file.read(),
                }
            else:
                params[name] = _decode_field(name, str(value))
    return params


def _chat_key(chat_id: Any) -> int | str:
    with contextlib.suppress(TypeError, ValueError):
        return int(chat_id)
    return str(chat_id)


# Update types getUpdates leaves out unless asked for explicitly, as Telegram does.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_CHAT_ACTIONS = frozenset(
    {
        "typing",
        "upload_photo",
        "record_video",
        "upload_video",
        "record_voice",
        "upload_voice",
        "upload_document",
        "choose_sticker",
        "find_location",
        "record_video_note",
        "upload_video_note",
    }
)
_BOT_COMMAND = re.compile(r"[a-z0-9_]{1,32}")


def _update_type(update: Json) -> str:
    return next((key for key in update if key != "update_id"), "")


@dataclass
class _Fault:
    kind: str  # "error" | "reset" | "delay"
    error: ApiError | None = None
    seconds: float = 0.0


class _DropConnection(Exception):
    pass


# --------------------------------------------------------------------------------------
# The server
# --------------------------------------------------------------------------------------


class FakeTelegram:
    """A Telegram Bot API server on 127.0.0.1 that records calls and feeds updates."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "interview_test_bot",
        bot_name: str = "Interview Bot",
        host: str = "127.0.0.1",
        port: int = 0,
    ):
        self.token = token
        self.host = host
        self.port = port
        self.bot_user: Json = {
            "id": int(token.split(":")[0]) if token.split(":")[0].isdigit() else 123456789,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": True,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }
        self.requests: list[Call] = []
        self._answered_counts: dict[str, int] = {}  # lower-case method -> calls answered
        self.webhook: Json | None = None
        self.files: dict[str, bytes] = {}  # file_id -> content, served under base_file_url
        self.loop: asyncio.AbstractEventLoop | None = None

        # Pushed updates and the faults are touched from a test thread in thread mode.
        self._lock = threading.RLock()
        self._pending: list[Json] = []
        self._faults: dict[str, list[_Fault]] = {}
        self._last_update_id = 100_000
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._wakeup: asyncio.Event | None = None
        self._closing = False

        self._chats: dict[int | str, Json] = {}
        self._message_ids: dict[int | str, itertools.count] = {}
        self._messages: dict[tuple[int | str, int], Json] = {}
        self._sent: list[tuple[int | str, int]] = []
        self._open_queries: set[str] = set()
        self._query_ids = itertools.count(5_000_000_001)
        self._file_ids = itertools.count(1)
        self._commands: dict[tuple[str, str], list[Json]] = {}

        self._runner: web.AppRunner | None = None
        self._thread: threading.Thread | None = None
        self._loop_thread_id: int | None = None

        # Bot API method names are case-insensitive, so the table is keyed in lower case.
        self._methods: dict[str, Callable[[Json], Any]] = {
            "getme": self._get_me,
            "getupdates": self._get_updates,
            "deletewebhook": self._delete_webhook,
            "setwebhook": self._set_webhook,
            "getwebhookinfo": self._get_webhook_info,
            "sendmessage": self._send_message,
            "editmessagetext": self._edit_message_text,
            "editmessagereplymarkup": self._edit_message_reply_markup,
            "deletemessage": self._delete_message,
            "answercallbackquery": self._answer_callback_query,
            "answerinlinequery": self._answer_inline_query,
            "setmycommands": self._set_my_commands,
            "getmycommands": self._get_my_commands,
            "deletemycommands": self._delete_my_commands,
            "sendchataction": self._send_chat_action,
            "getfile": self._get_file,
            "close": self._true,
            "logout": self._true,
        }

    # ---- lifecycle --------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://{self.host}:{self.port}/file/bot"

    async def start(self) -> None:
        self.loop = asyncio.get_running_loop()
        self._loop_thread_id = threading.get_ident()
        self._wakeup = asyncio.Event()
        self._closing = False
        app = web.Application(client_max_size=50 * 2**20)  # room for uploaded files
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a long poll the client gave up on should not linger.
        self._runner = web.AppRunner(
            app, handler_cancellation=True, access_log=None, shutdown_timeout=2.0
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.host, self.port)
        await site.start()
        self.port = self._runner.addresses[0][1]

    async def stop(self) -> None:
        if self._runner is None:
            return
        self._closing = True
        self._wake()  # long polls return [] now instead of holding up the shutdown
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    def start_in_thread(self, timeout: float = 10.0) -> None:
        """Run the server on its own event loop in a daemon thread (for subprocess tests)."""
        loop = asyncio.new_event_loop()
        started = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self.start())
            except BaseException as exc:
                failure.append(exc)
                started.set()
                return
            started.set()
            loop.run_forever()

        self._thread = threading.Thread(target=run, name="FakeTelegram", daemon=True)
        self._thread.start()
        if not started.wait(timeout):
            raise TimeoutError("FakeTelegram did not start")
        if failure:
            raise failure[0]

    def stop_in_thread(self, timeout: float = 10.0) -> None:
        if self._thread is None or self.loop is None:
            return
        loop = self.loop
        asyncio.run_coroutine_threadsafe(self.stop(), loop).result(timeout)
        loop.call_soon_threadsafe(loop.stop)
        self._thread.join(timeout)
        loop.close()
        self._thread = None

    def __enter__(self) -> FakeTelegram:
        self.start_in_thread()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop_in_thread()

    def _wake(self) -> None:
        """Wake the long polls, from the server's loop or from any other thread."""
        if self.loop is None or self._wakeup is None or self.loop.is_closed():
            return
        if threading.get_ident() == self._loop_thread_id:
            self._wakeup.set()
        else:
            self.loop.call_soon_threadsafe(self._wakeup.set)

    # ---- HTTP -------------------------------------------------------------------------

    async def _handle_api(self, request: web.Request) -> web.StreamResponse:
        call = Call(request.match_info["method"], await _read_params(request), time.monotonic())
        self.requests.append(call)
        try:
            status, body = await self._answer(request.match_info["token"], call)
        except _DropConnection:
            call.status = 0
            self._count_answered(call)
            if request.transport is not None:
                request.transport.abort()
            return web.Response()  # aiohttp ignores writes to the aborted connection
        call.response = body
        call.status = status  # last: wait_for() treats a call with a status as answered
        self._count_answered(call)
        return web.json_response(body, status=status)

    async def _answer(self, token: str, call: Call) -> tuple[int, Json]:
        if token != self.token:
            return 401, ApiError(401, "Unauthorized").body()
        fault = self._take_fault(call.method)
        if fault and fault.kind == "delay":
            await self._sleep(fault.seconds)
        elif fault and fault.kind == "reset":
            raise _DropConnection
        elif fault and fault.error:
            return fault.error.status, fault.error.body()
        handler = self._methods.get(call.method.lower())
        if handler is None:
            handler = self._send_other if call.method.lower().startswith("send") else self._true
        try:
            with self._lock:  # a test thread may read or build state meanwhile (thread mode)
                result = handler(call.params)
            if inspect.isawaitable(result):
                result = await result
        except ApiError as error:
            return error.status, error.body()
        return 200, {"ok": True, "result": result}

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        if request.match_info["token"] != self.token:
            return web.json_response(ApiError(401, "Unauthorized").body(), status=401)
        file_id = request.match_info["path"].removeprefix("files/")
        if file_id not in self.files:
            return web.json_response(ApiError(404, "Not Found").body(), status=404)
        return web.Response(body=self.files[file_id])

    async def _sleep(self, seconds: float) -> None:
        """Sleep, but wake up early when the server stops."""
        deadline = time.monotonic() + seconds
        while not self._closing and time.monotonic() < deadline:
            await asyncio.sleep(min(0.05, deadline - time.monotonic()))

    # ---- fault injection --------------------------------------------------------------

    def fail_next(
        self,
        method: str,
        *,
        status: int = 429,
        retry_after: float | None = None,
        description: str | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next `times` calls to `method` with an error.

        429 always carries parameters.retry_after (default 1 s; real Telegram sends whole
        seconds, PTB accepts fractions too); other statuses carry it only when given.
        """
        if status == 429 and retry_after is None:
            retry_after = 1
        default = {
            400: "Bad Request",
            403: "Forbidden: bot was blocked by the user",
            429: f"Too Many Requests: retry after {retry_after}",
            500: "Internal Server Error",
            502: "Bad Gateway",
        }
        parameters = {"retry_after": retry_after} if retry_after is not None else None
        error = ApiError(status, description or default.get(status, "Error"), parameters)
        self._add_faults(method, _Fault("error", error=error), times)

    def reset_next(self, method: str, times: int = 1) -> None:
        """Drop the connection of the next `times` calls to `method` without answering."""
        self._add_faults(method, _Fault("reset"), times)

    def delay_next(self, method: str, seconds: float, times: int = 1) -> None:
        """Answer the next `times` calls to `method` normally, but `seconds` late."""
        self._add_faults(method, _Fault("delay", seconds=seconds), times)

    def _add_faults(self, method: str, fault: _Fault, times: int) -> None:
        # One queue per method: faults apply in the order they were added, one per call.
        with self._lock:
            self._faults.setdefault(method.lower(), []).extend([fault] * times)

    def _take_fault(self, method: str) -> _Fault | None:
        with self._lock:
            queue = self._faults.get(method.lower())
            return queue.pop(0) if queue else None

    # ---- observing --------------------------------------------------------------------

    def calls(self, method: str) -> list[Json]:
        """The params of every call to `method` so far (case-insensitive), failed ones too."""
        return [call.params for call in self.requests if call.method.lower() == method.lower()]

    def sent(self, chat_id: int | str | None = None) -> list[Json]:
        """The messages the bot sent (sendMessage and other send* calls), oldest first.

        Each is the Message as it is now: a later editMessageText shows here.
        """
        with self._lock:
            keys = [k for k in self._sent if chat_id is None or k[0] == _chat_key(chat_id)]
            return [copy.deepcopy(self._messages[k]) for k in keys if k in self._messages]

    @property
    def pending_updates(self) -> list[Json]:
        """Updates getUpdates would still deliver: pushed and not yet confirmed by an offset."""
        with self._lock:
            return copy.deepcopy(self._pending)

    def _count_answered(self, call: Call) -> None:
        method = call.method.lower()
        self._answered_counts[method] = self._answered_counts.get(method, 0) + 1

    def _enough_answered(self, method: str, count: int) -> bool:
        # A counter, not a scan of every request: under load wait_for() polls often.
        return self._answered_counts.get(method.lower(), 0) >= count

    def _answered(self, method: str) -> list[Json]:
        return [
            call.params
            for call in self.requests
            if call.method.lower() == method.lower() and call.status is not None
        ]

    def _timeout_message(self, method: str, count: int, timeout: float) -> str:
        seen = [
            f"{c.method}→{c.status}"
            + (f" ({c.response['description']})" if c.response and not c.response["ok"] else "")
            for c in self.requests
            if c.method.lower() != "getupdates" or (c.status or 200) != 200
        ]
        return (
            f"expected {count} answered {method} call(s) within {timeout}s, "
            f"got {len(self._answered(method))}; calls other than getUpdates: {seen}"
        )

    async def wait_for(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Json]:
        """Wait until `count` calls to `method` in all (since start) have been answered.

        Returns the params of all of them. Failed calls count too. Polls, so it works from
        any event loop, including one in another thread than the server's.
        """
        deadline = time.monotonic() + timeout
        while not self._enough_answered(method, count):
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(method, count, timeout))
            await asyncio.sleep(0.01)
        return self._answered(method)

    def wait_for_sync(self, method: str, count: int = 1, timeout: float = 10.0) -> list[Json]:
        """wait_for() for a synchronous test (the server running in a thread)."""
        deadline = time.monotonic() + timeout
        while not self._enough_answered(method, count):
            if time.monotonic() >= deadline:
                raise TimeoutError(self._timeout_message(method, count, timeout))
            time.sleep(0.01)
        return self._answered(method)

    # ---- driving the bot: updates ------------------------------------------------------

    def push_update(self, update: Json) -> int:
        """Queue an update for getUpdates. Sets update["update_id"] if missing; returns it."""
        with self._lock:
            update_id = self._assign_update_id(update)
            self._remember(update)
            self._pending.append(copy.deepcopy(update))
        self._wake()
        return update_id

    def push_raw_update(self, update: Json) -> int:
        """push_update() for an update of any shape, malformed ones too: the fake learns
        nothing from it, it only sets update_id if missing and delivers it as it is."""
        with self._lock:
            update_id = self._assign_update_id(update)
            self._pending.append(copy.deepcopy(update))
        self._wake()
        return update_id

    async def post_webhook(self, url: str, update: Json, secret_token: str | None = None) -> int:
        """POST an update to the bot's webhook as Telegram does; return the HTTP status.

        `secret_token` None sends no X-Telegram-Bot-Api-Secret-Token header. Runs on any
        loop; from a synchronous test use asyncio.run(...) or run_coroutine_threadsafe.
        """
        with self._lock:
            self._assign_update_id(update)
            self._remember(update)
        headers = {"Content-Type": "application/json"}
        if secret_token is not None:
            headers["X-Telegram-Bot-Api-Secret-Token"] = secret_token
        async with (
            aiohttp.ClientSession() as session,
            session.post(url, data=json.dumps(update).encode(), headers=headers) as response,
        ):
            return response.status

    async def deliver_to_webhook(self, update: Json) -> int:
        """post_webhook() to the URL and with the secret the bot gave setWebhook."""
        if not self.webhook:
            raise RuntimeError("no webhook is set")
        return await self.post_webhook(
            self.webhook["url"], update, self.webhook.get("secret_token")
        )

    def _assign_update_id(self, update: Json) -> int:
        if "update_id" not in update:
            update["update_id"] = self._last_update_id + 1
        self._last_update_id = max(self._last_update_id, update["update_id"])
        return update["update_id"]

    def _remember(self, update: Json) -> None:
        """Learn what the update tells: its messages and chats, and the query ids it opens."""
        for kind in ("message", "edited_message", "channel_post", "edited_channel_post"):
            if kind in update:
                message = update[kind]
                self._chats.setdefault(_chat_key(message["chat"]["id"]), message["chat"])
                self._messages[(_chat_key(message["chat"]["id"]), message["message_id"])] = (
                    copy.deepcopy(message)
                )
        for kind in ("callback_query", "inline_query"):
            if kind in update:
                self._open_queries.add(str(update[kind]["id"]))

    # ---- driving the bot: update builders (they build; push_update() sends) -------------

    def _user(self, user_id: int, language_code: str | None = "ru") -> Json:
        user: Json = {
            "id": user_id,
            "is_bot": False,
            "first_name": "Test",
            "last_name": f"User{user_id}",
            "username": f"user{user_id}",
        }
        if language_code:
            user["language_code"] = language_code
        return user

    def _chat(self, chat_id: int | str | None, chat_type: str, user: Json) -> Json:
        if chat_type == "private":
            chat_id = user["id"] if chat_id is None else chat_id
            chat = {"id": chat_id, "type": "private", "first_name": user["first_name"]}
            chat.update({k: user[k] for k in ("last_name", "username")})
        else:
            chat = {"id": DEFAULT_GROUP_ID if chat_id is None else chat_id, "type": chat_type}
            chat["title"] = "Test group"
        return self._chats.setdefault(_chat_key(chat["id"]), chat)

    def _next_message_id(self, chat_id: int | str) -> int:
        # Telegram numbers messages per chat, the user's and the bot's from one sequence.
        counter = self._message_ids.setdefault(_chat_key(chat_id), itertools.count(1))
        return next(counter)

    def message_update(
        self,
        fields: Json,
        *,
        chat_id: int | str | None = None,
        user_id: int = DEFAULT_USER_ID,
        language_code: str | None = "ru",
        chat_type: str = "private",
        reply_to_bot: bool = False,
        kind: str = "message",
    ) -> Json:
        """An update with a message from a user; `fields` holds its content (text, photo...)."""
        with self._lock:
            user = self._user(user_id, language_code)
            chat = self._chat(chat_id, chat_type, user)
            message: Json = {
                "message_id": self._next_message_id(chat["id"]),
                "date": int(time.time()),
                "chat": copy.deepcopy(chat),
                "from": user,
                **fields,
            }
            if reply_to_bot:
                message["reply_to_message"] = self._last_bot_message(chat)
        return {kind: message}

    def _last_bot_message(self, chat: Json) -> Json:
        for key in reversed(self._sent):
            if key[0] == _chat_key(chat["id"]) and key in self._messages:
                return copy.deepcopy(self._messages[key])
        return {  # the bot said nothing yet that we saw: make up an earlier message
            "message_id": self._next_message_id(chat["id"]),
            "date": int(time.time()) - 60,
            "chat": copy.deepcopy(chat),
            "from": copy.deepcopy(self.bot_user),
            "text": "…",
        }

    def text_update(
        self,
        text: str,
        *,
        chat_id: int | str | None = None,
        user_id: int = DEFAULT_USER_ID,
        language_code: str | None = "ru",
        chat_type: str = "private",
        reply_to_bot: bool = False,
        entities: list[Json] | None = None,
    ) -> Json:
        """A text message; "/cmd args" gets the bot_command entity CommandHandler needs."""
        entities = list(entities or [])
        if text.startswith("/") and not any(e["offset"] == 0 for e in entities):
            command = text.split(maxsplit=1)[0]
            entities.insert(0, {"type": "bot_command", "offset": 0, "length": utf16_len(command)})
        fields: Json = {"text": text}
        if entities:
            fields["entities"] = entities
        return self.message_update(
            fields,
            chat_id=chat_id,
            user_id=user_id,
            language_code=language_code,
            chat_type=chat_type,
            reply_to_bot=reply_to_bot,
        )

    def edited_text_update(
        self,
        text: str,
        *,
        message_id: int,
        chat_id: int | str | None = None,
        user_id: int = DEFAULT_USER_ID,
        language_code: str | None = "ru",
        chat_type: str = "private",
    ) -> Json:
        """The user edited their message `message_id` to `text`."""
        update = self.message_update(
            {"text": text, "edit_date": int(time.time())},
            chat_id=chat_id,
            user_id=user_id,
            language_code=language_code,
            chat_type=chat_type,
            kind="edited_message",
        )
        update["edited_message"]["message_id"] = message_id
        return update

    def callback_update(
        self,
        data: str,
        *,
        message: Json,
        user_id: int | None = None,
        language_code: str | None = "ru",
    ) -> Json:
        """A press on the inline button with `data` under `message` (a dict from sent()).

        Raises ValueError when the message has no such button: Telegram could not send it.
        """
        key = (_chat_key(message["chat"]["id"]), message["message_id"])
        with self._lock:  # the message as it is now, after any edits
            current = copy.deepcopy(self._messages.get(key, message))
        buttons = [
            button.get("callback_data")
            for row in current.get("reply_markup", {}).get("inline_keyboard", [])
            for button in row
        ]
        if data not in buttons:
            raise ValueError(f"message {key} has no button with callback_data {data!r}: {buttons}")
        if user_id is None:
            private = current["chat"]["type"] == "private"
            user_id = current["chat"]["id"] if private else DEFAULT_USER_ID
        query = {
            "id": str(next(self._query_ids)),
            "from": self._user(user_id, language_code),
            "message": current,
            "chat_instance": str(abs(hash(key[0]))),
            "data": data,
        }
        return {"callback_query": query}

    def inline_update(
        self,
        query: str,
        *,
        user_id: int = DEFAULT_USER_ID,
        offset: str = "",
        language_code: str | None = "ru",
    ) -> Json:
        """The user typed "@bot `query`" in some chat."""
        inline_query = {
            "id": str(next(self._query_ids)),
            "from": self._user(user_id, language_code),
            "query": query,
            "offset": offset,
            "chat_type": "sender",
        }
        return {"inline_query": inline_query}

    def chosen_inline_result_update(
        self,
        query: str,
        result_id: str = "1",
        *,
        user_id: int = DEFAULT_USER_ID,
        language_code: str | None = "ru",
    ) -> Json:
        """The user picked result `result_id` of an inline query and posted it (sent only to
        bots with inline feedback on: @BotFather's /setinlinefeedback)."""
        chosen = {
            "result_id": result_id,
            "from": self._user(user_id, language_code),
            "query": query,
        }
        return {"chosen_inline_result": chosen}

    def _new_file(self, content: bytes) -> Json:
        number = next(self._file_ids)
        file_id = f"fake-file-{number}"
        self.files[file_id] = content
        return {"file_id": file_id, "file_unique_id": f"uniq{number}", "file_size": len(content)}

    def sticker_update(self, emoji: str = "👍", **common: Any) -> Json:
        """A sticker message. `common`: the keyword arguments of message_update()."""
        sticker = {
            **self._new_file(b"RIFF-fake-webp"),
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
        }
        return self.message_update({"sticker": sticker}, **common)

    def photo_update(
        self, caption: str | None = None, *, content: bytes = b"\xff\xd8fake-jpeg", **common: Any
    ) -> Json:
        """A photo (in two sizes, like Telegram sends), optionally captioned."""
        photo = [
            {**self._new_file(content), "width": 90, "height": 60},
            {**self._new_file(content), "width": 1280, "height": 853},
        ]
        fields: Json = {"photo": photo}
        if caption is not None:
            fields["caption"] = caption
        return self.message_update(fields, **common)

    def voice_update(
        self, duration: int = 2, *, content: bytes = b"OggS-fake-opus", **common: Any
    ) -> Json:
        """A voice message; its bytes are downloadable through getFile."""
        voice = {**self._new_file(content), "duration": duration, "mime_type": "audio/ogg"}
        return self.message_update({"voice": voice}, **common)

    def document_update(
        self,
        content: bytes,
        file_name: str | None = "document.pdf",
        *,
        mime_type: str | None = "application/pdf",
        file_size: int | bool | None = True,
        caption: str | None = None,
        **common: Any,
    ) -> Json:
        """A file sent as a document; its bytes are downloadable through getFile.

        Telegram states its name and type as the sender's app gave them (neither is to be
        trusted), and its size; `file_size` True states the real one, None leaves it out,
        a number states that instead.
        """
        document = self._new_file(content)
        if file_size is None:
            del document["file_size"]
        elif file_size is not True:
            document["file_size"] = file_size
        if file_name is not None:
            document["file_name"] = file_name
        if mime_type is not None:
            document["mime_type"] = mime_type
        fields: Json = {"document": document}
        if caption is not None:
            fields["caption"] = caption
        return self.message_update(fields, **common)

    def location_update(
        self, latitude: float = 55.7558, longitude: float = 37.6173, **common: Any
    ) -> Json:
        location = {"latitude": latitude, "longitude": longitude}
        return self.message_update({"location": location}, **common)

    # ---- API methods: getting updates ---------------------------------------------------

    def _true(self, params: Json) -> bool:
        return True

    def _get_me(self, params: Json) -> Json:
        return copy.deepcopy(self.bot_user)

    async def _get_updates(self, params: Json) -> list[Json]:
        if self.webhook:
            raise ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = float(params.get("timeout") or 0)
        if params.get("allowed_updates") is not None:  # remembered until changed, as Telegram
            self._allowed_updates = list(params["allowed_updates"])
        self._confirm(offset)

        # A newer getUpdates ends an older one still waiting, with 409 like Telegram: two
        # bot instances polling one token is a bug worth seeing.
        self._poll_generation += 1
        generation = self._poll_generation
        assert self._wakeup is not None
        self._wakeup.set()
        deadline = time.monotonic() + timeout
        while True:
            if generation != self._poll_generation:
                raise ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            self._wakeup.clear()
            updates = self._deliverable(limit)
            remaining = deadline - time.monotonic()
            if updates or remaining <= 0 or self._closing:
                return updates
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wakeup.wait(), remaining)

    def _confirm(self, offset: int) -> None:
        """An offset confirms (forgets) every update before it; a negative one keeps the last."""
        with self._lock:
            if offset > 0:
                self._pending = [u for u in self._pending if u["update_id"] >= offset]
            elif offset < 0:
                self._pending = self._pending[offset:]

    def _deliverable(self, limit: int) -> list[Json]:
        allowed = set(self._allowed_updates)
        with self._lock:
            # Updates of a type the bot did not ask for are dropped, never delivered.
            self._pending = [
                u
                for u in self._pending
                if (_update_type(u) in allowed)
                or (not allowed and _update_type(u) not in _OPT_IN_UPDATE_TYPES)
            ]
            return copy.deepcopy(self._pending[:limit])

    def _delete_webhook(self, params: Json) -> bool:
        self.webhook = None
        if params.get("drop_pending_updates"):
            with self._lock:
                self._pending.clear()
        return True

    def _set_webhook(self, params: Json) -> bool:
        if not params.get("url"):
            return self._delete_webhook(params)  # Telegram: an empty url removes the webhook
        self.webhook = dict(params)
        if params.get("drop_pending_updates"):
            with self._lock:
                self._pending.clear()
        return True

    def _get_webhook_info(self, params: Json) -> Json:
        info: Json = {
            "url": self.webhook["url"] if self.webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        for key in ("max_connections", "ip_address", "allowed_updates"):
            if self.webhook and self.webhook.get(key) is not None:
                info[key] = self.webhook[key]
        return info

    # ---- API methods: messages ----------------------------------------------------------

    def _chat_of(self, chat_id: Any) -> Json:
        if chat_id is None or chat_id == "":
            raise bad_request("chat_id is empty")
        key = _chat_key(chat_id)
        if key in self._chats:
            return copy.deepcopy(self._chats[key])
        if isinstance(key, str):
            return {"id": DEFAULT_GROUP_ID, "type": "channel", "username": key.lstrip("@")}
        if key > 0:
            return {"id": key, "type": "private", "first_name": "Test"}
        return {"id": key, "type": "supergroup" if str(key).startswith("-100") else "group"}

    def _formatted_text(
        self, params: Json, field: str, limit: int, *, required: bool = True
    ) -> tuple[str, list[Json]]:
        """(text, entities) of a text/caption parameter, as Telegram stores it; or ApiError."""
        raw = params.get(field)
        if raw is None or raw == "":
            if required:
                raise bad_request("message text is empty")
            return "", []
        raw = str(raw)
        entities_field = "entities" if field == "text" else f"{field}_entities"
        parse_mode = str(params.get("parse_mode") or "").lower()
        if params.get(entities_field):  # explicit entities win over parse_mode
            text, entities = raw, list(params[entities_field])
        elif parse_mode == "html":
            try:
                text, entities = parse_telegram_html(raw)
            except HtmlError as error:
                raise bad_request(f"can't parse entities: {error}") from None
        elif parse_mode in ("", "markdown", "markdownv2"):
            text, entities = raw, []  # Markdown is passed through unchecked
        else:
            raise bad_request("unsupported parse_mode")
        text, entities = _strip_text(text, entities)
        if not text and required:
            raise bad_request("message text is empty")
        if len(text) > limit:
            raise bad_request(
                "message is too long" if field == "text" else "message caption is too long"
            )
        return text, entities

    @staticmethod
    def _inline_markup(markup: Any) -> Json | None:
        """Validate reply_markup; return it if it is an inline keyboard (Telegram echoes only
        those in the Message), else None."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            return None
        for row in markup["inline_keyboard"]:
            for button in row:
                if set(button) == {"text"}:
                    raise bad_request(
                        "can't parse inline keyboard button: "
                        "Text buttons are unallowed in the inline keyboard"
                    )
                if "callback_data" in button and not (
                    1 <= len(str(button["callback_data"]).encode()) <= 64
                ):
                    raise bad_request("BUTTON_DATA_INVALID")
        return markup

    def _new_bot_message(self, params: Json, content: Json) -> Json:
        chat = self._chat_of(params.get("chat_id"))
        markup = self._inline_markup(params.get("reply_markup"))
        message: Json = {
            "message_id": self._next_message_id(chat["id"]),
            "from": copy.deepcopy(self.bot_user),
            "chat": chat,
            "date": int(time.time()),
            **content,
        }
        reply_to = (params.get("reply_parameters") or {}).get("message_id") or params.get(
            "reply_to_message_id"
        )
        original = self._messages.get((_chat_key(chat["id"]), reply_to)) if reply_to else None
        if original:
            message["reply_to_message"] = {
                k: v for k, v in copy.deepcopy(original).items() if k != "reply_to_message"
            }
        if markup:
            message["reply_markup"] = markup
        key = (_chat_key(chat["id"]), message["message_id"])
        self._messages[key] = message
        self._sent.append(key)
        return copy.deepcopy(message)

    def _send_message(self, params: Json) -> Json:
        text, entities = self._formatted_text(params, "text", MAX_MESSAGE_LENGTH)
        content: Json = {"text": text}
        if entities:
            content["entities"] = entities
        return self._new_bot_message(params, content)

    def _send_other(self, params: Json) -> Json:
        """Any other send* method: a Message with the caption, without the media itself."""
        caption, entities = self._formatted_text(
            params, "caption", MAX_CAPTION_LENGTH, required=False
        )
        content: Json = {"caption": caption} if caption else {}
        if entities:
            content["caption_entities"] = entities
        return self._new_bot_message(params, content)

    def _stored_bot_message(self, params: Json, action: str) -> Json:
        key = (_chat_key(params.get("chat_id")), int(params.get("message_id") or 0))
        message = self._messages.get(key)
        if message is None:
            raise bad_request(f"message to {action} not found")
        if message["from"]["id"] != self.bot_user["id"]:
            raise bad_request(f"message can't be {action}ed")
        return message

    @staticmethod
    def _apply_edit(message: Json, new: Json) -> Json:
        """Replace the content keys of `message` with `new`, refusing an edit that changes
        nothing (Telegram's "message is not modified", a classic callback-handler bug)."""
        keys = ("text", "entities", "reply_markup")
        if all((message.get(k) or None) == (new.get(k) or None) for k in keys):
            raise bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a content and reply markup of the current message"
            )
        for k in keys:
            if new.get(k):
                message[k] = new[k]
            else:
                message.pop(k, None)
        message["edit_date"] = int(time.time())
        return copy.deepcopy(message)

    def _edit_message_text(self, params: Json) -> Json | bool:
        text, entities = self._formatted_text(params, "text", MAX_MESSAGE_LENGTH)
        markup = self._inline_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True  # messages sent via inline mode are not stored
        message = self._stored_bot_message(params, "edit")
        # Without reply_markup the edit removes the keyboard, as in Telegram.
        return self._apply_edit(
            message, {"text": text, "entities": entities, "reply_markup": markup}
        )

    def _edit_message_reply_markup(self, params: Json) -> Json | bool:
        markup = self._inline_markup(params.get("reply_markup"))
        if params.get("inline_message_id"):
            return True
        message = self._stored_bot_message(params, "edit")
        new = {k: message.get(k) for k in ("text", "entities")}
        return self._apply_edit(message, {**new, "reply_markup": markup})

    def _delete_message(self, params: Json) -> bool:
        key = (_chat_key(params.get("chat_id")), int(params.get("message_id") or 0))
        if self._messages.pop(key, None) is None:
            raise bad_request("message to delete not found")
        return True

    def _send_chat_action(self, params: Json) -> bool:
        self._chat_of(params.get("chat_id"))
        if params.get("action") not in _CHAT_ACTIONS:
            raise bad_request("wrong parameter action in request")
        return True

    def _get_file(self, params: Json) -> Json:
        file_id = str(params.get("file_id"))
        if file_id not in self.files:
            raise bad_request("invalid file_id")
        if len(self.files[file_id]) > MAX_DOWNLOAD_BYTES:
            raise bad_request("file is too big")
        number = file_id.rsplit("-", 1)[-1]
        return {
            "file_id": file_id,
            "file_unique_id": f"uniq{number}",
            "file_size": len(self.files[file_id]),
            "file_path": f"files/{file_id}",
        }

    # ---- API methods: queries -----------------------------------------------------------

    def _check_query(self, query_id: Any) -> None:
        if str(query_id) not in self._open_queries:
            raise bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )

    def _answer_callback_query(self, params: Json) -> bool:
        self._check_query(params.get("callback_query_id"))
        return True

    def _answer_inline_query(self, params: Json) -> bool:
        self._check_query(params.get("inline_query_id"))
        results = params.get("results") or []
        if len(results) > MAX_INLINE_RESULTS:
            raise bad_request("RESULTS_TOO_MUCH")
        ids = [str(result.get("id")) for result in results]
        if len(set(ids)) != len(ids):
            raise bad_request("RESULT_ID_DUPLICATE")
        for result in results:
            self._inline_markup(result.get("reply_markup"))
            content = result.get("input_message_content") or {}
            if "message_text" in content:
                self._formatted_text(content, "message_text", MAX_MESSAGE_LENGTH)
        return True

    # ---- API methods: commands ----------------------------------------------------------

    @staticmethod
    def _commands_key(params: Json) -> tuple[str, str]:
        scope = params.get("scope") or {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(params.get("language_code") or "")

    def _set_my_commands(self, params: Json) -> bool:
        commands = params.get("commands") or []
        if len(commands) > 100:
            raise bad_request("too many commands")
        for command in commands:
            if not _BOT_COMMAND.fullmatch(str(command.get("command", ""))):
                raise bad_request("BOT_COMMAND_INVALID")  # e.g. "/start" or "Start"
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad_request("BOT_COMMAND_DESCRIPTION_INVALID")
        self._commands[self._commands_key(params)] = list(commands)
        return True

    def _get_my_commands(self, params: Json) -> list[Json]:
        return copy.deepcopy(self._commands.get(self._commands_key(params), []))

    def _delete_my_commands(self, params: Json) -> bool:
        self._commands.pop(self._commands_key(params), None)
        return True


@contextlib.asynccontextmanager
async def polling(app: Any, allowed_updates: Sequence[str] | None = None) -> AsyncIterator[Any]:
    """Run a telegram.ext.Application as run_polling() does, on the test's loop and stoppable."""
    async with app:
        await app.updater.start_polling(poll_interval=0, timeout=1, allowed_updates=allowed_updates)
        try:
            await app.start()
            yield app
        finally:
            await app.updater.stop()
            if app.running:
                await app.stop()
