"""Several replicas on one build: with [index] read_only a process serves the build
published in [index] dir as it is, never building or writing there, its files mapped; a
SIGHUP moves it to the build published last, and one that fails leaves it on the build it
had. Replicas share the question log on PostgreSQL."""

from __future__ import annotations

import os
import shutil
import signal
import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import numpy as np
import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from conftest import copy_seed_corpus, running_bot, talking_to, write_config
from test_web_serve import SPACE

from bot.texts import ENGLISH
from interview_bot.cli import cli
from questionlog.schema import questions
from questionlog.settings import StoreSettings
from questionlog.store import Store
from records import Decision
from retrieval.indexing import builds
from retrieval.indexing.loading import RECORDS, IndexLoadError
from service.answering import AnswerService
from service.encoder import Encoder
from service.settings import Settings, SettingsError, load_settings
from service.snapshot import ReadOnlyError, open_snapshot, rebuild_index
from testkit.commands import Served, running_command, serve_env
from testkit.fake_telegram import FakeTelegram

if TYPE_CHECKING:
    from testkit.postgres import PostgresServer

pytest_plugins = ["testkit.postgres"]

TREATY = "Следующий форум планируется провести в Астрахани"  # -> interview/2.2
SPACE_QUESTION = "космодром Байконур"  # -> space/1.1, once published


def shared_copy(folder: Path, settings: Settings) -> Path:
    """A copy of `settings`' build folder (builds and `current`), as a shared folder."""
    shutil.copytree(settings.index.dir, folder, symlinks=True)
    return folder


def replica_settings(
    folder: Path, like: Settings, shared: Path, **sections: dict[str, object]
) -> Settings:
    """A read-only replica of `like`'s model and decision on the builds in `shared`. Its
    [corpus] names a folder that does not exist: a replica never reads it."""
    folder.mkdir(parents=True, exist_ok=True)
    config = write_config(
        folder,
        like,
        index={"dir": str(shared), "read_only": True},
        corpus={"dir": str(folder / "no-corpus")},
        **sections,
    )
    return load_settings(config, env={})


def publish_space(folder: Path, like: Settings, shared: Path, encoder: Encoder) -> str:
    """Publish into `shared` a build of the seed corpus and space.txt, as the machine that
    builds would; its build id."""
    corpus = copy_seed_corpus(folder / "corpus")
    (corpus / "space.txt").write_text(
        f"Вопрос\tЧто с сотрудничеством в космосе?\nОтвет\t{SPACE}\n", encoding="utf-8"
    )
    builder = load_settings(write_config(folder, like, index={"dir": str(shared)}), env={})
    rebuild_index(builder, encoder)
    return live_build(shared)


def publish_broken(shared: Path) -> str:
    """Publish into `shared` a copy of the live build with records.json cut short; its id."""
    folder = builds.new_build(shared)
    shutil.copytree(builds.current_build(shared) or shared, folder, dirs_exist_ok=True)
    records = folder / RECORDS
    records.write_bytes(records.read_bytes()[:100])
    builds.publish(shared, folder)
    return live_build(shared)


def live_build(shared: Path) -> str:
    build = builds.current_build(shared)
    assert build is not None
    return build.name


def tree(folder: Path) -> dict[str, object]:
    """Every entry under `folder` with its size and modification time (a symlink: its
    target), to tell that nothing was written."""
    entries: dict[str, object] = {}
    for path in sorted(folder.rglob("*")):
        key = str(path.relative_to(folder))
        if path.is_symlink():
            entries[key] = os.readlink(path)
        else:
            stat = path.stat()
            entries[key] = (stat.st_size, stat.st_mtime_ns)
    return entries


@pytest.fixture
async def replica(
    tmp_path: Path, built_settings: Settings, encoder: Encoder
) -> AsyncIterator[AnswerService]:
    """A read-only replica on a shared copy of the session's build."""
    shared = shared_copy(tmp_path / "shared", built_settings)
    settings = replica_settings(tmp_path / "replica", built_settings, shared)
    service = AnswerService(settings, encoder, open_snapshot(settings))
    yield service
    await service.close()


def mapped_files() -> set[str]:
    """The files this process has memory-mapped."""
    lines = Path("/proc/self/maps").read_text().splitlines()
    return {line.split(maxsplit=5)[5] for line in lines if len(line.split(maxsplit=5)) == 6}


# ---- the read-only setting -----------------------------------------------------------------


async def test_a_replica_serves_the_published_build_mapped_and_writes_nothing(
    replica: AnswerService,
) -> None:
    shared = replica.settings.index.dir
    before = tree(shared)
    (reply,) = replica.answer([TREATY])
    assert reply.decision is Decision.ANSWERED and reply.hits[0].paragraph.id == "interview/2.2"
    assert replica.snapshot.build_id == live_build(shared)
    # Every array of the build stays mapped, however small, and so does the FAISS index:
    # replicas on one machine share those pages.
    index = replica.snapshot.index
    arrays = (index.view_vectors, index.map_points, index.signals.states)
    assert all(isinstance(a, np.memmap) for a in (*arrays, index.signals.word_vectors))
    assert str(index.path / "vectors.faiss") in mapped_files()
    await replica.reload()  # a reload with nothing new published serves the same build
    assert replica.snapshot.build_id == live_build(shared)
    assert tree(shared) == before
    assert not (replica.settings.corpus.dir).exists()


