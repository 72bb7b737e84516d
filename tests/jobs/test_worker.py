"""A real worker process, killed in the middle of a job: nothing is lost or done twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.importing.schemas import BulkImport
from recipevault.importing.service import start_bulk_import
from recipevault.jobs.models import Job, JobItem, JobStatus
from recipevault.jobs.queue import HueyQueue
from recipevault.policy import unscoped
from recipevault.recipes.models import Recipe
from tests.importing.test_api import JSON_LD, page_with
from tests.support.app import make_settings
from tests.support.database import DatabaseFactory, migrate
from tests.support.website import Page, Site, serve_site
from tests.support.world import actor_for, make_user

PAGES = 6
DEADLINE = 90.0


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as site:
        for n in range(PAGES):
            recipe = {**JSON_LD, "name": f"Slow cake {n}"}
            site.pages[f"/cake/{n}"] = Page(page_with(recipe), delay=0.5)
        yield site


def _start_worker(settings: Settings, tmp_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "RECIPEVAULT_DATABASE_URL": settings.database_url,
        "RECIPEVAULT_JOBS_SQLITE_PATH": str(settings.jobs_sqlite_path),
        "RECIPEVAULT_MEDIA_DIR": str(settings.media_dir),
        "RECIPEVAULT_IMPORT_ALLOWED_HOSTS": "127.0.0.1",
        "RECIPEVAULT_JOB_STALE_SECONDS": str(settings.job_stale_seconds),
        "RECIPEVAULT_LOG_LEVEL": "WARNING",
    }
    with (tmp_path / "worker.log").open("ab") as log:
        return subprocess.Popen(
            [sys.executable, "-m", "recipevault", "worker", "--concurrency", "1"],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.kill(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


async def _job(database: Database, job_id: int) -> Job:
    async with database.session(write=False) as session:
        return await session.get_one(Job, job_id)


async def _wait_for(database: Database, job_id: int, done: int, statuses: set[JobStatus]) -> Job:
    started = time.monotonic()
    while time.monotonic() - started < DEADLINE:
        job = await _job(database, job_id)
        if job.progress_done >= done and job.status in statuses:
            return job
        await asyncio.sleep(0.1)
    raise AssertionError(f"job {job_id} did not get there in {DEADLINE} s: {job.status}")


@pytest.mark.sqlite_only
async def test_a_worker_killed_mid_job_loses_nothing(
    databases: DatabaseFactory, site: Site, tmp_path: Path
) -> None:
    url = databases.new_url("worker")
    await asyncio.to_thread(migrate, url)
    settings = make_settings(
        url,
        jobs_sqlite_path=str(tmp_path / "jobs.db"),
        media_dir=str(tmp_path / "media"),
        import_allowed_hosts=["127.0.0.1"],
        job_stale_seconds=2,
    )
    database = Database.from_settings(settings)
    queue = HueyQueue(settings)
    workers: list[subprocess.Popen[bytes]] = []
    try:
        async with database.session() as session:
            user = await make_user(session, settings)
            actor = await actor_for(session, user)
            urls = [site.url(f"/cake/{n}") for n in range(PAGES)]
            job = await start_bulk_import(
                session, queue=queue, actor=actor, data=BulkImport(urls=urls), settings=settings
            )
            job_id = job.id
            await session.commit()
        queue.enqueue(job_id)

        workers.append(_start_worker(settings, tmp_path))
        await _wait_for(database, job_id, 2, {JobStatus.RUNNING})
        os.kill(workers[0].pid, signal.SIGKILL)  # no chance to tidy up
        workers[0].wait()
        interrupted = await _job(database, job_id)
        assert interrupted.status == JobStatus.RUNNING
        assert interrupted.progress_done < PAGES

        workers.append(_start_worker(settings, tmp_path))
        finished = await _wait_for(database, job_id, PAGES, {JobStatus.DONE, JobStatus.FAILED})
        assert finished.status == JobStatus.DONE, (tmp_path / "worker.log").read_text()
        assert finished.attempts == 2
        assert finished.result is not None
        assert finished.result["imported"] == PAGES

        async with database.session(write=False) as session:
            items = (
                await session.scalars(
                    select(JobItem.position).where(JobItem.job_id == job_id).order_by("position")
                )
            ).all()
            titles = (
                await session.scalars(unscoped(select(Recipe.title).order_by(Recipe.title)))
            ).all()
            count = await session.scalar(unscoped(select(func.count()).select_from(Recipe)))
        assert list(items) == list(range(PAGES))
        assert list(titles) == sorted(f"Slow cake {n}" for n in range(PAGES))
        assert count == PAGES
        # Only the page in progress when the worker died was fetched twice.
        assert len(site.hits) <= PAGES + 1
    finally:
        for worker in workers:
            _stop(worker)
        await database.dispose()
