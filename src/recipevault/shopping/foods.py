"""What a household buys, by food: the aisle each food goes in, remembered once someone sets
it, and how often and how lately it was put on a list, to suggest items as someone types.

A food is known by its key: the singular of its name, lower-cased ("Onions" and "onion" are
one food), as the recipes' foods vocabulary keys them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.clock import utcnow
from recipevault.db import upsert
from recipevault.recipes.vocabulary.resolving import term_key
from recipevault.shopping import merging
from recipevault.shopping.models import FOOD_LENGTH, ShoppingFood

SUGGESTIONS = 10


def food_key(name: str) -> str:
    """What makes two items the same food (``merging.food_key``), cut to fit a key column."""
    return merging.food_key(name)[:FOOD_LENGTH]


@dataclass(frozen=True, slots=True)
class Usual:
    """An item a household puts on its lists: the name it last used, its aisle, how often."""

    name: str
    aisle: str | None
    uses: int


@dataclass(frozen=True, slots=True)
class Kept:
    """What a household keeps of foods: its staples (every one, by key), and the aisles of
    the foods asked about that have one (by key)."""

    staples: frozenset[str]
    aisles: dict[str, str]

    def aisle(self, food: str | None) -> str | None:
        """The aisle the household keeps ``food`` in, once someone has said so."""
        return self.aisles.get(food_key(food)) if food else None


async def kept(session: AsyncSession, household_id: int, names: Iterable[str | None]) -> Kept:
    """The household's staples and the aisles of the foods ``names``: one query."""
    keys = sorted({food_key(name) for name in names if name})
    wanted: ColumnElement[bool] = ShoppingFood.staple.expression
    if keys:
        wanted = or_(ShoppingFood.staple, ShoppingFood.key.in_(keys))
    rows = await session.execute(
        select(ShoppingFood.key, ShoppingFood.aisle, ShoppingFood.staple).where(
            ShoppingFood.household_id == household_id, wanted
        )
    )
    staples, aisles = set(), {}
    for key, aisle, staple in rows:
        if staple:
            staples.add(key)
        if aisle is not None:
            aisles[key] = aisle
    return Kept(frozenset(staples), aisles)


async def bought(
    session: AsyncSession,
    household_id: int,
    names: Iterable[str | None],
    *,
    aisle: str | None = None,
) -> dict[str, str | None]:
    """Count one more time each of ``names`` went on a list (a food named twice, twice),
    under the name it was given last, and with an ``aisle`` keep them in it from now on: one
    statement however many. The aisle each food goes in now, by key."""
    counted: dict[str, tuple[str, int]] = {}
    for name in names:
        if name:
            key = food_key(name)
            counted[key] = (name, counted.get(key, (name, 0))[1] + 1)
    if not counted:
        return {}
    now = utcnow()
    placed = {} if aisle is None else {"aisle": aisle}
    statement = upsert(session, ShoppingFood).values(
        [
            {
                "household_id": household_id,
                "key": key,
                "name": name,
                "uses": uses,
                "last_used_at": now,
                **placed,
            }
            for key, (name, uses) in counted.items()
        ]
    )
    excluded = statement.excluded
    rows = await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ShoppingFood.household_id, ShoppingFood.key],
            set_={
                "name": excluded.name,
                "uses": ShoppingFood.uses + excluded.uses,
                "last_used_at": excluded.last_used_at,
                **({} if aisle is None else {"aisle": excluded.aisle}),
            },
        ).returning(ShoppingFood.key, ShoppingFood.aisle)
    )
    return dict(rows.all())


async def remember_aisle(
    session: AsyncSession, household_id: int, food: str | None, aisle: str | None
) -> None:
    """Keep ``food`` in ``aisle`` from now on (None: no aisle)."""
    if not food:
        return
    statement = upsert(session, ShoppingFood).values(
        household_id=household_id,
        key=food_key(food),
        name=food,
        aisle=aisle,
        uses=0,
        last_used_at=utcnow(),
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ShoppingFood.household_id, ShoppingFood.key],
            set_={"aisle": statement.excluded.aisle},
        )
    )


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def usual_items(
    session: AsyncSession, household_id: int, typed: str, *, limit: int = SUGGESTIONS
) -> list[Usual]:
    """What the household usually buys whose name has a word starting with ``typed`` (any
    word: "thi" finds "chicken thighs"), the most often bought first, then the latest."""
    words = term_key(typed)
    if not words:
        return []
    pattern = _escape_like(words)
    key = ShoppingFood.key
    rows = await session.execute(
        select(ShoppingFood.name, ShoppingFood.aisle, ShoppingFood.uses)
        .where(
            ShoppingFood.household_id == household_id,
            ShoppingFood.uses > 0,
            (key.like(f"{pattern}%", escape="\\") | key.like(f"% {pattern}%", escape="\\")),
        )
        .order_by(ShoppingFood.uses.desc(), ShoppingFood.last_used_at.desc(), func.lower(key))
        .limit(limit)
    )
    return [Usual(name, aisle, uses) for name, aisle, uses in rows]


async def staples(session: AsyncSession, household_id: int) -> list[str]:
    """The foods the household always has, by name."""
    rows = await session.scalars(
        select(ShoppingFood.name)
        .where(ShoppingFood.household_id == household_id, ShoppingFood.staple)
        .order_by(ShoppingFood.key)
    )
    return list(rows)


async def keep_staples(session: AsyncSession, household_id: int, names: list[str]) -> None:
    """Make ``names`` the household's staples, and no other food."""
    keys = {food_key(name): name for name in names}
    await session.execute(
        update(ShoppingFood)
        .where(
            ShoppingFood.household_id == household_id,
            ShoppingFood.staple,
            ShoppingFood.key.not_in(list(keys)),
        )
        .values(staple=False)
        .execution_options(synchronize_session=False)
    )
    if not keys:
        return
    statement = upsert(session, ShoppingFood).values(
        [
            {
                "household_id": household_id,
                "key": key,
                "name": name,
                "staple": True,
                "uses": 0,
                "last_used_at": utcnow(),
            }
            for key, name in keys.items()
        ]
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[ShoppingFood.household_id, ShoppingFood.key],
            set_={"staple": True},
        )
    )
