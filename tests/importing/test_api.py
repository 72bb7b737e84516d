"""/api/v1/imports end to end: requests start jobs, jobs fetch and save, results are kept."""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.http.schemas import MAX_ID
from recipevault.policy import unscoped
from recipevault.recipes.models import Recipe
from tests.importing import samples
from tests.support.app import make_settings
from tests.support.database import statements_run
from tests.support.jobs import RecordingQueue
from tests.support.website import Page, Site, serve_site
from tests.support.world import bearer, make_user, make_world

JSON_LD = {
    "@context": "https://schema.org",
    "@type": "Recipe",
    "name": "Lemon Drizzle Cake",
    "recipeYield": "8 slices",
    "totalTime": "PT1H5M",
    "recipeIngredient": ["225 g butter", "225 g caster sugar", "4 eggs", "1 lemon, zested"],
    "recipeInstructions": [
        {"@type": "HowToStep", "text": "Beat the butter and sugar."},
        {"@type": "HowToStep", "text": "Add the eggs and bake for 45 minutes."},
    ],
}


def page_with(recipe: dict[str, Any]) -> bytes:
    script = json.dumps(recipe)
    return (
        "<!doctype html><html><head><title>A page</title>"
        f'<script type="application/ld+json">{script}</script></head>'
        "<body><h1>A page</h1></body></html>"
    ).encode()


@pytest.fixture
def site() -> Iterator[Site]:
    with serve_site() as site:
        site.pages["/cake"] = Page(page_with(JSON_LD))
        site.pages["/about"] = Page(b"<!doctype html><title>About us</title><p>We cook.</p>")
        yield site


@pytest.fixture
def job_settings(settings: Settings, tmp_path: Any, app: Any) -> Settings:
    """The worker's settings (the app's too): the test site on 127.0.0.1 is an allowed
    intranet host, and media go to the test's own folder."""
    changed = make_settings(
        settings.database_url,
        import_allowed_hosts=["127.0.0.1"],
        media_dir=str(tmp_path / "media"),
        fetch_timeout_seconds=2,
    )
    app.state.settings = changed
    return changed


@pytest.fixture
async def headers(session: AsyncSession, settings: Settings) -> dict[str, str]:
    user = await make_user(session, settings)
    token = bearer(user, settings, session)
    await session.commit()
    return token


async def _job(client: httpx.AsyncClient, job_id: int, headers: dict[str, str]) -> Any:
    return (await client.get(f"/api/v1/jobs/{job_id}", headers=headers)).json()


async def _count(session: AsyncSession) -> int:
    return await session.scalar(unscoped(select(func.count()).select_from(Recipe))) or 0


async def test_a_page_is_imported_by_a_job(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    site: Site,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
) -> None:
    started = await client.post(
        "/api/v1/imports/url", json={"url": site.url("/cake")}, headers=headers
    )
    assert started.status_code == 202
    job = started.json()
    assert started.headers["location"] == f"/api/v1/jobs/{job['id']}"
    assert (job["kind"], job["status"], jobs.queued) == ("import_urls", "queued", [job["id"]])

    await jobs.run_all(database, job_settings)
    done = await _job(client, job["id"], headers)
    assert (done["status"], done["progress_done"], done["progress_total"]) == ("done", 1, 1)
    item = done["items"][0]
    assert (item["label"], item["status"], item["message"]) == (
        site.url("/cake"),
        "done",
        "created",
    )
    recipe = (await client.get(f"/api/v1/recipes/{item['recipe_id']}", headers=headers)).json()
    assert recipe["title"] == "Lemon Drizzle Cake"
    assert recipe["source_url"] == site.url("/cake")
    assert (recipe["servings"], recipe["yield_text"], recipe["total_minutes"]) == (
        8,
        "8 slices",
        65,
    )
    first = recipe["ingredients"][0]
    assert (first["text"], first["quantity"], first["unit"], first["food"]) == (
        "225 g butter",
        225,
        "gram",
        "butter",
    )
    assert [step["text"] for step in recipe["steps"]] == [
        "Beat the butter and sugar.",
        "Add the eggs and bake for 45 minutes.",
    ]


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "orange").save(buffer, "JPEG")
    return buffer.getvalue()


