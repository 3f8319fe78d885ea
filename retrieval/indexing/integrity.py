"""What a build's manifest records of its files, to tell a damaged or hand-edited build from
a sound one before anything reads it.

Each file's size, and a SHA-256: of the whole file up to `FULL_HASH_MAX` bytes, else of a
sample (the size, the first and last MiB, and `SAMPLE_BLOCKS` blocks spread between), so
that checking a build of many gigabytes, whose large files are memory-mapped rather than
read, costs a few megabytes of reading. The manifest itself carries a checksum of its own
fields: an edited `dimension` or `index_type` would otherwise describe another index.

A truncated or edited file is then one line ("index in … is damaged (sparse.npz: 1,024
bytes, the manifest says 88,311)") instead of whatever the parser of that file raises
halfway through, and a file changed under a running server is found at its next reload.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

FULL_HASH_MAX = 64 << 20
_EDGE = 1 << 20
_BLOCK = 64 << 10
SAMPLE_BLOCKS = 64


def describe_files(folder: Path, names: list[str]) -> dict[str, dict[str, Any]]:
    """What the manifest records of each of `names` in `folder`."""
    return {name: _describe(folder / name) for name in sorted(names)}


def damage(folder: Path, files: dict[str, dict[str, Any]]) -> str | None:
    """The first way `folder`'s files differ from what the manifest recorded, in words, or
    None when each is there with its size and hash."""
    if not files:
        return "the manifest lists no files"
    for name, recorded in sorted(files.items()):
        path = folder / name
        try:
            size = path.stat().st_size
        except OSError:
            return f"{name} is missing"
        if size != recorded.get("size"):
            return f"{name}: {size:,} bytes, the manifest says {recorded.get('size', 0):,}"
        try:
            now = _describe(path, size)
        except OSError as error:
            return f"{name} cannot be read ({error.strerror or error})"
        if now != recorded:
            return f"{name} changed since the build (its hash differs)"
    return None


def manifest_checksum(fields: dict[str, Any]) -> str:
    """A hash of the manifest's fields but this one: a hand edit shows as a mismatch."""
    body = {k: v for k, v in fields.items() if k != "checksum"}
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def _describe(path: Path, size: int | None = None) -> dict[str, Any]:
    size = path.stat().st_size if size is None else size
    if size <= FULL_HASH_MAX:
        return {"size": size, "sha256": _sha256(path)}
    return {"size": size, "sample_sha256": _sample_sha256(path, size)}


def _sha256(path: Path) -> str:
    with path.open("rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def _sample_sha256(path: Path, size: int) -> str:
    digest = hashlib.sha256(str(size).encode())
    step = (size - 2 * _EDGE) // (SAMPLE_BLOCKS + 1)
    spans = [(0, _EDGE), *((_EDGE + step * (i + 1), _BLOCK) for i in range(SAMPLE_BLOCKS))]
    spans.append((size - _EDGE, _EDGE))
    with path.open("rb") as file:
        for offset, length in spans:
            file.seek(offset)
            digest.update(file.read(length))
    return digest.hexdigest()
