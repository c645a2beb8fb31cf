"""A throw-away PostgreSQL server from Debian's binaries, for the tests and the audience benchmark.

`PostgresServer` runs initdb and pg_ctl (as the ``postgres`` user when we are root, since PostgreSQL
refuses to run as root) in a temporary folder, on a free loopback port, with a Unix socket in that
folder only. `stop()` and `start()` may be called again, as a test of a database going away does.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

TEST_URL_ENV = "KMEANS_LAB_TEST_POSTGRES_URL"
INSTALL_HINT = "apt-get install -y postgresql"


class PostgresUnavailable(RuntimeError):
    """PostgreSQL's binaries are missing or the server would not start; the message says which."""


def postgres_bin_dir() -> Path | None:
    """Debian's newest /usr/lib/postgresql/<version>/bin holding initdb and pg_ctl, or None."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parent.parent.name))
    return found[-1].parent if found else None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class PostgresServer:
    """One PostgreSQL server in its own temporary folder; `url` reaches its ``postgres`` database."""

    def __init__(self, *, durable: bool = False):
        self.bin_dir = postgres_bin_dir()
        if self.bin_dir is None:
            raise PostgresUnavailable(f"PostgreSQL is not installed (no initdb, pg_ctl): {INSTALL_HINT}")
        self.durable = durable  # False: fsync off, fine for a server thrown away after the tests
        self.folder = Path(tempfile.mkdtemp(prefix="kmeans-lab-postgres-"))
        self.data = self.folder / "data"
        self.log = self.folder / "server.log"
        self.port = free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(self.folder, "postgres", "postgres")
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> PostgresServer:
        """Start the server (waiting until it accepts connections); returns self."""
        options = f"-p {self.port} -k {self.folder} -c listen_addresses=127.0.0.1 -c max_connections=200"
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off"  # a crash of the machine loses it: fine
        self._run(
            "pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start"
        )
        return self

    def stop(self) -> None:
        """Stop the server as an administrator would: open connections are cut, committed data kept."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def remove(self) -> None:
        """Stop the server if it runs, and delete its folder."""
        if (self.data / "postmaster.pid").exists():
            with contextlib.suppress(PostgresUnavailable):
                self.stop()
        shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [str(self.bin_dir / program), *args]
        if self._as_postgres:
            command = ["runuser", "-u", "postgres", "--", *command]
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.folder, timeout=120)
        if done.returncode:
            log = self.log.read_text()[-2000:] if self.log.exists() else ""
            raise PostgresUnavailable(f"{program} failed ({done.returncode}): {done.stderr.strip()} {log}")


def start_postgres(*, durable: bool = False, attempts: int = 3) -> PostgresServer:
    """A new server, started; a port taken meanwhile by someone else is retried with another."""
    for attempt in range(attempts):
        server = PostgresServer(durable=durable)
        try:
            return server.start()
        except PostgresUnavailable:
            server.remove()
            if attempt == attempts - 1:
                raise
            time.sleep(0.5)
    raise AssertionError("unreachable")


def create_database(server_url: str) -> str:
    """A new empty database on the server at `server_url`; returns its URL."""
    import psycopg

    name = f"lab_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return server_url.rsplit("/", 1)[0] + "/" + name


def drop_database(database_url: str) -> None:
    """Drop a database made by `create_database`, cutting any connection still open to it."""
    import psycopg

    server_url, name = database_url.rsplit("/", 1)
    with psycopg.connect(_libpq(server_url + "/postgres"), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_schema(server_url: str) -> str:
    """A new empty schema in the server's database, as a URL whose connections use only it.

    Much faster than a new database (milliseconds, not seconds), so each test can have its own.
    """
    import psycopg

    name = f"lab_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    return f"{server_url}?options=-csearch_path%3D{name}"


def drop_schema(schema_url: str) -> None:
    """Drop a schema made by `create_schema`, with every table in it."""
    import psycopg

    server_url, name = schema_url.split("?options=-csearch_path%3D")
    with psycopg.connect(_libpq(server_url), autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def _libpq(url: str) -> str:
    # psycopg reads postgresql:// itself; a SQLAlchemy driver suffix would confuse it.
    return url.replace("postgresql+psycopg://", "postgresql://", 1)
