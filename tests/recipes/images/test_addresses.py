"""Image addresses: tokens follow the recipe's visibility, and the migration that introduced
them gives every existing image one without losing any."""

from __future__ import annotations

import asyncio
import hashlib
import re
from pathlib import Path
from typing import Any

import orjson
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.db.migrate import alembic_config
from recipevault.media.storage import LocalMediaStorage
from recipevault.policy import Visibility
from recipevault.recipes import service
from recipevault.recipes.images import addresses as image_addresses
from recipevault.recipes.images import service as images
from recipevault.recipes.models import Recipe, RecipeDocument, RecipeImage
from recipevault.recipes.schemas import RecipeCreate
from tests.recipes.images.test_service import BLUE, RED, WIDTHS, png
from tests.support.database import DatabaseFactory, migrate
from tests.support.jobs import RecordingQueue
from tests.support.world import actor_for, make_world

REVISION = "a7c4e1f9b3d2"
TOKEN = re.compile(r"[0-9a-f]{32}")


def test_tokens_are_random_and_addresses_name_only_token_and_width() -> None:
    tokens = {image_addresses.new_token() for _ in range(100)}
    assert len(tokens) == 100
    assert all(TOKEN.fullmatch(token) for token in tokens)
    token = next(iter(tokens))
    url = image_addresses.image_url(token, 320)
    assert url == f"/media/{token}/320.webp"
    assert image_addresses.ADDRESS.fullmatch(url.removeprefix("/media/"))


OLD = "a" * 32


def test_only_an_address_that_was_public_moves_when_the_recipe_stops_being_public() -> None:
    cases = {
        # (visibility, trashed, was public): (moved, public now)
        (Visibility.PUBLIC, False, False): (False, True),
        (Visibility.PUBLIC, False, True): (False, True),
        (Visibility.PRIVATE, False, True): (True, False),
        (Visibility.HOUSEHOLD, False, True): (True, False),
        (Visibility.PUBLIC, True, True): (True, False),
        (Visibility.PRIVATE, False, False): (False, False),
        (Visibility.PUBLIC, True, False): (False, False),
    }
    for (visibility, trashed, was_public), expected in cases.items():
        image = RecipeImage(token=OLD, token_public=was_public, variants=[])
        recipe = Recipe(
            visibility=visibility, deleted_at=utcnow() if trashed else None, images=[image]
        )
        image_addresses.follow_visibility(recipe)
        assert (image.token != OLD, image.token_public) == expected, (visibility, trashed)
        assert TOKEN.fullmatch(image.token)


# --- The migration -----------------------------------------------------------------------


def _before() -> str:
    """The revision this migration follows (read, so that re-chaining it changes nothing)."""
    script = ScriptDirectory.from_config(alembic_config("sqlite+aiosqlite://"))
    down = script.get_revision(REVISION).down_revision
    assert isinstance(down, str)
    return down


async def _state(database: Database) -> dict[str, Any]:
    async with database.session(write=False) as session:
        rows = (await session.execute(select(RecipeImage).order_by(RecipeImage.id))).scalars()
        found = [(i.id, i.recipe_id, i.token, i.token_public, i.variants) for i in rows]
        documents = {
            d.recipe_id: (d.etag, bytes(d.document), bytes(d.summary))
            for d in (await session.scalars(select(RecipeDocument))).all()
        }
    return {"images": found, "documents": documents}


async def _raw_documents(url: str, settings: Settings) -> dict[int, bytes]:
    database = Database.from_settings(settings.model_copy(update={"database_url": url}))
    try:
        async with database.session(write=False) as session:
            rows = await session.execute(text("SELECT recipe_id, document FROM recipe_documents"))
            return {int(recipe_id): bytes(document) for recipe_id, document in rows}
    finally:
        await database.dispose()


