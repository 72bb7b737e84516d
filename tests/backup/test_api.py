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
from recipevault.jobs.models import JobStatus
from tests.backup import app_with_backups
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
    changed = app_with_backups(app, settings, tmp_path, backup_keep=1)
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


async def test_an_admin_restores_a_backup_over_the_site(
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
    admin = bearer(world.admin, settings, session)
    await session.commit()
    started = await client.post("/api/v1/admin/backups", headers=admin)
    await jobs.run_all(database, changed)
    name = (await client.get(f"/api/v1/jobs/{started.json()['id']}", headers=admin)).json()[
        "result"
    ]["file_name"]

    unconfirmed = await client.post(
        f"/api/v1/admin/backups/{name}/restore", json={"confirm": "yes"}, headers=admin
    )
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["errors"][0]["field"] == "confirm"
    missing = await client.post(
        "/api/v1/admin/backups/nope.zip/restore", json={"confirm": "nope.zip"}, headers=admin
    )
    assert missing.status_code == 404

    # Someone registers after the backup; the restore takes the site back to before.
    late = await client.post(
        "/api/v1/auth/register",
        json={
            "email": "late@example.org",
            "password": "correct horse battery",
            "display_name": "L",
        },
    )
    assert late.status_code == 201
    restore = await client.post(
        f"/api/v1/admin/backups/{name}/restore", json={"confirm": name}, headers=admin
    )
    assert restore.status_code == 202
    ended = await jobs.run_all(database, changed)
    assert ended[restore.json()["id"]] == JobStatus.DONE
    signed_in = await client.post(
        "/api/v1/auth/token",
        data={"username": "late@example.org", "password": "correct horse battery"},
    )
    assert signed_in.status_code == 401
    owner = await client.post(
        "/api/v1/auth/token",
        data={"username": world.owner.email, "password": "correct horse battery"},
    )
    assert owner.status_code == 200
