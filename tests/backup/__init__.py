"""Whole instances for the backup tests: each one a migrated database of its own (not the
rolled-back test connection) and a media folder, a realistic site made through the services,
and a dump of every table to compare instances by."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import JSON, Text, cast, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import sessions, tokens
from recipevault.accounts.models import AccountToken, TokenPurpose
from recipevault.accounts.schemas import ApiTokenCreate
from recipevault.admin import service as admin
from recipevault.audit import service as audit
from recipevault.clock import utcnow
from recipevault.config import Settings
from recipevault.db import Base, Database
from recipevault.households import service as households
from recipevault.jobs import service as jobs
from recipevault.jobs.models import ItemStatus, JobItem
from recipevault.media.storage import MediaStorage, storage_from_settings
from recipevault.models import import_all_models
from recipevault.planner import service as planner
from recipevault.planner.schemas import MealPlanEntryCreate
from recipevault.planner.templates import service as plan_templates
from recipevault.policy import Actor, Visibility
from recipevault.recipes import listing
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import IngredientIn, Nutrition, RecipeCreate, RecipeUpdate, StepIn
from tests.support.app import make_settings
from tests.support.database import DatabaseFactory, migrate
from tests.support.jobs import RecordingQueue
from tests.support.world import World, actor_for, make_world


@dataclass
class Instance:
    """A RecipeVault site: its settings, database and media storage."""

    url: str
    settings: Settings
    database: Database
    storage: MediaStorage
    folder: Path


@asynccontextmanager
async def new_instance(
    factory: DatabaseFactory, folder: Path, label: str, *, revision: str = "head"
) -> AsyncIterator[Instance]:
    url = factory.new_url(label)
    await asyncio.to_thread(migrate, url, revision)
    home = folder / f"{factory.backend}-{label}"
    settings = make_settings(
        url, media_dir=home / "media", backup_dir=home / "backups", outbox_dir=home / "outbox"
    )
    database = Database.from_settings(settings)
    try:
        yield Instance(url, settings, database, storage_from_settings(settings), home)
    finally:
        await database.dispose()


def app_with_backups(app: Any, settings: Settings, folder: Path, **overrides: Any) -> Settings:
    """The test app's settings with backups and media under ``folder``, made the app's own."""
    changed = make_settings(
        settings.database_url,
        backup_dir=str(folder / "backups"),
        media_dir=str(folder / "media"),
        **overrides,
    )
    app.state.settings = changed
    return changed


@dataclass(frozen=True)
class Site:
    """What ``populate`` made, for the tests to look up."""

    world: World
    soup_id: int
    stew_id: int
    trashed_id: int
    media: dict[str, bytes]


MEDIA = {
    "recipes/1/2/960-0123456789abcdef.webp": bytes(range(256)) * 40,
    "recipes/1/original-fedcba9876543210.jpg": b"\xff\xd8\xff\xe0" + b"\x00\x01" * 3000,
    "avatars/3/face.png": b"\x89PNG\r\n\x1a\n" + "ünïcödé".encode() * 10,
}


async def _plan(session: AsyncSession, owner: Actor, household_id: int, recipe_id: int) -> None:
    """A planned week: slots with and without a time, a dinner and its leftovers (a row that
    refers to another of its table), the week as a template, and a rotation of it."""
    slots = await planner.list_meal_slots(session, actor=owner, household_id=household_id)
    monday = date(2026, 12, 7)
    dinner = await planner.add_plan_entry(
        session,
        actor=owner,
        data=MealPlanEntryCreate(
            household_id=household_id,
            date=monday,
            slot_id=slots[2].id,
            recipe_id=recipe_id,
            servings=Decimal("2.5"),
            note="Double the saffron",
        ),
    )
    await planner.add_plan_entry(
        session,
        actor=owner,
        data=MealPlanEntryCreate(
            household_id=household_id,
            date=monday + timedelta(days=1),
            end_date=monday + timedelta(days=2),
            slot_id=slots[3].id,
            leftovers_of=dinner.entry.id,
        ),
    )
    template = await plan_templates.save_week_as_template(
        session, actor=owner, household_id=household_id, name="Soup week", week_start=monday
    )
    await plan_templates.start_rotation(
        session,
        actor=owner,
        household_id=household_id,
        template_id=template.template.id,
        start_date=monday,
        every_weeks=2,
        end_date=monday + timedelta(days=60),
    )


async def populate(instance: Instance) -> Site:
    """A small but complete site: people, households, recipes with every kind of field, a
    revision, a trashed recipe, invites, tokens, sessions, audit events, jobs and media."""
    settings = instance.settings
    async with instance.database.session() as session:
        world = await make_world(session, settings)
        owner = await actor_for(session, world.owner)
        member = await actor_for(session, world.member)
        soup = await recipes.create_recipe(
            session,
            actor=owner,
            data=RecipeCreate(
                title="Saffron tomato soup",
                visibility=Visibility.PUBLIC,
                household_id=world.household.id,
                description="A bright soup — finished with crème fraîche ✨",
                servings=Decimal("4.5"),
                yield_text="4 bowls",
                prep_minutes=10,
                cook_minutes=25,
                total_minutes=35,
                notes="Keeps for two days.\nFreezes well.",
                nutrition=Nutrition(calories="240 kcal", fat_content="3 g"),
                source_url="https://example.org/soup",
                attribution="Grandma Rosa",
                rating=4,
                tags=["Soup", "Vegetarian"],
                categories=["Starters"],
                tools=["Blender"],
                ingredients=[
                    IngredientIn(text="2.5 cups tomato passata"),
                    IngredientIn(
                        quantity=Decimal("0.125"), unit="teaspoon", food="saffron", note="a pinch"
                    ),
                    IngredientIn(text="1 onion", section="Base", optional=True),
                    IngredientIn(
                        quantity=Decimal("1"),
                        quantity_max=Decimal("2.75"),
                        unit="tablespoon",
                        food="olive oil",
                    ),
                ],
                steps=[
                    StepIn(text="Soften the onion in the oil.", timer_minutes=8),
                    StepIn(text="Add the passata and saffron; simmer.", section="Finish"),
                ],
            ),
        )
        await recipes.update_recipe(
            session,
            actor=owner,
            recipe_id=soup.id,
            data=RecipeUpdate(rating=5, tags=["Soup", "Vegetarian", "Winter"]),
            partial=True,
            if_match=None,
        )
        stew = await recipes.create_recipe(
            session,
            actor=member,
            data=RecipeCreate(
                title="Quiet lentil stew",
                visibility=Visibility.PRIVATE,
                ingredients=[IngredientIn(text="200 g red lentils")],
                steps=[StepIn(text="Simmer the lentils until soft.")],
            ),
        )
        trashed = await recipes.create_recipe(
            session,
            actor=owner,
            data=RecipeCreate(
                title="Quince paste",
                visibility=Visibility.PUBLIC,
                ingredients=[IngredientIn(text="1 kg quinces")],
            ),
        )
        await recipes.trash_recipe(
            session, actor=owner, recipe_id=trashed.id, if_match=None, ip="127.0.0.1"
        )
        await households.create_invite(
            session,
            actor=owner,
            household_id=world.household.id,
            lifetime=timedelta(days=7),
            ip="203.0.113.5",
        )
        await _plan(session, owner, world.household.id, soup.id)
        await tokens.create_api_token(
            session,
            user=world.owner,
            data=ApiTokenCreate(name="Kitchen tablet", scopes=["read", "write"]),
            ip=None,
        )
        tokens.issue_tokens(session, user=world.member, settings=settings)
        await sessions.open_session(
            session, user=world.admin, settings=settings, ip="::1", user_agent="pytest"
        )
        await admin.set_registration_open(
            session, actor=await actor_for(session, world.admin), open_=False, ip=None
        )
        audit.record(session, action="test.no_details", actor_id=None, ip=None, details=None)
        audit.record(
            session,
            action="test.details",
            actor_id=world.admin.id,
            ip="198.51.100.7",
            details={"nested": {"list": [1, 2.5, "x", None]}, "big": 2**62},
        )
        job = await jobs.create_job(
            session,
            queue=RecordingQueue(),
            kind="import_urls",
            owner_id=world.owner.id,
            payload={"urls": ["https://example.org/a"]},
            total=1,
        )
        session.add(
            JobItem(
                job_id=job.id,
                position=0,
                label="https://example.org/a",
                status=ItemStatus.DONE,
                recipe_id=soup.id,
            )
        )
        session.add(
            AccountToken(
                user_id=world.member.id,
                purpose=TokenPurpose.PASSWORD_RESET,
                token_hash="f" * 64,
                expires_at=utcnow() + timedelta(hours=1),
            )
        )
        await session.commit()
    for key, data in MEDIA.items():
        await instance.storage.put(key, data, content_type="application/octet-stream")
    return Site(
        world=world, soup_id=soup.id, stew_id=stew.id, trashed_id=trashed.id, media=dict(MEDIA)
    )


# Every table ``populate`` puts rows in.
POPULATED_TABLES = (
    "users",
    "households",
    "household_members",
    "household_invites",
    "browser_sessions",
    "refresh_tokens",
    "api_tokens",
    "account_tokens",
    "audit_events",
    "site_settings",
    "recipes",
    "recipe_ingredients",
    "recipe_steps",
    "recipe_revisions",
    "recipe_documents",
    "recipe_tags",
    "recipe_categories",
    "recipe_tools",
    "tags",
    "categories",
    "tools",
    "foods",
    "food_names",
    "units",
    "jobs",
    "job_items",
)

Dump = dict[str, list[tuple[Any, ...]]]


async def dump(database: Database) -> Dump:
    """Every row of every table, all columns, in primary-key order. A JSON column shows as
    ("json", document) or None, so a JSON null and a SQL NULL stay apart."""
    import_all_models()
    tables: Dump = {}
    async with database.reading() as connection:
        for table in Base.metadata.sorted_tables:
            json_columns = [isinstance(column.type, JSON) for column in table.columns]
            columns = [
                cast(column, Text) if is_json else column
                for column, is_json in zip(table.columns, json_columns, strict=True)
            ]
            result = await connection.execute(select(*columns).order_by(*table.primary_key.columns))
            tables[table.name] = [
                tuple(
                    ("json", json.loads(value)) if is_json and value is not None else value
                    for value, is_json in zip(row, json_columns, strict=True)
                )
                for row in result
            ]
    return tables


async def media_of(storage: MediaStorage) -> dict[str, bytes]:
    return {key: await storage.get(key) for key in await storage.list()}


Source = tuple[Instance, Site]


def files_in(folder: Path) -> list[Path]:
    return sorted(folder.iterdir())


async def titles_found(database: Database, words: str, viewer: Actor | None = None) -> list[str]:
    body = await listing.list_recipes(
        database,
        viewer=viewer,
        filters=listing.RecipeFilters(q=words),
        sort=None,
        limit=20,
        cursor=None,
    )
    return [item["title"] for item in orjson.loads(body)["items"]]
