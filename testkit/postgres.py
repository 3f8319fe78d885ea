"""The databases the question-log tests run on: a SQLite file per test, and a real
PostgreSQL server started once for the session, with a fresh database per test.

The server is Debian's (`/usr/lib/postgresql/*/bin`), run from a temp dir on a free port
with its unix socket in that dir. PostgreSQL refuses to run as root, and CI runs as root:
then the dir belongs to the `postgres` user and initdb/pg_ctl run through `runuser`.
Loaded by the test modules with `pytest_plugins`, so the server starts once however many
modules use it.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from psycopg import sql

from questionlog.settings import StoreSettings

BACKENDS = ("sqlite", "postgresql")
PASSWORD = "s3cret-pw"  # of the dead PostgreSQL URL: it must never reach the log
_SUPERUSER = "postgres"
_INSTALL = "install Debian's postgresql package (apt-get install postgresql)"


def free_port() -> int:
    """A TCP port on 127.0.0.1 nothing listens on (as long as nobody takes it meanwhile)."""
    with contextlib.closing(socket.socket()) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    def __init__(self, bin: Path, root: Path) -> None:
        self.bin = bin
        self.root = root
        self.data = root / "data"
        self.sockets = root / "sockets"
        self.port = free_port()
        self._names = itertools.count(1)

    def start(self) -> None:
        self.sockets.mkdir()
        owner = self.root.stat()  # the server's user, who must create its socket here
        os.chown(self.sockets, owner.st_uid, owner.st_gid)
        self._run(
            "initdb", "-D", self.data, "-U", _SUPERUSER, "--auth=trust", "-E", "UTF8",
            "--no-locale", "--no-sync",
        )  # fmt: skip
        self.resume()

    def resume(self) -> None:
        """Start the server on its data dir (after `start` made it, and `stop`)."""
        # fsync off: the data dir is thrown away, and the crash test kills the client, not
        # the machine. With it on, the shutdown checkpoint syncs every file of every test's
        # database, which took 10-20 s here.
        options = (
            f"-c port={self.port} -c listen_addresses=127.0.0.1 "
            f"-c unix_socket_directories={self.sockets} -c fsync=off"
        )
        log = self.root / "server.log"
        self._run("pg_ctl", "-D", self.data, "-l", log, "-o", options, "-w", "-t", "30", "start")

    def stop(self) -> None:
        """Stop the server, closing every connection (an outage, or the session's end)."""
        if (self.data / "postmaster.pid").exists():
            self._run("pg_ctl", "-D", self.data, "-m", "fast", "-w", "stop")

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{_SUPERUSER}@/{database}?host={self.sockets}&port={self.port}"

    def new_name(self) -> str:
        return f"questionlog_{next(self._names)}"

    def create_database(self, name: str | None = None) -> str:
        """A new empty database; returns its URL."""
        name = name or self.new_name()
        with psycopg.connect(
            host=str(self.sockets), port=self.port, user=_SUPERUSER, dbname="postgres",
            autocommit=True,
        ) as connection:  # fmt: skip
            connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
        return self.url(name)

    def _run(self, tool: str, *args: str | Path) -> None:
        command = [str(self.bin / tool), *map(str, args)]
        if os.geteuid() == 0:
            command = ["runuser", "-u", _SUPERUSER, "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=60)
        if done.returncode != 0:
            log = self.root / "server.log"
            server_log = log.read_text(errors="replace") if log.exists() else ""
            pytest.fail(
                f"{tool} failed ({done.returncode}):\n{done.stdout}{done.stderr}{server_log}",
                pytrace=False,
            )


def _server_binaries() -> Path:
    """The newest installed server's bin folder, or a failure that says what to install:
    CI must not pass by skipping the PostgreSQL half of the tests."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"),
        key=lambda path: int(path.parent.parent.name) if path.parent.parent.name.isdigit() else 0,
    )
    if not found:
        pytest.fail(f"PostgreSQL server binaries not found in /usr/lib/postgresql: {_INSTALL}")
    return found[-1].parent


def _server_root() -> Path:
    """A temp dir the server may write in. Under root, pytest's own temp dirs are root-only
    (mode 700), so this one is made in /tmp and given to the postgres user."""
    root = Path(tempfile.mkdtemp(prefix="questionlog-pg-"))
    if os.geteuid() == 0:
        try:
            user = pwd.getpwnam(_SUPERUSER)
        except KeyError:
            shutil.rmtree(root)
            pytest.fail(f"no '{_SUPERUSER}' system user to run PostgreSQL as: {_INSTALL}")
        os.chown(root, user.pw_uid, user.pw_gid)
    return root


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    binaries = _server_binaries()
    root = _server_root()
    server = PostgresServer(binaries, root)
    try:
        server.start()
        yield server
    finally:
        try:
            server.stop()
        finally:
            shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(params=BACKENDS)
def store_backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def store_settings(
    store_backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> StoreSettings:
    """Settings for an empty store on `store_backend`: a new SQLite file or PostgreSQL database."""
    if store_backend == "sqlite":
        return StoreSettings(path=tmp_path / "state" / "questions.sqlite3")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return StoreSettings(url=server.create_database())


@pytest.fixture
def dead_store_settings(store_backend: str, tmp_path: Path) -> StoreSettings:
    """A database that cannot be reached: a PostgreSQL port nothing listens on, or a SQLite
    file whose folder is a file."""
    if store_backend == "sqlite":
        (tmp_path / "not-a-folder").write_text("")
        return StoreSettings(path=tmp_path / "not-a-folder" / "questions.sqlite3", queue_size=50)
    return StoreSettings(
        url=f"postgresql://bot:{PASSWORD}@127.0.0.1:{free_port()}/questions", queue_size=50
    )
