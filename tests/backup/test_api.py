"""/api/v1/admin/backups: admins start a backup job, then list and download the file."""

from __future__ import annotations

import zipfile
from io import BytesIO
from pathlib import Path

import httpx
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from tests.support.app import make_settings
from tests.support.jobs import RecordingQueue
from tests.support.world import bearer, make_world


async def test_an_admin_backs_up_the_site_from_the_api(
    client: httpx.AsyncClient,
    app: FastAPI,
    session: AsyncSession,
    settings: Settings,
    database: Database,
    jobs: RecordingQueue,
    tmp_path: Path,
) -> None:
    changed = make_settings(
        settings.database_url,
        backup_dir=str(tmp_path / "backups"),
        media_dir=str(tmp_path / "media"),
        backup_keep=1,
    )
    app.state.settings = changed
    world = await make_world(session, settings)
    admin = bearer(world.admin, settings, session)
    member = bearer(world.member, settings, session)
    await session.commit()

    assert (await client.post("/api/v1/admin/backups", headers=member)).status_code == 403
    started = await client.post("/api/v1/admin/backups", headers=admin)
    assert started.status_code == 202
    await jobs.run_all(database, changed)
    job = (await client.get(f"/api/v1/jobs/{started.json()['id']}", headers=admin)).json()
    assert job["status"] == "done", job
    name = job["result"]["file_name"]
    assert job["result"]["rows"] > 0

    listed = (await client.get("/api/v1/admin/backups", headers=admin)).json()
    assert [entry["name"] for entry in listed] == [name]
    download = await client.get(f"/api/v1/admin/backups/{name}", headers=admin)
    assert download.status_code == 200
    with zipfile.ZipFile(BytesIO(download.content)) as archive:
        assert "manifest.json" in archive.namelist()
        assert "tables/users.jsonl" in archive.namelist()

    for wrong in ("nope.zip", "..%2F..%2Fetc%2Fpasswd", "recipevault-backup-1.zip"):
        missing = await client.get(f"/api/v1/admin/backups/{wrong}", headers=admin)
        assert missing.status_code == 404
    refused = await client.get(f"/api/v1/admin/backups/{name}", headers=member)
    assert refused.status_code == 403
