"""A job queue for tests: it remembers what was queued, and runs it when the test asks."""

from __future__ import annotations

from dataclasses import dataclass, field

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.jobs.models import JobStatus
from recipevault.jobs.runner import load_handlers, run_job


@dataclass
class RecordingQueue:
    queued: list[int] = field(default_factory=list)
    delays: dict[int, float] = field(default_factory=dict)

    def enqueue(self, job_id: int, *, delay_seconds: float = 0) -> None:
        self.queued.append(job_id)
        if delay_seconds:
            self.delays[job_id] = delay_seconds

    async def run_all(
        self, database: Database, settings: Settings, *, rounds: int = 10
    ) -> dict[int, JobStatus | None]:
        """Run every queued job, and the retries they queue, in order (at most ``rounds``)."""
        load_handlers()
        ended: dict[int, JobStatus | None] = {}
        for _ in range(rounds):
            if not self.queued:
                break
            batch, self.queued = self.queued, []
            for job_id in batch:
                ended[job_id] = await run_job(
                    database, settings, self, job_id, worker="test", heartbeat_seconds=None
                )
        return ended