async def test_sighup_moves_a_replica_to_the_build_published_last_or_leaves_it_where_it_was(
    replica: AnswerService, tmp_path: Path, built_settings: Settings, encoder: Encoder
) -> None:
    shared = replica.settings.index.dir
    first = replica.snapshot.build_id
    published = publish_space(tmp_path / "builder", built_settings, shared, encoder)
    assert published != first
    await replica.reload()
    assert replica.snapshot.build_id == published
    (reply,) = replica.answer([SPACE_QUESTION])
    assert reply.hits[0].paragraph.id == "space/1.1"

    broken = publish_broken(shared)
    before = tree(shared)
    error = await replica.try_reload()
    assert error is not None and f"index in {shared / broken} is damaged" in error
    assert f"`interview-bot index --out {shared}`" in error  # publish, not rebuild
    assert replica.snapshot.build_id == published  # still serving
    (reply,) = replica.answer([SPACE_QUESTION])
    assert reply.hits[0].paragraph.id == "space/1.1"
    assert tree(shared) == before  # the damaged build was not rebuilt here
    assert replica.stats.failed_reloads == 1


@pytest.mark.parametrize("found", ["no folder", "empty folder", "another model"])
def test_a_replica_refuses_a_missing_or_stale_build_naming_the_folder_and_builds_nothing(
    tmp_path: Path, built_settings: Settings, found: str
) -> None:
    shared = tmp_path / "shared"
    model = {}
    if found == "empty folder":
        shared.mkdir()
    elif found == "another model":
        shared_copy(shared, built_settings)
        model = {"model": {"name": "fake:128"}}  # the build is fake:256's
    settings = replica_settings(tmp_path / "replica", built_settings, shared, **model)
    before = tree(shared) if shared.exists() else None
    with pytest.raises(IndexLoadError) as refused:
        open_snapshot(settings)
    message = str(refused.value)
    if found == "another model":
        build = builds.current_build(shared)
        assert message.startswith(f"index in {build} built with model fake:256, ")
    else:
        assert message.startswith(f"no index in {shared}: ")
    assert message.endswith(
        f"publish a build made with this config into it (`interview-bot index --out {shared}`); "
        "this replica only reads it ([index] read_only)"
    )
    assert (tree(shared) if shared.exists() else None) == before

    # The servers and the command line say it in one line, exit status 1.
    result = CliRunner().invoke(cli, ["--config", str(settings.path), "ask", TREATY])
    assert result.exit_code == 1
    assert result.output == f"error: {message}\n"


def test_the_index_command_on_a_replicas_config_builds_only_where_it_is_told(
    tmp_path: Path, built_settings: Settings
) -> None:
    shared = shared_copy(tmp_path / "shared", built_settings)
    settings = replica_settings(tmp_path / "replica", built_settings, shared)
    before = tree(shared)
    config = ["--config", str(settings.path)]
    runner = CliRunner()
    for extra in ([], ["--if-stale"]):
        result = runner.invoke(cli, [*config, "index", *extra])
        assert result.exit_code == 1, result.output
        assert result.output.startswith(f"error: {shared} is served read-only ([index] read_only)")
        assert tree(shared) == before
    corpus = copy_seed_corpus(tmp_path / "corpus")
    result = runner.invoke(cli, [*config, "index", "--corpus", str(corpus), "--out", str(shared)])
    assert result.exit_code == 0, result.output
    assert live_build(shared) != before["current"]


async def test_a_replica_adds_no_interview(replica: AnswerService) -> None:
    written: list[bool] = []
    with pytest.raises(ReadOnlyError, match=r"is served read-only \(\[index\] read_only\)"):
        await replica.publish(lambda: written.append(True) or [])
    assert written == []


async def test_a_replicas_bot_reloads_the_build_published_last_and_adds_no_interview(
    replica: AnswerService,
    tg: FakeTelegram,
    tmp_path: Path,
    built_settings: Settings,
    encoder: Encoder,
) -> None:
    admin = 4242
    published = publish_space(
        tmp_path / "builder", built_settings, replica.settings.index.dir, encoder
    )
    async with running_bot(replica, talking_to(tg, admins=(admin,))):
        before = len(tg.calls("sendMessage"))
        tg.push_update(tg.text_update("/reload", user_id=admin, language_code="en"))
        await tg.wait_for("sendMessage", before + 2)
        assert [m["text"] for m in tg.sent()[before:]] == [
            ENGLISH.reloading_published,
            ENGLISH.reloaded.format(paragraphs=12, built_at=replica.snapshot.manifest.built_at),
        ]
        assert replica.snapshot.build_id == published
        for update in (
            tg.document_update(b"%PDF-1.4 interview", user_id=admin),
            tg.text_update("/import https://example.org/interview.html", user_id=admin),
        ):
            before = len(tg.calls("sendMessage"))
            tg.push_update(update)
            await tg.wait_for("sendMessage", before + 1)
            assert "this bot is a replica serving a shared index" in tg.sent()[-1]["text"]
    assert tg.calls("getFile") == []
    assert not replica.settings.corpus.dir.exists()  # nothing staged


