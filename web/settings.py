"""The web front end's settings: [web] of config.toml."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

from service.settings import ConfigFile, section

SECTIONS = ("web",)

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
    # Origins (scheme://host[:port]) whose pages may call the API; "*" allows any. Other
    # cross-origin requests are refused with 403.
    cors_origins: tuple[str, ...] = ()
    examples: tuple[str, ...] = EXAMPLES

    def __post_init__(self) -> None:
        if self.questions_per_minute < 0:
            raise ValueError("web.questions_per_minute must be 0 (no limit) or more")
        for origin in self.cors_origins:
            if origin != "*" and not is_origin(origin):
                raise ValueError(
                    f"web.cors_origins: {origin!r} is not an origin like https://example.org"
                )


def is_origin(text: str) -> bool:
    """scheme://host[:port] and nothing more, as browsers send it in the Origin header."""
    try:
        url = urlsplit(text)
        url.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        return False
    return (
        url.scheme in ("http", "https")
        and bool(url.hostname)
        and not (url.path or url.query or url.fragment or url.username)
        and text == f"{url.scheme}://{url.netloc}"
    )


def web_settings(config: ConfigFile) -> WebSettings:
    return section(config, "web", WebSettings)
