"""Word files (.docx) with python-docx: the body's paragraphs (and table cells) in order, with
bold and italic as Word resolves them (run, character style, paragraph style), Heading styles
as headings, and the core title and created date. Page headers and footers are not part of
the body, so they never reach the text.

The ZIP is checked before python-docx opens it: the sizes its entries declare must add up to
less than the cap, and Python's zipfile stops any entry at its declared size (a lying entry
then fails its CRC), so a zip bomb is refused without being unpacked.
"""

from __future__ import annotations

import zipfile
from io import BytesIO
from typing import Any

from .blocks import BlockBuilder, Extracted, Metadata, Refused, clean, language
from .sources import MB, Limits

_HEADING_STYLES = ("heading", "title", "subtitle", "заголовок")


def read_docx(data: bytes, limits: Limits) -> Extracted:
    _check_zip(data, limits)
    import docx
    from docx.oxml.ns import qn
    from docx.table import Table
    from docx.text.paragraph import Paragraph

    try:
        document = docx.Document(BytesIO(data))
    except Exception as exc:  # python-docx raises many kinds on damaged input; none is fatal here
        raise Refused(f"not a readable Word file: {type(exc).__name__}: {exc}") from None
    builder = BlockBuilder()
    try:
        for element in document.element.body.iterchildren():
            if element.tag == qn("w:p"):
                _paragraph(Paragraph(element, document), builder)
            elif element.tag == qn("w:tbl"):
                seen: set[int] = set()
                for row in Table(element, document).rows:
                    for cell in row.cells:
                        # A merged cell appears once per grid column it spans.
                        if id(cell._tc) in seen:
                            continue
                        seen.add(id(cell._tc))
                        for paragraph in cell.paragraphs:
                            _paragraph(paragraph, builder)
    except Exception as exc:  # a document.xml python-docx opened but cannot walk
        raise Refused(f"not a readable Word file: {type(exc).__name__}: {exc}") from None
    core = document.core_properties
    created = core.created
    return Extracted(
        builder.blocks,
        Metadata(
            title=clean(core.title or "") or None,
            date=created.date().isoformat() if created else None,
            language=language(core.language),
        ),
    )


def _check_zip(data: bytes, limits: Limits) -> None:
    try:
        archive = zipfile.ZipFile(BytesIO(data))
        entries = archive.infolist()
    except (zipfile.BadZipFile, ValueError, OSError) as exc:
        raise Refused(f"not a readable Word file (damaged ZIP: {exc})") from None
    if len(entries) > limits.max_parts:
        raise Refused(f"Word file has {len(entries)} parts; the limit is {limits.max_parts}")
    unpacked = sum(entry.file_size for entry in entries)
    if unpacked > limits.max_unpacked:
        raise Refused(
            f"Word file unpacks to {unpacked / MB:.0f} MB; the limit is "
            f"{limits.max_unpacked / MB:g} MB (a zip bomb?)"
        )
    try:
        damaged = archive.testzip()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise Refused(f"not a readable Word file (damaged ZIP: {exc})") from None
    if damaged is not None:
        raise Refused(f"not a readable Word file (damaged part {damaged})")


def _paragraph(paragraph: Any, out: BlockBuilder) -> None:
    heading = _is_heading(paragraph)
    for run in paragraph.runs:
        bold = _resolved(run, paragraph, "bold")
        italic = _resolved(run, paragraph, "italic")
        # A line break inside a paragraph (Shift+Enter) ends a block, as <br> does on a page.
        for number, piece in enumerate(run.text.split("\n")):
            if number:
                out.end()
            out.add(piece.replace("\t", " "), bold=bold, italic=italic, heading=heading)
    out.end()


def _resolved(run: Any, paragraph: Any, attribute: str) -> bool:
    value = getattr(run.font, attribute)
    if value is not None:
        return bool(value)
    for style in (_safe_style(run), _safe_style(paragraph)):
        while style is not None:
            value = getattr(style.font, attribute, None)
            if value is not None:
                return bool(value)
            style = style.base_style
    return False


def _safe_style(item: Any) -> Any:
    try:
        return item.style
    except (KeyError, ValueError, AttributeError):
        return None


def _is_heading(paragraph: Any) -> bool:
    style = _safe_style(paragraph)
    while style is not None:
        if (style.name or "").lower().startswith(_HEADING_STYLES):
            return True
        style = style.base_style
    p_pr = paragraph._p.pPr
    return p_pr is not None and any(child.tag.endswith("}outlineLvl") for child in p_pr)
