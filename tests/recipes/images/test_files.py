"""Who is served a recipe image, how long it may be kept, and what its address gives away."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.recipes.models import RecipeImage
from tests.recipes.images.test_service import RED, WIDTHS, png
from tests.support.app import make_settings
from tests.support.jobs import RecordingQueue
from tests.support.world import World, bearer, make_world

BASE = "/api/v1/recipes"
PUBLIC = "public, max-age=31536000, immutable"
PRIVATE = "private, no-cache"


@pytest.fixture
def app(app: FastAPI, database_url: str, tmp_path: Path) -> FastAPI:
    """The app with its media in a folder of this test's own."""
    media = tmp_path / "media"
    app.state.settings = make_settings(database_url, media_dir=media, image_widths=list(WIDTHS))
    return app


class Site:
    """Everyone in the world as an API client, and the recipes they make with one photo."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        session: AsyncSession,
        settings: Settings,
        world: World,
        database: Database,
        jobs: RecordingQueue,
    ) -> None:
        self.client = client
        self.session = session
        self.settings = settings
        self.world = world
        self.database = database
        self.jobs = jobs
        self.people = {name: bearer(user, settings, session) for name, user in world.all().items()}
        self.people["visitor"] = {}

    async def recipe(self, by: str, photo: bytes, **fields: object) -> int:
        """A recipe of ``by``'s with ``photo`` as its ready image; returns its id."""
        headers = self.people[by]
        created = await self.client.post(BASE, json={"title": "Soup", **fields}, headers=headers)
        assert created.status_code == 201, created.text
        recipe_id = int(created.json()["id"])
        uploaded = await self.client.post(
            f"{BASE}/{recipe_id}/images",
            files={"file": ("photo.png", photo, "image/png")},
            headers=headers,
        )
        assert uploaded.status_code == 201, uploaded.text
        await self.jobs.run_all(self.database, self.settings)
        return recipe_id

    async def urls(self, recipe_id: int, by: str) -> dict[str, str]:
        read = await self.client.get(f"{BASE}/{recipe_id}", headers=self.people[by])
        assert read.status_code == 200, read.text
        [image] = read.json()["images"]
        return dict(image["urls"])

    async def change(self, recipe_id: int, by: str, **fields: object) -> None:
        patched = await self.client.patch(
            f"{BASE}/{recipe_id}", json=fields, headers=self.people[by]
        )
        assert patched.status_code == 200, patched.text

    async def fetch(self, url: str, who: str) -> httpx.Response:
        return await self.client.get(url, headers=self.people[who])

    async def served_to(self, url: str) -> dict[str, str]:
        """Who gets the image at ``url``, and with which Cache-Control."""
        answers = {}
        for who in self.people:
            response = await self.fetch(url, who)
            answers[who] = (
                response.headers["cache-control"] if response.status_code == 200 else "404"
            )
            assert response.status_code in (200, 404), response.text
        return answers


@pytest.fixture
async def site(
    client: httpx.AsyncClient,
    session: AsyncSession,
    app: FastAPI,
    database: Database,
    jobs: RecordingQueue,
) -> Site:
    settings: Settings = app.state.settings
    world = await make_world(session, settings)
    return Site(client, session, settings, world, database, jobs)


async def test_an_address_says_nothing_of_the_picture_or_the_recipe(
    site: Site, session: AsyncSession
) -> None:
    # The same photo, in a public recipe of one person's and a private one of another's.
    public = await site.urls(await site.recipe("owner", png(RED), visibility="public"), "owner")
    private_id = await site.recipe("outsider", png(RED), visibility="private")
    private = await site.urls(private_id, "outsider")
    for width in WIDTHS:
        assert public[width] != private[width]
    image = await session.scalar(select(RecipeImage).where(RecipeImage.recipe_id == private_id))
    assert image is not None
    for variant in image.variants:
        stored = (site.settings.media_dir / variant["key"]).read_bytes()
        # Whoever has the photo can make the same rendition: its hash must lead nowhere.
        digest = hashlib.sha256(stored).hexdigest()
        url = private[str(variant["width"])]
        assert digest[:16] not in url
        assert re.fullmatch(rf"/media/[0-9a-f]{{32}}/{variant['width']}\.webp", url)


