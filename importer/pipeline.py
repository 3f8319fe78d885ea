"""One source from start to end: read, tell the format, extract, find the interview, check
for a duplicate, check with the corpus parser, write."""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path

from .blocks import Extracted, Metadata, Refused
from .result import Imported
from .sources import Limits, Source, read_source, sniff
from .structure import find_interview
from .writer import check, find_duplicate, free_name, render, sidecar, slug, write

log = logging.getLogger(__name__)


def extract(source: Source, limits: Limits) -> Extracted:
    kind = sniff(source.data)
    if kind == "pdf":
        from .pdf import read_pdf

        return read_pdf(source.data, limits)
    if kind == "docx":
        from .docx import read_docx

        return read_docx(source.data, limits)
    if kind == "html":
        from .html import read_html

        return read_html(source.data, source.charset, source.url)
    from .text import read_text

    return read_text(source.data, source.charset)


def import_source(
    spec: str | Source,
    into: Path,
    *,
    dry_run: bool = False,
    force: bool = False,
    limits: Limits | None = None,
) -> Imported:
    """Import one file or URL into the corpus folder `into`; never raises for bad input.

    `spec` may also be a source already read (the bot's uploads: bytes it downloaded and kept
    until an administrator publishes them, so that what is published is what was previewed).
    """
    limits = limits or Limits()
    name = spec.name if isinstance(spec, Source) else spec
    result = Imported(source=name, status="refused")
    try:
        source = spec if isinstance(spec, Source) else read_source(spec, limits)
        extracted = extract(source, limits)
        result.metadata = extracted.metadata
        interview = find_interview(extracted.blocks, source.name)
        result.interview = interview
        result.metadata.merge(
            Metadata(
                interviewer=interview.interviewer,
                interviewee=interview.interviewee,
                source_url=source.url,
            )
        )
        transcript = render(interview)
        stem = slug(result.metadata.title, source.stem)
        duplicate = find_duplicate(interview, into)
        if duplicate is not None:
            result.path = duplicate.path
            reason = (
                f"same interview as {duplicate.path.name} ({duplicate.shared} of "
                f"{duplicate.total} paragraphs)"
            )
            # Byte for byte the same transcript: writing it again would only make the corpus
            # hold it twice, which the index refuses.
            identical = duplicate.path.read_text(encoding="utf-8", errors="replace") == transcript
            if not force or identical:
                result.status, result.reason = "duplicate", reason
                return result
        stem = free_name(into, stem) if into.is_dir() else stem
        metadata_toml = sidecar(result.metadata, source.url or Path(source.name).name)
        if dry_run:
            with tempfile.TemporaryDirectory() as folder:
                check(transcript, metadata_toml, interview, Path(folder), stem)
            result.path, result.dry_run = into / f"{stem}.txt", True
        else:
            result.path = write(transcript, metadata_toml, interview, into, stem)
        result.status = "imported"
    except Refused as exc:
        result.status, result.reason = "refused", exc.reason
    except Exception as exc:  # one bad source must not stop the others
        log.exception("importing %s failed", name)
        result.status, result.reason = "refused", f"cannot import: {type(exc).__name__}: {exc}"
    return result
