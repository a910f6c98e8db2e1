"""A real PostgreSQL server for the tests, from Debian's package (no Docker here).

`initdb` in a temporary folder, `postgres` on a free loopback port, trust authentication
on loopback only; stopped (fast shutdown) and its folder removed at the end. PostgreSQL
refuses to run as root, so as root the server runs as Debian's `postgres` user.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

from psw.storage import free_port

USER, DATABASE = "psw", "psw"


def server_binaries() -> Path | None:
    """The folder of Debian's PostgreSQL server programs (the newest version), or None."""
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/postgres"), key=_version)
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


def _version(path: str) -> int:
    part = Path(path).parts[-3]
    return int(part) if part.isdigit() else 0


class LocalPostgres:
    """`with LocalPostgres() as pg:` a server; `pg.url` is a SQLAlchemy/libpq URL.

    Its folder is a fresh one under the system's temporary folder, not pytest's: as root
    the server's user must reach it, and pytest's folders are the owner's only."""

    def __init__(self):
        self.bin = server_binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL's server is not installed: apt-get install postgresql")
        self.folder = Path(tempfile.mkdtemp(prefix="psw-postgres-"))
        self.port = free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"postgresql://{USER}@127.0.0.1:{self.port}/{DATABASE}"

    def env(self) -> dict[str, str]:
        """libpq's variables, which the dbt profile's postgres target and psw read."""
        return {
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": USER,
            "PGDATABASE": DATABASE,
        }

    def create_database(self, name: str) -> str:
        """A new, empty database on this server (one per test keeps tests apart)."""
        subprocess.run(
            [str(self.bin / "createdb"), "-h", "127.0.0.1", "-p", str(self.port), "-U", USER, name],
            check=True,
            capture_output=True,
        )
        return name

    def dagster_env(self, database: str) -> dict[str, str]:
        """The variables deploy/dagster.yaml reads (trust authentication: any password)."""
        return {
            "DAGSTER_PG_HOST": "127.0.0.1",
            "DAGSTER_PG_PORT": str(self.port),
            "DAGSTER_PG_DB": database,
            "DAGSTER_PG_USERNAME": USER,
            "DAGSTER_PG_PASSWORD": "unused",
        }

    def query(self, database: str, sql: str) -> list[tuple]:
        """Run SQL (committed) and return its rows, if it has any."""
        import psycopg2

        db = psycopg2.connect(host="127.0.0.1", port=self.port, user=USER, dbname=database)
        try:
            with db.cursor() as cursor:
                cursor.execute(sql)
                rows = cursor.fetchall() if cursor.description else []
            db.commit()
            return rows
        finally:
            db.close()

    def _as_owner(self, *command: str) -> list[str]:
        if os.getuid() != 0:
            return list(command)
        return ["runuser", "-u", "postgres", "--", *command]

    def start(self) -> LocalPostgres:
        data = self.folder / "pgdata"
        if os.getuid() == 0:
            shutil.chown(self.folder, "postgres", "postgres")
        initdb = subprocess.run(
            self._as_owner(
                str(self.bin / "initdb"), "-D", str(data), "-U", USER, "-A", "trust", "-E", "UTF8"
            ),
            capture_output=True,
            text=True,
        )
        if initdb.returncode != 0:  # its own words: "exit status 1" alone says nothing
            raise RuntimeError(f"initdb failed ({initdb.returncode}):\n{initdb.stderr[-2000:]}")
        self.process = subprocess.Popen(
            self._as_owner(
                str(self.bin / "postgres"),
                "-D", str(data),
                "-p", str(self.port),
                "-c", "listen_addresses=127.0.0.1",
                "-c", f"unix_socket_directories={self.folder}",
                "-c", "fsync=off",  # a test server: speed over durability
                "-c", "max_connections=200",  # Dagster's runs and dbt's threads
            ),
            stdout=subprocess.DEVNULL,
            stderr=(self.folder / "server.log").open("w"),
        )  # fmt: skip
        self._wait()
        self.create_database(DATABASE)
        return self

    def _wait(self, seconds: float = 30) -> None:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                log = (self.folder / "server.log").read_text()[-2000:]
                raise RuntimeError(f"postgres stopped at start:\n{log}")
            ready = subprocess.run(
                [str(self.bin / "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port)],
                capture_output=True,
            )
            if ready.returncode == 0:
                return
            time.sleep(0.1)
        raise RuntimeError(f"postgres did not answer on port {self.port} in {seconds:.0f} s")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            # pg_ctl, not a signal to our child: as root the child is runuser, which
            # does not pass SIGINT on. Fast: sessions are cut, nothing is kept anyway.
            subprocess.run(
                self._as_owner(
                    str(self.bin / "pg_ctl"),
                    "-D",
                    str(self.folder / "pgdata"),
                    "stop",
                    "-m",
                    "fast",
                ),  # fmt: skip
                capture_output=True,
                timeout=60,
            )
            self.process.wait(timeout=30)
        shutil.rmtree(self.folder, ignore_errors=True)

    def __enter__(self) -> LocalPostgres:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()
