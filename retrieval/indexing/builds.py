"""Index builds on disk: each build in its own folder, `current` a symlink to the live one.

A build is written into a fresh folder and only then published by replacing the
`current` symlink with `os.replace`, which is atomic: a reader sees the old build or the
new one, never a half-written one, and a failed build leaves the old one serving.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from datetime import UTC, datetime
from pathlib import Path

CURRENT = "current"
_KEEP_OLD_BUILDS = 1


def current_build(root: Path) -> Path | None:
    """The live build folder, or None when nothing was published yet."""
    link = root / CURRENT
    if not link.is_symlink() and not link.exists():
        return None
    return link.resolve()


def new_build(root: Path) -> Path:
    """A fresh, empty folder for a build, not yet visible to readers."""
    root.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    return Path(tempfile.mkdtemp(prefix=f".build-{stamp}-", dir=root))


def publish(root: Path, build: Path) -> Path:
    """Make `build` the live build atomically and prune older ones."""
    _fsync_tree(build)
    final = build.with_name(build.name.lstrip("."))
    build.rename(final)
    tmp_link = root / f".{CURRENT}.{os.getpid()}"
    tmp_link.unlink(missing_ok=True)
    tmp_link.symlink_to(final.name)
    os.replace(tmp_link, root / CURRENT)
    _fsync_dir(root)
    _prune(root, keep=final)
    return final


def discard(build: Path) -> None:
    shutil.rmtree(build, ignore_errors=True)


def write_json(path: Path, data: object) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")


def _prune(root: Path, keep: Path) -> None:
    builds = sorted(
        (p for p in root.glob("build-*") if p.is_dir() and p != keep),
        key=lambda p: p.name,
    )
    for old in builds[: max(0, len(builds) - _KEEP_OLD_BUILDS)]:
        shutil.rmtree(old, ignore_errors=True)
    # Leftovers of crashed builds are never published; a running build is younger than this.
    for stale in root.glob(".build-*"):
        if stale.is_dir() and _age_s(stale) > 3600:
            shutil.rmtree(stale, ignore_errors=True)


def _age_s(path: Path) -> float:
    return datetime.now(UTC).timestamp() - path.stat().st_mtime


def _fsync_tree(folder: Path) -> None:
    for path in folder.iterdir():
        if path.is_file():
            with path.open("rb") as fh:
                os.fsync(fh.fileno())
    _fsync_dir(folder)


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
