"""``recipevault import``: the same imports as the website, run right here with a progress bar.

The jobs are recorded like any other (they show on the person's jobs page) but run in this
process, so importing from the command line needs no worker.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from pathlib import Path

from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from recipevault.accounts.auth import actor_for_job
from recipevault.accounts.service import find_user_by_email
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.importing.schemas import BulkImport, ImportOptions, OnDuplicate
from recipevault.importing.service import start_bulk_import, start_file_import
from recipevault.jobs.models import ItemStatus, Job, JobStatus
from recipevault.jobs.runner import load_handlers, run_job
from recipevault.jobs.service import job_by_id, job_items
from recipevault.media.storage import storage_from_settings
from recipevault.policy import Visibility

POLL_SECONDS = 0.2


class ImportCommandError(Exception):
    """Something the person running the command can fix; printed as one line."""


@dataclass
class _Retries:
    """Delays the runner asks for; this process waits them out instead of a worker."""

    delays: dict[int, float] = field(default_factory=dict)

    def enqueue(self, job_id: int, *, delay_seconds: float = 0) -> None:
        self.delays[job_id] = delay_seconds


@dataclass(frozen=True, slots=True)
class ImportRequest:
    sources: list[str]
    email: str
    household_id: int | None = None
    visibility: Visibility | None = None
    on_duplicate: OnDuplicate = "ask"
    keep_partial: bool = False


def _split(sources: list[str]) -> tuple[list[str], list[Path]]:
    urls = [s for s in sources if s.lower().startswith(("http://", "https://"))]
    files = [Path(s) for s in sources if s not in urls]
    missing = [str(path) for path in files if not path.is_file()]
    if missing:
        raise ImportCommandError(f"no such file: {', '.join(missing)}")
    return urls, files


async def run_import(settings: Settings, request: ImportRequest, console: Console) -> int:
    """Import everything asked for; returns how many items failed."""
    urls, files = _split(request.sources)
    load_handlers()
    database = Database.from_settings(settings)
    retries = _Retries()
    try:
        job_ids = await _start(database, settings, request, urls, files, retries)
        failed = 0
        for job_id in job_ids:
            failed += await _run_with_progress(database, settings, retries, job_id, console)
        return failed
    finally:
        await database.dispose()


async def _start(
    database: Database,
    settings: Settings,
    request: ImportRequest,
    urls: list[str],
    files: list[Path],
    retries: _Retries,
) -> list[int]:
    options = ImportOptions(
        household_id=request.household_id,
        visibility=request.visibility,
        on_duplicate=request.on_duplicate,
    )
    async with database.session() as session:
        user = await find_user_by_email(session, request.email)
        actor = await actor_for_job(session, user.id) if user else None
        if actor is None:
            raise ImportCommandError(f"no active account with the email {request.email}")
        jobs: list[Job] = []
        if urls:
            data = BulkImport(urls=urls, **options.model_dump())
            jobs.append(
                await start_bulk_import(
                    session, queue=retries, actor=actor, data=data, settings=settings
                )
            )
        storage = storage_from_settings(settings)
        for path in files:
            content = await asyncio.to_thread(path.read_bytes)
            if len(content) > settings.upload_max_bytes:
                raise ImportCommandError(f"{path} is larger than the upload limit")
            jobs.append(
                await start_file_import(
                    session,
                    queue=retries,
                    storage=storage,
                    actor=actor,
                    content=content,
                    file_name=path.name,
                    options=options,
                    keep_partial=request.keep_partial,
                )
            )
        await session.commit()
        return [job.id for job in jobs]


async def _run_with_progress(
    database: Database, settings: Settings, retries: _Retries, job_id: int, console: Console
) -> int:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=console, transient=False) as progress:
        task = progress.add_task(f"job {job_id}", total=None)
        while True:
            running = asyncio.create_task(
                run_job(database, settings, retries, job_id, worker="cli", heartbeat_seconds=5)
            )
            while not running.done():
                job = await _job(database, job_id)
                progress.update(
                    task,
                    description=f"job {job_id} ({job.kind})",
                    completed=job.progress_done,
                    total=job.progress_total,
                )
                await asyncio.sleep(POLL_SECONDS)
            ended = running.result()
            if ended != JobStatus.QUEUED:
                break
            delay = retries.delays.pop(job_id, 0)
            progress.update(task, description=f"job {job_id}: trying again in {delay:.0f} s")
            await asyncio.sleep(delay)
        job = await _job(database, job_id)
        progress.update(task, completed=job.progress_done, total=job.progress_total)
    return await _report(database, job, console)


async def _job(database: Database, job_id: int) -> Job:
    async with database.session(write=False) as session:
        return await job_by_id(session, job_id)


async def _report(database: Database, job: Job, console: Console) -> int:
    async with database.session(write=False) as session:
        items = await job_items(session, job_id=job.id, limit=100_000)
    failed = [item for item in items if item.status == ItemStatus.FAILED]
    imported = len(items) - len(failed)
    for item in failed:
        console.print(f"  [red]✗[/red] {escape(item.label)}: {escape(item.message or '')}")
    if job.status == JobStatus.FAILED and not failed:
        console.print(f"  [red]✗[/red] {escape(job.error or '')}")
        return 1
    console.print(f"job {job.id}: {imported} imported, {len(failed)} failed ({job.status.value})")
    return len(failed)