def test_read_only_must_be_true_or_false(tmp_path: Path, built_settings: Settings) -> None:
    config = write_config(tmp_path, built_settings, index={"read_only": "yes"})
    with pytest.raises(SettingsError, match=r"index\.read_only must be bool, got 'yes'"):
        load_settings(config, env={})


# ---- two replicas as processes, one build, one log ------------------------------------------


def base_url(served: Served) -> str:
    line = served.wait_for("The search page is at http://127.0.0.1:")
    return line.split(" is at ", 1)[1].split()[0]


@pytest.fixture
def replicas(
    tmp_path: Path, built_settings: Settings, postgres_server: PostgresServer
) -> Iterator[tuple[Path, str, list[tuple[Served, httpx.Client]]]]:
    """Two `interview-bot web` processes on loopback, read-only on one shared build, logging
    to one new PostgreSQL database; yields the shared folder, the database's URL and each
    replica with a client on its address."""
    shared = shared_copy(tmp_path / "shared", built_settings)
    url = postgres_server.create_database()
    configs = [
        replica_settings(tmp_path / name, built_settings, shared, store={"url": url})
        for name in ("one", "two")
    ]
    args = ["-v", "web", "--port", "0"]
    with (
        running_command(args, serve_env(configs[0]), fake_encoder=True) as one,
        running_command(args, serve_env(configs[1]), fake_encoder=True) as two,
    ):
        running = [one, two]
        clients = [httpx.Client(base_url=base_url(served), timeout=30) for served in running]
        for served in running:
            served.wait_for(" ready in ")
        try:
            yield shared, url, list(zip(running, clients, strict=True))
        finally:
            for client in clients:
                client.close()


def health_builds(clients: list[httpx.Client]) -> list[str]:
    return [client.get("/api/health").json()["index"]["build"] for client in clients]


def first_hit(client: httpx.Client, question: str) -> str:
    reply = client.get("/api/search", params={"q": question})
    assert reply.status_code == 200, reply.text
    return str(reply.json()["hits"][0]["paragraph"]["id"])


def hup_and_wait(running: list[Served], text: str) -> list[str]:
    """SIGHUP to each replica; the first line each then logs that contains `text`."""
    counts = [len(served.lines) for served in running]
    for served in running:
        served.process.send_signal(signal.SIGHUP)
    found = []
    for served, count in zip(running, counts, strict=True):
        deadline = time.monotonic() + 30
        while not (new := [line for line in served.lines[count:] if text in line]):
            assert served.process.poll() is None, served.stderr
            assert time.monotonic() < deadline, f"no {text!r} after SIGHUP:\n{served.stderr}"
            time.sleep(0.05)
        found.append(new[0])
    return found


def test_two_replicas_follow_the_published_build_and_share_one_log(
    replicas: tuple[Path, str, list[tuple[Served, httpx.Client]]],
    tmp_path: Path,
    built_settings: Settings,
    encoder: Encoder,
) -> None:
    shared, url, pairs = replicas
    running = [served for served, _ in pairs]
    clients = [client for _, client in pairs]
    first = live_build(shared)
    asked: list[str] = []

    def ask_each(question: str) -> list[str]:
        # Each replica its own wording, so that the log tells both wrote.
        found = []
        for number, client in enumerate(clients, 1):
            asked.append(f"{question} ({number})")
            found.append(first_hit(client, asked[-1]))
        return found

    assert ask_each(TREATY) == ["interview/2.2"] * 2
    assert health_builds(clients) == [first, first]
    assert all(f"({first}, read-only)" in served.wait_for(" ready in ") for served in running)

    published = publish_space(tmp_path / "builder", built_settings, shared, encoder)
    reloaded = hup_and_wait(running, "index reloaded: 12 paragraphs")
    assert all(line.endswith(f"({published})\n") for line in reloaded)
    assert health_builds(clients) == [published, published]
    assert ask_each(SPACE_QUESTION) == ["space/1.1"] * 2

    broken = publish_broken(shared)
    failed = hup_and_wait(running, "reload failed, the previous index keeps serving: ")
    assert all(f"index in {shared / broken} is damaged (records.json: " in line for line in failed)
    assert health_builds(clients) == [published, published]
    assert ask_each(SPACE_QUESTION) == ["space/1.1"] * 2
    assert sorted(p.name for p in shared.iterdir()) == sorted([published, broken, "current"])

    for served in running:
        assert served.stop() == 0, served.stderr  # the log writes what is queued first
        assert "Traceback" not in served.stderr
    with Store.open(StoreSettings(url=url)) as store, store.engine.connect() as connection:
        logged = connection.scalars(sa.select(questions.c.text)).all()
    assert sorted(logged) == sorted(asked)