async def test_a_pages_image_comes_along(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    site: Site,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
) -> None:
    site.pages["/cake.jpg"] = Page(_jpeg(1200, 800), "image/jpeg")
    site.pages["/broken.jpg"] = Page(b"not really a picture", "image/jpeg")
    recipe = {**JSON_LD, "image": ["/cake.jpg", site.url("/broken.jpg")]}
    site.pages["/pictured"] = Page(page_with(recipe))
    started = await client.post(
        "/api/v1/imports/url", json={"url": site.url("/pictured")}, headers=headers
    )
    await jobs.run_all(database, job_settings)
    item = (await _job(client, started.json()["id"], headers))["items"][0]
    assert item["message"].startswith("created; image left out: ")
    read = (await client.get(f"/api/v1/recipes/{item['recipe_id']}", headers=headers)).json()
    [image] = read["images"]
    # The widest rendition not wider than the original.
    assert (image["width"], image["height"]) == (960, 640)
    assert sorted(image["urls"], key=int) == ["320", "960"]
    # The recipe is shared with the importer's household: its image is not for visitors.
    assert read["visibility"] == "household"
    assert (await client.get(image["urls"]["320"])).status_code == 404
    served = await client.get(image["urls"]["320"], headers=headers)
    assert served.status_code == 200
    assert served.headers["content-type"] == "image/webp"


async def test_a_pages_images_are_fetched_before_the_recipe_is_written(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    site: Site,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
    engine: AsyncEngine,
) -> None:
    """The item's transaction holds the write lock from its first write: a slow image site
    must not keep every other writer waiting."""
    site.pages["/cake.jpg"] = Page(_jpeg(640, 480), "image/jpeg")
    site.pages["/pictured"] = Page(page_with({**JSON_LD, "image": ["/cake.jpg"]}))
    started = await client.post(
        "/api/v1/imports/url", json={"url": site.url("/pictured")}, headers=headers
    )
    fetched_at_first_write: list[list[str]] = []

    def writing(statement: str) -> bool:
        # The job's own records aside: the first write of the item's transaction.
        verb, *table = statement.split(None, 3)[:3]
        if verb.upper() in ("INSERT", "UPDATE", "DELETE") and "job" not in " ".join(table):
            fetched_at_first_write.append(list(site.hits))
        return False

    with statements_run(engine, writing):
        await jobs.run_all(database, job_settings)
    item = (await _job(client, started.json()["id"], headers))["items"][0]
    assert item["message"] == "created"
    assert "/cake.jpg" in fetched_at_first_write[0]


async def test_importing_a_page_again_asks_then_updates_or_copies(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    site: Site,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
) -> None:
    url = site.url("/cake")
    await client.post("/api/v1/imports/url", json={"url": url}, headers=headers)
    await jobs.run_all(database, job_settings)

    again = await client.post("/api/v1/imports/url", json={"url": url}, headers=headers)
    assert again.status_code == 409
    problem = again.json()
    assert problem["type"].endswith("already-imported")
    assert "Lemon Drizzle Cake" in problem["detail"]
    first_id = problem["recipe_id"]

    site.pages["/cake"] = Page(page_with({**JSON_LD, "name": "Lemon Drizzle Cake (better)"}))
    update = await client.post(
        "/api/v1/imports/url", json={"url": url, "on_duplicate": "update"}, headers=headers
    )
    await jobs.run_all(database, job_settings)
    item = (await _job(client, update.json()["id"], headers))["items"][0]
    assert (item["recipe_id"], item["message"]) == (first_id, "updated")
    revisions = await client.get(f"/api/v1/recipes/{first_id}/revisions", headers=headers)
    assert len(revisions.json()) == 1

    copy = await client.post(
        "/api/v1/imports/url", json={"url": url, "on_duplicate": "copy"}, headers=headers
    )
    await jobs.run_all(database, job_settings)
    copied = (await _job(client, copy.json()["id"], headers))["items"][0]
    assert copied["message"] == "created"
    assert copied["recipe_id"] != first_id


