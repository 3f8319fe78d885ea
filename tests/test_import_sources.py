"""Sources that are not what they should be: URLs that redirect elsewhere, time out or are
too large, damaged or encrypted PDFs, scans, broken Word files and zip bombs. Each is
refused with one line, and nothing is written."""

from __future__ import annotations

import io
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest

from importer import Limits, import_source
from importer.sources import MB
from testkit import publishing as pub
from testkit.website import Reply, Site

SEED = pub.seed()


def refused(spec: str, corpus: Path, limits: Limits | None = None) -> str:
    result = import_source(spec, corpus, limits=limits)
    assert result.status == "refused", result
    assert result.reason is not None and "\n" not in result.reason
    assert not corpus.exists() or not any(corpus.iterdir())
    return result.reason


# --- URLs ---------------------------------------------------------------------------------------


def test_a_page_is_imported_from_a_url(site: Site, tmp_path: Path) -> None:
    site.routes["/ru/interview"] = Reply(body=pub.caps_heading_page(SEED))
    site.routes["/old"] = Reply(301, headers=(("Location", "/ru/interview"),))

    result = import_source(f"{site.url}/old", tmp_path / "corpus")

    assert result.status == "imported", result.reason
    assert result.interview is not None and len(result.interview.answers) == 3
    # The page names no canonical URL: the one it was fetched from after the redirect.
    assert result.metadata.source_url == f"{site.url}/ru/interview"
    assert result.path is not None
    sidecar = result.path.with_suffix(".toml").read_text(encoding="utf-8")
    assert f'source_url = "{site.url}/ru/interview"' in sidecar


def test_a_url_serving_a_pdf_is_read_as_a_pdf_whatever_it_is_called(
    site: Site, tmp_path: Path
) -> None:
    if pub.font_files() is None:
        pytest.skip("no Cyrillic TrueType font to write the PDF with")
    site.routes["/page.html"] = Reply(body=pub.pdf_file(SEED)[0])

    result = import_source(f"{site.url}/page.html", tmp_path / "corpus")

    assert result.status == "imported", result.reason
    assert result.interview is not None and len(result.interview.answers) == 3


@pytest.mark.parametrize("target", ["file:///etc/passwd", "ftp://127.0.0.1/interview.html"])
def test_a_redirect_to_another_scheme_is_refused(site: Site, tmp_path: Path, target: str) -> None:
    site.routes["/go"] = Reply(302, headers=(("Location", target),))

    reason = refused(f"{site.url}/go", tmp_path / "corpus")

    scheme = target.split(":")[0]
    assert reason == (f"redirected to a {scheme}: URL ({target}); only http and https are followed")


@pytest.mark.parametrize(
    "spec", ["file:///etc/passwd", "ftp://example.com/a.html", "javascript:alert(1)"]
)
def test_other_schemes_are_refused_before_anything_is_read(tmp_path: Path, spec: str) -> None:
    reason = refused(spec, tmp_path / "corpus")

    assert reason.endswith("URLs are not imported; only http(s) URLs and local files")


@pytest.mark.parametrize("declared", [True, False], ids=["content-length", "streamed"])
def test_a_body_over_the_size_cap_is_refused(site: Site, tmp_path: Path, declared: bool) -> None:
    page = pub.bold_page(SEED)
    site.routes["/big"] = Reply(body=page + b" " * (21 * MB - len(page)), length=declared)

    reason = refused(f"{site.url}/big", tmp_path / "corpus")

    assert "larger than 20 MB" in reason


def test_a_url_that_does_not_answer_in_time_is_refused(site: Site, tmp_path: Path) -> None:
    site.routes["/slow"] = Reply(body=pub.bold_page(SEED), delay=2.0)

    started = time.monotonic()
    reason = refused(f"{site.url}/slow", tmp_path / "corpus", Limits(timeout=0.3))

    assert reason == "timed out after 0.3 s"
    assert time.monotonic() - started < 1.5


def test_an_http_error_is_refused(site: Site, tmp_path: Path) -> None:
    assert refused(f"{site.url}/nothing-here", tmp_path / "corpus") == "HTTP 404 Not Found"


# --- files --------------------------------------------------------------------------------------


def _pdf(encrypt: str | None = None) -> bytes:
    if pub.font_files() is None:
        pytest.skip("no Cyrillic TrueType font to write the PDF with")
    return pub.pdf_file(SEED, encrypt=encrypt)[0]


def _zip_bomb() -> bytes:
    # A real Word file with one more part that unpacks to 128 MB of zeros (about 130 KB packed).
    out = io.BytesIO(pub.word_file(SEED))
    with (
        zipfile.ZipFile(out, "a", compression=zipfile.ZIP_DEFLATED) as archive,
        archive.open("word/media/bomb.bin", "w", force_zip64=True) as part,
    ):
        zeros = bytes(MB)
        for _ in range(128):
            part.write(zeros)
    return out.getvalue()


