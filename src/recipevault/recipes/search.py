"""Full-text search: an FTS5 table on SQLite; a weighted tsvector with a GIN index plus
trigram matching on titles (for typos) on PostgreSQL. Both answer the same question, "which
recipes match these words, best first", as a (recipe_id, rank) subquery, lower rank first.

The search tables are not ORM models: the migrations create them per database, and only this
module touches them (and ``on_hand``, its own). Indexing happens with every document rebuild,
in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    bindparam,
    case,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql.ext import to_tsquery
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.sql.elements import ColumnClause

from recipevault.recipes import on_hand
from recipevault.recipes.models import Recipe

MAX_TERMS = 12
_WORD = re.compile(r"\w+", re.UNICODE)
# bm25 weights for title, description, foods, steps: a title hit outranks a step hit.
_FTS5_WEIGHTS = (10.0, 2.0, 5.0, 1.0)


def terms(query: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(query)][:MAX_TERMS]


def _parts(recipe: Recipe) -> dict[str, Any]:
    foods = " ".join(line.food.name for line in recipe.ingredients if line.food is not None)
    return {
        "id": recipe.id,
        "title": recipe.title,
        "description": recipe.description or "",
        "foods": foods,
        "steps": " ".join(step.text for step in recipe.steps),
    }


RECENT_TABLE = "recipe_search_recent"
FLOOR_TABLE = "recipe_search_floor"
INDEX_TABLES = ("recipe_search", RECENT_TABLE, on_hand.TABLE)
"""The tables derived from the recipes for finding them: left out of backups, rebuilt."""

# The search window: a second index holding the newest recipes only, those whose id is at least
# the floor. Relevance needs, for each word, the number of recipes that have it (bm25's inverse
# document frequency); counting them in the window costs the same at any collection size, and
# the newest matches, which are the ones ranked, are in the window whenever it has enough.
# The floor moves in steps, so most writes leave it where it is.
RECENT = 10_000
RECENT_STEP = 1_000
_FLOOR = table(FLOOR_TABLE, column("floor", Integer))


def window_floor(newest_id: int) -> int:
    """The lowest recipe id in the window when ``newest_id`` is the highest: the window holds
    between ``RECENT`` and ``RECENT + RECENT_STEP`` ids."""
    return max(0, (newest_id - RECENT) // RECENT_STEP * RECENT_STEP)


# Per database: the recipe id's column in the full-text tables, writing a recipe's words, and
# copying indexed recipes at or above the floor into the window.
_KEY = {"postgresql": "recipe_id", "sqlite": "rowid"}
_WRITE = {
    "postgresql": (
        "INSERT INTO recipe_search (recipe_id, document) VALUES (:id, "
        "setweight(to_tsvector('english', :title), 'A') || "
        "setweight(to_tsvector('english', :foods), 'B') || "
        "setweight(to_tsvector('english', :description), 'C') || "
        "setweight(to_tsvector('english', :steps), 'D'))"
    ),
    "sqlite": (
        "INSERT INTO recipe_search (rowid, title, description, foods, steps) "
        "VALUES (:id, :title, :description, :foods, :steps)"
    ),
}
_TO_WINDOW = {
    "postgresql": (
        "INSERT INTO recipe_search_recent (recipe_id, document) SELECT recipe_id, document "
        "FROM recipe_search WHERE recipe_id IN :ids AND recipe_id >= :floor"
    ),
    "sqlite": (
        "INSERT INTO recipe_search_recent (rowid, title, description, foods, steps) "
        "SELECT rowid, title, description, foods, steps FROM recipe_search "
        "WHERE rowid IN :ids AND rowid >= :floor"
    ),
}


# FTS5 keeps a deleted row's entries, marked deleted, until a merge reaches the segment that
# holds them. The window loses ``RECENT_STEP`` rows each time its floor moves, so without help
# it fills up with them: after 90 moves (100,000 recipes) its index was 4.7 times the size of
# a compact one, and the window's searches read twice as much. Rewriting it compact once per
# move costs what the window's size costs, whatever the collection's. (PostgreSQL's vacuum
# does this for the GIN index.)
COMPACT_WINDOW = "INSERT INTO recipe_search_recent (recipe_search_recent) VALUES ('optimize')"


async def _window(session: AsyncSession, dialect: str) -> tuple[int, bool]:
    """Move the floor up to where the newest recipe puts it, dropping what falls below; the
    floor, and whether it moved. Every indexed recipe at or above the floor is in the window,
    whichever of two concurrent writers moves it: each copies its recipes at or above the floor
    it read."""
    newest = select(func.coalesce(func.max(_recipes.c.id), 0)).scalar_subquery()
    row = (await session.execute(select(_FLOOR.c.floor, newest))).one()
    floor, wanted = row[0], window_floor(row[1])
    if wanted <= floor:
        return int(floor), False
    await session.execute(update(_FLOOR).where(_FLOOR.c.floor < wanted).values(floor=wanted))
    below = f"DELETE FROM {RECENT_TABLE} WHERE {_KEY[dialect]} < :floor"  # noqa: S608 - constants
    await session.execute(text(below), {"floor": wanted})
    return wanted, True


async def index_recipes(session: AsyncSession, recipes: Sequence[Recipe]) -> None:
    """Index these recipes' words, and their foods for cook-with."""
    if not recipes:
        return
    await on_hand.index_recipes(session, recipes)
    dialect = session.get_bind().dialect.name
    rows = [_parts(recipe) for recipe in recipes]
    ids = [row["id"] for row in rows]
    await _unindex_words(session, dialect, ids)
    await session.execute(text(_WRITE[dialect]), rows)
    floor, moved = await _window(session, dialect)
    if max(ids) >= floor:
        await session.execute(
            text(_TO_WINDOW[dialect]).bindparams(bindparam("ids", expanding=True)),
            {"ids": ids, "floor": floor},
        )
    if moved and dialect == "sqlite":
        await session.execute(text(COMPACT_WINDOW))


