"""The import page, driven as a browser without JavaScript would: four tabs, four forms."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.jobs.models import Job, JobStatus
from recipevault.policy import unscoped
from recipevault.recipes.models import Recipe
from tests.importing import samples
from tests.importing.test_api import JSON_LD, page_with
from tests.support.app import make_settings
from tests.support.html import field_error, flashes, form_error, input_value
from tests.support.jobs import RecordingQueue
from tests.support.website import Page, Site, serve_site
from tests.support.world import World, sign_in

XSS = '<script>alert("x")</script>'


@pytest.fixture
async def token(client: httpx.AsyncClient, world: World) -> str:
    """Signed in as the owner of the shared household (so two households to choose from)."""
    return await sign_in(client, world.owner.email)


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as site:
        site.pages["/cake"] = Page(page_with(JSON_LD))
        site.pages["/about"] = Page(b"<!doctype html><title>About us</title><p>We cook.</p>")
        yield site


@pytest.fixture
def job_settings(settings: Settings, tmp_path: Path) -> Settings:
    """The worker's (and, for uploads, the app's) settings: the test site on 127.0.0.1 may be
    fetched, and media go to this test's folder."""
    return make_settings(
        settings.database_url,
        import_allowed_hosts=["127.0.0.1"],
        media_dir=str(tmp_path / "media"),
        fetch_timeout_seconds=2,
    )


def _textarea(page: str, field_id: str) -> str:
    found = re.search(rf'<textarea id="{re.escape(field_id)}"[^>]*>(.*?)</textarea>', page, re.S)
    assert found, f"no textarea #{field_id}"
    return html.unescape(found.group(1))


