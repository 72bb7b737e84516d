"""Recipe images over HTTP: the image routes, the media route that serves renditions, the recipe
JSON and pages that show them, and who may do what."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.media.images import DAMAGED, NOT_AN_IMAGE, TOO_LARGE
from recipevault.media.storage import LocalMediaStorage
from recipevault.recipes.models import RecipeImage
from tests.recipes.images.test_service import BLUE, RED, WIDTHS, camera_jpeg, png, png_declaring
from tests.support.app import make_settings
from tests.support.jobs import RecordingQueue
from tests.support.world import World, bearer

BASE = "/api/v1/recipes"
MAX_BYTES = 200_000
CACHE_FOREVER = "public, max-age=31536000, immutable"


@pytest.fixture
def media_settings(database_url: str, tmp_path: Path) -> Settings:
    return make_settings(
        database_url,
        media_dir=tmp_path / "media",
        outbox_dir=tmp_path / "outbox",
        image_widths=list(WIDTHS),
        image_max_bytes=MAX_BYTES,
    )


@pytest.fixture
def app(app: FastAPI, media_settings: Settings) -> FastAPI:
    """The app with its media in a folder of this test's own."""
    app.state.settings = media_settings
    return app


@pytest.fixture
def owner(session: AsyncSession, settings: Settings, world: World) -> dict[str, str]:
    return bearer(world.owner, settings, session)


