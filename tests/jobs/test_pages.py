"""The job pages: your jobs, one job's progress (polled by htmx until it ends), cancelling."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.exporting.service import EXPORT
from recipevault.importing.job_kinds import IMPORT_FILE, IMPORT_URLS
from recipevault.jobs import pages, service
from recipevault.jobs.models import ItemStatus, Job, JobItem, JobStatus
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import RecipeCreate
from tests.support.html import flashes
from tests.support.jobs import RecordingQueue
from tests.support.world import World, actor_for, sign_in

XSS = '<script>alert("x")</script>'


async def make_job(
    session: AsyncSession,
    owner_id: int | None,
    *,
    kind: str = IMPORT_URLS,
    payload: dict[str, Any] | None = None,
    status: JobStatus = JobStatus.QUEUED,
    items: Sequence[tuple[str, ItemStatus, str | None, int | None]] = (),
    total: int | None = None,
    **fields: Any,
) -> Job:
    job = await service.create_job(
        session,
        queue=RecordingQueue(),
        kind=kind,
        owner_id=owner_id,
        payload=payload if payload is not None else {"urls": ["https://example.org/soup"]},
        total=total,
    )
    job.status = status
    for name, value in fields.items():
        setattr(job, name, value)
    for position, (label, item_status, message, recipe_id) in enumerate(items):
        session.add(
            JobItem(
                job_id=job.id,
                position=position,
                label=label,
                status=item_status,
                message=message,
                recipe_id=recipe_id,
            )
        )
    job.progress_done = len(items)
    await session.flush()
    return job


def _polls(page: str) -> bool:
    return 'hx-trigger="every 1s"' in page


# --- Who may look -----------------------------------------------------------------------------


async def test_visitors_are_sent_to_sign_in(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    job = await make_job(session, world.owner.id)
    for path in ("/jobs", f"/jobs/{job.id}", f"/jobs/{job.id}/progress"):
        response = await client.get(path)
        assert response.status_code == 303, path
        assert response.headers["location"].startswith("/login?next=")


async def test_another_persons_job_does_not_exist_for_them_but_admins_see_it(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    job = await make_job(session, world.owner.id)
    await sign_in(client, world.member.email)
    for path in (f"/jobs/{job.id}", f"/jobs/{job.id}/progress", "/jobs/999999"):
        refused = await client.get(path)
        assert refused.status_code == 404, path
        assert refused.headers["content-type"].startswith("text/html")
    listing = await client.get("/jobs")
    assert f'href="/jobs/{job.id}"' not in listing.text

    client.cookies.clear()
    await sign_in(client, world.admin.email)
    seen = await client.get(f"/jobs/{job.id}")
    assert seen.status_code == 200
    assert '<a href="/admin/jobs">All jobs</a>' in seen.text


# --- Your jobs --------------------------------------------------------------------------------


async def test_the_list_shows_your_jobs_newest_first_with_status_and_progress(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    older = await make_job(
        session,
        world.owner.id,
        status=JobStatus.DONE,
        payload={"urls": ["https://a.example/1", "https://a.example/2"]},
        total=2,
        items=[
            ("https://a.example/1", ItemStatus.DONE, "created", None),
            ("https://a.example/2", ItemStatus.FAILED, "no recipe found on this page", None),
        ],
    )
    export = await make_job(session, world.owner.id, kind=EXPORT, payload={"format": "csv"})
    await make_job(session, world.member.id)
    await sign_in(client, world.owner.email)

    page = await client.get("/jobs")
    assert page.status_code == 200
    rows = re.findall(r'<a href="/jobs/(\d+)">([^<]+)</a>', page.text)
    assert rows == [(str(export.id), "Export as CSV"), (str(older.id), "Import of 2 web addresses")]
    assert '<span class="badge badge--info">Waiting</span>' in page.text
    assert '<span class="badge badge--success">Done</span>' in page.text
    assert "2 of 2" in page.text
    assert 'href="/import"' in page.text
    assert 'href="/exports"' in page.text


async def test_the_list_pages_with_an_older_jobs_link(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pages, "PAGE_SIZE", 2)
    made = [await make_job(session, world.owner.id) for _ in range(3)]
    await sign_in(client, world.owner.email)
    first = await client.get("/jobs")
    assert re.findall(r'<a href="/jobs/(\d+)">', first.text) == [str(made[2].id), str(made[1].id)]
    more = re.search(r'<a class="button button--secondary" href="([^"]+)" rel="next">', first.text)
    assert more, first.text
    second = await client.get(more.group(1).replace("&amp;", "&"))
    assert re.findall(r'<a href="/jobs/(\d+)">', second.text) == [str(made[0].id)]
    assert 'rel="next"' not in second.text
    broken = await client.get("/jobs?cursor=not-a-cursor")
    assert broken.status_code == 422
    assert broken.headers["content-type"].startswith("text/html")


async def test_no_jobs_yet(client: httpx.AsyncClient, world: World) -> None:
    await sign_in(client, world.outsider.email)
    page = await client.get("/jobs")
    assert "You have not imported or exported anything yet." in page.text


# --- One job ----------------------------------------------------------------------------------


async def test_a_waiting_job_polls_and_offers_refresh_and_cancel(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    job = await make_job(session, world.owner.id)
    token = await sign_in(client, world.owner.email)
    page = await client.get(f"/jobs/{job.id}")
    assert page.status_code == 200
    assert '<h1 class="job-title">Import of https://example.org/soup</h1>' in page.text
    assert _polls(page.text)
    found = re.search(r'hx-get="(/jobs/\d+/progress\?seen=[^"]+)"', page.text)
    assert found
    assert found.group(1).startswith(f"/jobs/{job.id}/progress?seen=queued.")
    assert f'<a class="button button--secondary" href="/jobs/{job.id}">Refresh</a>' in page.text
    assert f'action="/jobs/{job.id}/cancel"' in page.text
    assert f'name="csrf_token" value="{token}"' in page.text
    assert '<p id="job-announce" class="visually-hidden" role="status"></p>' in page.text
    assert "<progress" in page.text
    assert "Waiting for its turn." in page.text

    # Nothing changed since: the poll answers 204 and the page stays as it is.
    unchanged = await client.get(found.group(1), headers={"HX-Request": "true"})
    assert unchanged.status_code == 204
    assert unchanged.content == b""


async def test_the_progress_fragment_stops_polling_once_the_job_ends(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    job = await make_job(session, world.owner.id, status=JobStatus.RUNNING, total=3)
    await sign_in(client, world.owner.email)
    page = await client.get(f"/jobs/{job.id}")
    seen = re.search(r"progress\?seen=([^\"]+)\"", page.text)
    assert seen
    assert '<progress id="job-bar" max="3" value="0">' in page.text

    session.add(JobItem(job_id=job.id, position=0, label="one", status=ItemStatus.DONE))
    job.progress_done = 1
    await session.flush()
    running = await client.get(
        f"/jobs/{job.id}/progress", params={"seen": seen.group(1)}, headers={"HX-Request": "true"}
    )
    assert running.status_code == 200
    assert running.text.lstrip().startswith('<section id="job-live"')
    assert _polls(running.text)
    assert '<progress id="job-bar" max="3" value="1">' in running.text
    assert "hx-swap-oob" not in running.text  # same status: nothing announced, actions kept
    assert "<html" not in running.text

    job.status = JobStatus.DONE
    job.progress_done = 3
    job.result = {"imported": 3, "failed": 0, "recipe_ids": []}
    await session.flush()
    ended = await client.get(
        f"/jobs/{job.id}/progress", params={"seen": seen.group(1)}, headers={"HX-Request": "true"}
    )
    assert ended.status_code == 200
    assert not _polls(ended.text)
    assert "hx-get" not in ended.text
    assert "3 recipes imported." in ended.text
    # The actions change with it (no Cancel now), and the change is announced.
    actions = re.search(
        r'<div id="job-actions" class="cluster" hx-swap-oob="true">.*?</div>', ended.text, re.S
    )
    assert actions
    assert "cancel" not in actions.group(0).lower()
    assert 'href="/import"' in actions.group(0)
    assert re.search(
        r'<p id="job-announce" hx-swap-oob="innerHTML">The job has ended: done\.', ended.text
    )


async def test_a_finished_job_page_does_not_poll_and_links_the_recipes(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    owner = await actor_for(session, world.owner)
    recipe = await recipes.create_recipe(session, actor=owner, data=RecipeCreate(title="Leek soup"))
    job = await make_job(
        session,
        world.owner.id,
        status=JobStatus.DONE,
        total=2,
        payload={"urls": ["https://a.example/soup", "https://a.example/none"]},
        items=[
            ("https://a.example/soup", ItemStatus.DONE, "created", recipe.id),
            ("https://a.example/none", ItemStatus.FAILED, "no recipe found on this page", None),
        ],
        result={"imported": 1, "failed": 1, "recipe_ids": [recipe.id]},
        finished_at=utcnow(),
    )
    await sign_in(client, world.owner.email)
    page = await client.get(f"/jobs/{job.id}")
    assert not _polls(page.text)
    assert "Refresh" not in page.text
    assert "/cancel" not in page.text
    assert f'<a href="/recipes/{recipe.slug}">Open “Leek soup”</a>' in page.text
    assert "A new recipe." in page.text
    assert "No recipe found on this page." in page.text
    assert '<span class="badge badge--error">Not imported</span>' in page.text
    assert "1 recipe imported. 1 web address could not be imported." in page.text


async def test_a_failed_job_says_why_in_plain_words(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    job = await make_job(
        session,
        world.owner.id,
        kind=IMPORT_FILE,
        payload={"file_name": "export.zip"},
        status=JobStatus.FAILED,
        error="this file is not an export format RecipeVault knows",
    )
    retrying = await make_job(
        session, world.owner.id, error="https://example.org/soup answered 503", attempts=1
    )
    await sign_in(client, world.owner.email)
    page = await client.get(f"/jobs/{job.id}")
    assert "Import of the file export.zip" in page.text
    failed = '<div class="alert alert--error"><p>This file is not an export format RecipeVault'
    assert failed + " knows.</p></div>" in page.text
    again = await client.get(f"/jobs/{retrying.id}")
    assert "It will be tried again shortly." in again.text
    assert "time: https://example.org/soup answered 503. It will" in again.text


async def test_item_labels_messages_and_titles_are_escaped(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    owner = await actor_for(session, world.owner)
    recipe = await recipes.create_recipe(session, actor=owner, data=RecipeCreate(title=XSS))
    job = await make_job(
        session,
        world.owner.id,
        kind=IMPORT_FILE,
        payload={"file_name": XSS},
        status=JobStatus.FAILED,
        error=XSS,
        items=[(XSS, ItemStatus.FAILED, XSS, None), (XSS, ItemStatus.DONE, XSS, recipe.id)],
    )
    await sign_in(client, world.owner.email)
    for path in (f"/jobs/{job.id}", f"/jobs/{job.id}/progress", "/jobs"):
        page = await client.get(path)
        assert "<script>alert" not in page.text, path
    page = await client.get(f"/jobs/{job.id}")
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page.text


async def test_a_finished_export_offers_its_download_to_its_owner_only(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    expires = utcnow() + timedelta(hours=5)
    result = {
        "media_key": "exports/1/x.zip",
        "file_name": "x.zip",
        "content_type": "application/zip",
        "recipes": 4,
        "expires_at": expires.isoformat(),
        "download": "/api/v1/exports/1/download",
    }
    job = await make_job(
        session, world.owner.id, kind=EXPORT, payload={"format": "zip"}, status=JobStatus.DONE
    )
    job.result = {**result, "download": f"/api/v1/exports/{job.id}/download"}
    expired = await make_job(
        session,
        world.owner.id,
        kind=EXPORT,
        payload={"format": "zip"},
        status=JobStatus.DONE,
        result={**result, "expired": True},
    )
    await session.flush()
    await sign_in(client, world.owner.email)
    page = await client.get(f"/jobs/{job.id}")
    assert f'<a class="button" href="/api/v1/exports/{job.id}/download" download>' in page.text
    assert "4 recipes exported." in page.text
    gone = await client.get(f"/jobs/{expired.id}")
    assert "/download" not in gone.text
    assert 'href="/exports"' in gone.text

    client.cookies.clear()
    await sign_in(client, world.admin.email)
    admin_view = await client.get(f"/jobs/{job.id}")
    assert admin_view.status_code == 200
    assert "/download" not in admin_view.text


# --- Cancelling -------------------------------------------------------------------------------


async def test_the_owner_cancels_a_job_once(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    job = await make_job(session, world.owner.id)
    token = await sign_in(client, world.owner.email)
    cancelled = await client.post(f"/jobs/{job.id}/cancel", data={"csrf_token": token})
    assert cancelled.status_code == 303
    assert cancelled.headers["location"] == f"/jobs/{job.id}"
    await session.refresh(job)
    assert job.status == JobStatus.CANCELLED
    page = await client.get(f"/jobs/{job.id}")
    assert flashes(page.text) == ["The job is cancelled. What it finished is kept."]
    assert '<span class="badge badge--warning">Cancelled</span>' in page.text
    assert not _polls(page.text)

    again = await client.post(f"/jobs/{job.id}/cancel", data={"csrf_token": token})
    assert again.status_code == 303
    page = await client.get(f"/jobs/{job.id}")
    assert flashes(page.text) == ["The job has already ended (cancelled)."]
    assert '<p class="alert alert--error">' in page.text


async def test_cancelling_needs_the_csrf_token_and_the_job_to_be_yours(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    job = await make_job(session, world.owner.id)
    await sign_in(client, world.owner.email)
    refused = await client.post(f"/jobs/{job.id}/cancel")
    assert refused.status_code == 403
    assert "reload the page" in refused.text
    client.cookies.clear()
    token = await sign_in(client, world.member.email)
    hidden = await client.post(f"/jobs/{job.id}/cancel", data={"csrf_token": token})
    assert hidden.status_code == 404
    await session.refresh(job)
    assert job.status == JobStatus.QUEUED
