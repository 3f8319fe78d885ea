"""The corpus files of an import: `<slug>.txt` in the corpus format and `<slug>.toml` beside
it, checked by the corpus's own parser before they are put in place.

* The slug is made of the title (or the source's name), transliterated to ASCII letters,
  digits and hyphens: paragraph ids are `<slug>/<answer>.<paragraph>` and travel in URLs and
  chat buttons, and no `../` or odd character from a source can reach a path.
* Both files are written into a hidden folder inside the corpus folder, parsed there with
  `retrieval.corpus.parse_document`, compared with what was meant, and only then linked into
  place (sidecar first, so the transcript never appears without its metadata). A name already
  taken is never overwritten.
* A source whose paragraphs are (nearly) all in one document of the corpus already is a
  duplicate of it, compared on letters and digits only, so that a repost with other quotes or
  dashes still matches.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from retrieval.corpus import CorpusError, parse_document

from .blocks import Metadata, Refused, clean
from .structure import Answer, Interview

# "Nearly all": reposts add or drop a paragraph ("Photo: ...", an editor's note).
DUPLICATE_SHARE = 0.9
MAX_SLUG = 60
_FIELDS = ("title", "date", "interviewee", "interviewer", "outlet", "source_url", "language")
_LATIN = (
    ("а", "a"), ("б", "b"), ("в", "v"), ("г", "g"), ("д", "d"), ("е", "e"), ("ё", "e"),
    ("ж", "zh"), ("з", "z"), ("и", "i"), ("й", "y"), ("к", "k"), ("л", "l"), ("м", "m"),
    ("н", "n"), ("о", "o"), ("п", "p"), ("р", "r"), ("с", "s"), ("т", "t"), ("у", "u"),
    ("ф", "f"), ("х", "kh"), ("ц", "ts"), ("ч", "ch"), ("ш", "sh"), ("щ", "shch"), ("ъ", ""),
    ("ы", "y"), ("ь", ""), ("э", "e"), ("ю", "yu"), ("я", "ya"),
    # Kazakh letters beyond the Russian alphabet.
    ("ә", "a"), ("ғ", "g"), ("қ", "q"), ("ң", "n"), ("ө", "o"), ("ұ", "u"), ("ү", "u"),
    ("һ", "h"), ("і", "i"),
)  # fmt: skip
_TRANSLIT = dict(_LATIN)


def render(interview: Interview) -> str:
    lines: list[str] = []
    section: str | None = None
    for answer in interview.answers:
        if answer.section and answer.section != section:
            lines.append(answer.section)
        section = answer.section
        lines.append(f"Вопрос\t{answer.question}")
        first, *rest = answer.paragraphs
        lines.append(f"Ответ\t{first}")
        lines.extend(f"\t{paragraph}" for paragraph in rest)
    return "\n".join(lines) + "\n"


def sidecar(metadata: Metadata, source: str) -> str:
    lines = [f"# Imported from {clean(source)} by `interview-bot import`."]
    for name in _FIELDS:
        value = getattr(metadata, name)
        if value:
            # A JSON string with no ASCII escapes is a valid TOML basic string.
            lines.append(f"{name} = {json.dumps(clean(value), ensure_ascii=False)}")
    return "\n".join(lines) + "\n"


def slug(title: str | None, fallback: str) -> str:
    for text in (title, fallback):
        if not text:
            continue
        text = unicodedata.normalize("NFKC", text).lower()
        ascii_text = "".join(_TRANSLIT.get(c, c) for c in text)
        ascii_text = unicodedata.normalize("NFKD", ascii_text).encode("ascii", "ignore").decode()
        words = re.findall(r"[a-z0-9]+", ascii_text)
        name = ""
        for word in words:
            candidate = f"{name}-{word}" if name else word
            if len(candidate) > MAX_SLUG:
                break
            name = candidate
        if name:
            return name
    return "interview"


def _key(text: str) -> str:
    return "".join(c for c in text.casefold() if c.isalnum())


@dataclass(frozen=True)
class Duplicate:
    path: Path
    shared: int
    total: int


def find_duplicate(interview: Interview, folder: Path) -> Duplicate | None:
    keys = {_key(p) for answer in interview.answers for p in answer.paragraphs}
    keys.discard("")
    if not keys or not folder.is_dir():
        return None
    best: Duplicate | None = None
    for path in sorted(folder.glob("*.txt")):
        if path.name.startswith("."):
            continue
        try:
            _, records = parse_document(path)
        except CorpusError:
            continue  # a broken document is the corpus's problem, reported when it is indexed
        shared = len(keys & {_key(record.text) for record in records})
        if shared >= DUPLICATE_SHARE * len(keys) and (best is None or shared > best.shared):
            best = Duplicate(path, shared, len(keys))
    return best


def free_name(folder: Path, stem: str) -> str:
    name, number = stem, 1
    while (folder / f"{name}.txt").exists() or (folder / f"{name}.toml").exists():
        number += 1
        name = f"{stem}-{number}"
    return name


def check(
    transcript: str, metadata_toml: str, interview: Interview, folder: Path, stem: str
) -> None:
    """Write both files into `folder` and read them back with the corpus parser."""
    text_path = folder / f"{stem}.txt"
    (folder / f"{stem}.toml").write_text(metadata_toml, encoding="utf-8")
    text_path.write_text(transcript, encoding="utf-8")
    try:
        _, records = parse_document(text_path)
    except CorpusError as exc:
        raise Refused(f"the corpus parser refuses the result: {exc.reason}") from None
    read: list[Answer] = []
    for record in records:
        if record.position == 1:
            read.append(Answer(record.question, (), record.section))
        last = read[-1]
        read[-1] = Answer(last.question, (*last.paragraphs, record.text), last.section)
    if tuple(read) != interview.answers:
        raise Refused(
            "the transcript would not read back as it was found (a paragraph in capitals?)"
        )


def write(
    transcript: str, metadata_toml: str, interview: Interview, folder: Path, stem: str
) -> Path:
    """Check, then put `<stem>.txt` and `<stem>.toml` in `folder`; returns the transcript's path."""
    folder.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".import-", dir=folder))
    try:
        check(transcript, metadata_toml, interview, staging, stem)
        placed: list[Path] = []
        try:
            for suffix in (".toml", ".txt"):
                target = folder / f"{stem}{suffix}"
                _place(staging / f"{stem}{suffix}", target)
                placed.append(target)
        except FileExistsError:
            for path in placed:
                path.unlink(missing_ok=True)
            raise Refused(f"{stem} was created in {folder} meanwhile; nothing written") from None
        return folder / f"{stem}.txt"
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _place(source: Path, target: Path) -> None:
    # A hard link never replaces an existing file, unlike a rename.
    try:
        os.link(source, target)
    except FileExistsError:
        raise
    except OSError:
        if target.exists():
            raise FileExistsError(target) from None
        os.replace(source, target)
