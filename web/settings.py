"""The web front end's settings: [web] of config.toml."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from service.settings import ConfigFile, section

from .clients import Network, parse_networks

SECTIONS = ("web",)

_HOST_NAME = re.compile(r"[a-z0-9_]([a-z0-9_-]{0,62})(\.[a-z0-9_]([a-z0-9_-]{0,62}))*")

# Questions the page offers to click, two a language, each answered by the interview
# (a test holds them to it): a first click shows what the page is for.
EXAMPLES = (
    "Где пройдёт следующий форум приграничного сотрудничества с Россией?",
    "С какими ведомствами МИД объединил усилия для привлечения инвестиций?",
    "Is Kazakhstan drifting away from Russia?",
    "Why does transit between China and Europe matter to Kazakhstan?",
    "Астанада KADEX көрмесі неше рет өтті?",
    "Қазақстан қытайлық серіктестерге не ұсынады?",
)


@dataclass(frozen=True)
class WebSettings:
    # Questions one client (IP address) may ask a minute; 0 lets everything through. What
    # the page asks while one types (at most one a 1.2 s) is counted in a window of its own,
    # as large: a settled question costs one.
    questions_per_minute: int = 120
    # Encoder CPU time one client may use a minute, in seconds; 0 is no limit. A normal
    # question takes 25-40 ms, the longest accepted ten times as much: 6 s is 150 normal
    # questions, 20 of the longest (service/admission.py).
    encoder_seconds_per_minute: int = 6
    # Origins (scheme://host[:port]) whose pages may call the API; "*" allows any. Other
    # cross-origin requests are refused with 403.
    cors_origins: tuple[str, ...] = ()
    examples: tuple[str, ...] = EXAMPLES
    # Reverse proxies (addresses or networks) whose X-Forwarded-For names the client;
    # from anyone else the header is ignored (web/clients.py).
    trusted_proxies: tuple[str, ...] = ()
    # Host names the page answers to (a DNS-rebinding page sends its own); empty: the
    # address it listens on, localhost, 127.0.0.1 and ::1; "*" any.
    allowed_hosts: tuple[str, ...] = ()
    # Seconds a client has to send a whole request (head and body) once it connects or
    # its previous answer went out; then it is disconnected.
    request_timeout: int = 10
    # Seconds an idle kept-alive connection stays open.
    keepalive_timeout: int = 5
    # Open connections at most, in all and from one client address (trusted proxies
    # excepted); past that a new connection is closed at once.
    max_connections: int = 1000
    max_connections_per_client: int = 32
    # Where the page is published (https://example.org, or with a path prefix): every
    # citation then links its statement's own page, /p/<paragraph id>. Its host is answered.
    public_url: str | None = None

    def __post_init__(self) -> None:
        if self.questions_per_minute < 0:
            raise ValueError("web.questions_per_minute must be 0 (no limit) or more")
        if self.encoder_seconds_per_minute < 0:
            raise ValueError("web.encoder_seconds_per_minute must be 0 (no limit) or more")
        for origin in self.cors_origins:
            if origin != "*" and not is_origin(origin):
                raise ValueError(
                    f"web.cors_origins: {origin!r} is not an origin like https://example.org"
                )
        if self.public_url is not None and not is_public_url(self.public_url):
            raise ValueError(
                f"web.public_url: {self.public_url!r} is not a web address like https://example.org"
            )
        parse_networks(self.trusted_proxies, "web.trusted_proxies")
        for host in self.allowed_hosts:
            if host != "*" and not is_host(host):
                raise ValueError(f"web.allowed_hosts: {host!r} is not a host name like example.org")
        for name in (
            "request_timeout",
            "keepalive_timeout",
            "max_connections",
            "max_connections_per_client",
        ):
            if getattr(self, name) < 1:
                raise ValueError(f"web.{name} must be at least 1, got {getattr(self, name)}")

    @property
    def networks(self) -> tuple[Network, ...]:
        return parse_networks(self.trusted_proxies, "web.trusted_proxies")

    def hosts(self, bound: str | None) -> frozenset[str] | None:
        """The Host names to answer, as `host_name` gives them; None: any."""
        if "*" in self.allowed_hosts:
            return None
        given = self.allowed_hosts or ("localhost", "127.0.0.1", "::1", *([bound] if bound else ()))
        published = [urlsplit(self.public_url).netloc] if self.public_url else []
        return frozenset(h for h in (host_name(g) for g in (*given, *published)) if h)


def is_public_url(text: str) -> bool:
    """An http(s) address with a host, and perhaps a path: no query, fragment or user."""
    return _web_address(text) is not None


def _web_address(text: str) -> SplitResult | None:
    """`text` split, when it is an http(s) address with a host and no query, fragment or
    user; else None."""
    try:
        url = urlsplit(text)
        url.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return None
    if url.scheme not in ("http", "https") or not url.hostname:
        return None
    return None if url.query or url.fragment or url.username else url


def host_name(header: str) -> str | None:
    """The host of a Host header or a host setting, lower-case, without port or brackets;
    None when it is not one."""
    text = header.strip().lower().rstrip(".")
    if text.startswith("["):
        end = text.find("]")
        port = text[end + 1 :]
        if end < 0 or (port and not re.fullmatch(r":\d{1,5}", port)):
            return None
        text = text[1:end]
    elif text.count(":") == 1:
        text, port = text.split(":")
        if not port.isdigit():
            return None
    if not text:
        return None
    try:
        return ipaddress.ip_address(text).compressed
    except ValueError:
        pass
    return text if _HOST_NAME.fullmatch(text) else None


def is_host(text: str) -> bool:
    return host_name(text) is not None


def is_wildcard(address: str | None) -> bool:
    """Whether a listening address means every address of the machine."""
    return address in ("0.0.0.0", "::", "")


def is_origin(text: str) -> bool:
    """scheme://host[:port] and nothing more, as browsers send it in the Origin header."""
    url = _web_address(text)
    return url is not None and not url.path and text == f"{url.scheme}://{url.netloc}"


def web_settings(config: ConfigFile) -> WebSettings:
    return section(config, "web", WebSettings)
