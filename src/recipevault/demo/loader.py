"""Loading the demo recipes (or a large synthetic set made from them) into a demo household.

The demo account's credentials are public (printed in the README): it is a member, not an
admin, and its recipes are public so visitors see a populated site.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice

from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import service as accounts
from recipevault.accounts.models import User
from recipevault.accounts.passwords import PasswordHasher
from recipevault.accounts.schemas import UserCreate
from recipevault.config import Settings
from recipevault.db import Database
from recipevault.demo.source import DemoRecipe
from recipevault.households import service as households
from recipevault.policy import Actor, Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import IngredientIn, RecipeCreate, StepIn
from recipevault.registration.service import register_user

DEMO_EMAIL = "demo@example.com"
DEMO_PASSWORD = "demo-kitchen-2026"  # noqa: S105 (documented, public, and only for demo data)
DEMO_NAME = "Demo Cook"
DEMO_HOUSEHOLD = "Wikibooks Cookbook"
BATCH = 250


@dataclass(frozen=True, slots=True)
class DemoAccount:
    actor: Actor
    household_id: int


def as_recipe(demo: DemoRecipe) -> RecipeCreate:
    """A demo recipe as the API would receive it, cut to the API's limits."""
    return RecipeCreate(
        title=demo.title,
        description=demo.description,
        servings=demo.servings if demo.servings is None or demo.servings <= 10_000 else None,
        yield_text=demo.yield_text[:100] if demo.yield_text else None,
        total_minutes=demo.total_minutes if (demo.total_minutes or 0) <= 525_600 else None,
        categories=[demo.category] if demo.category else [],
        ingredients=[IngredientIn(text=line[:500]) for line in demo.ingredients[:200]],
        steps=[StepIn(text=line[:5000]) for line in demo.steps[:100]],
        source_url=demo.source_url,
        attribution=demo.attribution[:500],
        visibility=Visibility.PUBLIC,
    )


async def demo_account(session: AsyncSession, settings: Settings) -> DemoAccount:
    """The demo cook and their "Wikibooks Cookbook" household, created on first use."""
    user = await accounts.find_user_by_email(session, DEMO_EMAIL)
    if user is None:
        user = await register_user(
            session,
            data=UserCreate(email=DEMO_EMAIL, password=DEMO_PASSWORD, display_name=DEMO_NAME),
            hasher=PasswordHasher.from_settings(settings),
            registration_open=True,
            ip=None,
            demo=True,
        )
        user.email_verified = True
    actor = await _actor(session, user)
    household_id = await households.household_named(session, user_id=user.id, name=DEMO_HOUSEHOLD)
    if household_id is None:
        view = await households.create_household(session, actor=actor, name=DEMO_HOUSEHOLD, ip=None)
        household_id = view.household.id
        actor = await _actor(session, user)
    return DemoAccount(actor=actor, household_id=household_id)


async def _actor(session: AsyncSession, user: User) -> Actor:
    found = await households.households_of(session, user.id)
    return Actor(
        user_id=user.id,
        role=user.role,
        household_ids=frozenset(h for h, _ in found),
        owned_household_ids=frozenset(h for h, owns in found if owns),
    )


def _batches(items: Iterable[DemoRecipe], size: int) -> Iterator[list[DemoRecipe]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


async def has_demo_recipes(database: Database) -> bool:
    async with database.session(write=False) as session:
        user = await accounts.find_user_by_email(session, DEMO_EMAIL)
        return user is not None and await recipes.count_recipes_of(session, user.id) > 0


async def load(
    database: Database,
    settings: Settings,
    demos: Iterable[DemoRecipe],
    *,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Load recipes in batches, one transaction each, so a large load keeps memory flat and an
    interrupted one keeps what it finished."""
    async with database.session() as session:
        account = await demo_account(session, settings)
        await session.commit()
    loaded = 0
    for batch in _batches(demos, BATCH):
        async with database.session() as session:
            await recipes.create_recipes(
                session,
                actor=account.actor,
                household_id=account.household_id,
                recipes=[as_recipe(demo) for demo in batch],
            )
            await session.commit()
        loaded += len(batch)
        if progress is not None:
            progress(loaded)
    return loaded
