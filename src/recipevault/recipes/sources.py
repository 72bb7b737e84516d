"""Finding a person's recipes: by the page they were imported from, or all of them."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.policy import unscoped
from recipevault.recipes.models import Recipe


async def imported_from(
    session: AsyncSession, *, owner_id: int, urls: Iterable[str | None]
) -> Recipe | None:
    """The owner's newest recipe (not in the trash) whose source is one of ``urls``."""
    wanted = sorted({url for url in urls if url})
    if not wanted:
        return None
    statement = unscoped(
        select(Recipe)
        .where(
            Recipe.owner_id == owner_id,
            Recipe.source_url.in_(wanted),
            Recipe.deleted_at.is_(None),
        )
        .order_by(Recipe.id.desc())
        .limit(1)
    )
    return (await session.scalars(statement)).first()


async def owned_recipe_ids(session: AsyncSession, *, owner_id: int) -> list[int]:
    """Ids of the owner's recipes outside the trash, oldest first (what an export holds)."""
    statement = unscoped(
        select(Recipe.id)
        .where(Recipe.owner_id == owner_id, Recipe.deleted_at.is_(None))
        .order_by(Recipe.id)
    )
    return list((await session.scalars(statement)).all())
