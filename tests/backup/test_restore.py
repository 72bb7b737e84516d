"""Restoring backups into new instances, and the archives a restore refuses; each instance on
a migrated database of its own."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest
from alembic.script import ScriptDirectory
from asgi_lifespan import LifespanManager
from sqlalchemy import Column, ForeignKey, Integer, MetaData, String, Table, func, select

from recipevault import __version__
from recipevault.accounts.models import Role
from recipevault.backup import restore
from recipevault.backup.archive import (
    FORMAT,
    ArchiveReader,
    ArchiveWriter,
    BackupRejected,
    Manifest,
    SchemaMismatch,
    TargetNotEmpty,
)
from recipevault.backup.restore import restore_backup
from recipevault.backup.service import create_backup, table_plans
from recipevault.clock import utcnow
from recipevault.db import Base, UTCDateTime
from recipevault.db.migrate import MIGRATIONS_DIR
from recipevault.main import create_app
from recipevault.policy import Actor, Visibility
from recipevault.recipes import documents, listing
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import IngredientIn, RecipeCreate
from tests.backup import (
    POPULATED_TABLES,
    Instance,
    Site,
    Source,
    dump,
    media_of,
    new_instance,
    titles_found,
)
from tests.support.app import TEST_HOST
from tests.support.database import SQLITE, DatabaseFactory, database_factory
from tests.support.world import actor_for, make_user


def rewrite(
    archive: Path,
    destination: Path,
    *,
    manifest: Callable[[dict[str, Any]], dict[str, Any]] | None = None,
    members: dict[str, bytes | None] | None = None,
) -> Path:
    """A copy of ``archive`` with its manifest changed and members replaced, added or
    (given None) left out."""
    members = dict(members or {})
    with zipfile.ZipFile(archive) as original, zipfile.ZipFile(destination, "w") as copy:
        for name in original.namelist():
            data = original.read(name)
            if name in members:
                replacement = members.pop(name)
                if replacement is None:
                    continue
                data = replacement
            elif name == "manifest.json" and manifest is not None:
                data = json.dumps(manifest(json.loads(data))).encode()
            copy.writestr(name, data)
        for name, added in members.items():
            assert added is not None
            copy.writestr(name, added)
    return destination


async def assert_empty(instance: Instance) -> None:
    assert all(not rows for rows in (await dump(instance.database)).values())
    assert await instance.storage.list() == []


def admin_of(site: Site) -> Actor:
    return Actor(user_id=site.world.admin.id, role=Role.ADMIN)


async def assert_search_and_reads_work(instance: Instance, site: Site, original: Instance) -> None:
    """Full-text search finds what the source found, trash stays out, stored documents are
    served unchanged, and the API answers from the restored database."""
    assert await titles_found(instance.database, "saffron") == ["Saffron tomato soup"]
    assert await titles_found(instance.database, "passata simmer") == ["Saffron tomato soup"]
    assert await titles_found(instance.database, "lentils") == []
    assert await titles_found(instance.database, "lentils", admin_of(site)) == ["Quiet lentil stew"]
    assert await titles_found(instance.database, "quince", admin_of(site)) == []
    # The cook-with index is rebuilt too, trash left out.
    cook_with = await listing.cook_with(
        instance.database, viewer=admin_of(site), foods=["saffron", "onion", "quince"], limit=5
    )
    assert [item["title"] for item in orjson.loads(cook_with)["items"]] == ["Saffron tomato soup"]
    for recipe_id in (site.soup_id, site.stew_id):
        restored = await documents.stored_recipe(instance.database, recipe_id)
        made = await documents.stored_recipe(original.database, recipe_id)
        assert restored is not None
        assert made is not None
        assert (restored.etag, restored.body) == (made.etag, made.body)

    app = create_app(instance.settings)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app, client=("127.0.0.1", 50000))
        async with httpx.AsyncClient(
            transport=transport, base_url=f"https://{TEST_HOST}"
        ) as client:
            response = await client.get(f"/api/v1/recipes/{site.soup_id}")
            assert response.status_code == 200, response.text
            assert response.json()["title"] == "Saffron tomato soup"
            assert response.json()["version"] == 2
            listed = await client.get("/api/v1/recipes", params={"q": "saffron"})
            assert [item["id"] for item in listed.json()["items"]] == [site.soup_id]


async def assert_new_rows_get_new_ids(instance: Instance, before: dict[str, Any]) -> None:
    """Ids continue after the restored ones (PostgreSQL sequences were moved on)."""
    async with instance.database.session() as session:
        user = await make_user(session, instance.settings, name="Newcomer")
        recipe = await recipes.create_recipe(
            session,
            actor=await actor_for(session, user),
            data=RecipeCreate(
                title="Fresh bread",
                visibility=Visibility.PUBLIC,
                ingredients=[IngredientIn(text="500 g flour")],
            ),
        )
        await session.commit()
    assert user.id > max(row[0] for row in before["users"])
    assert recipe.id > max(row[0] for row in before["recipes"])
    assert await titles_found(instance.database, "bread") == ["Fresh bread"]


# --- Round trips ---------------------------------------------------------------------------


async def test_a_backup_restores_every_row_and_media_file(
    source: Source, target: Instance, tmp_path: Path
) -> None:
    instance, site = source
    seen: list[tuple[int, int]] = []

    async def progress(done: int, total: int) -> None:
        seen.append((done, total))

    path = tmp_path / "site.zip"
    made = await create_backup(
        instance.database, instance.storage, destination=path, progress=progress
    )
    before = await dump(instance.database)

    assert made.path == path
    assert made.tables == {name: len(rows) for name, rows in before.items()}
    assert made.media == len(site.media)
    assert made.size == path.stat().st_size
    assert seen[-1] == (made.rows + made.media, made.rows + made.media)
    with zipfile.ZipFile(path) as written:
        manifest = json.loads(written.read("manifest.json"))
        names = set(written.namelist())
    assert manifest["format"] == FORMAT
    assert manifest["format_version"] == 1
    assert manifest["schema_revision"] == ScriptDirectory(str(MIGRATIONS_DIR)).get_current_head()
    assert manifest["database"] == instance.database.dialect_name
    assert manifest["app_version"] == __version__
    assert manifest["tables"] == made.tables
    assert manifest["media"] == 3
    assert datetime.fromisoformat(manifest["created_at"]).tzinfo is not None
    assert names == {"manifest.json"} | {f"tables/{name}.jsonl" for name in before} | {
        f"media/{key}" for key in site.media
    }
    # The site fills every table it knows of, and has both a JSON null and a SQL NULL.
    assert all(before[name] for name in POPULATED_TABLES)
    details = [row[-1] for row in before["audit_events"]]
    results = Base.metadata.tables["jobs"].columns.keys().index("result")
    assert ("json", None) in details
    assert before["jobs"][0][results] is None

    restored = await restore_backup(target.database, target.storage, source=path, progress=progress)

    assert await dump(target.database) == before
    assert await media_of(target.storage) == site.media
    assert restored.tables == made.tables
    assert restored.media == 3
    assert restored.made_on == instance.database.dialect_name
    assert restored.indexed == 2  # the trashed recipe stays out of search
    assert seen[-1] == (made.rows + 3, made.rows + 3)


async def test_search_reads_and_new_rows_work_after_a_restore(
    source: Source, archive: Path, target: Instance
) -> None:
    instance, site = source
    before = await dump(instance.database)
    await restore_backup(target.database, target.storage, source=archive)

    await assert_search_and_reads_work(target, site, instance)
    await assert_new_rows_get_new_ids(target, before)


@pytest.mark.postgres_only
async def test_postgresql_to_sqlite_and_back(
    source: Source, archive: Path, databases: DatabaseFactory, tmp_path: Path
) -> None:
    instance, site = source
    before = await dump(instance.database)
    with database_factory(SQLITE, tmp_path / "sqlite") as sqlite_databases:
        (tmp_path / "sqlite").mkdir()
        async with new_instance(sqlite_databases, tmp_path, "on-sqlite") as on_sqlite:
            await restore_backup(on_sqlite.database, on_sqlite.storage, source=archive)
            assert on_sqlite.database.dialect_name == "sqlite"
            assert await dump(on_sqlite.database) == before
            assert await media_of(on_sqlite.storage) == site.media
            await assert_search_and_reads_work(on_sqlite, site, instance)

            again = tmp_path / "from-sqlite.zip"
            await create_backup(on_sqlite.database, on_sqlite.storage, destination=again)
            with zipfile.ZipFile(again) as written:
                assert json.loads(written.read("manifest.json"))["database"] == "sqlite"

    async with new_instance(databases, tmp_path, "back-on-postgresql") as back:
        await restore_backup(back.database, back.storage, source=again)
        assert back.database.dialect_name == "postgresql"
        assert await dump(back.database) == before
        assert await media_of(back.storage) == site.media
        await assert_search_and_reads_work(back, site, instance)
        await assert_new_rows_get_new_ids(back, before)


# --- Refusals ------------------------------------------------------------------------------


async def test_refuses_a_database_that_has_rows(source: Source, archive: Path) -> None:
    instance, _ = source
    before = await dump(instance.database)
    with pytest.raises(TargetNotEmpty, match="the database is not empty"):
        await restore_backup(instance.database, instance.storage, source=archive)
    assert await dump(instance.database) == before


async def test_refuses_a_media_folder_that_has_files(archive: Path, target: Instance) -> None:
    await target.storage.put("left/over.txt", b"x", content_type="text/plain")
    with pytest.raises(TargetNotEmpty, match="media folder already holds 1 files"):
        await restore_backup(target.database, target.storage, source=archive)
    assert all(not rows for rows in (await dump(target.database)).values())
    assert await target.storage.list() == ["left/over.txt"]


def _revisions() -> tuple[str, str]:
    script = ScriptDirectory(str(MIGRATIONS_DIR))
    head = script.get_current_head()
    assert head is not None
    previous = script.get_revision(head).down_revision
    assert isinstance(previous, str)
    return head, previous


async def test_refuses_a_database_at_another_schema_revision(
    archive: Path, databases: DatabaseFactory, tmp_path: Path
) -> None:
    head, previous = _revisions()
    async with new_instance(databases, tmp_path, "older", revision=previous) as older:
        with pytest.raises(SchemaMismatch) as refused:
            await restore_backup(older.database, older.storage, source=archive)
        assert f"the backup is at schema revision {head}" in refused.value.detail
        assert f"the database is at {previous}" in refused.value.detail
        assert f"`recipevault db upgrade {head}`" in refused.value.detail
        async with older.database.reading() as connection:
            # Counted, not selected: the columns the models name may not exist at that revision.
            users = Base.metadata.tables["users"]
            count = select(func.count()).select_from(users)
            assert (await connection.execute(count)).scalar_one() == 0
        assert await older.storage.list() == []


@pytest.mark.parametrize(
    ("revision", "expected"),
    [
        ("previous", "run `recipevault db downgrade {previous}` on the empty database"),
        ("ffffffffffff", "this version of RecipeVault does not know"),
    ],
)
async def test_refuses_a_backup_of_another_schema_revision(
    archive: Path, target: Instance, tmp_path: Path, revision: str, expected: str
) -> None:
    _, previous = _revisions()
    claimed = previous if revision == "previous" else revision
    changed = rewrite(
        archive, tmp_path / "changed.zip", manifest=lambda m: m | {"schema_revision": claimed}
    )
    with pytest.raises(SchemaMismatch, match=expected.format(previous=previous)):
        await restore_backup(target.database, target.storage, source=changed)
    await assert_empty(target)


def _more_users(manifest: dict[str, Any]) -> dict[str, Any]:
    tables = manifest["tables"]
    return manifest | {"tables": tables | {"users": tables["users"] + 1}}


def _unknown_table(manifest: dict[str, Any]) -> dict[str, Any]:
    return manifest | {"tables": manifest["tables"] | {"secrets": 0}}


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda m: m | {"format": "zip"}, "not a RecipeVault backup"),
        (lambda m: m | {"format_version": 2}, "format version 2, made by a newer RecipeVault"),
        (lambda m: m | {"format_version": "1"}, "no valid format_version"),
        (lambda m: {k: v for k, v in m.items() if k != "created_at"}, "no valid created_at"),
        (lambda m: m | {"database": "mysql"}, "names no database"),
        (lambda m: m | {"schema_revision": 7}, "no schema_revision"),
        (lambda m: m | {"media": 7}, "counts 7 media files but the backup holds 3"),
        (lambda m: m | {"tables": {"users": -1}}, "no valid table counts"),
        (_unknown_table, "tables in manifest.json do not match the files"),
        (_more_users, r"tables/users.jsonl holds 4 rows but manifest.json counts 5"),
    ],
)
async def test_refuses_a_tampered_manifest(
    archive: Path,
    target: Instance,
    tmp_path: Path,
    change: Callable[[dict[str, Any]], dict[str, Any]],
    expected: str,
) -> None:
    changed = rewrite(archive, tmp_path / "changed.zip", manifest=change)
    with pytest.raises(BackupRejected, match=expected):
        await restore_backup(target.database, target.storage, source=changed)
    await assert_empty(target)


@pytest.mark.parametrize(
    ("members", "expected"),
    [
        ({"manifest.json": b"{not json"}, "manifest.json is not valid JSON"),
        ({"manifest.json": None}, r"no manifest.json"),
        ({"tables/users.jsonl": None}, "tables in manifest.json do not match"),
        ({"media/../escape.txt": b"x"}, "unsafe media path 'media/../escape.txt'"),
        ({"media/a/../../escape.txt": b"x"}, "unsafe media path"),
        ({"media//etc/passwd": b"x"}, "unsafe media path"),
        ({"media/.hidden": b"x"}, "unsafe media path"),
        ({"media/a\\..\\b": b"x"}, "unsafe media path"),
        ({"/etc/cron.d/evil": b"x"}, "unexpected file '/etc/cron.d/evil'"),
        ({"tables/../escape.jsonl": b"x"}, "unexpected file"),
        ({"notes.txt": b"x"}, "unexpected file 'notes.txt'"),
    ],
)
async def test_refuses_unsafe_or_unexpected_members(
    archive: Path,
    target: Instance,
    tmp_path: Path,
    members: dict[str, bytes | None],
    expected: str,
) -> None:
    changed = rewrite(archive, tmp_path / "changed.zip", members=members)
    with pytest.raises(BackupRejected, match=expected):
        await restore_backup(target.database, target.storage, source=changed)
    await assert_empty(target)
    assert not (tmp_path / "escape.txt").exists()
    assert not (target.folder / "escape.txt").exists()


def _change_line(archive: Path, member: str, change: Callable[[list[Any]], list[Any]]) -> bytes:
    with zipfile.ZipFile(archive) as original:
        lines = original.read(member).decode().splitlines()
    lines[-1] = json.dumps(change(json.loads(lines[-1])))
    return ("\n".join(lines) + "\n").encode()


def _duplicate_last(archive: Path, member: str) -> bytes:
    with zipfile.ZipFile(archive) as original:
        lines = original.read(member).decode().splitlines()
    return ("\n".join([*lines, lines[-1]]) + "\n").encode()


@pytest.mark.parametrize(
    ("member", "damage", "expected"),
    [
        (
            "tables/recipe_steps.jsonl",
            lambda archive, m: _change_line(archive, m, lambda row: ["three", *row[1:]]),
            r"tables/recipe_steps.jsonl line \d+: id must be an integer, not 'three'",
        ),
        (
            "tables/recipe_ingredients.jsonl",
            lambda archive, m: _change_line(archive, m, lambda row: row[:-1]),
            r"line \d+ is not a row of 12 values",
        ),
        (
            "tables/job_items.jsonl",
            lambda archive, m: _change_line(archive, m, lambda row: [*row[:-1], "yesterday"]),
            "created_at must be an ISO 8601 date and time",
        ),
        (
            "tables/recipe_steps.jsonl",
            lambda archive, m: _duplicate_last(archive, m),
            "the rows of tables/recipe_steps.jsonl could not be written",
        ),
        (
            "tables/users.jsonl",
            lambda archive, m: b'{"table": "users", "columns": [["id", "integer"]]}\n',
            "does not have the columns of the users table",
        ),
    ],
)
async def test_a_bad_row_part_way_leaves_the_target_empty(
    archive: Path,
    target: Instance,
    tmp_path: Path,
    member: str,
    damage: Callable[[Path, str], bytes],
    expected: str,
) -> None:
    damaged = damage(archive, member)

    def more_rows(manifest: dict[str, Any]) -> dict[str, Any]:
        table = member.removeprefix("tables/").removesuffix(".jsonl")
        rows = len(damaged.splitlines()) - 1
        return manifest | {"tables": manifest["tables"] | {table: rows}}

    changed = rewrite(
        archive, tmp_path / "changed.zip", manifest=more_rows, members={member: damaged}
    )
    with pytest.raises(BackupRejected, match=expected):
        await restore_backup(target.database, target.storage, source=changed)
    await assert_empty(target)


async def test_refuses_a_media_file_that_inflates_too_far(
    archive: Path, target: Instance, tmp_path: Path
) -> None:
    changed = rewrite(
        archive, tmp_path / "changed.zip", manifest=lambda m: m | {"media": m["media"] + 1}
    )
    with zipfile.ZipFile(changed, "a", zipfile.ZIP_DEFLATED) as added:
        added.writestr("media/recipes/1/1/bomb.webp", bytes(8 * 1024 * 1024))
    assert changed.stat().st_size < 1024 * 1024
    with pytest.raises(
        BackupRejected,
        match=r"media/recipes/1/1/bomb.webp expands more than 200 times \(possible zip bomb\)",
    ):
        await restore_backup(target.database, target.storage, source=changed)
    await assert_empty(target)


async def test_refuses_files_that_are_not_backups_or_too_large(
    archive: Path, target: Instance, tmp_path: Path
) -> None:
    with pytest.raises(BackupRejected, match="does not exist"):
        await restore_backup(target.database, target.storage, source=tmp_path / "missing.zip")
    garbage = tmp_path / "garbage.zip"
    garbage.write_bytes(b"not a zip at all")
    with pytest.raises(BackupRejected, match="is not a readable zip file"):
        await restore_backup(target.database, target.storage, source=garbage)
    with pytest.raises(BackupRejected, match="more than the 10,000 allowed"):
        await restore_backup(target.database, target.storage, source=archive, max_bytes=10_000)
    await assert_empty(target)


# --- Rows that refer to each other ---------------------------------------------------------


async def test_rows_that_point_at_later_rows_of_their_own_table(
    target: Instance, tmp_path: Path
) -> None:
    """Such foreign keys are filled in once every row is there, keeping "updated" stamps."""
    metadata = MetaData()
    nodes = Table(
        "backup_test_nodes",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("parent_id", ForeignKey("backup_test_nodes.id"), nullable=True),
        Column("label", String(20)),
        Column("changed_at", UTCDateTime(), onupdate=utcnow),
    )
    plans = table_plans(metadata)
    assert [plan.deferred for plan in plans] == [("parent_id",)]
    stamp = datetime(2020, 1, 1, tzinfo=UTC)
    rows = [(1, 3, "leaf", stamp), (2, None, "root", stamp), (3, 2, "branch", None)]
    path = tmp_path / "nodes.zip"
    writer = ArchiveWriter(path)
    writer.begin_table("backup_test_nodes", plans[0].codecs)
    writer.write_rows(rows)
    writer.end_table()
    writer.finish(
        Manifest(
            schema_revision="test",
            created_at=utcnow(),
            database="sqlite",
            app_version=__version__,
            tables={"backup_test_nodes": 3},
            media=0,
        )
    )
    async with target.database.session() as session:
        await session.run_sync(lambda sync: metadata.create_all(sync.connection()))
        await session.commit()
    reader = ArchiveReader(path)
    try:
        async with target.database.session() as session, session.begin():
            connection = await session.connection()
            await restore._insert_rows(connection, reader, plans, None)
    finally:
        reader.close()
    async with target.database.reading() as connection:
        restored = (await connection.execute(select(nodes).order_by(nodes.c.id))).all()
    assert [tuple(row) for row in restored] == rows