async def test_a_page_without_a_recipe_ends_with_a_plain_message(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    site: Site,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
    session: AsyncSession,
) -> None:
    before = await _count(session)
    started = await client.post(
        "/api/v1/imports/url", json={"url": site.url("/about")}, headers=headers
    )
    await jobs.run_all(database, job_settings)
    job = await _job(client, started.json()["id"], headers)
    assert (job["status"], job["error"]) == ("failed", "no recipe found on this page")
    assert job["items"][0]["message"] == "no recipe found on this page"
    assert await _count(session) == before


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1/recipe",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/recipe",
        "http://[fd00::1]/recipe",
        "http://localhost/recipe",
    ],
)
async def test_private_addresses_are_refused(
    url: str,
    client: httpx.AsyncClient,
    headers: dict[str, str],
    jobs: RecordingQueue,
    database: Database,
    settings: Settings,
) -> None:
    started = await client.post("/api/v1/imports/url", json={"url": url}, headers=headers)
    await jobs.run_all(database, settings)
    job = await _job(client, started.json()["id"], headers)
    assert job["status"] == "failed"
    assert job["error"].startswith("refused to fetch")


async def test_a_site_that_is_down_is_tried_again_later(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    site: Site,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
) -> None:
    site.pages["/busy"] = Page(b"try later", "text/plain", 503)
    started = await client.post(
        "/api/v1/imports/url", json={"url": site.url("/busy")}, headers=headers
    )
    job_id = started.json()["id"]
    ended = await jobs.run_all(database, job_settings, rounds=1)
    status = ended[job_id]
    assert status is not None
    assert status.value == "queued"
    assert jobs.delays[job_id] == job_settings.job_retry_delay_seconds
    waiting = await _job(client, job_id, headers)
    assert waiting["status"] == "queued"
    assert "answered 503" in waiting["error"]

    site.pages["/busy"] = Page(page_with(JSON_LD))
    await jobs.run_all(database, job_settings)
    assert (await _job(client, job_id, headers))["status"] == "done"


async def test_bulk_import_reports_each_address(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    site: Site,
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
) -> None:
    site.pages["/soup"] = Page(page_with({**JSON_LD, "name": "Tomato Soup"}))
    urls = [site.url("/cake"), site.url("/about"), "http://10.1.2.3/x", site.url("/soup")]
    started = await client.post(
        "/api/v1/imports/bulk", json={"urls": [*urls, urls[0]]}, headers=headers
    )
    assert started.json()["progress_total"] == 4
    await jobs.run_all(database, job_settings)
    job = await _job(client, started.json()["id"], headers)
    assert job["status"] == "done"
    assert job["result"]["imported"] == 2
    assert job["result"]["failed"] == 2
    assert [(item["label"], item["status"]) for item in job["items"]] == [
        (urls[0], "done"),
        (urls[1], "failed"),
        (urls[2], "failed"),
        (urls[3], "done"),
    ]


async def test_bulk_import_is_bounded(
    client: httpx.AsyncClient, headers: dict[str, str], settings: Settings
) -> None:
    urls = [f"https://example.org/{n}" for n in range(settings.bulk_import_max_urls + 1)]
    refused = await client.post("/api/v1/imports/bulk", json={"urls": urls}, headers=headers)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "urls"


