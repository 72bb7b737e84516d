"""Per-household vocabularies: turning the words people type into shared terms.

Tags, categories and tools are one term per spelling, ignoring case and spacing. Foods also
fold singular and plural ("tomato", "Tomatoes"), and a merge keeps the merged food's names as
aliases. Units use the canonical key of ``units.UNITS`` when the vocabulary knows the unit.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from functools import cache
from typing import TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.db import upsert
from recipevault.recipes.models import Category, Food, FoodName, Tag, Tool, Unit, VocabularyTerm
from recipevault.recipes.units import unit_for

T = TypeVar("T", bound=VocabularyTerm)
_SPACES = re.compile(r"\s+")
# Words ending like these are singular already ("molasses", "asparagus", "hummus", "couscous").
_NOT_PLURAL = ("ss", "us", "is", "ous")


KEY_LENGTH = 100  # the column width of every term key and name


def term_key(name: str) -> str:
    # Case folding can lengthen text ("ß" becomes "ss"), so the key is cut after folding.
    return _SPACES.sub(" ", name).strip().casefold()[:KEY_LENGTH]


def display_name(name: str) -> str:
    return _SPACES.sub(" ", name).strip()


# English plurals of kitchen nouns. A general inflection library was tried and dropped: it
# took about a second to import and most of a bulk import's time, and still made "molasses"
# into "molass". These few rules cover food names; anything odd stays as typed.
_IRREGULAR = {
    "leaves": "leaf",
    "halves": "half",
    "loaves": "loaf",
    "knives": "knife",
    "calves": "calf",
    "wolves": "wolf",
    "geese": "goose",
    "mice": "mouse",
    "teeth": "tooth",
    "feet": "foot",
}
_IRREGULAR_PLURAL = {one: many for many, one in _IRREGULAR.items()}
_SIBILANT_ES = ("ches", "shes", "xes", "zes", "sses")


_UNCOUNTABLE = frozenset({"molasses", "grits", "swiss", "series", "species"})


def _singular_word(word: str) -> str:
    if word in _UNCOUNTABLE:
        return word
    if word in _IRREGULAR:
        return _IRREGULAR[word]
    if len(word) < 4 or not word.endswith("s") or word.endswith(_NOT_PLURAL):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"  # berries, cherries
    if word.endswith("oes"):
        return word[:-2]  # tomatoes, potatoes
    if word.endswith(_SIBILANT_ES):
        return word[:-2]  # peaches, radishes, boxes
    return word[:-1]  # eggs, onions, olives, cloves


def _plural_word(word: str) -> str:
    if word in _IRREGULAR_PLURAL:
        return _IRREGULAR_PLURAL[word]
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(("ch", "sh", "x", "z", "ss", "o")) and not word.endswith("oo"):
        return word + "es"
    if word.endswith("s"):
        return word
    return word + "s"


@cache
def singular(key: str) -> str:
    """The singular of a lower-cased food name, changing only its last word."""
    head, _, last = key.rpartition(" ")
    one = _singular_word(last)
    return f"{head} {one}" if head else one


@cache
def plural(key: str) -> str:
    """The plural, or the name itself when the plural would not fit a name column."""
    head, _, last = key.rpartition(" ")
    many = _plural_word(last)
    result = f"{head} {many}" if head else many
    return result if len(result) <= KEY_LENGTH else key


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
    by_key = await _existing(session, model, household_id, keys)
    if missing := [key for key in keys if key not in by_key]:
        rows = [{"household_id": household_id, "key": key, "name": wanted[key]} for key in missing]
        await session.execute(upsert(session, model).values(rows).on_conflict_do_nothing())
        by_key |= await _existing(session, model, household_id, missing)
    return [by_key[key] for key in keys]


async def _existing(
    session: AsyncSession, model: type[T], household_id: int, keys: Sequence[str]
) -> dict[str, T]:
    """The household's terms (or units) of these keys that exist, by key. Most writes name
    terms that exist already: they are looked up first, and only the missing ones inserted
    (an insert that finds its row taken by another writer meanwhile does nothing)."""
    found = await session.scalars(
        select(model).where(model.household_id == household_id, model.key.in_(keys))
    )
    return {term.key: term for term in found}


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
        rows = [
            {
                "household_id": household_id,
                "key": one,
                "name": _singular_display(display[one], one),
                "plural_name": plural(one),
            }
            for one in singulars
        ]
        await session.execute(upsert(session, Food).values(rows).on_conflict_do_nothing())
        created = await session.scalars(
            select(Food).where(Food.household_id == household_id, Food.key.in_(singulars))
        )
        typed: dict[str, set[str]] = {}
        for key in missing:
            typed.setdefault(singular(key), set()).add(key)
        names_rows = [
            {"household_id": household_id, "key": spelling, "food_id": food.id}
            for food in created
            for spelling in {food.key, plural(food.key)} | typed.get(food.key, set())
        ]
        await session.execute(upsert(session, FoodName).values(names_rows).on_conflict_do_nothing())
        known = await _foods_by_name(session, household_id, set().union(*spellings.values()))
    result = {}
    for key in given:
        match = next(known[s] for s in (key, singular(key)) if s in known)
        result[key] = match
    return result


async def find_foods(
    session: AsyncSession, household_id: int, names: Sequence[str]
) -> dict[str, Food]:
    """The household's foods by the lower-cased name they were given as, for the names it
    knows (singular or plural); creates nothing."""
    given = _unique(term_key(name) for name in names if name.strip())
    if not given:
        return {}
    known = await _foods_by_name(
        session, household_id, {s for k in given for s in (k, singular(k))}
    )
    return {
        key: next(known[s] for s in (key, singular(key)) if s in known)
        for key in given
        if key in known or singular(key) in known
    }


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
    by_key = await _existing(session, Unit, household_id, keys)
    if missing := [key for key in keys if key not in by_key]:
        rows = []
        for key in missing:
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
        await session.execute(upsert(session, Unit).values(rows).on_conflict_do_nothing())
        by_key |= await _existing(session, Unit, household_id, missing)
    return by_key


VOCABULARIES: dict[str, type[VocabularyTerm]] = {
    "tags": Tag,
    "categories": Category,
    "tools": Tool,
    "foods": Food,
    "units": Unit,
}


class Vocabulary:
    """One household's terms as a unit of work sees them: looked up or created in bulk, then
    served from memory, so loading thousands of recipes costs a few queries per batch."""

    def __init__(self, session: AsyncSession, household_id: int) -> None:
        self.session = session
        self.household_id = household_id
        self._terms: dict[tuple[type[VocabularyTerm], str], VocabularyTerm] = {}
        self._foods: dict[str, Food] = {}
        self._units: dict[str, Unit] = {}

    async def prime(
        self,
        *,
        terms: dict[type[VocabularyTerm], list[str]],
        foods: list[str],
        units: list[str],
    ) -> None:
        """Look up (or create) everything a batch will need, a few queries in all."""
        for model, names in terms.items():
            await self.terms(model, names)
        await self.foods(foods)
        await self.units(units)

    async def terms(self, model: type[T], names: Sequence[str]) -> list[T]:
        missing = [n for n in names if (model, term_key(n)) not in self._terms]
        if missing:
            for term in await resolve_terms(self.session, model, self.household_id, missing):
                self._terms[(model, term.key)] = term
        found = [self._terms[(model, term_key(n))] for n in _unique(names)]
        return _dedupe_terms(found)  # type: ignore[return-value]

    async def foods(self, names: Sequence[str]) -> dict[str, Food]:
        missing = [n for n in names if term_key(n) not in self._foods]
        if missing:
            self._foods.update(await resolve_foods(self.session, self.household_id, missing))
        return {term_key(n): self._foods[term_key(n)] for n in names}

    async def units(self, names: Sequence[str]) -> dict[str, Unit]:
        missing = [n for n in names if unit_key(n) not in self._units]
        if missing:
            self._units.update(await resolve_units(self.session, self.household_id, missing))
        return {unit_key(n): self._units[unit_key(n)] for n in names}


def _dedupe_terms(terms: list[VocabularyTerm]) -> list[VocabularyTerm]:
    seen: set[int] = set()
    return [t for t in terms if not (t.id in seen or seen.add(t.id))]  # type: ignore[func-returns-value]
