"""A worker process: Huey's consumer takes job ids off the queue, and one event loop runs them.

Huey's worker threads block on the coroutine they handed to the loop, so a worker runs as
many jobs at once as it has threads while the database engine and its pool stay on one loop.
The same loop sends heartbeats for running jobs and, every half of ``JOB_STALE_SECONDS``,
queues again the jobs that a dead worker left behind.
"""

from __future__ import annotations

import asyncio
import os
import socket
import threading
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

import structlog

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.jobs.queue import HueyQueue
from recipevault.jobs.runner import load_handlers, recover_stale_jobs, run_job

log = structlog.get_logger("recipevault.jobs")
T = TypeVar("T")

# Work the worker loop does besides jobs, every sweep (scheduled backups register here).
MaintenanceTask = Callable[[Database, Settings, HueyQueue], Awaitable[None]]
MAINTENANCE: list[MaintenanceTask] = []


class Worker:
    def __init__(self, settings: Settings, *, concurrency: int) -> None:
        self.settings = settings
        self.concurrency = concurrency
        self.queue = HueyQueue(settings)
        self.name = f"{socket.gethostname()}:{os.getpid()}"
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="jobs-loop", daemon=True)
        self.database: Database | None = None

    def _call(self, coroutine: Awaitable[T]) -> T:
        async def wrapped() -> T:
            return await coroutine

        return asyncio.run_coroutine_threadsafe(wrapped(), self.loop).result()

    def run(self) -> None:
        """Serve jobs until SIGINT (finish running jobs first) or SIGTERM."""
        load_handlers()
        self._thread.start()
        self.database = Database.from_settings(self.settings)
        maintenance = asyncio.run_coroutine_threadsafe(self._maintain(), self.loop)
        self.queue.serve(self._execute)
        consumer: Any = self.queue.consumer(workers=self.concurrency)
        log.info("worker started", worker=self.name, concurrency=self.concurrency)
        try:
            consumer.run()
        finally:
            maintenance.cancel()
            self._call(self.database.dispose())
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)
            log.info("worker stopped", worker=self.name)

    def _execute(self, job_id: int) -> None:
        assert self.database is not None
        heartbeat = max(1.0, self.settings.job_stale_seconds / 3)
        self._call(
            run_job(
                self.database,
                self.settings,
                self.queue,
                job_id,
                worker=self.name,
                heartbeat_seconds=heartbeat,
            )
        )

    async def _maintain(self) -> None:
        assert self.database is not None
        stale_after = timedelta(seconds=self.settings.job_stale_seconds)
        while True:
            try:
                await recover_stale_jobs(self.database, self.queue, stale_after=stale_after)
                for task in MAINTENANCE:
                    await task(self.database, self.settings, self.queue)
            except Exception:
                log.exception("worker maintenance failed; trying again later")
            await asyncio.sleep(self.settings.job_stale_seconds / 2)