async def test_pasted_html_is_imported_at_once(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> None:
    answer = await client.post(
        "/api/v1/imports/html",
        json={"html": page_with(JSON_LD).decode(), "url": "https://example.org/cake"},
        headers=headers,
    )
    assert answer.status_code == 201
    recipes = answer.json()["recipes"]
    assert [recipe["title"] for recipe in recipes] == ["Lemon Drizzle Cake"]
    assert answer.headers["location"] == f"/api/v1/recipes/{recipes[0]['id']}"

    json_ld = await client.post(
        "/api/v1/imports/html",
        json={"html": json.dumps(JSON_LD), "on_duplicate": "copy"},
        headers=headers,
    )
    assert json_ld.json()["recipes"][0]["ingredients"][2]["food"] == "egg"

    nothing = await client.post(
        "/api/v1/imports/html", json={"html": "<p>Just a story.</p>"}, headers=headers
    )
    assert nothing.status_code == 422
    assert nothing.json()["detail"] == "no recipe found on this page"


async def _upload(
    client: httpx.AsyncClient, headers: dict[str, str], content: bytes, **fields: str
) -> httpx.Response:
    return await client.post(
        "/api/v1/imports/file",
        files={"file": ("recipes.zip", content, "application/zip")},
        data=fields,
        headers=headers,
    )


@pytest.mark.parametrize("kind", ["url", "bulk", "file"])
async def test_a_household_one_is_not_in_is_refused_before_any_job(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    jobs: RecordingQueue,
    kind: str,
) -> None:
    world = await make_world(session, settings)
    outsider = bearer(world.outsider, settings, session)
    household = {"household_id": world.household.id}
    if kind == "file":
        started = await _upload(
            client, outsider, json.dumps(JSON_LD).encode(), household_id=str(world.household.id)
        )
    elif kind == "url":
        body = {"url": "https://example.org/cake", **household}
        started = await client.post("/api/v1/imports/url", json=body, headers=outsider)
    else:
        body = {"urls": ["https://example.org/cake"], **household}
        started = await client.post("/api/v1/imports/bulk", json=body, headers=outsider)
    assert started.status_code == 422, started.text
    assert started.json()["errors"][0]["field"] == "household_id"
    assert (await client.get("/api/v1/jobs", headers=outsider)).json()["items"] == []
    assert jobs.queued == []


async def test_an_admin_may_import_into_any_household_that_exists(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings
) -> None:
    world = await make_world(session, settings)
    admin = bearer(world.admin, settings, session)
    into_theirs = {"url": "https://example.org/cake", "household_id": world.household.id}
    started = await client.post("/api/v1/imports/url", json=into_theirs, headers=admin)
    assert started.status_code == 202, started.text
    nowhere = {"url": "https://example.org/cake", "household_id": MAX_ID}
    refused = await client.post("/api/v1/imports/url", json=nowhere, headers=admin)
    assert refused.status_code == 422, refused.text
    assert refused.json()["errors"][0]["field"] == "household_id"


async def test_a_file_is_recognised_by_content_and_imported(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
    app: Any,
) -> None:
    app.state.settings = job_settings  # the upload goes to this test's media folder
    export = samples.paprika_export(
        [samples.paprika_recipe(name="Flapjacks"), samples.paprika_recipe(name="Scones")]
    )
    started = await _upload(client, headers, export)
    assert started.status_code == 202
    await jobs.run_all(database, job_settings)
    job = await _job(client, started.json()["id"], headers)
    assert (job["status"], job["result"]["format"], job["result"]["imported"]) == (
        "done",
        "paprika",
        2,
    )
    assert [item["label"] for item in job["items"]] == ["Flapjacks", "Scones"]
    assert list((job_settings.media_dir / "imports").rglob("*.bin")) == []


def _bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("recipe.json", b"{" + b" " * 20_000_000 + b"}")
    return buffer.getvalue()


async def test_a_zip_bomb_fails_its_job_and_imports_nothing(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
    session: AsyncSession,
    app: Any,
) -> None:
    app.state.settings = job_settings
    before = await _count(session)
    started = await _upload(client, headers, _bomb())
    await jobs.run_all(database, job_settings)
    job = await _job(client, started.json()["id"], headers)
    assert job["status"] == "failed"
    assert "zip bomb" in job["error"]
    assert await _count(session) == before


async def test_a_file_with_unreadable_recipes_imports_all_or_what_you_asked(
    client: httpx.AsyncClient,
    headers: dict[str, str],
    jobs: RecordingQueue,
    database: Database,
    job_settings: Settings,
    session: AsyncSession,
    app: Any,
) -> None:
    app.state.settings = job_settings
    export = samples.paprika_export(
        [samples.paprika_recipe(name="Flapjacks"), samples.paprika_recipe(name="")]
    )
    before = await _count(session)
    strict = await _upload(client, headers, export)
    await jobs.run_all(database, job_settings)
    job = await _job(client, strict.json()["id"], headers)
    assert job["status"] == "failed"
    assert "nothing was imported" in job["error"]
    assert await _count(session) == before

    lenient = await _upload(client, headers, export, keep_partial="true")
    await jobs.run_all(database, job_settings)
    job = await _job(client, lenient.json()["id"], headers)
    assert job["status"] == "done"
    assert [item["status"] for item in job["items"]] == ["done", "failed"]
    assert await _count(session) == before + 1


async def test_uploads_are_bounded(
    client: httpx.AsyncClient, headers: dict[str, str], settings: Settings, app: Any
) -> None:
    app.state.settings = make_settings(settings.database_url, upload_max_bytes=2048)
    too_big = await _upload(client, headers, b"x" * 5000)
    assert too_big.status_code == 413
    empty = await _upload(client, headers, b"")
    assert empty.status_code == 422
    assert empty.json()["errors"][0]["field"] == "file"
    missing = await client.post(
        "/api/v1/imports/file", data={"keep_partial": "true"}, headers=headers
    )
    assert missing.status_code in (411, 422)
