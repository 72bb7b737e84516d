"""/api/v1/jobs: owners and admins follow jobs; owners cancel; admins retry."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.jobs import service
from recipevault.jobs.models import JobStatus
from tests.jobs.test_runner import SEEN  # registers the "test_items" handler
from tests.support.jobs import RecordingQueue
from tests.support.world import bearer, make_world


async def test_the_owner_follows_a_job_to_its_end(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    database: Database,
    jobs: RecordingQueue,
) -> None:
    world = await make_world(session, settings)
    job = await service.create_job(
        session,
        queue=jobs,
        kind="test_items",
        owner_id=world.owner.id,
        payload={"items": ["ok"] * 150 + ["refuse"]},
    )
    await session.commit()
    assert jobs.queued == [job.id]  # queued as the transaction committed
    headers = bearer(world.owner, settings, session)
    await session.commit()
    queued = (await client.get(f"/api/v1/jobs/{job.id}", headers=headers)).json()
    assert (queued["status"], queued["progress_done"], queued["items"]) == ("queued", 0, [])

    await jobs.run_all(database, settings)
    assert SEEN[job.id][-1] == 150
    done = (await client.get(f"/api/v1/jobs/{job.id}", headers=headers)).json()
    assert (done["status"], done["progress_done"], done["progress_total"]) == ("done", 151, 151)
    assert len(done["items"]) == 100
    rest = await client.get(
        f"/api/v1/jobs/{job.id}/items", params={"after": 99, "limit": 100}, headers=headers
    )
    assert [item["position"] for item in rest.json()] == list(range(100, 151))
    assert rest.json()[-1] == {
        "position": 150,
        "label": "item 150",
        "status": "failed",
        "message": "no recipe found on this page",
        "recipe_id": None,
    }
    listed = (await client.get("/api/v1/jobs", headers=headers)).json()
    assert [item["id"] for item in listed["items"]] == [job.id]

    # Others cannot tell it exists; an admin sees it.
    member = bearer(world.member, settings, session)
    admin = bearer(world.admin, settings, session)
    await session.commit()
    assert (await client.get(f"/api/v1/jobs/{job.id}", headers=member)).status_code == 404
    assert (await client.get("/api/v1/jobs", headers=member)).json()["items"] == []
    everyone = (await client.get("/api/v1/admin/jobs", headers=admin)).json()
    assert job.id in [item["id"] for item in everyone["items"]]


async def test_cancel_then_retry(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    database: Database,
    jobs: RecordingQueue,
) -> None:
    world = await make_world(session, settings)
    job = await service.create_job(
        session, queue=jobs, kind="test_items", owner_id=world.owner.id, payload={"items": ["ok"]}
    )
    await session.commit()
    jobs.queued.clear()
    owner = bearer(world.owner, settings, session)
    admin = bearer(world.admin, settings, session)
    await session.commit()

    cancelled = await client.post(f"/api/v1/jobs/{job.id}/cancel", headers=owner)
    assert cancelled.json()["status"] == "cancelled"
    again = await client.post(f"/api/v1/jobs/{job.id}/cancel", headers=owner)
    assert again.status_code == 409
    assert again.json()["detail"] == "The job has already ended (cancelled)."
    assert (
        await client.post(f"/api/v1/admin/jobs/{job.id}/retry", headers=owner)
    ).status_code == 403

    retried = await client.post(f"/api/v1/admin/jobs/{job.id}/retry", headers=admin)
    assert retried.json()["status"] == "queued"
    assert jobs.queued == [job.id]  # queued once the request committed
    assert (await jobs.run_all(database, settings))[job.id] == JobStatus.DONE
    twice = await client.post(f"/api/v1/admin/jobs/{job.id}/retry", headers=admin)
    assert twice.status_code == 409


async def test_a_job_is_queued_only_when_its_transaction_commits(
    session: AsyncSession, settings: Settings
) -> None:
    from recipevault.db import _commit

    queue = RecordingQueue()
    job = await service.create_job(
        session, queue=queue, kind="test_items", owner_id=None, payload={"items": []}
    )
    assert queue.queued == []
    await _commit(session)
    assert queue.queued == [job.id]

    rolled_back = RecordingQueue()
    await service.create_job(
        session, queue=rolled_back, kind="test_items", owner_id=None, payload={"items": []}
    )
    await session.rollback()
    await _commit(session)
    assert rolled_back.queued == []
