"""The admins' backup page: back up now, list, and restore with the file name typed again."""

from __future__ import annotations

from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.jobs.models import Job
from tests.backup import app_with_backups
from tests.support.html import flashes
from tests.support.jobs import RecordingQueue
from tests.support.world import make_world, sign_in


async def test_admins_back_up_and_restore_from_the_page(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    database: Database,
    jobs: RecordingQueue,
    tmp_path: Path,
) -> None:
    changed = app_with_backups(app, settings, tmp_path)
    world = await make_world(session, settings)
    await session.commit()

    token = await sign_in(client, world.member.email)
    assert (await client.get("/admin/backups")).status_code == 403
    refused = await client.post("/admin/backups", data={"csrf_token": token})
    assert refused.status_code == 403

    token = await sign_in(client, world.admin.email)
    empty = await client.get("/admin/backups")
    assert "No backups yet." in empty.text
    started = await client.post("/admin/backups", data={"csrf_token": token})
    assert started.status_code == 303
    job_id = int(started.headers["location"].rsplit("/", 1)[1])
    assert (await session.get_one(Job, job_id)).kind == "backup"
    await jobs.run_all(database, changed)

    listed = await client.get("/admin/backups")
    [name] = [path.name for path in (tmp_path / "backups").iterdir()]
    assert f'href="/api/v1/admin/backups/{name}"' in listed.text

    wrong = await client.post(
        f"/admin/backups/{name}/restore", data={"csrf_token": token, "confirm": "yes"}
    )
    assert wrong.headers["location"] == "/admin/backups"
    assert flashes((await client.get("/admin/backups")).text) == [
        "Type the backup's file name to confirm."
    ]
    restore = await client.post(
        f"/admin/backups/{name}/restore", data={"csrf_token": token, "confirm": name}
    )
    assert restore.status_code == 303
    restore_id = int(restore.headers["location"].rsplit("/", 1)[1])
    job = await session.get_one(Job, restore_id)
    assert (job.kind, job.payload) == ("restore", {"name": name})
