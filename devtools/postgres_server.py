"""A throwaway PostgreSQL 15 cluster on loopback, for the tests and benchmarks of the PostgreSQL
target.

Debian's server binaries (package postgresql-15, which `make test` installs) refuse to run as
root, so when the tests run as root the cluster belongs to the `postgres` system user and its
commands run through `runuser`. Missing binaries are an error, never a skip: a test of the
PostgreSQL target that cannot reach PostgreSQL has not passed.
"""

from __future__ import annotations

import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

BIN_DIR = Path("/usr/lib/postgresql/15/bin")
# The unprivileged system user that owns the cluster when the tests run as root.
SERVER_USER = "postgres"
SUPERUSER = "ase_test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class PostgresServer:
    """A cluster in its own folder, listening on 127.0.0.1:port and a socket in that folder."""

    root: Path
    port: int

    @property
    def data_dir(self) -> Path:
        return self.root / "data"

    def url(self, database: str = "postgres", user: str = SUPERUSER, password: str = "") -> str:
        secret = f":{password}" if password else ""
        return f"postgresql://{user}{secret}@127.0.0.1:{self.port}/{database}"

    def _run(self, *command: str) -> None:
        prefix = ["runuser", "-u", SERVER_USER, "--"] if os.geteuid() == 0 else []
        subprocess.run([*prefix, *command], check=True, capture_output=True, text=True)

    def start(self) -> PostgresServer:
        initdb = BIN_DIR / "initdb"
        if not initdb.exists():
            raise RuntimeError(
                f"{initdb} est introuvable : installez PostgreSQL 15 (make system-deps)."
            )
        if os.geteuid() == 0:
            account = pwd.getpwnam(SERVER_USER)
            os.chown(self.root, account.pw_uid, account.pw_gid)
        # trust on loopback only: the cluster lives for one test session in a private folder.
        self._run(
            str(initdb), "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust",
            "--encoding=UTF8", "--locale=C.UTF-8",
        )  # fmt: skip
        options = f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.root} -c fsync=off"
        self._run(
            str(BIN_DIR / "pg_ctl"), "-D", str(self.data_dir), "-o", options,
            "-l", str(self.root / "server.log"), "-w", "start",
        )  # fmt: skip
        return self

    def stop(self) -> None:
        self._run(str(BIN_DIR / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop")

    def create_database(self, name: str) -> str:
        """A new empty database; returns its URL for the superuser."""
        self._administer(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def recreate_database(self, name: str) -> str:
        """The database emptied: dropped (its sessions ended) and created again."""
        self._administer(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        return self.create_database(name)

    def _administer(self, statement: str) -> None:
        import psycopg2

        admin = psycopg2.connect(self.url())
        admin.autocommit = True
        try:
            with admin.cursor() as cursor:
                cursor.execute(statement)
        finally:
            admin.close()


def start_server() -> PostgresServer:
    """Start a cluster in a new private folder (mode 0700, as PostgreSQL requires)."""
    root = Path(tempfile.mkdtemp(prefix="ase_impact_pg_"))
    return PostgresServer(root, _free_port()).start()


def remove_server(server: PostgresServer) -> None:
    server.stop()
    shutil.rmtree(server.root, ignore_errors=True)