async def test_the_migration_gives_every_image_a_token_and_moves_every_address(
    databases: DatabaseFactory, settings: Settings, tmp_path: Path
) -> None:
    url = databases.new_url("image_tokens")
    await asyncio.to_thread(migrate, url)
    site = settings.model_copy(
        update={
            "database_url": url,
            "media_dir": tmp_path / "media",
            "image_widths": list(WIDTHS),
        }
    )
    queue = RecordingQueue()
    storage = LocalMediaStorage(site.media_dir)
    database = Database.from_settings(site)
    try:
        async with database.session() as session:
            ids = await _recipes_with_images(session, site, queue, storage)
            await session.commit()
        await queue.run_all(database, site)
        async with database.session() as session:
            owner = await actor_for(session, await _user(session, ids["owner"]))
            await images.delete_image(
                session, actor=owner, recipe_id=ids["private"], image_id=ids["deleted"], queue=queue
            )
            await session.commit()
        before = await _state(database)
    finally:
        await database.dispose()

    # Back to the addresses that were storage keys, and forward again.
    config = alembic_config(url)
    await asyncio.to_thread(command.downgrade, config, _before())
    for recipe_id, document in (await _raw_documents(url, site)).items():
        for image_id, image_recipe, _, _, variants in before["images"]:
            if image_recipe == recipe_id:
                for variant in variants:
                    assert f'"/media/{variant["key"]}"'.encode() in document, image_id
    await asyncio.to_thread(command.upgrade, config, "head")

    database = Database.from_settings(site)
    try:
        after = await _state(database)
        # Nothing lost, every file where it was; each image has a new token of its own.
        assert [row[:2] + row[4:] for row in after["images"]] == [
            row[:2] + row[4:] for row in before["images"]
        ]
        tokens = [token for _, _, token, _, _ in after["images"]]
        assert all(TOKEN.fullmatch(token) for token in tokens)
        assert len(set(tokens)) == len(tokens)
        assert not set(tokens) & {token for _, _, token, _, _ in before["images"]}
        public = {row[0]: row[3] for row in after["images"]}
        assert public == {ids["public_image"]: True, ids["private_image"]: False}
        for image_id, recipe_id, token, _, variants in after["images"]:
            etag, document, summary = after["documents"][recipe_id]
            assert etag == hashlib.blake2b(document, digest_size=12).hexdigest()
            [shown] = orjson.loads(document)["images"]
            assert shown["id"] == image_id
            assert shown["urls"] == {
                str(v["width"]): f"/media/{token}/{v['width']}.webp" for v in variants
            }
            assert orjson.loads(summary)["image"] == shown["urls"][WIDTHS[0]]
            for variant in variants:
                assert await storage.exists(variant["key"])
        # A new image never gets the id of one deleted before the migration.
        async with database.session() as session:
            owner = await actor_for(session, await _user(session, ids["owner"]))
            added = await images.add_image(
                session,
                actor=owner,
                recipe_id=ids["private"],
                data=png(BLUE),
                queue=queue,
                storage=storage,
                settings=site,
            )
            assert added.id > ids["deleted"]
    finally:
        await database.dispose()


async def _user(session: AsyncSession, user_id: int) -> Any:
    from recipevault.accounts.models import User

    return await session.get_one(User, user_id)


async def _recipes_with_images(
    session: AsyncSession, settings: Settings, queue: RecordingQueue, storage: LocalMediaStorage
) -> dict[str, int]:
    world = await make_world(session, settings)
    owner = await actor_for(session, world.owner)
    ids = {"owner": world.owner.id}
    for name, visibility in (("public", Visibility.PUBLIC), ("private", Visibility.PRIVATE)):
        recipe = await service.create_recipe(
            session, actor=owner, data=RecipeCreate(title=name, visibility=visibility)
        )
        ids[name] = recipe.id
        for key, photo in ((f"{name}_image", RED), ("deleted", BLUE)):
            if key == "deleted" and name == "public":
                continue
            image = await images.add_image(
                session,
                actor=owner,
                recipe_id=recipe.id,
                data=png(photo),
                queue=queue,
                storage=storage,
                settings=settings,
            )
            ids[key] = image.id
    return ids
