"""The queue that carries job ids to worker processes: Huey, on a SQLite file or on Redis.

The queue only carries ids. What a job is, how far it got and how it ended live in the
``jobs`` table, so a message lost with a killed worker (Huey removes a message when a worker
takes it) loses nothing: the recovery sweep finds the job and queues it again.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cached_property
from typing import Any, Protocol

import structlog
from huey import RedisHuey, SqliteHuey
from huey.api import Huey, TaskWrapper

from recipevault.config import Settings

log = structlog.get_logger("recipevault.jobs")

TASK_NAME = "recipevault.run_job"


class JobQueue(Protocol):
    def enqueue(self, job_id: int, *, delay_seconds: float = 0) -> None:
        """Hand a committed job to the workers. Never raises: a job that could not be queued
        is still in the database, and the recovery sweep queues it later."""


class HueyQueue:
    """Huey on Redis when ``REDIS_URL`` is set, else on a SQLite file beside the database.

    Huey is built on first use, so a web process that never queues a job opens no file."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._executor: Callable[[int], None] | None = None

    @cached_property
    def huey(self) -> Huey:
        if self._settings.redis_url:
            return RedisHuey("recipevault", url=self._settings.redis_url, results=False)
        path = self._settings.jobs_sqlite_path
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey("recipevault", filename=str(path), results=False)

    @cached_property
    def task(self) -> TaskWrapper:
        return self.huey.task(name=TASK_NAME)(self._run)

    def _run(self, job_id: int) -> None:
        if self._executor is None:
            raise RuntimeError("this process runs no jobs; start `recipevault worker`")
        self._executor(job_id)

    def serve(self, executor: Callable[[int], None]) -> None:
        """Make this process a worker: messages taken from the queue call ``executor``."""
        self._executor = executor
        _ = self.task

    def enqueue(self, job_id: int, *, delay_seconds: float = 0) -> None:
        try:
            if delay_seconds > 0:
                self.task.schedule(args=(job_id,), delay=delay_seconds)
            else:
                self.task(job_id)
        except Exception:
            log.exception("job could not be queued; the recovery sweep will", job_id=job_id)

    def consumer(self, *, workers: int) -> Any:
        # No Huey periodic tasks: the worker runs the recovery sweep and scheduled backups on
        # its own event loop. Huey's scheduler still releases delayed retries when due.
        return self.huey.create_consumer(workers=workers, worker_type="thread", periodic=False)

    def pending(self) -> int:
        return int(self.huey.pending_count()) + int(self.huey.scheduled_count())
