"""A damaged or hand-edited build is one line and exit status 1, whatever file it is; a file
of the build being served that changes underneath is found at the next reload, which
rebuilds it, and never kills the server."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import ROOT, Tier, copy_seed_corpus, write_config

from interview_bot.cli import cli
from retrieval.indexing import builds
from retrieval.indexing.integrity import manifest_checksum
from retrieval.indexing.loading import EMBEDDINGS, MANIFEST, RECORDS, IndexLoadError, load_index
from retrieval.signals.scoring import SPARSE, STATES, TOKENS
from service.settings import Settings, load_settings
from testkit.commands import FAKE_CLI


def copied(folder: Path, settings: Settings) -> Settings:
    """A config like `settings` with a corpus copy and a copy of its index, in `folder`."""
    copy_seed_corpus(folder / "corpus")
    shutil.copytree(settings.index.dir, folder / "index", symlinks=True)
    return load_settings(write_config(folder, settings), env={})


@pytest.fixture
def own_index(tmp_path: Path, tier: Tier) -> Settings:
    """On each tier's model: the real one has the sparse vectors (sparse.npz)."""
    return copied(tmp_path, tier.settings)


@pytest.fixture
def fake_index(tmp_path: Path, built_settings: Settings) -> Settings:
    """On the fake encoder, for what rebuilds: the checks do not depend on the model."""
    return copied(tmp_path, built_settings)


def build_of(settings: Settings) -> Path:
    build = builds.current_build(settings.index.dir)
    assert build is not None
    return build


def truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def edit_manifest(field: str, value: object, *, checksum: bool = False) -> Callable[[Path], None]:
    def edit(build: Path) -> None:
        manifest = json.loads((build / MANIFEST).read_text())
        manifest[field] = value
        if checksum:  # an edit made to look whole: the files themselves must disagree
            manifest["checksum"] = manifest_checksum(manifest)
        (build / MANIFEST).write_text(json.dumps(manifest))

    return edit


def edit_records(build: Path) -> None:
    records = build / RECORDS
    # The same length: only the hash can tell.
    records.write_text(records.read_text().replace("Астрахани", "Астраханы"))


DAMAGE = {
    # The sparse vectors where the model has them, else the other .npz of the build.
    "truncated-npz": (
        lambda build: truncate(build / (SPARSE if (build / SPARSE).exists() else TOKENS)),
        r"\.npz: [\d,]+ bytes, the manifest says [\d,]+",
    ),
    "truncated-embeddings": (lambda build: truncate(build / EMBEDDINGS), "embeddings.npy: "),
    "edited-records": (edit_records, "records.json changed since the build"),
    "edited-dimension": (edit_manifest("dimension", 999), "manifest.json was edited"),
    "edited-index-type": (edit_manifest("index_type", "IndexHNSWFlat"), "manifest.json was edited"),
    "edited-with-checksum": (
        edit_manifest("dimension", 999, checksum=True),
        "the manifest says dimension 999",
    ),
}


@pytest.mark.parametrize("damage", DAMAGE, ids=list(DAMAGE))
def test_a_damaged_build_is_one_line_and_exit_1(own_index: Settings, damage: str) -> None:
    spoil, message = DAMAGE[damage]
    spoil(build_of(own_index))
    with pytest.raises(IndexLoadError, match=message):
        load_index(own_index.index.dir, own_index.model.spec())
    args = ["--config", str(own_index.path), "ask", "Когда подпишут договор?"]
    result = CliRunner().invoke(cli, args)
    assert result.exit_code == 1, result.output
    (line,) = result.output.strip().splitlines()
    assert line.startswith("error: index in ") and "damaged" in line
    assert line.endswith(": run `interview-bot index`")


def test_index_if_stale_rebuilds_a_damaged_build(fake_index: Settings) -> None:
    truncate(build_of(fake_index) / TOKENS)
    result = CliRunner().invoke(cli, ["--config", str(fake_index.path), "index", "--if-stale"])
    assert result.exit_code == 0, result.output
    assert "rebuilding: index in " in result.output and "tokens.npz: " in result.output
    load_index(fake_index.index.dir, fake_index.model.spec())  # sound again


@pytest.mark.slow  # the console script as a process of its own
def test_the_console_script_says_one_line_for_a_truncated_npz(fake_index: Settings) -> None:
    truncate(build_of(fake_index) / TOKENS)
    done = subprocess.run(
        [sys.executable, "-c", FAKE_CLI, "--config", str(fake_index.path), "web", "--port", "0"],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 1, done.stderr
    errors = [line for line in done.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and "is damaged" in errors[0]
    assert "Traceback" not in done.stderr


_SERVED = textwrap.dedent(
    """
    import asyncio, logging, sys
    from pathlib import Path
    from testkit import fake_encoder
    fake_encoder.register()
    from retrieval.indexing import builds
    from service.answering import AnswerService
    from service.settings import load_settings

    logging.basicConfig(level=logging.INFO, stream=sys.stdout, format="%(message)s")
    settings = load_settings(sys.argv[1], env={})
    service = AnswerService.open(settings)

    async def main():
        served = builds.current_build(settings.index.dir)
        before = await service.ask("Следующий форум планируется провести в Астрахани")
        for name in sys.argv[2:]:  # truncated under the running service
            path = served / name
            path.write_bytes(path.read_bytes()[: path.stat().st_size // 3])
        after = await service.ask("Следующий форум планируется провести в Астрахани")
        print("answered", before.hits[0].paragraph.id, after.hits[0].paragraph.id)
        error = await service.try_reload()
        print("reload", error)
        again = await service.ask("Следующий форум планируется провести в Астрахани")
        print("rebuilt", builds.current_build(settings.index.dir) != served,
              again.hits[0].paragraph.id)
        await service.close()

    asyncio.run(main())
    """
)


def test_a_served_build_changed_underneath_keeps_serving_and_is_rebuilt_at_reload(
    fake_index: Settings,
) -> None:
    done = subprocess.run(
        [sys.executable, "-c", _SERVED, str(fake_index.path), STATES, EMBEDDINGS, TOKENS],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    # A memory-mapped file cut short under a reader kills it with SIGBUS (-7), silently.
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr)
    out = done.stdout
    assert "answered interview/2.2 interview/2.2" in out
    assert "rebuilding the index: index in " in out and "is damaged (" in out
    assert "reload None" in out
    assert "rebuilt True interview/2.2" in out