def _job_id(response: httpx.Response) -> int:
    assert response.status_code == 303, response.text[-800:]
    found = re.fullmatch(r"/jobs/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


async def _recipes_titled(session: AsyncSession, title: str) -> list[Recipe]:
    rows = await session.scalars(unscoped(select(Recipe).where(Recipe.title == title)))
    return list(rows.all())


# --- The page ---------------------------------------------------------------------------------


async def test_visitors_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/import?tab=paste")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fimport%3Ftab%3Dpaste"


@pytest.mark.parametrize(
    ("tab", "action", "heading"),
    [
        (None, "/import/url", "From a web address"),
        ("url", "/import/url", "From a web address"),
        ("paste", "/import/paste", "From a page\u2019s text"),
        ("bulk", "/import/bulk", "From many web addresses"),
        ("file", "/import/file", "From an export file"),
        ("nonsense", "/import/url", "From a web address"),
    ],
)
async def test_each_tab_is_a_link_with_its_own_form(
    client: httpx.AsyncClient, token: str, world: World, tab: str | None, action: str, heading: str
) -> None:
    page = await client.get("/import", params={"tab": tab} if tab else None)
    assert page.status_code == 200
    text = page.text
    assert f'<h2 id="import-title">{heading}</h2>' in text
    assert f'<form method="post" action="{action}"' in text
    assert text.count('<form method="post" action="/import/') == 1
    current = re.findall(r'<a href="/import\?tab=(\w+)" aria-current="page">', text)
    assert current == [action.rsplit("/", 1)[1]]
    assert f'name="csrf_token" value="{token}"' in text
    # The owner chooses between their own household and the shared one, their own first.
    households = re.findall(r'<option value="(\d+)"( selected)?>([^<]+)</option>', text)
    assert [name for _, _, name in households] == ["Olive Owner&#39;s kitchen", "The Flat"]
    assert households[0][1] == " selected"
    assert '<option value="" selected>As the source says' in text
    # The main navigation leads here.
    assert '<a href="/import" aria-current="page">Import</a>' in text


async def test_someone_with_one_household_is_not_asked_which(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.outsider.email)
    page = await client.get("/import")
    assert 'name="household_id"' not in page.text


async def test_the_file_form_uploads_with_its_defaults(
    client: httpx.AsyncClient, token: str
) -> None:
    page = (await client.get("/import?tab=file")).text
    assert 'enctype="multipart/form-data"' in page
    assert '<input id="file-file" name="file" type="file" required' in page
    assert re.search(r'name="on_duplicate" value="copy" checked', page)
    assert 'name="keep_partial" value="true">' in page


# --- A web address ----------------------------------------------------------------------------


async def test_a_web_address_starts_a_job_that_imports_the_recipe(
    client: httpx.AsyncClient,
    token: str,
    site: Site,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
    world: World,
    session: AsyncSession,
) -> None:
    started = await client.post(
        "/import/url",
        data={
            "csrf_token": token,
            "url": site.url("/cake"),
            "household_id": str(world.household.id),
            "visibility": "private",
        },
    )
    job_id = _job_id(started)
    assert jobs.queued == [job_id]
    waiting = await client.get(f"/jobs/{job_id}")
    assert flashes(waiting.text) == ["The import has started."]
    assert 'hx-trigger="every 1s"' in waiting.text

    await jobs.run_all(database, job_settings)
    done = await client.get(f"/jobs/{job_id}")
    assert '<span class="badge badge--success">Done</span>' in done.text
    assert 'hx-trigger="every 1s"' not in done.text
    [recipe] = await _recipes_titled(session, "Lemon Drizzle Cake")
    assert f'<a href="/recipes/{recipe.slug}">Open “Lemon Drizzle Cake”</a>' in done.text
    assert (recipe.household_id, recipe.visibility.value) == (world.household.id, "private")
    page = await client.get(f"/recipes/{recipe.slug}")
    assert page.status_code == 200


async def test_a_bad_address_comes_back_with_the_message_beside_it(
    client: httpx.AsyncClient, token: str, jobs: RecordingQueue
) -> None:
    for url, message in (
        ("", "This field is required."),
        ("ftp://example.org/x", "Must be an http:// or https:// address."),
    ):
        refused = await client.post(
            "/import/url", data={"csrf_token": token, "url": url, "visibility": "public"}
        )
        assert refused.status_code == 400
        assert field_error(refused.text, "url-url") == message
        assert input_value(refused.text, "url-url") == url
        assert re.search(r'<option value="public" selected>', refused.text)
    odd = await client.post(
        "/import/url",
        data={"csrf_token": token, "url": "https://example.org/", "visibility": "secret"},
    )
    assert odd.status_code == 400
    assert field_error(odd.text, "url-visibility") == "Choose one of the options."
    assert jobs.queued == []


async def test_a_page_imported_before_offers_update_or_copy(
    client: httpx.AsyncClient,
    token: str,
    site: Site,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
    session: AsyncSession,
) -> None:
    url = site.url("/cake")
    await client.post("/import/url", data={"csrf_token": token, "url": url})
    await jobs.run_all(database, job_settings)
    [first] = await _recipes_titled(session, "Lemon Drizzle Cake")

    again = await client.post("/import/url", data={"csrf_token": token, "url": url})
    assert again.status_code == 400
    message = "You imported this page before as “Lemon Drizzle Cake”."
    assert field_error(again.text, "url-url") == message
    assert f'<a href="/recipes/{first.slug}">Open “Lemon Drizzle Cake”</a>' in again.text
    assert input_value(again.text, "url-url") == url
    assert re.search(r'value="update" checked', again.text)
    assert 'value="copy"' in again.text
    assert jobs.queued == []

    copy = await client.post(
        "/import/url", data={"csrf_token": token, "url": url, "on_duplicate": "copy"}
    )
    _job_id(copy)
    await jobs.run_all(database, job_settings)
    assert len(await _recipes_titled(session, "Lemon Drizzle Cake")) == 2


# --- Pasted text ------------------------------------------------------------------------------


async def test_pasted_json_ld_becomes_a_recipe_at_once(
    client: httpx.AsyncClient, token: str, jobs: RecordingQueue, world: World
) -> None:
    pasted = await client.post(
        "/import/paste",
        data={
            "csrf_token": token,
            "html": json.dumps(JSON_LD),
            "url": "https://example.org/lemon-cake",
            "household_id": str(world.household.id),
        },
    )
    assert pasted.status_code == 303
    location = pasted.headers["location"]
    assert re.fullmatch(r"/recipes/lemon-drizzle-cake[\w-]*", location)
    assert jobs.queued == []
    page = await client.get(location)
    assert page.status_code == 200
    assert flashes(page.text) == ["“Lemon Drizzle Cake” is imported."]

    again = await client.post(
        "/import/paste",
        data={
            "csrf_token": token,
            "html": json.dumps(JSON_LD),
            "url": "https://example.org/lemon-cake",
        },
    )
    assert again.status_code == 400
    assert field_error(again.text, "paste-html") == (
        "You imported this page before as “Lemon Drizzle Cake”."
    )
    assert _textarea(again.text, "paste-html") == json.dumps(JSON_LD)
    update = await client.post(
        "/import/paste",
        data={
            "csrf_token": token,
            "html": json.dumps({**JSON_LD, "name": "Lemon Drizzle Cake (better)"}),
            "url": "https://example.org/lemon-cake",
            "on_duplicate": "update",
        },
    )
    assert update.headers["location"] == location


async def test_several_pasted_recipes_lead_to_the_first(
    client: httpx.AsyncClient, token: str
) -> None:
    both = {"@context": "https://schema.org", "@graph": [JSON_LD, {**JSON_LD, "name": "Scones"}]}
    pasted = await client.post(
        "/import/paste", data={"csrf_token": token, "html": json.dumps(both)}
    )
    assert pasted.status_code == 303
    page = await client.get(pasted.headers["location"])
    assert flashes(page.text) == [
        "2 recipes are imported. This is the first, “Lemon Drizzle Cake”."
    ]


async def test_text_without_a_recipe_is_kept_and_explained(
    client: httpx.AsyncClient, token: str
) -> None:
    pasted = await client.post(
        "/import/paste", data={"csrf_token": token, "html": f"<p>Just a story.</p>{XSS}"}
    )
    assert pasted.status_code == 400
    assert field_error(pasted.text, "paste-html") == "No recipe found on this page."
    assert _textarea(pasted.text, "paste-html") == f"<p>Just a story.</p>{XSS}"
    assert XSS not in pasted.text
    blank = await client.post("/import/paste", data={"csrf_token": token, "html": "  "})
    assert blank.status_code == 400
    assert field_error(blank.text, "paste-html") == "This field is required."


async def test_a_household_one_is_not_in_is_refused(
    client: httpx.AsyncClient, world: World, session: AsyncSession
) -> None:
    token = await sign_in(client, world.outsider.email)
    pasted = await client.post(
        "/import/paste",
        data={
            "csrf_token": token,
            "html": json.dumps(JSON_LD),
            "household_id": str(world.household.id),
        },
    )
    assert pasted.status_code == 400
    assert form_error(pasted.text) == "You can only put recipes in households you belong to."
    assert await _recipes_titled(session, "Lemon Drizzle Cake") == []


@pytest.mark.parametrize("tab", ["url", "bulk", "file"])
async def test_a_household_one_is_not_in_is_refused_before_any_job(
    client: httpx.AsyncClient, world: World, session: AsyncSession, tab: str
) -> None:
    token = await sign_in(client, world.outsider.email)
    household = {"household_id": str(world.household.id)}
    if tab == "file":
        refused = await _upload(client, token, json.dumps(JSON_LD).encode(), **household)
    else:
        field = {"url": "url", "bulk": "urls"}[tab]
        data = {"csrf_token": token, field: "https://example.org/cake", **household}
        refused = await client.post(f"/import/{tab}", data=data)
    assert refused.status_code == 400, refused.text
    assert form_error(refused.text) == "You can only put recipes in households you belong to."
    assert (await session.scalars(select(Job))).all() == []


# --- Many addresses ---------------------------------------------------------------------------


async def test_a_list_of_addresses_is_one_job(
    client: httpx.AsyncClient,
    token: str,
    site: Site,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
    session: AsyncSession,
) -> None:
    text = f"{site.url('/cake')}\r\n\r\n  {site.url('/about')}  \r\n{site.url('/cake')}\r\n"
    started = await client.post(
        "/import/bulk", data={"csrf_token": token, "urls": text, "on_duplicate": "copy"}
    )
    job_id = _job_id(started)
    job = await session.get_one(Job, job_id)
    assert job.payload["urls"] == [site.url("/cake"), site.url("/about")]
    assert job.payload["on_duplicate"] == "copy"
    page = await client.get(f"/jobs/{job_id}")
    assert flashes(page.text) == ["The import of 2 addresses has started."]

    await jobs.run_all(database, job_settings)
    done = await client.get(f"/jobs/{job_id}")
    assert "1 recipe imported. 1 web address could not be imported." in done.text
    assert "No recipe found on this page." in done.text


async def test_a_list_is_checked_line_by_line_and_kept(
    client: httpx.AsyncClient, token: str, app: FastAPI, settings: Settings, jobs: RecordingQueue
) -> None:
    blank = await client.post("/import/bulk", data={"csrf_token": token, "urls": "\n \n"})
    assert blank.status_code == 400
    assert field_error(blank.text, "bulk-urls") == "Enter at least one web address."

    text = f"https://example.org/one\nexample.org/{XSS}\n"
    wrong = await client.post("/import/bulk", data={"csrf_token": token, "urls": text})
    assert wrong.status_code == 400
    assert field_error(wrong.text, "bulk-urls") == (
        f"Line 2 is not a web address: “example.org/{XSS}”. "
        "Addresses start with http:// or https://."
    )
    assert _textarea(wrong.text, "bulk-urls") == text
    assert XSS not in wrong.text

    app.state.settings = make_settings(settings.database_url, bulk_import_max_urls=2)
    many = "\n".join(f"https://example.org/{n}" for n in range(3))
    refused = await client.post("/import/bulk", data={"csrf_token": token, "urls": many})
    assert refused.status_code == 400
    assert field_error(refused.text, "bulk-urls") == "A bulk import takes at most 2 addresses."
    assert "at most 2." in refused.text
    assert jobs.queued == []


# --- A file -----------------------------------------------------------------------------------


async def _upload(
    client: httpx.AsyncClient, token: str, content: bytes, name: str = "recipes.zip", **fields: str
) -> httpx.Response:
    return await client.post(
        "/import/file",
        files={"file": (name, content, "application/zip")},
        data={"csrf_token": token, **fields},
    )


async def test_a_file_is_uploaded_and_imported_by_a_job(
    client: httpx.AsyncClient,
    token: str,
    app: FastAPI,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
    session: AsyncSession,
) -> None:
    app.state.settings = job_settings  # the upload goes to this test's media folder
    export = samples.paprika_export(
        [samples.paprika_recipe(name="Flapjacks"), samples.paprika_recipe(name="")]
    )
    started = await _upload(
        client, token, export, "mine.paprikarecipes", keep_partial="true", visibility="public"
    )
    job_id = _job_id(started)
    job = await session.get_one(Job, job_id)
    assert (job.payload["keep_partial"], job.payload["on_duplicate"]) == (True, "copy")
    assert job.payload["visibility"] == "public"
    assert job.payload["file_name"] == "mine.paprikarecipes"
    page = await client.get(f"/jobs/{job_id}")
    assert flashes(page.text) == ["mine.paprikarecipes is uploaded and its import has started."]
    assert "Import of the file mine.paprikarecipes" in page.text

    await jobs.run_all(database, job_settings)
    await session.refresh(job)
    assert job.status == JobStatus.DONE
    done = await client.get(f"/jobs/{job_id}")
    assert "1 recipe imported from a Paprika file. 1 recipe could not be imported." in done.text
    assert "Open “Flapjacks”" in done.text


async def test_a_missing_or_empty_file_is_refused_with_the_choices_kept(
    client: httpx.AsyncClient, token: str, jobs: RecordingQueue
) -> None:
    missing = await client.post(
        "/import/file",
        data={"csrf_token": token, "keep_partial": "true", "on_duplicate": "update"},
        files={"file": ("", b"", "application/octet-stream")},
    )
    assert missing.status_code == 400
    assert field_error(missing.text, "file-file") == "Choose the file to import."
    assert re.search(r'name="keep_partial" value="true" checked', missing.text)
    assert re.search(r'name="on_duplicate" value="update" checked', missing.text)

    empty = await _upload(client, token, b"")
    assert empty.status_code == 400
    assert field_error(empty.text, "file-file") == "The file is empty."

    wrong = await _upload(client, token, b"PK", visibility="secret")
    assert wrong.status_code == 400
    assert field_error(wrong.text, "file-visibility") == "Choose one of the options."
    assert field_error(wrong.text, "file-file") == "Choose the file again."
    assert jobs.queued == []


async def test_a_file_too_large_is_refused(
    client: httpx.AsyncClient, token: str, app: FastAPI, settings: Settings, jobs: RecordingQueue
) -> None:
    app.state.settings = make_settings(settings.database_url, upload_max_bytes=2048)
    slightly = await _upload(client, token, b"x" * 5000)
    assert slightly.status_code == 400
    assert field_error(slightly.text, "file-file") == "The file is larger than 2 KB."
    # Far too large by its declared length: refused before anything reads it.
    huge = await _upload(client, token, b"x" * 100_000)
    assert huge.status_code == 413
    assert huge.headers["content-type"].startswith("text/html")
    assert jobs.queued == []


# --- Forms from elsewhere ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/import/url", "/import/paste", "/import/bulk"])
async def test_forms_need_the_csrf_token(
    client: httpx.AsyncClient, token: str, path: str, jobs: RecordingQueue
) -> None:
    refused = await client.post(
        path, data={"url": "https://example.org/", "html": json.dumps(JSON_LD), "urls": "x"}
    )
    assert refused.status_code == 403
    assert "reload the page" in refused.text
    assert jobs.queued == []


async def test_an_upload_needs_the_csrf_token(
    client: httpx.AsyncClient, token: str, jobs: RecordingQueue
) -> None:
    refused = await client.post("/import/file", files={"file": ("a.zip", b"PK", "application/zip")})
    assert refused.status_code == 403
    assert jobs.queued == []
