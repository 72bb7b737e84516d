"""``recipevault backup``: make a backup of the whole site, or restore one into an empty
instance."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from datetime import UTC
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, TypeVar

import typer

from recipevault.command_line import CommandError, command_settings

if TYPE_CHECKING:
    from recipevault.backup.service import Progress
    from recipevault.config import Settings
    from recipevault.db import Database
    from recipevault.media.storage import MediaStorage

T = TypeVar("T")

backup_app = typer.Typer(
    help="Back up the whole site, or restore a backup into an empty instance.",
    no_args_is_help=True,
)


def _run(
    settings: Settings,
    label: str,
    work: Callable[[Database, MediaStorage, Progress], Awaitable[T]],
) -> T:
    """Run ``work`` on the configured database and media with a progress bar; database
    failures become one line for the operator."""
    from rich.console import Console
    from rich.progress import Progress as Bar

    from recipevault.db import Database
    from recipevault.db.migrate import DatabaseUnreachable, reach_database
    from recipevault.media.storage import storage_from_settings

    async def run() -> T:
        database = Database.from_settings(settings)
        try:
            # On stderr, and only on a terminal: stdout carries the summary line for scripts.
            console = Console(stderr=True)
            with Bar(console=console, transient=True, disable=not console.is_terminal) as bar:
                task = bar.add_task(label, total=None)

                async def progress(done: int, total: int) -> None:
                    bar.update(task, completed=done, total=total)

                return await work(database, storage_from_settings(settings), progress)
        finally:
            await database.dispose()

    try:
        return reach_database(settings, lambda: asyncio.run(run()))
    except DatabaseUnreachable as exc:
        raise CommandError(str(exc)) from None


def _size(size: int) -> str:
    for unit, power in (("GB", 3), ("MB", 2), ("KB", 1)):
        if size >= 1024**power:
            return f"{size / 1024**power:.1f} {unit}"
    return f"{size} bytes"


@backup_app.command("create")
def create(
    output: Annotated[
        Path | None,
        typer.Option(
            help="Where to write the archive (default: a new file in RECIPEVAULT_BACKUP_DIR, "
            "keeping the newest RECIPEVAULT_BACKUP_KEEP there)."
        ),
    ] = None,
) -> None:
    """Write every table and media file to one portable zip archive."""
    from recipevault.backup.schedule import backup_file_name, prune_backups
    from recipevault.backup.service import create_backup
    from recipevault.clock import utcnow

    settings = command_settings()
    destination = output or settings.backup_dir / backup_file_name(utcnow())
    started = time.monotonic()
    summary = _run(
        settings,
        "backing up",
        lambda database, storage, progress: create_backup(
            database, storage, destination=destination, progress=progress
        ),
    )
    typer.echo(
        f"backed up {summary.rows:,} rows from {len(summary.tables)} tables and "
        f"{summary.media:,} media files to {summary.path} ({_size(summary.size)}) "
        f"in {time.monotonic() - started:.1f} s"
    )
    if output is None:
        removed = asyncio.run(prune_backups(settings.backup_dir, keep=settings.backup_keep))
        if removed:
            typer.echo(f"removed {len(removed)} older backups (keeping {settings.backup_keep})")


@backup_app.command("restore")
def restore(
    file: Annotated[Path, typer.Argument(help="A backup made by `recipevault backup create`.")],
) -> None:
    """Restore a backup into this instance, whose database and media folder must be empty
    (a new database prepared with `recipevault db upgrade`)."""
    from recipevault.backup.restore import restore_backup

    settings = command_settings()
    started = time.monotonic()
    summary = _run(
        settings,
        "restoring",
        lambda database, storage, progress: restore_backup(
            database, storage, source=file, progress=progress
        ),
    )
    made_at = summary.created_at.astimezone(UTC)
    typer.echo(
        f"restored {summary.rows:,} rows into {len(summary.tables)} tables and "
        f"{summary.media:,} media files from {file} (made on {summary.made_on} at "
        f"{made_at:%Y-%m-%d %H:%M} UTC) in {time.monotonic() - started:.1f} s"
    )
