"""The words the recipes hold, as written (not stemmed), and their trigrams: what a misspelt
search word is corrected to, on SQLite and PostgreSQL alike.

A word is added the first time an indexed recipe holds it and is never taken out: counting
recipes per word would make every write update the same rows ("salt", "the") and wait on
every other write. A word no recipe holds any more is harmless: a correction is used only
when a recipe the searcher may see has it (``search.probe``).

The tables are created by the migrations (derived data, like the full-text index: left out of
backups and rebuilt on restore) and only this module touches them.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from sqlalchemy import Integer, String, bindparam, column, func, select, table
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.db import upsert
from recipevault.recipes.search import spelling

WORDS_TABLE = "recipe_search_words"
GRAMS_TABLE = "recipe_search_word_grams"
words = table(WORDS_TABLE, column("word", String))
word_grams = table(GRAMS_TABLE, column("gram", String), column("word", String))
_CHUNK = 500
NEAR_LIMIT = 200
"""How many words sharing the most trigrams with a misspelt one are compared with it."""


async def add_words(session: AsyncSession, texts: Iterable[str]) -> None:
    """Keep the words of these texts that are not kept yet, in the caller's transaction."""
    found = sorted(spelling.words_of(texts))
    for start in range(0, len(found), _CHUNK):
        chunk = found[start : start + _CHUNK]
        kept = await session.scalars(select(words.c.word).where(words.c.word.in_(chunk)))
        new = sorted(set(chunk) - set(kept))
        if not new:
            continue
        # Sorted, and nothing done for a word another writer added first: two writers adding
        # the same new words never wait on each other in opposite orders.
        added = await session.scalars(
            upsert(session, words)
            .values([{"word": word} for word in new])
            .on_conflict_do_nothing()
            .returning(words.c.word)
        )
        rows = [{"gram": gram, "word": word} for word in added for gram in spelling.grams(word)]
        if rows:
            await session.execute(upsert(session, word_grams).values(rows).on_conflict_do_nothing())


NEAR = (
    select(word_grams.c.word)
    .where(word_grams.c.gram.in_(bindparam("grams", expanding=True)))
    .group_by(word_grams.c.word)
    .having(func.count() >= bindparam("least", type_=Integer))
    .order_by(func.count().desc(), word_grams.c.word)
    .limit(NEAR_LIMIT)
)
"""The kept words sharing at least ``least`` of ``grams``, those sharing the most first."""


def near_parameters(word: str) -> dict[str, Any]:
    """Parameters of ``NEAR`` for the words that may be within ``max_edits`` of ``word``: each
    edit changes at most three of its trigrams, a swap of two letters four."""
    own = spelling.grams(word)
    return {"grams": sorted(own), "least": max(1, len(own) - 4 * spelling.max_edits(word))}
