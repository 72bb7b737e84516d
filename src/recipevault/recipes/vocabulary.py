"""Per-household vocabularies: turning the words people type into shared terms.

Tags, categories and tools are one term per spelling, ignoring case and spacing. Foods also
fold singular and plural ("tomato", "Tomatoes"), and a merge keeps the merged food's names as
aliases. Units use the canonical key of ``units.UNITS`` when the vocabulary knows the unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import Any, TypeVar

import inflect
from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.recipes.models import Category, Food, FoodName, Tag, Tool, Unit, VocabularyTerm
from recipevault.recipes.units import unit_for

T = TypeVar("T", bound=VocabularyTerm)
_SPACES = re.compile(r"\s+")
# Words ending like these are singular already ("molasses", "asparagus", "hummus", "couscous").
_NOT_PLURAL = ("ss", "us", "is", "ous")


def term_key(name: str) -> str:
    return _SPACES.sub(" ", name).strip().casefold()


def display_name(name: str) -> str:
    return _SPACES.sub(" ", name).strip()


@cache
def _inflector() -> inflect.engine:
    return inflect.engine()


def singular(key: str) -> str:
    """The singular of a lower-cased food name, changing only its last word."""
    head, _, last = key.rpartition(" ")
    if not last.endswith("s") or last.endswith(_NOT_PLURAL) or len(last) < 4:
        return key
    one = _inflector().singular_noun(last)
    if not one:
        return key
    return f"{head} {one}" if head else one


def plural(key: str) -> str:
    head, _, last = key.rpartition(" ")
    many = _inflector().plural_noun(last)
    return f"{head} {many}" if head else many


def _insert_ignoring_duplicates(
    session: AsyncSession, model: Any, rows: list[dict[str, Any]]
) -> Any:
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    return insert(model).values(rows).on_conflict_do_nothing()


def _unique(keys: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(keys))


async def resolve_terms(
    session: AsyncSession, model: type[T], household_id: int, names: Sequence[str]
) -> list[T]:
    """The household's terms for ``names``, in order, creating those that are new."""
    wanted = {term_key(name): display_name(name) for name in reversed(names)}
    keys = _unique(term_key(name) for name in names)
    if not keys:
        return []
    await session.execute(
        _insert_ignoring_duplicates(
            session,
            model,
            [{"household_id": household_id, "key": key, "name": wanted[key]} for key in keys],
        )
    )
    found = await session.scalars(
        select(model).where(model.household_id == household_id, model.key.in_(keys))
    )
    by_key = {term.key: term for term in found}
    return [by_key[key] for key in keys]


async def resolve_foods(
    session: AsyncSession, household_id: int, names: Sequence[str]
) -> dict[str, Food]:
    """Foods by the lower-cased name they were given as, creating the new ones."""
    given = _unique(term_key(name) for name in names if name.strip())
    if not given:
        return {}
    spellings = {key: {key, singular(key)} for key in given}
    known = await _foods_by_name(session, household_id, set().union(*spellings.values()))
    missing = [key for key in given if not spellings[key] & known.keys()]
    if missing:
        singulars = _unique(singular(key) for key in missing)
        display = {singular(key): display_name(key) for key in reversed(missing)}
        await session.execute(
            _insert_ignoring_duplicates(
                session,
                Food,
                [
                    {
                        "household_id": household_id,
                        "key": one,
                        "name": _singular_display(display[one], one),
                        "plural_name": plural(one),
                    }
                    for one in singulars
                ],
            )
        )
        created = await session.scalars(
            select(Food).where(Food.household_id == household_id, Food.key.in_(singulars))
        )
        names_rows = []
        for food in created:
            for spelling in {food.key, plural(food.key)} | {
                k for k in missing if singular(k) == food.key
            }:
                names_rows.append(
                    {"household_id": household_id, "key": spelling, "food_id": food.id}
                )
        await session.execute(_insert_ignoring_duplicates(session, FoodName, names_rows))
        known = await _foods_by_name(session, household_id, set().union(*spellings.values()))
    result = {}
    for key in given:
        match = next(known[s] for s in (key, singular(key)) if s in known)
        result[key] = match
    return result


def _singular_display(typed: str, key: str) -> str:
    # Keep the cook's capitalisation when they typed the singular; otherwise the singular key.
    return typed if typed.casefold() == key else key


async def _foods_by_name(
    session: AsyncSession, household_id: int, spellings: set[str]
) -> dict[str, Food]:
    rows = await session.execute(
        select(FoodName.key, Food)
        .join(Food, Food.id == FoodName.food_id)
        .where(FoodName.household_id == household_id, FoodName.key.in_(spellings))
    )
    return dict(rows.all())


def unit_key(name: str) -> str:
    known = unit_for(name)
    return known.key if known else term_key(name)


async def resolve_units(
    session: AsyncSession, household_id: int, names: Sequence[str]
) -> dict[str, Unit]:
    """Units by the key they resolve to (see ``unit_key``), creating the new ones."""
    keys = _unique(unit_key(name) for name in names)
    if not keys:
        return {}
    rows = []
    for key in keys:
        known = unit_for(key)
        rows.append(
            {
                "household_id": household_id,
                "key": key,
                "name": known.singular if known else key,
                "plural_name": known.plural if known else None,
                "abbreviation": None,
            }
        )
    await session.execute(_insert_ignoring_duplicates(session, Unit, rows))
    found = await session.scalars(
        select(Unit).where(Unit.household_id == household_id, Unit.key.in_(keys))
    )
    return {unit.key: unit for unit in found}


VOCABULARIES: dict[str, type[VocabularyTerm]] = {
    "tags": Tag,
    "categories": Category,
    "tools": Tool,
    "foods": Food,
    "units": Unit,
}
