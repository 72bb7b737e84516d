"""The export page: zip or CSV, each a button that starts a job followed on its page."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.jobs.models import Job
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import RecipeCreate
from tests.support.app import make_settings
from tests.support.html import flashes
from tests.support.jobs import RecordingQueue
from tests.support.world import actor_for, make_user, sign_in


@pytest.fixture
def media_settings(settings: Settings, tmp_path: Path) -> Settings:
    return make_settings(settings.database_url, media_dir=str(tmp_path / "media"))


async def test_visitors_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/exports")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fexports"


async def test_the_page_explains_both_formats(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    token = await sign_in(client, user.email)
    page = await client.get("/exports")
    assert page.status_code == 200
    assert re.findall(r'<input type="hidden" name="format" value="(\w+)">', page.text) == [
        "zip",
        "csv",
    ]
    assert page.text.count(f'name="csrf_token" value="{token}"') >= 2
    assert "imports it back exactly" in page.text
    assert "for a spreadsheet" in page.text
    assert f"downloaded for {settings.export_ttl_hours} hours" in page.text


async def test_an_export_starts_a_job_and_its_page_offers_the_file(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    app: FastAPI,
    media_settings: Settings,
    jobs: RecordingQueue,
    database: Database,
) -> None:
    app.state.settings = media_settings  # the download reads this test's media folder
    user = await make_user(session, settings)
    await recipes.create_recipe(
        session, actor=await actor_for(session, user), data=RecipeCreate(title="Pea soup")
    )
    token = await sign_in(client, user.email)
    started = await client.post("/exports", data={"csrf_token": token, "format": "csv"})
    assert started.status_code == 303
    found = re.fullmatch(r"/jobs/(\d+)", started.headers["location"])
    assert found
    job_id = int(found.group(1))
    assert jobs.queued == [job_id]
    job = await session.get_one(Job, job_id)
    assert (job.kind, job.payload) == ("export", {"format": "csv"})
    waiting = await client.get(f"/jobs/{job_id}")
    assert flashes(waiting.text) == [
        "Your export has started. The file can be downloaded here when it is ready."
    ]
    assert "Export as CSV" in waiting.text

    await jobs.run_all(database, media_settings)
    done = await client.get(f"/jobs/{job_id}")
    link = f'<a class="button" href="/api/v1/exports/{job_id}/download" download>'
    assert link in done.text
    assert "1 recipe exported." in done.text
    download = await client.get(f"/api/v1/exports/{job_id}/download")
    assert download.status_code == 200
    assert "Pea soup" in download.text


async def test_an_unknown_format_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, jobs: RecordingQueue
) -> None:
    user = await make_user(session, settings)
    token = await sign_in(client, user.email)
    refused = await client.post("/exports", data={"csrf_token": token, "format": "pdf"})
    assert refused.status_code == 400
    assert "Choose one of the options. Export as a zip archive or as CSV." in refused.text
    assert jobs.queued == []


async def test_a_missing_format_means_zip(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings)
    token = await sign_in(client, user.email)
    started = await client.post("/exports", data={"csrf_token": token})
    assert started.status_code == 303
    job_id = int(started.headers["location"].rsplit("/", 1)[1])
    job = await session.get_one(Job, job_id)
    assert job.payload == {"format": "zip"}


async def test_starting_an_export_needs_the_csrf_token(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, jobs: RecordingQueue
) -> None:
    user = await make_user(session, settings)
    await sign_in(client, user.email)
    refused = await client.post("/exports", data={"format": "zip"})
    assert refused.status_code == 403
    assert jobs.queued == []
