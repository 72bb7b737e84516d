"""A throwaway PostgreSQL server for the test run, on a unix socket in a temporary folder.

Debian's ``postgresql`` package provides the binaries. PostgreSQL refuses to run as root, so
when the tests run as root the server runs as the unprivileged ``postgres`` user.
"""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

DB_USER = "recipevault"


class PostgresUnavailable(RuntimeError):
    pass


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), reverse=True)
    if not candidates:
        raise PostgresUnavailable(
            "PostgreSQL binaries not found (install Debian's 'postgresql' package)"
        )
    return Path(candidates[0]).parent


@dataclass(frozen=True)
class PostgresServer:
    socket_dir: Path

    def url(self, database: str) -> str:
        return f"postgresql+asyncpg://{DB_USER}@/{database}?host={self.socket_dir}"

    def create_database(self, name: str) -> None:
        self._psql(f'CREATE DATABASE "{name}"')

    def drop_database(self, name: str) -> None:
        self._psql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def _psql(self, sql: str) -> None:
        subprocess.run(
            [
                str(_bindir() / "psql"),
                "-h",
                str(self.socket_dir),
                "-U",
                DB_USER,
                "-d",
                "postgres",
                "-v",
                "ON_ERROR_STOP=1",
                "-qc",
                sql,
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )


def _run_as(user: str | None, args: list[str]) -> None:
    command = ["runuser", "-u", user, "--", *args] if user else args
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        output = result.stderr.strip() or result.stdout.strip()
        raise PostgresUnavailable(f"{Path(args[0]).name} failed ({result.returncode}): {output}")


@contextmanager
def running_postgres() -> Iterator[PostgresServer]:
    bindir = _bindir()
    run_as: str | None = None
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            raise PostgresUnavailable("running as root and no 'postgres' user exists") from None
        run_as = "postgres"

    base = Path(tempfile.mkdtemp(prefix="recipevault-pg-"))
    data_dir, socket_dir = base / "data", base / "sock"
    socket_dir.mkdir()
    if run_as:
        for path in (base, socket_dir):
            shutil.chown(path, user=run_as)
    try:
        _run_as(
            run_as,
            [
                str(bindir / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                DB_USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--no-sync",
            ],
        )
        options = (
            f"-k {socket_dir} -c listen_addresses='' -c fsync=off -c synchronous_commit=off "
            "-c full_page_writes=off -c max_connections=100"
        )
        _run_as(
            run_as,
            [
                str(bindir / "pg_ctl"),
                "-D",
                str(data_dir),
                "-o",
                options,
                "-l",
                str(base / "server.log"),
                "-w",
                "-t",
                "60",
                "start",
            ],
        )
        try:
            yield PostgresServer(socket_dir=socket_dir)
        finally:
            _run_as(
                run_as,
                [str(bindir / "pg_ctl"), "-D", str(data_dir), "-m", "immediate", "-w", "stop"],
            )
    except PostgresUnavailable as exc:
        log = base / "server.log"
        detail = log.read_text()[-2000:] if log.exists() else ""
        raise PostgresUnavailable(f"{exc}\n{detail}".strip()) from None
    finally:
        shutil.rmtree(base, ignore_errors=True)