async def unindex_recipes(session: AsyncSession, recipe_ids: Sequence[int]) -> None:
    if not recipe_ids:
        return
    await on_hand.unindex_recipes(session, recipe_ids)
    await _unindex_words(session, session.get_bind().dialect.name, recipe_ids)


async def _unindex_words(session: AsyncSession, dialect: str, recipe_ids: Sequence[int]) -> None:
    """Take these recipes out of both full-text indexes."""
    for index in ("recipe_search", RECENT_TABLE):
        statement = f"DELETE FROM {index} WHERE {_KEY[dialect]} IN :ids"  # noqa: S608 - constants
        await session.execute(
            text(statement).bindparams(bindparam("ids", expanding=True)), {"ids": list(recipe_ids)}
        )


async def clear_index(connection: AsyncConnection) -> None:
    """Empty every search table, as before any recipe was indexed."""
    for index in INDEX_TABLES:
        await connection.execute(text(f"DELETE FROM {index}"))  # noqa: S608 - constants
    await connection.execute(update(_FLOOR).values(floor=0))


# Relevance is computed for at most this many matches, the newest the viewer may
# see. Ranking every match costs a few microseconds each: a common word among 100,000 recipes
# matches tens of thousands, and the search would slow down as the collection grows. Below the
# bound (every household-sized collection) the ranking is exact; past it, relevance pages end
# there and the other sorts still list every match.
CANDIDATES = 200

Visible = Callable[[Any], Any]
"""Given a recipe id column, a condition true when the viewer may see that recipe."""


def match_parameters(dialect: str, query: str) -> dict[str, Any] | None:
    """Bind values for ``ranked`` and ``matching``, or None when the query has no words.

    Words match whole, as the index stems them ("tomatoes" finds "tomato", "bread" does not
    find "breadcrumbs"). When nothing the viewer may see has them all, the last word is taken
    as the start of a word instead: the search box searches as you type ("garl", "pancak").
    Whole words are looked up lazily, newest first, where a word's prefix makes the index merge
    every word it starts, which grows with the collection.
    """
    words = terms(query)
    if not words:
        return None
    if dialect == "postgresql":
        whole = " & ".join(words)
        return {
            "whole": whole,
            "typed": f"{whole}:*",
            "raw": " ".join(words),
            "candidates": CANDIDATES,
        }
    # Each word quoted: user input never reaches FTS5's query syntax.
    whole = " ".join(f'"{word}"' for word in words)
    return {"whole": whole, "typed": f"{whole}*", "candidates": CANDIDATES}


