"""The admins' jobs page: every job by status, retrying failed ones, cancelling waiting ones."""

from __future__ import annotations

import re

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.admin import job_pages
from recipevault.exporting.service import EXPORT
from recipevault.jobs.models import JobStatus
from tests.jobs.test_pages import make_job
from tests.support.html import flashes
from tests.support.jobs import RecordingQueue
from tests.support.world import World, sign_in

XSS = '<script>alert("x")</script>'


@pytest.fixture
async def token(client: httpx.AsyncClient, world: World) -> str:
    """Signed in as the admin."""
    return await sign_in(client, world.admin.email)


def _listed(page: str) -> list[int]:
    return [int(n) for n in re.findall(r'<a href="/jobs/(\d+)">#', page)]


async def test_visitors_sign_in_and_others_get_the_403_page(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    job = await make_job(session, world.owner.id, status=JobStatus.FAILED)
    assert (await client.get("/admin/jobs")).headers["location"] == "/login?next=%2Fadmin%2Fjobs"
    token = await sign_in(client, world.owner.email)
    refused = await client.get("/admin/jobs")
    assert refused.status_code == 403
    assert "Only site admins can see this page." in refused.text
    for action in ("retry", "cancel"):
        posted = await client.post(f"/admin/jobs/{job.id}/{action}", data={"csrf_token": token})
        assert posted.status_code == 403
    await session.refresh(job)
    assert job.status == JobStatus.FAILED


async def test_every_job_newest_first_with_whose_it_is(
    client: httpx.AsyncClient, session: AsyncSession, world: World, token: str
) -> None:
    first = await make_job(session, world.owner.id, status=JobStatus.DONE)
    second = await make_job(session, world.member.id, kind=EXPORT, payload={"format": "zip"})
    site = await make_job(session, None, kind="backup", payload={}, status=JobStatus.RUNNING)
    page = await client.get("/admin/jobs")
    assert page.status_code == 200
    assert _listed(page.text)[:3] == [site.id, second.id, first.id]
    assert '<a href="/admin/jobs" aria-current="page">Jobs</a>' in page.text
    assert "Milo Member" in page.text
    assert "Olive Owner" in page.text
    assert '<span class="muted">The site</span>' in page.text
    assert f'<a href="/jobs/{site.id}">#{site.id} Backup</a>' in page.text


async def test_the_status_filter_and_older_jobs(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    token: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(job_pages, "PAGE_SIZE", 2)
    failed = [
        await make_job(session, world.owner.id, status=JobStatus.FAILED, error=f"problem {n}")
        for n in range(3)
    ]
    await make_job(session, world.owner.id, status=JobStatus.DONE)
    page = await client.get("/admin/jobs", params={"status": "failed"})
    assert _listed(page.text) == [failed[2].id, failed[1].id]
    assert '<option value="failed" selected>Failed</option>' in page.text
    assert "Problem 2." in page.text
    more = re.search(r'href="([^"]+)" rel="next"', page.text)
    assert more
    older = await client.get(more.group(1).replace("&amp;", "&"))
    assert _listed(older.text) == [failed[0].id]
    assert "status=failed" in more.group(1)

    unknown = await client.get("/admin/jobs", params={"status": "sleeping"})
    assert unknown.status_code == 200
    assert " selected>" not in unknown.text  # every status
    none = await client.get("/admin/jobs", params={"status": "cancelled"})
    assert "No jobs with this status." in none.text


async def test_retrying_a_failed_job_queues_it_again(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    token: str,
    jobs: RecordingQueue,
) -> None:
    job = await make_job(session, world.owner.id, status=JobStatus.FAILED, error="site down")
    page = await client.get("/admin/jobs?status=failed")
    assert f'action="/admin/jobs/{job.id}/retry"' in page.text
    assert 'name="next" value="/admin/jobs?status=failed"' in page.text
    retried = await client.post(
        f"/admin/jobs/{job.id}/retry",
        data={"csrf_token": token, "next": "/admin/jobs?status=failed"},
    )
    assert retried.status_code == 303
    assert retried.headers["location"] == "/admin/jobs?status=failed"
    await session.refresh(job)
    assert (job.status, job.error) == (JobStatus.QUEUED, None)
    assert jobs.queued == [job.id]
    page = await client.get("/admin/jobs")
    assert flashes(page.text) == [f"Job {job.id} is waiting to run again."]

    refused = await client.post(f"/admin/jobs/{job.id}/retry", data={"csrf_token": token})
    assert refused.headers["location"] == "/admin/jobs"
    page = await client.get("/admin/jobs")
    assert flashes(page.text) == [f"Job {job.id}: Only failed or cancelled jobs can be retried"]
    assert '<p class="alert alert--error">' in page.text


async def test_cancelling_from_the_list_and_from_a_jobs_page(
    client: httpx.AsyncClient, session: AsyncSession, world: World, token: str
) -> None:
    job = await make_job(session, world.owner.id)
    page = await client.get("/admin/jobs")
    assert f'action="/admin/jobs/{job.id}/cancel"' in page.text
    cancelled = await client.post(f"/admin/jobs/{job.id}/cancel", data={"csrf_token": token})
    assert cancelled.headers["location"] == "/admin/jobs"
    await session.refresh(job)
    assert job.status == JobStatus.CANCELLED
    page = await client.get("/admin/jobs")
    assert flashes(page.text) == [f"Job {job.id} is cancelled."]

    again = await client.post(
        f"/admin/jobs/{job.id}/cancel", data={"csrf_token": token, "next": f"/jobs/{job.id}"}
    )
    assert again.headers["location"] == f"/jobs/{job.id}"
    page = await client.get(f"/jobs/{job.id}")
    assert flashes(page.text) == [f"Job {job.id}: The job has already ended (cancelled)."]
    # An admin may run a cancelled job again from its page.
    assert f'action="/admin/jobs/{job.id}/retry"' in page.text
    assert f'name="next" value="/jobs/{job.id}"' in page.text


async def test_next_never_leaves_the_site(
    client: httpx.AsyncClient, session: AsyncSession, world: World, token: str
) -> None:
    job = await make_job(session, world.owner.id)
    for target in ("https://evil.example/", "//evil.example/x", "/\\evil.example"):
        answer = await client.post(
            f"/admin/jobs/{job.id}/cancel", data={"csrf_token": token, "next": target}
        )
        assert answer.headers["location"] == "/admin/jobs"


async def test_admin_forms_need_the_csrf_token_and_a_real_job(
    client: httpx.AsyncClient, session: AsyncSession, world: World, token: str
) -> None:
    job = await make_job(session, world.owner.id, status=JobStatus.FAILED)
    for action in ("retry", "cancel"):
        refused = await client.post(f"/admin/jobs/{job.id}/{action}")
        assert refused.status_code == 403
        assert "reload the page" in refused.text
        missing = await client.post(f"/admin/jobs/999999/{action}", data={"csrf_token": token})
        assert missing.status_code == 404
    await session.refresh(job)
    assert job.status == JobStatus.FAILED


async def test_errors_and_titles_are_escaped(
    client: httpx.AsyncClient, session: AsyncSession, world: World, token: str
) -> None:
    await make_job(
        session,
        world.owner.id,
        kind="import_file",
        payload={"file_name": XSS},
        status=JobStatus.FAILED,
        error=XSS,
    )
    page = await client.get("/admin/jobs")
    assert "<script>alert" not in page.text
    assert "Import of the file &lt;script&gt;" in page.text
