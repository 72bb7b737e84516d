"""Restoring over a running site: everything but the job log is replaced, in one go."""

from __future__ import annotations

from pathlib import Path

from recipevault.backup.restore import restore_backup
from recipevault.backup.service import create_backup
from recipevault.jobs.service import create_job
from recipevault.policy import Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import RecipeCreate
from tests.backup import dump, media_of, new_instance, populate, titles_found
from tests.support.database import DatabaseFactory
from tests.support.jobs import RecordingQueue
from tests.support.world import actor_for, make_user

KEPT = ("jobs", "job_items")


async def test_a_restore_replaces_a_running_site(
    databases: DatabaseFactory, tmp_path: Path
) -> None:
    async with (
        new_instance(databases, tmp_path, "made") as source,
        new_instance(databases, tmp_path, "live") as live,
    ):
        site = await populate(source)
        path = tmp_path / "site.zip"
        await create_backup(source.database, source.storage, destination=path)
        expected = await dump(source.database)

        # The live site has moved on: other people, a recipe, a stray file, a job running.
        async with live.database.session() as session:
            stranger = await make_user(session, live.settings, name="Stranger")
            actor = await actor_for(session, stranger)
            await recipes.create_recipe(
                session,
                actor=actor,
                data=RecipeCreate(title="Quince paste", visibility=Visibility.PUBLIC),
            )
            restore_job = await create_job(
                session, queue=RecordingQueue(), kind="restore", owner_id=stranger.id, payload={}
            )
            await session.commit()
        await live.storage.put("recipes/999/1/320-abc.webp", b"old", content_type="image/webp")
        assert await titles_found(live.database, "quince") == ["Quince paste"]

        await restore_backup(live.database, live.storage, source=path, replace=True)

        restored = await dump(live.database)
        assert {name: rows for name, rows in restored.items() if name not in KEPT} == {
            name: rows for name, rows in expected.items() if name not in KEPT
        }
        jobs = restored["jobs"]
        assert [row[0] for row in jobs] == [restore_job.id]  # the live job log, unlinked
        assert await media_of(live.storage) == site.media
        assert await titles_found(live.database, "quince") == []
        assert await titles_found(live.database, "saffron") == ["Saffron tomato soup"]
