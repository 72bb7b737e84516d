"""Running jobs: claiming, items recorded with their work, retries, cancelling, recovery."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.importing.draft import SourceRejected
from recipevault.jobs import service
from recipevault.jobs.models import ItemStatus, Job, JobItem, JobStatus
from recipevault.jobs.runner import (
    JobCancelled,
    JobContext,
    TransientJobError,
    claim,
    job_handler,
    recover_stale_jobs,
    run_job,
)
from tests.support.jobs import RecordingQueue
from tests.support.world import make_user

# What the handlers below saw, per job id, so tests can check what a rerun skips.
SEEN: dict[int, list[int]] = {}


@job_handler("test_items")
async def _items(context: JobContext) -> dict[str, Any]:
    """Handles payload["items"]: "ok", "refuse" (a per-item refusal), "flaky" (transient),
    "cancel" (the job is cancelled while on it), "crash"."""
    items: list[str] = context.payload["items"]
    await context.set_progress(total=len(items))
    done = await context.handled()
    for position, what in enumerate(items):
        if position in done:
            continue
        async with context.item(position, f"item {position}") as outcome:
            SEEN.setdefault(context.job_id, []).append(position)
            if what == "refuse":
                raise SourceRejected("no recipe found on this page")
            if what == "flaky":
                raise TransientJobError("the site timed out")
            if what == "crash":
                raise RuntimeError("secret internals")
            if what == "cancel":
                await outcome.session.execute(
                    update(Job).where(Job.id == context.job_id).values(status=JobStatus.CANCELLED)
                )
                await outcome.session.commit()
            outcome.message = what
    return {"count": len(items)}


async def _job(session: AsyncSession, settings: Settings, items: list[str]) -> int:
    owner = await make_user(session, settings)
    job = await service.create_job(
        session,
        queue=RecordingQueue(),
        kind="test_items",
        owner_id=owner.id,
        payload={"items": items},
    )
    await session.commit()
    return job.id


async def _state(session: AsyncSession, job_id: int) -> tuple[Job, list[JobItem]]:
    session.expire_all()
    job = await session.get_one(Job, job_id)
    items = (
        await session.scalars(
            select(JobItem).where(JobItem.job_id == job_id).order_by(JobItem.position)
        )
    ).all()
    return job, list(items)


async def _run(database: Database, settings: Settings, job_id: int, queue: Any = None) -> Any:
    return await run_job(
        database, settings, queue or RecordingQueue(), job_id, worker="t", heartbeat_seconds=None
    )


async def test_a_job_records_each_item_and_its_progress(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    job_id = await _job(session, settings, ["ok", "refuse", "ok"])
    assert await _run(database, settings, job_id) == JobStatus.DONE
    job, items = await _state(session, job_id)
    assert (job.progress_done, job.progress_total, job.result) == (3, 3, {"count": 3})
    assert job.started_at is not None
    assert job.finished_at is not None
    assert [(i.status, i.message) for i in items] == [
        (ItemStatus.DONE, "ok"),
        (ItemStatus.FAILED, "no recipe found on this page"),
        (ItemStatus.DONE, "ok"),
    ]


async def test_a_finished_job_is_not_run_again(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    job_id = await _job(session, settings, ["ok"])
    assert await _run(database, settings, job_id) == JobStatus.DONE
    assert await _run(database, settings, job_id) is None


async def test_a_job_taken_over_from_a_dead_worker_skips_what_it_recorded(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    job_id = await _job(session, settings, ["ok", "ok", "ok"])
    assert await _run(database, settings, job_id) == JobStatus.DONE
    # As if the worker died after the second item: running, a stale heartbeat, one item lost.
    await session.execute(
        update(Job)
        .where(Job.id == job_id)
        .values(
            status=JobStatus.RUNNING,
            heartbeat_at=utcnow() - timedelta(hours=1),
            progress_done=2,
        )
    )
    await session.execute(delete(JobItem).where(JobItem.position == 2))
    await session.commit()
    SEEN.pop(job_id, None)
    assert await _run(database, settings, job_id) == JobStatus.DONE
    assert SEEN[job_id] == [2]
    job, items = await _state(session, job_id)
    assert [i.position for i in items] == [0, 1, 2]
    assert job.progress_done == 3
    assert job.attempts == 2


async def test_a_running_job_with_a_live_heartbeat_cannot_be_claimed(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    job_id = await _job(session, settings, ["ok"])
    stale = timedelta(seconds=60)
    assert await claim(database, job_id, worker="a", stale_after=stale)
    assert not await claim(database, job_id, worker="b", stale_after=stale)


async def test_transient_failures_retry_with_growing_delays_then_fail(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    job_id = await _job(session, settings, ["ok", "flaky"])
    queue = RecordingQueue()
    delays = []
    for _ in range(settings.job_max_retries):
        assert await _run(database, settings, job_id, queue) == JobStatus.QUEUED
        delays.append(queue.delays[job_id])
        job, _ = await _state(session, job_id)
        assert job.error is not None
        assert "the site timed out; trying again in" in job.error
        assert job.run_after is not None
    assert delays == [
        settings.job_retry_delay_seconds * 2**n for n in range(settings.job_max_retries)
    ]
    # The last attempt records the item as failed and the job still finishes.
    assert await _run(database, settings, job_id, queue) == JobStatus.DONE
    job, items = await _state(session, job_id)
    assert [(i.position, i.status) for i in items] == [
        (0, ItemStatus.DONE),
        (1, ItemStatus.FAILED),
    ]
    assert job.attempts == settings.job_max_retries + 1


async def test_an_unexpected_error_fails_the_job_without_leaking_internals(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    job_id = await _job(session, settings, ["ok", "crash"])
    assert await _run(database, settings, job_id) == JobStatus.FAILED
    job, items = await _state(session, job_id)
    assert job.error is not None
    assert "unexpected error" in job.error
    assert "secret" not in job.error
    assert [i.position for i in items] == [0]  # the crashed item's work was rolled back


async def test_a_job_cancelled_while_running_stops_before_its_next_item(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    job_id = await _job(session, settings, ["ok", "cancel", "ok", "ok"])
    assert await _run(database, settings, job_id) == JobStatus.CANCELLED
    job, items = await _state(session, job_id)
    assert job.status == JobStatus.CANCELLED
    assert job.finished_at is not None
    assert [i.position for i in items] == [0, 1]


async def test_an_unknown_kind_fails_with_its_name(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    job = await service.create_job(
        session, queue=RecordingQueue(), kind="no_such_kind", owner_id=None, payload={}
    )
    await session.commit()
    assert await _run(database, settings, job.id) == JobStatus.FAILED
    refreshed, _ = await _state(session, job.id)
    assert refreshed.error == "unknown job kind 'no_such_kind'"


async def test_recovery_queues_jobs_left_by_dead_workers_and_lost_messages(
    database: Database, session: AsyncSession, settings: Settings
) -> None:
    dead = await _job(session, settings, ["ok"])
    lost = await _job(session, settings, ["ok"])
    waiting = await _job(session, settings, ["ok"])
    busy = await _job(session, settings, ["ok"])
    fresh = await _job(session, settings, ["ok"])
    long_ago = utcnow() - timedelta(hours=1)
    values: dict[int, dict[str, Any]] = {
        dead: {"status": JobStatus.RUNNING, "heartbeat_at": long_ago},
        lost: {"updated_at": long_ago},
        waiting: {"updated_at": long_ago, "run_after": utcnow() + timedelta(hours=1)},
        busy: {"status": JobStatus.RUNNING, "heartbeat_at": utcnow()},
    }
    for job_id, changes in values.items():
        await session.execute(update(Job).where(Job.id == job_id).values(**changes))
    await session.commit()
    queue = RecordingQueue()
    found = await recover_stale_jobs(database, queue, stale_after=timedelta(minutes=1))
    assert set(found) >= {dead, lost}
    assert not {waiting, busy, fresh} & set(found)
    assert set(queue.queued) == set(found)


def test_cancelled_is_an_exception_handlers_may_raise() -> None:
    with pytest.raises(JobCancelled):
        raise JobCancelled
