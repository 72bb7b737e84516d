"""The job service's answers for the processes that run jobs, where no viewer asks."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.jobs import service
from recipevault.jobs.models import JobStatus
from tests.support.jobs import RecordingQueue
from tests.support.world import make_user


async def test_job_by_id_is_the_job_as_it_is_now(
    session: AsyncSession, settings: Settings, jobs: RecordingQueue
) -> None:
    owner = await make_user(session, settings)
    job = await service.create_job(
        session, queue=jobs, kind="test_items", owner_id=owner.id, payload={"items": []}
    )
    job.progress_done = 3
    await session.flush()
    found = await service.job_by_id(session, job.id)
    assert (found.id, found.status, found.progress_done) == (job.id, JobStatus.QUEUED, 3)