_FTS = table("recipe_search", column("rowid", Integer))
_FTS_DOCUMENT: ColumnClause[Any] = literal_column("recipe_search")
_PROBE = _FTS.alias("probe")
_PROBE_DOCUMENT: ColumnClause[Any] = literal_column("probe.recipe_search")
_PG_SEARCH = table("recipe_search", column("recipe_id", Integer), column("document"))
_PG_PROBE = _PG_SEARCH.alias("probe")
_RECENT = table(RECENT_TABLE, column("rowid", Integer))
_RECENT_DOCUMENT: ColumnClause[Any] = literal_column(RECENT_TABLE)
_PG_RECENT = table(RECENT_TABLE, column("recipe_id", Integer), column("document"))
_PG_RECENT_PROBE = _PG_RECENT.alias("recent_probe")
_recipes = Recipe.__table__


def _tsquery(text_query: Any) -> Any:
    return to_tsquery("english", text_query)  # type: ignore[no-untyped-call]


def _found(dialect: str, visible: Visible, form: str) -> Any:
    """True when a recipe the viewer may see matches the words in this form ("whole" or
    "typed"): uncorrelated subqueries, evaluated once per statement.

    On PostgreSQL a GIN index answers with a bitmap of every match before the first is
    tested, so the window is asked first: its bitmap holds at most ``RECENT`` ids however
    large the collection, and the whole index is asked only when the window has no match the
    viewer may see (OR stops at the first true)."""
    if dialect == "postgresql":

        def probe(index: Any, *conditions: Any) -> Any:
            found = index.c.document.op("@@")(_tsquery(bindparam(form)))
            return select(1).where(found, visible(index.c.recipe_id), *conditions).exists()

        return or_(
            probe(_PG_RECENT_PROBE, _PG_RECENT_PROBE.c.recipe_id >= _floor()), probe(_PG_PROBE)
        )
    found = _PROBE_DOCUMENT.op("MATCH")(bindparam(form))
    return select(1).select_from(_PROBE).where(found, visible(_PROBE.c.rowid)).exists()


def _query(dialect: str, visible: Visible) -> Any:
    """The query the index runs: the whole words when a recipe the viewer may see has them all,
    else the typed form."""
    return case((_found(dialect, visible, "whole"), bindparam("whole")), else_=bindparam("typed"))


def _close_titles(unmatched: Any) -> Any:
    """Recipes whose title is close to the words by trigrams (typos, on PostgreSQL), looked for
    only when ``unmatched`` holds: no recipe the viewer may see has the words even as typed.
    Comparing trigrams reads most titles for a common word, and a word that is found needs no
    correcting."""
    return select(_recipes.c.id).where(_recipes.c.title.op("%")(bindparam("raw")), unmatched)


def ranked(dialect: str, visible: Visible) -> Any:
    """A subquery of (recipe_id, rank), lower rank first: the newest ``candidates`` matches
    the viewer may see, each with its relevance (on PostgreSQL, plus titles close to the
    words).

    They are taken from the search window when it has that many, else from every recipe. The
    window holds every indexed recipe from its floor up, so its newest matches are the newest
    of all; only the words' counts come from the window alone, a sample of ``RECENT`` recipes.
    """
    if dialect == "postgresql":
        return _pg_ranked(visible)
    # FTS5 walks its matches newest first and stops at the bound; bm25 runs on those only.
    query = _query(dialect, visible)

    def newest(index: Any, document: ColumnClause[Any], *conditions: Any) -> Any:
        return (
            select(
                index.c.rowid.label("recipe_id"),
                func.bm25(document, *_FTS5_WEIGHTS, type_=Float).label("rank"),
            )
            .where(document.op("MATCH")(query), *conditions, visible(index.c.rowid))
            .order_by(index.c.rowid.desc())
        )

    in_window = (
        newest(_RECENT, _RECENT_DOCUMENT, _RECENT.c.rowid >= _floor())
        .limit(bindparam("candidates"))
        .cte("window_matches")
        .prefix_with("MATERIALIZED")
    )
    enough = _enough(in_window)
    # The whole index is read only when the window falls short: SQLite skips a LIMIT 0 query
    # before it starts.
    everywhere = (
        newest(_FTS, _FTS_DOCUMENT)
        .limit(case((enough, 0), else_=bindparam("candidates")))
        .subquery()
    )
    return union_all(
        select(in_window.c.recipe_id, in_window.c.rank).where(enough),
        select(everywhere.c.recipe_id, everywhere.c.rank),
    ).subquery("matches")