def _bad_document_xml() -> bytes:
    out = io.BytesIO()
    with (
        zipfile.ZipFile(io.BytesIO(pub.word_file(SEED))) as source,
        zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as target,
    ):
        for entry in source.infolist():
            data = source.read(entry)
            if entry.filename == "word/document.xml":
                data = data[: len(data) // 2]
            target.writestr(entry, data)
    return out.getvalue()


BAD_FILES: list[tuple[str, str, Callable[[], bytes], str]] = [
    ("truncated PDF", "t.pdf", lambda: _pdf()[: len(_pdf()) // 2],
     "truncated PDF (it does not end with %%EOF)"),
    ("encrypted PDF", "e.pdf", lambda: _pdf(encrypt="secret"),
     "encrypted PDF: it needs a password to open"),
    ("image-only PDF", "scan.pdf", pub.image_only_pdf, "no text layer: run OCR first"),
    ("damaged PDF", "d.pdf", lambda: b"%PDF-1.4\n" + bytes(range(256)) * 20 + b"\n%%EOF\n",
     "not a readable PDF (damaged)"),
    ("truncated Word file", "t.docx", lambda: pub.word_file(SEED)[:3000],
     "not a readable Word file (damaged ZIP"),
    ("Word file with broken XML", "x.docx", _bad_document_xml, "not a readable Word file: "),
    ("zip bomb in a Word file", "bomb.docx", _zip_bomb,
     "Word file unpacks to {unpacked} MB; the limit is 100 MB (a zip bomb?)"),
    ("ZIP that is not Word", "a.docx", lambda: _plain_zip(),
     "a ZIP archive, not a Word .docx file"),
    ("old Word file", "old.doc", lambda: b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(600),
     "an old Word .doc (or other Office 97) file: save it as .docx"),
    ("image", "photo.html", lambda: b"\x89PNG\r\n\x1a\n" + bytes(100),
     "a PNG image, not a document: run OCR first"),
    ("text in another encoding", "cp1251.txt",
     lambda: "Вопрос: Почему?\nОтвет: Потому.\n".encode("cp1251"),
     "not UTF-8 text (byte 0xC2) and no charset is declared"),
    ("empty file", "empty.html", lambda: b"",
     "no questions and answers found in {path}; it begins: no text at all"),
]  # fmt: skip


def _plain_zip() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("readme.txt", "hello")
    return out.getvalue()


@pytest.mark.parametrize(
    ("name", "filename", "build", "reason"), BAD_FILES, ids=[x[0] for x in BAD_FILES]
)
def test_bad_files_are_refused_with_one_line_and_write_nothing(
    tmp_path: Path, name: str, filename: str, build: Callable[[], bytes], reason: str
) -> None:
    path = tmp_path / filename
    path.write_bytes(build())

    got = refused(str(path), tmp_path / "corpus")

    unpacked = ""
    if name.startswith("zip bomb"):
        with zipfile.ZipFile(path) as archive:
            unpacked = f"{sum(e.file_size for e in archive.infolist()) / MB:.0f}"
    assert got.startswith(reason.format(path=path, unpacked=unpacked))


def test_a_pdf_encrypted_without_a_user_password_is_read(tmp_path: Path) -> None:
    # "Printing not allowed" PDFs open for anyone: their text is there to read.
    if pub.font_files() is None:
        pytest.skip("no Cyrillic TrueType font to write the PDF with")
    from reportlab.lib import pdfencrypt

    encrypt = pdfencrypt.StandardEncryption("", ownerPassword="owner", canPrint=0)
    path = tmp_path / "locked.pdf"
    path.write_bytes(pub.pdf_file(SEED, encrypt=encrypt)[0])  # type: ignore[arg-type]

    result = import_source(str(path), tmp_path / "corpus")

    assert result.status == "imported", result.reason


def test_a_file_over_the_size_cap_is_refused_unread(tmp_path: Path) -> None:
    path = tmp_path / "big.html"
    path.write_bytes(pub.bold_page(SEED) + b" " * 2048)

    reason = refused(str(path), tmp_path / "corpus", Limits(max_bytes=1024))

    assert reason.startswith("file is 0.") and reason.endswith("the limit is 0.000976562 MB")


def test_scripts_on_a_page_are_dropped_never_read_as_text(tmp_path: Path) -> None:
    page = pub.label_page(SEED).replace(
        b"</body>",
        b"<script>document.body.innerHTML='<p>\xd0\x9a\xd0\xbe\xd1\x80\xd1\x80.: x?</p>'</script>"
        b"<p onclick=\"fetch('//evil')\">javascript:void(0)</p></body>",
    )
    path = tmp_path / "s.html"
    path.write_bytes(page)

    result = import_source(str(path), tmp_path / "corpus")

    assert result.status == "imported"
    assert result.path is not None
    text = result.path.read_text(encoding="utf-8")
    assert "innerHTML" not in text and "dataLayer" not in text and "evil" not in text
