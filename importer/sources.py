"""Reading a source: a local file or an http(s) URL, capped in size and time, and telling
what it holds from its bytes (a saved page may be called `.pdf`, a URL may end in `.html`
and serve a PDF)."""

from __future__ import annotations

import re
import time
import zipfile
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from urllib.parse import unquote, urljoin, urlsplit

from .blocks import Refused

_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]*):(//)?")
# Schemes that never name a local file, even without `//`.
_OPAQUE = {"data", "javascript", "mailto", "about", "blob"}
_HTML_START = re.compile(
    rb"^\s*(<!--.*?-->\s*)*<(!doctype\s+html|html|head|body|meta|title|p|div)\b",
    re.IGNORECASE | re.DOTALL,
)
_HTML_ANYWHERE = re.compile(rb"<(html|body|p|div|br|h[1-6])\b[^>]*>", re.IGNORECASE)
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:-]+)", re.IGNORECASE)
MB = 1 << 20


@dataclass(frozen=True)
class Limits:
    max_bytes: int = 20 * MB  # a source, as read or downloaded
    timeout: float = 30.0  # seconds for a whole download
    max_redirects: int = 5
    max_unpacked: int = 100 * MB  # a Word file's contents, uncompressed
    max_parts: int = 5_000  # entries in a Word file's ZIP
    max_pages: int = 1_000  # of a PDF


@dataclass(frozen=True)
class Source:
    name: str  # as given: a path or a URL
    data: bytes
    stem: str  # a name to make a slug of when the source states no title
    url: str | None = None  # where a fetched source finally came from
    charset: str | None = None  # as the server declared it


def is_url(spec: str) -> bool:
    match = _SCHEME.match(spec)
    return match is not None and (bool(match[2]) or match[1].lower() in _OPAQUE)


def read_source(spec: str, limits: Limits) -> Source:
    if is_url(spec):
        return fetch(spec, limits)
    return read_file(Path(spec), limits)


def read_file(path: Path, limits: Limits) -> Source:
    try:
        if not path.is_file():
            raise Refused("no such file" if not path.exists() else "not a file")
        size = path.stat().st_size
        if size > limits.max_bytes:
            raise Refused(f"file is {size / MB:.1f} MB; the limit is {limits.max_bytes / MB:g} MB")
        with path.open("rb") as f:
            # Read one byte past the cap: a file that grew since stat() is still caught.
            data = f.read(limits.max_bytes + 1)
    except OSError as exc:
        raise Refused(f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > limits.max_bytes:
        raise Refused(f"file is larger than {limits.max_bytes / MB:g} MB")
    return Source(name=str(path), data=data, stem=path.stem)


def _check_scheme(url: str, redirected_from: str | None = None) -> None:
    scheme = urlsplit(url).scheme.lower()
    if scheme in ("http", "https"):
        return
    if redirected_from is not None:
        raise Refused(f"redirected to a {scheme}: URL ({url}); only http and https are followed")
    raise Refused(f"{scheme}: URLs are not imported; only http(s) URLs and local files")


def fetch(url: str, limits: Limits) -> Source:
    """GET `url`, following at most `limits.max_redirects` redirects, all of them http(s)."""
    import httpx

    _check_scheme(url)
    given = url
    deadline = time.monotonic() + limits.timeout
    headers = {"User-Agent": "interview-bot-import/1", "Accept": "*/*"}
    try:
        with httpx.Client(
            timeout=httpx.Timeout(limits.timeout), follow_redirects=False, headers=headers
        ) as client:
            for _ in range(limits.max_redirects + 1):
                with client.stream("GET", url) as response:
                    if response.is_redirect:
                        target = urljoin(url, response.headers.get("location", ""))
                        _check_scheme(target, redirected_from=url)
                        url = target
                        continue
                    if response.status_code != 200:
                        raise Refused(f"HTTP {response.status_code} {response.reason_phrase}")
                    data = _body(response, limits, deadline)
                    charset = _CHARSET.search(response.headers.get("content-type", ""))
                    path = unquote(urlsplit(url).path).rstrip("/")
                    return Source(
                        name=given,
                        data=data,
                        stem=Path(path).stem or urlsplit(url).hostname or "page",
                        url=str(response.url),
                        charset=charset[1] if charset else None,
                    )
            raise Refused(f"more than {limits.max_redirects} redirects")
    except httpx.TimeoutException:
        raise Refused(f"timed out after {limits.timeout:g} s") from None
    except httpx.HTTPError as exc:
        raise Refused(f"cannot fetch: {exc or type(exc).__name__}") from None


def _body(response: object, limits: Limits, deadline: float) -> bytes:
    import httpx

    assert isinstance(response, httpx.Response)
    declared = response.headers.get("content-length", "")
    too_large = f"larger than {limits.max_bytes / MB:g} MB"
    if declared.isdigit() and int(declared) > limits.max_bytes:
        raise Refused(f"the page is {int(declared) / MB:.1f} MB; {too_large} is not imported")
    chunks: list[bytes] = []
    size = 0
    for chunk in response.iter_bytes():
        size += len(chunk)
        if size > limits.max_bytes:
            raise Refused(f"the page is {too_large}")
        # A server that drips bytes never trips the per-read timeout: cap the whole download.
        if time.monotonic() > deadline:
            raise Refused(f"timed out after {limits.timeout:g} s")
        chunks.append(chunk)
    return b"".join(chunks)


def sniff(data: bytes) -> str:
    """'pdf', 'docx', 'html' or 'text', from the bytes alone."""
    head = data[:1024]
    if head.lstrip()[:5] == b"%PDF-":
        return "pdf"
    if head.startswith(b"PK\x03\x04"):
        try:
            names = zipfile.ZipFile(BytesIO(data)).namelist()
        except (zipfile.BadZipFile, ValueError):
            return "docx"  # damaged: the Word reader says why
        if "word/document.xml" in names:
            return "docx"
        raise Refused("a ZIP archive, not a Word .docx file")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise Refused("an old Word .doc (or other Office 97) file: save it as .docx")
    if head.startswith(b"{\\rtf"):
        raise Refused("an RTF file: save it as .docx")
    for signature, kind in (
        (b"\x89PNG", "a PNG image"),
        (b"\xff\xd8\xff", "a JPEG image"),
        (b"GIF8", "a GIF image"),
        (b"II*\x00", "a TIFF image"),
        (b"MM\x00*", "a TIFF image"),
    ):
        if head.startswith(signature):
            raise Refused(f"{kind}, not a document: run OCR first")
    body = head.removeprefix(b"\xef\xbb\xbf")
    if body.startswith((b"\xff\xfe", b"\xfe\xff")):
        body = data[:4096].decode("utf-16", errors="ignore").encode()
    if _HTML_START.match(body) or len(_HTML_ANYWHERE.findall(data[:65536])) >= 3:
        return "html"
    if b"\x00" in data[:65536] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise Refused("a binary file of an unsupported type")
    return "text"


def decode_text(data: bytes, declared: str | None = None) -> str:
    """Text by its byte-order mark, else the declared charset, else UTF-8; never a guess."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if declared:
        try:
            return data.decode(declared, errors="replace")
        except LookupError:
            pass
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise Refused(
            f"not UTF-8 text (byte 0x{data[exc.start]:02X}) and no charset is declared"
        ) from None
