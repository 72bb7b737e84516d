"""Exports: the zip imports back into an empty account exactly; CSV; download rules."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import httpx
import pytest
from PIL import Image
from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.exporting.jobs import purge_expired_exports
from recipevault.jobs.models import Job
from recipevault.media.storage import storage_from_settings
from recipevault.policy import Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.images.service import CheckedImage, attach_imported_image, check_image
from recipevault.recipes.schemas import IngredientIn, Nutrition, RecipeCreate, StepIn
from tests.support.app import make_settings
from tests.support.jobs import RecordingQueue
from tests.support.world import actor_for, bearer, make_user

# What an import may rightly change: identity, ownership, timestamps, history.
NOT_COMPARED = {
    "id",
    "slug",
    "owner",
    "household",
    "created_at",
    "updated_at",
    "version",
    "images",  # compared by what they show, since their ids and addresses are new
}


def _jpeg(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (width, height), "olive").save(buffer, "JPEG")
    return buffer.getvalue()


def rich_recipe(title: str) -> RecipeCreate:
    return RecipeCreate(
        title=title,
        description="Crisp outside, soft inside.\nServe warm.",
        servings=Decimal("2.5"),
        yield_text="10 fritters",
        prep_minutes=15,
        cook_minutes=12,
        total_minutes=40,
        notes="Keep the oil at 175 °C.",
        nutrition=Nutrition(calories="310 kcal", fat_content="14 g", serving_size="2 fritters"),
        source_url="https://example.org/fritters",
        attribution="Grandma Ada",
        rating=4,
        visibility=Visibility.PRIVATE,
        tags=["snack", "Fried"],
        categories=["Starters"],
        tools=["deep pan"],
        ingredients=[
            IngredientIn(text="1 1/2 cups flour", section="Batter"),
            IngredientIn(text="2\u20133 eggs, beaten", section="Batter"),
            IngredientIn(
                text="a pinch of salt",
                section="Batter",
                quantity=Decimal("0.125"),
                unit="tsp",
                food="salt",
                note="flaky",
                optional=True,
            ),
            IngredientIn(text="oil for frying", section="To fry"),
        ],
        steps=[
            StepIn(text="Whisk the batter.", section="Batter"),
            StepIn(text="Fry in batches.", section="To fry", timer_minutes=4),
        ],
    )


@pytest.fixture
def job_settings(settings: Settings, tmp_path: Any, app: Any) -> Settings:
    changed = make_settings(settings.database_url, media_dir=str(tmp_path / "media"))
    app.state.settings = changed
    return changed


async def _run(
    client: httpx.AsyncClient,
    jobs: RecordingQueue,
    database: Database,
    settings: Settings,
    job_id: int,
    headers: dict[str, str],
) -> Any:
    await jobs.run_all(database, settings)
    return (await client.get(f"/api/v1/jobs/{job_id}", headers=headers)).json()


async def _readable(
    client: httpx.AsyncClient, headers: dict[str, str], owner_id: int
) -> list[dict[str, Any]]:
    listed = await client.get(
        "/api/v1/recipes", params={"sort": "title", "owner": owner_id}, headers=headers
    )
    found = []
    for summary in listed.json()["items"]:
        recipe = (await client.get(f"/api/v1/recipes/{summary['id']}", headers=headers)).json()
        fields = {k: v for k, v in recipe.items() if k not in NOT_COMPARED}
        fields["images"] = [
            (image["width"], image["height"], sorted(image["urls"], key=int))
            for image in recipe["images"]
        ]
        found.append(fields)
    return found


async def test_an_export_imports_back_into_an_empty_account_exactly(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    database: Database,
    jobs: RecordingQueue,
    job_settings: Settings,
) -> None:
    author = await make_user(session, settings)
    reader = await make_user(session, settings)
    actor = await actor_for(session, author)
    for title in ("Corn fritters", "Apple fritters"):
        made = await recipes.create_recipe(session, actor=actor, data=rich_recipe(title))
    for size in ((1200, 900), (400, 300)):
        checked = await check_image(_jpeg(*size), job_settings)
        assert isinstance(checked, CheckedImage)
        await attach_imported_image(
            session,
            recipe_id=made.id,
            image=checked,
            queue=jobs,
            storage=storage_from_settings(job_settings),
        )
    plain = await recipes.create_recipe(session, actor=actor, data=RecipeCreate(title="Toast"))
    trashed = await recipes.create_recipe(session, actor=actor, data=RecipeCreate(title="Gone"))
    await recipes.trash_recipe(session, actor=actor, recipe_id=trashed.id, if_match=None, ip=None)
    assert plain.id
    author_headers = bearer(author, settings, session)
    reader_headers = bearer(reader, settings, session)
    await session.commit()
    await jobs.run_all(database, job_settings)  # the images' renditions

    started = await client.post("/api/v1/exports", json={"format": "zip"}, headers=author_headers)
    assert started.status_code == 202
    job = await _run(client, jobs, database, job_settings, started.json()["id"], author_headers)
    assert job["status"] == "done"
    assert job["result"]["recipes"] == 3
    download = await client.get(job["result"]["download"], headers=author_headers)
    assert download.status_code == 200
    assert download.headers["content-type"] == "application/zip"
    assert "attachment" in download.headers["content-disposition"]

    imported = await client.post(
        "/api/v1/imports/file",
        files={"file": ("export.zip", download.content, "application/zip")},
        headers=reader_headers,
    )
    job = await _run(client, jobs, database, job_settings, imported.json()["id"], reader_headers)
    assert (job["status"], job["result"]["format"], job["result"]["imported"]) == (
        "done",
        "recipevault",
        3,
    )
    original = await _readable(client, author_headers, author.id)
    copy = await _readable(client, reader_headers, reader.id)
    assert [recipe["title"] for recipe in copy] == ["Apple fritters", "Corn fritters", "Toast"]
    assert copy == original
    assert copy[0]["images"] == [(960, 720, ["320", "960"]), (320, 240, ["320"])]


async def test_csv_export_has_a_row_per_recipe_and_no_formulas(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    database: Database,
    jobs: RecordingQueue,
    job_settings: Settings,
) -> None:
    author = await make_user(session, settings)
    actor = await actor_for(session, author)
    await recipes.create_recipe(session, actor=actor, data=rich_recipe("Corn fritters"))
    await recipes.create_recipe(
        session, actor=actor, data=RecipeCreate(title="=HYPERLINK(1)", notes="@SUM(A1)")
    )
    headers = bearer(author, settings, session)
    await session.commit()
    started = await client.post("/api/v1/exports", json={"format": "csv"}, headers=headers)
    job = await _run(client, jobs, database, job_settings, started.json()["id"], headers)
    download = await client.get(job["result"]["download"], headers=headers)
    assert download.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(download.content.decode("utf-8-sig"))))
    by_slug = {row["slug"]: row for row in rows}
    fritters = by_slug["corn-fritters"]
    assert fritters["ingredients"].splitlines()[0] == "1 1/2 cups flour"
    assert fritters["tags"] == "snack; Fried"
    assert fritters["servings"] == "2.5"
    formula = next(row for row in rows if row["slug"] != "corn-fritters")
    assert (formula["title"], formula["notes"]) == ("'=HYPERLINK(1)", "'@SUM(A1)")


async def test_only_the_owner_downloads_and_only_while_it_lasts(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    database: Database,
    jobs: RecordingQueue,
    job_settings: Settings,
) -> None:
    author = await make_user(session, settings)
    other = await make_user(session, settings, admin=True)
    headers = bearer(author, settings, session)
    other_headers = bearer(other, settings, session)
    await session.commit()
    started = await client.post("/api/v1/exports", json={}, headers=headers)
    export_id = started.json()["id"]
    url = f"/api/v1/exports/{export_id}/download"
    assert (await client.get(url, headers=headers)).status_code == 409
    await _run(client, jobs, database, job_settings, export_id, headers)
    assert (await client.get(url, headers=headers)).status_code == 200
    assert (await client.get(url, headers=other_headers)).status_code == 404
    bad = await client.post("/api/v1/exports", json={"format": "pdf"}, headers=headers)
    assert bad.status_code == 422

    await session.execute(
        update(Job)
        .where(Job.id == export_id)
        .values(finished_at=utcnow() - timedelta(hours=job_settings.export_ttl_hours + 1))
    )
    await session.commit()
    assert (await client.get(url, headers=headers)).status_code == 410
    files = list((job_settings.media_dir / "exports").rglob("*.zip"))
    assert len(files) == 1
    await purge_expired_exports(database, job_settings, RecordingQueue())
    assert list((job_settings.media_dir / "exports").rglob("*.zip")) == []
    assert (await client.get(url, headers=headers)).status_code == 410
