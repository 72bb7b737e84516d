"""The databases a bench run measures: created empty, migrated and seeded by RecipeVault's
own command line, in a temporary folder (SQLite) or a throwaway PostgreSQL server."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

from servers import BenchError, clean_environment

REPO_ROOT = Path(__file__).resolve().parent.parent


@contextmanager
def database_factory(kind: str, work_dir: Path) -> Iterator[Callable[[str], str]]:
    """Yield ``name -> URL`` creating an empty database of ``kind`` each time it is called."""
    if kind == "sqlite":
        yield lambda name: f"sqlite:///{work_dir / name}.db"
        return
    sys.path.insert(0, str(REPO_ROOT))  # the tests' throwaway server, not a copy of it
    from tests.support.postgres import PostgresUnavailable, running_postgres

    try:
        with running_postgres() as server:

            def create(name: str) -> str:
                server.create_database(name)
                return str(server.url(name))

            yield create
    except PostgresUnavailable as exc:
        raise BenchError(f"PostgreSQL could not start: {exc}") from None


def app_environment(database_url: str, work_dir: Path) -> dict[str, str]:
    return {
        "RECIPEVAULT_DATABASE_URL": database_url,
        "RECIPEVAULT_ENV": "development",
        "RECIPEVAULT_LOG_LEVEL": "WARNING",
        "RECIPEVAULT_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "RECIPEVAULT_MEDIA_DIR": str(work_dir / "media"),
        "RECIPEVAULT_OUTBOX_DIR": str(work_dir / "outbox"),
        # The demo data download is shared with `make run`, so it happens once per checkout.
        "RECIPEVAULT_CACHE_DIR": str(REPO_ROOT / "var" / "cache"),
    }


def recipevault_command(
    args: Sequence[str], env: dict[str, str], *, cwd: Path, timeout_s: float
) -> str:
    """Run ``recipevault ARGS`` against the bench database; its output, or a BenchError."""
    command = [sys.executable, "-m", "recipevault.cli", *args]
    try:
        done = subprocess.run(  # noqa: S603 - our own interpreter with arguments we built
            command,
            env=clean_environment(env),
            cwd=cwd,  # no stray .env from the caller's directory
            capture_output=True,
            text=True,
            timeout=timeout_s,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise BenchError(f"`recipevault {' '.join(args)}` took over {timeout_s:.0f} s") from None
    if done.returncode != 0:
        output = (done.stderr.strip() or done.stdout.strip())[-2000:]
        raise BenchError(f"`recipevault {' '.join(args)}` failed ({done.returncode}):\n{output}")
    return done.stdout.strip()


def seed(database: str, size: int, database_url: str, work_dir: Path) -> dict[str, str]:
    """Migrate and seed a fresh database with ``size`` recipes; the app's environment for it."""
    run_dir = work_dir / f"{database}-{size}"
    run_dir.mkdir()
    env = app_environment(database_url, run_dir)
    recipevault_command(["db", "upgrade"], env, cwd=run_dir, timeout_s=300)
    if size:
        started = time.monotonic()
        # Bounded, but loose: seeding 100,000 recipes may take minutes on a slow disk.
        line = recipevault_command(
            ["demo", "synth", "--count", str(size)], env, cwd=run_dir, timeout_s=600 + size / 100
        )
        print(f"  seeded in {time.monotonic() - started:.0f} s: {line.splitlines()[-1:]}")
    return env


def reuse(database: str, size: int, database_url: str, work_dir: Path) -> dict[str, str]:
    """Migrate a database seeded before (``--use``); the app's environment for it."""
    run_dir = work_dir / f"{database}-{size}"
    run_dir.mkdir()
    env = app_environment(database_url, run_dir)
    recipevault_command(["db", "upgrade"], env, cwd=run_dir, timeout_s=1800)
    print(f"  using {database_url} as it is", flush=True)
    return env