def _floor() -> Any:
    return select(_FLOOR.c.floor).scalar_subquery()


def _enough(in_window: Any) -> Any:
    """True when the window's matches are enough: ``candidates`` of them, or every match when
    the floor is 0 (uncorrelated subqueries, evaluated once)."""
    found = select(func.count()).select_from(in_window).scalar_subquery()
    return or_(found == bindparam("candidates"), _floor() == 0)


def _pg_ranked(visible: Visible) -> Any:
    # Two lookups rather than one OR that scans every row: word matches ranked by
    # ts_rank_cd, and, when no word matches, titles close to the query (typos) by trigram
    # similarity. As on SQLite only the newest ``candidates`` word matches the viewer may see
    # are ranked (ts_rank_cd reads each one's whole document). Their ids come from a GIN index
    # first, in a lookup planned on its own: asked for the newest matches directly, the planner
    # walks the table in id order testing every row, which for a rare word means the whole
    # table. The window's index returns at most ``RECENT`` ids however large the collection;
    # the whole one is read only when the window falls short (a one-time filter).
    #
    # The query is chosen (whole words or as typed) once, in a CTE that every lookup reads:
    # written out where it is used, each copy was planned, and its probes run, on its own.
    chosen = (
        select(_tsquery(_query("postgresql", visible)).label("query"))
        .cte("search_query")
        .prefix_with("MATERIALIZED")
    )
    query = select(chosen.c.query).scalar_subquery()

    def newest(index: Any, condition: Any) -> Any:
        # OFFSET 0 keeps the lookup a query of its own, planned alone and returning its
        # matches newest first, so the outer query tests visibility only until it has
        # ``candidates`` of them.
        found = (
            select(index.c.recipe_id)
            .where(index.c.document.op("@@")(query))
            .order_by(index.c.recipe_id.desc())
            .offset(0)
            .subquery()
        )
        return (
            select(found.c.recipe_id)
            .where(condition(found.c.recipe_id), visible(found.c.recipe_id))
            .order_by(found.c.recipe_id.desc())
            .limit(bindparam("candidates"))
        )

    in_window = (
        newest(_PG_RECENT, lambda recipe_id: recipe_id >= _floor())
        .cte("window_matches")
        .prefix_with("MATERIALIZED")
    )
    enough = _enough(in_window)
    everywhere = newest(_PG_SEARCH, lambda _: ~enough).subquery()
    word_matches = (
        union_all(select(in_window.c.recipe_id).where(enough), select(everywhere.c.recipe_id))
        .cte("word_matches")
        .prefix_with("MATERIALIZED")
    )
    # The word matches are the viewer's matches of the chosen query: when there are none, no
    # recipe the viewer may see has the words even as typed, and titles close to them are
    # looked for. The two parts never hold the same recipe.
    close_titles = _close_titles(~select(1).select_from(word_matches).exists()).add_columns(
        -func.similarity(_recipes.c.title, bindparam("raw"), type_=Float)
    )
    return union_all(
        select(
            _PG_SEARCH.c.recipe_id,
            (-func.ts_rank_cd(_PG_SEARCH.c.document, query, type_=Float) - 1).label("rank"),
        ).where(_PG_SEARCH.c.recipe_id.in_(select(word_matches.c.recipe_id))),
        close_titles,
    ).subquery("matches")


def matching(dialect: str, visible: Visible) -> Any:
    """A subquery of the ids of every recipe matching the words (for other sort orders)."""
    query = _query(dialect, visible)
    if dialect == "postgresql":
        found = union_all(
            select(_PG_SEARCH.c.recipe_id).where(_PG_SEARCH.c.document.op("@@")(_tsquery(query))),
            # The whole words are asked about first: they are what a search usually finds,
            # and asked the same way in the query.
            _close_titles(~_found(dialect, visible, "whole") & ~_found(dialect, visible, "typed")),
        ).subquery("found")
        return select(found.c.recipe_id).distinct().subquery("matches")
    return (
        select(_FTS.c.rowid.label("recipe_id"))
        .where(_FTS_DOCUMENT.op("MATCH")(query))
        .subquery("matches")
    )