async def test_images_are_served_to_those_who_may_read_the_recipe(site: Site) -> None:
    household = site.world.household.id
    shared = await site.recipe("owner", png(RED), visibility="household", household_id=household)
    private = await site.recipe("owner", png(RED), visibility="private")
    public = await site.recipe("owner", png(RED), visibility="public")
    assert await site.served_to((await site.urls(shared, "owner"))["160"]) == {
        "admin": PRIVATE,
        "owner": PRIVATE,
        "member": PRIVATE,
        "outsider": "404",
        "visitor": "404",
    }
    assert await site.served_to((await site.urls(private, "owner"))["160"]) == {
        "admin": PRIVATE,
        "owner": PRIVATE,
        "member": "404",
        "outsider": "404",
        "visitor": "404",
    }
    assert set((await site.served_to((await site.urls(public, "owner"))["160"])).values()) == {
        PUBLIC
    }


async def test_access_is_checked_on_every_request(site: Site) -> None:
    household = site.world.household.id
    recipe_id = await site.recipe("owner", png(RED), visibility="household", household_id=household)
    url = (await site.urls(recipe_id, "owner"))["320"]
    first = await site.fetch(url, "member")
    assert first.status_code == 200
    assert first.headers["cache-control"] == PRIVATE
    again = await site.client.get(
        url, headers={**site.people["member"], "if-none-match": first.headers["etag"]}
    )
    assert again.status_code == 304
    await site.change(recipe_id, "owner", visibility="private")
    # The address was never public, so it stays; the member no longer gets it, not even a 304.
    assert (await site.urls(recipe_id, "owner"))["320"] == url
    for headers in ({}, {"if-none-match": first.headers["etag"]}):
        refused = await site.client.get(url, headers={**site.people["member"], **headers})
        assert refused.status_code == 404
    assert (await site.fetch(url, "owner")).status_code == 200


async def test_a_recipe_that_stops_being_public_moves_its_images(site: Site) -> None:
    recipe_id = await site.recipe("owner", png(RED), visibility="public")
    public = await site.urls(recipe_id, "owner")
    listed = (await site.client.get(BASE)).json()["items"]
    assert [item["image"] for item in listed if item["id"] == recipe_id] == [public["160"]]
    assert (await site.fetch(public["160"], "visitor")).headers["cache-control"] == PUBLIC

    await site.change(recipe_id, "owner", visibility="private")
    private = await site.urls(recipe_id, "owner")
    assert private.keys() == public.keys()
    for width, old in public.items():
        assert private[width] != old
        # Caches may keep the old address; the site no longer answers it, to anyone.
        assert await site.served_to(old) == dict.fromkeys(site.people, "404")
        assert (await site.served_to(private[width]))["owner"] == PRIVATE
    summaries = (await site.client.get(BASE, headers=site.people["owner"])).json()["items"]
    assert [item["image"] for item in summaries if item["id"] == recipe_id] == [private["160"]]

    # Made public again, the address it has now becomes public; it moves only when it was.
    await site.change(recipe_id, "owner", visibility="public")
    assert await site.urls(recipe_id, "owner") == private
    assert (await site.fetch(private["160"], "visitor")).headers["cache-control"] == PUBLIC
    slug = (await site.client.get(f"{BASE}/{recipe_id}")).json()["slug"]
    page = (await site.client.get(f"/recipes/{slug}")).text
    assert private["160"] in page
    assert f'"image":["https://testserver{private["320"]}"]' in page  # the JSON-LD
    assert all(old not in page for old in public.values())
    await site.change(recipe_id, "owner", visibility="household")
    assert (await site.urls(recipe_id, "owner"))["160"] != private["160"]


async def test_a_trashed_recipe_s_images_are_its_owner_s_alone(site: Site) -> None:
    recipe_id = await site.recipe("owner", png(RED), visibility="public")
    public = (await site.urls(recipe_id, "owner"))["160"]
    trashed = await site.client.delete(f"{BASE}/{recipe_id}", headers=site.people["owner"])
    assert trashed.status_code == 204
    assert await site.served_to(public) == dict.fromkeys(site.people, "404")
    trash = await site.client.get(f"{BASE}/trash", headers=site.people["owner"])
    [item] = [item for item in trash.json() if item["id"] == recipe_id]
    assert item["image"] != public
    assert await site.served_to(item["image"]) == {
        "admin": PRIVATE,
        "owner": PRIVATE,
        "member": "404",
        "outsider": "404",
        "visitor": "404",
    }