class Kitchen:
    """The owner's recipe and the calls made on its images."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        headers: dict[str, str],
        recipe_id: int,
        database: Database,
        settings: Settings,
        jobs: RecordingQueue,
    ) -> None:
        self.client = client
        self.headers = headers
        self.recipe_id = recipe_id
        self.url = f"{BASE}/{recipe_id}"
        self.database = database
        self.settings = settings
        self.jobs = jobs

    async def upload(
        self, data: bytes, *, headers: dict[str, str] | None = None, name: str = "photo.jpg"
    ) -> httpx.Response:
        return await self.client.post(
            f"{self.url}/images",
            files={"file": (name, data, "image/jpeg")},
            headers=self.headers if headers is None else headers,
        )

    async def uploaded(self, data: bytes) -> dict[str, Any]:
        response = await self.upload(data)
        assert response.status_code == 201, response.text
        return dict(response.json())

    async def listed(self, headers: dict[str, str] | None = None) -> list[dict[str, Any]]:
        response = await self.client.get(
            f"{self.url}/images", headers=self.headers if headers is None else headers
        )
        assert response.status_code == 200, response.text
        return list(response.json())

    async def process(self) -> None:
        await self.jobs.run_all(self.database, self.settings)


@pytest.fixture
async def kitchen(
    client: httpx.AsyncClient,
    owner: dict[str, str],
    database: Database,
    media_settings: Settings,
    jobs: RecordingQueue,
) -> Kitchen:
    created = await client.post(
        BASE, json={"title": "Tomato soup", "visibility": "public"}, headers=owner
    )
    assert created.status_code == 201, created.text
    return Kitchen(client, owner, created.json()["id"], database, media_settings, jobs)


def _ids(items: list[dict[str, Any]]) -> list[int]:
    return [int(item["id"]) for item in items]


# --- The image routes ------------------------------------------------------------------------


async def test_upload_list_order_choose_primary_and_delete(kitchen: Kitchen) -> None:
    first = await kitchen.uploaded(camera_jpeg())
    assert first == {
        "id": first["id"],
        "position": 0,
        "status": "pending",
        "width": 400,
        "height": 800,
        "urls": {},
        "error": None,
    }
    assert await kitchen.listed() == [first]
    await kitchen.process()
    [ready] = await kitchen.listed()
    assert ready["status"] == "ready"
    assert list(ready["urls"]) == list(WIDTHS)
    assert all(
        re.fullmatch(rf"/media/[0-9a-f]{{32}}/{width}\.webp", url)
        for width, url in ready["urls"].items()
    )

    second = await kitchen.uploaded(png(RED))
    third = await kitchen.uploaded(png(BLUE))
    assert [second["position"], third["position"]] == [1, 2]
    await kitchen.process()

    order = [third["id"], first["id"], second["id"]]
    reordered = await kitchen.client.put(
        f"{kitchen.url}/images/order", json={"image_ids": order}, headers=kitchen.headers
    )
    assert reordered.status_code == 200, reordered.text
    assert _ids(reordered.json()) == order
    assert [item["position"] for item in reordered.json()] == [0, 1, 2]
    assert _ids(await kitchen.listed()) == order

    wrong = await kitchen.client.put(
        f"{kitchen.url}/images/order", json={"image_ids": order[:2]}, headers=kitchen.headers
    )
    assert wrong.status_code == 422
    assert wrong.json()["errors"][0]["field"] == "image_ids"

    primary = await kitchen.client.post(
        f"{kitchen.url}/images/{second['id']}/primary", headers=kitchen.headers
    )
    assert primary.status_code == 200, primary.text
    assert _ids(primary.json()) == [second["id"], third["id"], first["id"]]

    deleted = await kitchen.client.delete(
        f"{kitchen.url}/images/{third['id']}", headers=kitchen.headers
    )
    assert deleted.status_code == 204
    assert _ids(await kitchen.listed()) == [second["id"], first["id"]]
    again = await kitchen.client.delete(
        f"{kitchen.url}/images/{third['id']}", headers=kitchen.headers
    )
    assert again.status_code == 404
    assert (
        await kitchen.client.post(
            f"{kitchen.url}/images/{third['id']}/primary", headers=kitchen.headers
        )
    ).status_code == 404

    storage = LocalMediaStorage(kitchen.settings.media_dir)
    assert await storage.list(f"recipes/{kitchen.recipe_id}/{third['id']}/")
    await kitchen.process()
    assert await storage.list(f"recipes/{kitchen.recipe_id}/{third['id']}/") == []


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"%PDF-1.7 not a photo at all" * 10, NOT_AN_IMAGE),
        (png_declaring(30_000, 30_000), TOO_LARGE),
        (camera_jpeg()[:2000], DAMAGED),
    ],
    ids=["text", "png-bomb", "truncated"],
)
async def test_uploads_are_checked_by_decoding_them(
    kitchen: Kitchen, data: bytes, message: str
) -> None:
    # The name and declared type say JPEG; only the content counts.
    response = await kitchen.upload(data, name="photo.jpg")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert message in response.json()["detail"]
    assert await kitchen.listed() == []


async def test_an_upload_without_a_file_is_refused(kitchen: Kitchen) -> None:
    response = await kitchen.client.post(
        f"{kitchen.url}/images", data={"note": "forgot it"}, headers=kitchen.headers
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "file"


@pytest.mark.parametrize("size", [MAX_BYTES + 1_000, MAX_BYTES * 2])
async def test_an_image_over_the_limit_is_refused_with_413(kitchen: Kitchen, size: int) -> None:
    # Just over the limit is caught once read; far over it, from the declared length alone.
    data = png(RED)
    response = await kitchen.upload(data + b"\0" * (size - len(data)))
    assert response.status_code == 413
    assert response.json()["detail"] == "An image may be at most 195.3 KB."
    assert await kitchen.listed() == []


async def test_an_upload_must_declare_its_length(kitchen: Kitchen) -> None:
    async def body() -> AsyncIterator[bytes]:
        yield b"--x\r\nContent-Disposition: form-data; name=file; filename=a.png\r\n\r\n"
        yield png(RED)
        yield b"\r\n--x--\r\n"

    response = await kitchen.client.post(
        f"{kitchen.url}/images",
        content=body(),
        headers={**kitchen.headers, "content-type": "multipart/form-data; boundary=x"},
    )
    assert response.status_code == 411


async def test_who_may_see_and_change_images(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    world: World,
    kitchen: Kitchen,
) -> None:
    image = await kitchen.uploaded(png(RED))
    member = bearer(world.member, settings, session)
    outsider = bearer(world.outsider, settings, session)
    assert (await kitchen.upload(png(BLUE), headers={})).status_code == 401
    # The recipe is public: everyone reads its ready images; only its owner changes them.
    assert await kitchen.listed(headers={}) == []
    await kitchen.process()
    assert _ids(await kitchen.listed(headers={})) == [image["id"]]
    assert _ids(await kitchen.listed(headers=outsider)) == [image["id"]]
    for headers in (member, outsider):
        assert (await kitchen.upload(png(BLUE), headers=headers)).status_code == 403
        primary = await client.post(f"{kitchen.url}/images/{image['id']}/primary", headers=headers)
        assert primary.status_code == 403
        deleted = await client.delete(f"{kitchen.url}/images/{image['id']}", headers=headers)
        assert deleted.status_code == 403

    # Another household's private recipe does not exist for anyone else.
    private = await client.post(
        BASE, json={"title": "Secret stew", "visibility": "private"}, headers=outsider
    )
    secret = f"{BASE}/{private.json()['id']}/images"
    assert (await client.get(secret, headers=kitchen.headers)).status_code == 404
    assert (await client.get(secret)).status_code == 404
    refused = await client.post(
        secret, files={"file": ("a.png", png(RED), "image/png")}, headers=kitchen.headers
    )
    assert refused.status_code == 404
    order = await client.put(
        f"{secret}/order", json={"image_ids": [image["id"]]}, headers=kitchen.headers
    )
    assert order.status_code == 404
    # Nor can an image be reached through another recipe.
    assert (await client.delete(f"{secret}/{image['id']}", headers=outsider)).status_code == 404
    assert (await client.get(f"{BASE}/999999/images")).status_code == 404


# --- Serving renditions -------------------------------------------------------------------


async def test_renditions_are_served_for_good_and_nothing_else_is(
    kitchen: Kitchen, session: AsyncSession
) -> None:
    image = await kitchen.uploaded(camera_jpeg())
    await kitchen.process()
    [ready] = await kitchen.listed()
    storage = LocalMediaStorage(kitchen.settings.media_dir)
    row = await session.get_one(RecipeImage, image["id"], populate_existing=True)
    keys = {str(variant["width"]): variant["key"] for variant in row.variants}
    for width, url in ready["urls"].items():
        response = await kitchen.client.get(url)
        assert response.status_code == 200
        assert response.headers["cache-control"] == CACHE_FOREVER
        assert response.headers["content-type"] == "image/webp"
        assert response.content == await storage.get(keys[width])
        again = await kitchen.client.get(url, headers={"if-none-match": response.headers["etag"]})
        assert again.status_code == 304

    rendition = ready["urls"]["160"]
    folder = f"/media/recipes/{kitchen.recipe_id}/{image['id']}"
    assert await storage.exists(f"recipes/{kitchen.recipe_id}/{image['id']}/original.jpeg")
    await storage.put("imports/upload-1.zip", b"PK", content_type="application/zip")
    for path in (
        f"{folder}/original.jpeg",  # originals keep the camera's EXIF data: never served
        "/media/imports/upload-1.zip",
        "/media/" + keys["160"],  # storage keys are no addresses
        f"/media/{'0' * 32}/160.webp",  # no such image
        rendition.replace("/160.", "/640."),  # no such rendition
        rendition.replace(".webp", ".WEBP"),
        rendition.replace("/media/", "/media/0"),
        rendition.upper().replace("/MEDIA/", "/media/"),
        "/media/recipes/%2e%2e/%2e%2e/etc/passwd",
        f"/media/recipes/{kitchen.recipe_id}/../{image['id']}/original.jpeg",
        "/media/" + "%2Fetc%2Fpasswd",
        "/media/",
    ):
        response = await kitchen.client.get(path)
        assert response.status_code == 404, path
        assert (
            "cache-control" not in response.headers
            or "immutable" not in (response.headers["cache-control"])
        )


# --- The recipe as readers see it ---------------------------------------------------------


async def test_every_image_change_shows_in_the_next_read(kitchen: Kitchen) -> None:
    etags: list[str] = []

    async def read(*, changed: bool = True) -> dict[str, Any]:
        response = await kitchen.client.get(kitchen.url)
        assert response.status_code == 200
        if changed:  # a new representation has a new ETag, or caches would serve the old one
            assert response.headers["etag"] != etags[-1]
        etags.append(response.headers["etag"])
        return dict(response.json())

    assert (await read(changed=False))["images"] == []
    first = await kitchen.uploaded(camera_jpeg())
    assert (await read(changed=False))["images"] == []  # not ready yet
    await kitchen.process()
    [shown] = (await read())["images"]
    [listed] = await kitchen.listed()
    assert shown == {"id": first["id"], "width": 320, "height": 640, "urls": listed["urls"]}

    second = await kitchen.uploaded(png(RED))
    await kitchen.process()
    assert _ids((await read())["images"]) == [first["id"], second["id"]]

    await kitchen.client.post(
        f"{kitchen.url}/images/{second['id']}/primary", headers=kitchen.headers
    )
    assert _ids((await read())["images"]) == [second["id"], first["id"]]
    summaries = (await kitchen.client.get(BASE)).json()["items"]
    [summary] = [item for item in summaries if item["id"] == kitchen.recipe_id]
    second_urls = (await kitchen.listed())[0]["urls"]
    assert summary["image"] == second_urls[WIDTHS[0]]

    await kitchen.client.put(
        f"{kitchen.url}/images/order",
        json={"image_ids": [first["id"], second["id"]]},
        headers=kitchen.headers,
    )
    assert _ids((await read())["images"]) == [first["id"], second["id"]]

    await kitchen.client.delete(f"{kitchen.url}/images/{first['id']}", headers=kitchen.headers)
    assert _ids((await read())["images"]) == [second["id"]]

    # Editing the recipe keeps its images and makes no revision of them.
    patched = await kitchen.client.patch(
        kitchen.url, json={"title": "Roast tomato soup"}, headers=kitchen.headers
    )
    assert patched.json()["images"][0]["id"] == second["id"]
    revisions = await kitchen.client.get(f"{kitchen.url}/revisions", headers=kitchen.headers)
    assert [r["changed_fields"] for r in revisions.json()] == [["title"]]

    await kitchen.client.delete(kitchen.url, headers=kitchen.headers)
    assert (await kitchen.client.get(kitchen.url)).status_code == 404
    assert (await kitchen.client.get(f"{kitchen.url}/images")).status_code == 404
    await kitchen.client.post(f"{kitchen.url}/restore", headers=kitchen.headers)
    # The trash took the images' public addresses away; they come back under new ones.
    [restored] = (await read())["images"]
    assert restored["id"] == second["id"]
    assert restored["urls"] != second_urls


async def test_pages_show_the_primary_image(kitchen: Kitchen) -> None:
    slug = (await kitchen.client.get(kitchen.url)).json()["slug"]
    page = await kitchen.client.get(f"/recipes/{slug}")
    assert "<img" not in page.text.split("<main", 1)[1]

    await kitchen.uploaded(camera_jpeg())
    await kitchen.uploaded(png(RED))
    await kitchen.process()
    [primary, _] = await kitchen.listed()
    page = await kitchen.client.get(f"/recipes/{slug}")
    [tag] = re.findall(r"<img class=\"recipe-image\"[^>]*>", page.text, flags=re.S)
    srcset = ", ".join(f"{url} {width}w" for width, url in primary["urls"].items())
    assert f'srcset="{srcset}"' in tag
    assert 'width="320" height="640"' in tag
    assert 'loading="lazy"' in tag
    assert 'alt="Tomato soup"' in tag
    assert "style=" not in tag  # the page's CSP allows no inline styles

    listing = await kitchen.client.get("/recipes")
    [card_image] = re.findall(r"<img class=\"recipe-card__image\"[^>]*>", listing.text)
    assert f'src="{primary["urls"][WIDTHS[0]]}"' in card_image
    assert 'width="320" height="240"' in card_image
    assert 'loading="lazy"' in card_image
    assert 'alt="Tomato soup"' in card_image
