"""Full-text search: an FTS5 table on SQLite; a weighted tsvector with a GIN index on
PostgreSQL. Both answer the same question, "which recipes match these words, best first",
over every match: ``matches`` gives each one's tier and score, and the listing pages through
them in that order (see docs/search.md).

Best first means: recipes whose title holds every word (tier 0) before the others (tier 1),
then by relevance over the whole recipe (bm25 with the title weighing most, then the foods,
the description and the steps; ts_rank_cd over the weighted tsvector on PostgreSQL), then by
id. Scores are computed for one tier at a time: the first pages of a common word only score
the recipes that have it in their title.

The search tables are not ORM models: the migrations create them per database, and only this
module (``on_hand`` and ``search_words``, their own) touches them. Indexing happens with every
document rebuild, in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    Float,
    Integer,
    bindparam,
    case,
    cast,
    column,
    exists,
    func,
    literal_column,
    null,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql.ext import to_tsquery
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.elements import ColumnClause
from sqlalchemy.sql.selectable import Alias

from recipevault.recipes import on_hand, search_words, spelling
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


INDEX_TABLES = (
    "recipe_search",
    search_words.GRAMS_TABLE,
    search_words.WORDS_TABLE,
    on_hand.TABLE,
)
"""The tables derived from the recipes for finding them: left out of backups, rebuilt."""

# Per database: the recipe id's column in the full-text table, and writing a recipe's words.
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


async def index_recipes(
    session: AsyncSession, recipes: Sequence[Recipe], *, words: bool = True, foods: bool = True
) -> None:
    """Index these recipes' words, and their foods for cook-with; an edit that changed neither
    its words nor its foods leaves that part as it is."""
    if not recipes:
        return
    if foods:
        await on_hand.index_recipes(session, recipes)
    if not words:
        return
    dialect = session.get_bind().dialect.name
    rows = [_parts(recipe) for recipe in recipes]
    await _unindex_words(session, dialect, [row["id"] for row in rows])
    await session.execute(text(_WRITE[dialect]), rows)
    await search_words.add_words(
        session,
        (row[part] for row in rows for part in ("title", "description", "foods", "steps")),
    )


async def unindex_recipes(session: AsyncSession, recipe_ids: Sequence[int]) -> None:
    if not recipe_ids:
        return
    await on_hand.unindex_recipes(session, recipe_ids)
    await _unindex_words(session, session.get_bind().dialect.name, recipe_ids)


async def _unindex_words(session: AsyncSession, dialect: str, recipe_ids: Sequence[int]) -> None:
    statement = f"DELETE FROM recipe_search WHERE {_KEY[dialect]} IN :ids"  # noqa: S608 - constants
    await session.execute(
        text(statement).bindparams(bindparam("ids", expanding=True)), {"ids": list(recipe_ids)}
    )


async def clear_index(connection: AsyncConnection) -> None:
    """Empty every search table, as before any recipe was indexed."""
    for index in INDEX_TABLES:
        await connection.execute(text(f"DELETE FROM {index}"))  # noqa: S608 - constants


# --- The words, as each index reads them ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a search: any of ``spellings`` matches it (the word as typed, or the words
    it was corrected to), each whole after stemming or, with ``prefix``, as the start of a
    word."""

    spellings: tuple[str, ...]
    prefix: bool = False


def _render(dialect: str, words: Sequence[Word], *, title: bool) -> str:
    """The words in the index's query language, every one required; ``title``: in the title
    (on PostgreSQL titles have an index of their own, asked the same way). Words are letters,
    digits and underscores only, so user input never reaches the query syntax (and on SQLite
    each is quoted besides)."""
    groups = []
    for word in words:
        if dialect == "postgresql":
            spellings = [f"{s}:*" if word.prefix else s for s in word.spellings]
            groups.append(spellings[0] if len(spellings) == 1 else f"({' | '.join(spellings)})")
        else:
            star = "*" if word.prefix else ""
            spellings = [f'"{spelling}"{star}' for spelling in word.spellings]
            groups.append(spellings[0] if len(spellings) == 1 else f"({' OR '.join(spellings)})")
    if dialect == "postgresql":
        return " & ".join(groups)
    joined = " AND ".join(groups)
    return f"{{title}} : ({joined})" if title else joined


def _form_parameters(dialect: str, form: str, words: Sequence[Word]) -> dict[str, str]:
    return {
        form: _render(dialect, words, title=False),
        f"{form}_title": _render(dialect, words, title=True),
    }


def match_parameters(dialect: str, query: str) -> dict[str, Any] | None:
    """Bind values for ``matches``, or None when the query has no words.

    Words match whole, as the index stems them ("tomatoes" finds "tomato", "bread" does not
    find "breadcrumbs"). When nothing the viewer may see has them all, the last word is taken
    as the start of a word instead: the search box searches as you type ("garl", "pancak").
    """
    words = [Word((word,)) for word in terms(query)]
    if not words:
        return None
    typed = [*words[:-1], Word(words[-1].spellings, prefix=True)]
    return _form_parameters(dialect, "whole", words) | _form_parameters(dialect, "typed", typed)


def _pg_queries() -> Any:
    """The four queries parsed once per statement (written out where they are used, each copy
    would be parsed for every row it is tested on)."""
    forms = ("whole", "whole_title", "typed", "typed_title")
    return (
        select(*(_tsquery(bindparam(form)).label(form) for form in forms))
        .cte("search_query")
        .prefix_with("MATERIALIZED")
    )


def _tsquery(text_query: Any) -> Any:
    return to_tsquery("english", text_query)  # type: ignore[no-untyped-call]


_FTS = table("recipe_search", column("rowid", Integer))
_FTS_DOCUMENT: ColumnClause[Any] = literal_column("recipe_search")
_TITLE_INDEX = _FTS.alias("title_index")
_TITLE_DOCUMENT: ColumnClause[Any] = literal_column("title_index.recipe_search")
_PG_SEARCH = table("recipe_search", column("recipe_id", Integer), column("document"))
_recipes = Recipe.__table__
# As the index on titles is made (the migration "search_every_match").
_PG_TITLE = func.to_tsvector(literal_column("'english'::regconfig"), _recipes.c.title)
Conditions = Callable[[Any], list[Any]]
"""Given the recipes table (or an alias of it), what its recipes must meet to be found."""


class _ReadThrough(Alias):
    """The recipes table, which SQLite reads through ``ix_recipes_access`` here: the columns
    the visibility rule reads, by id, in an index a fraction of the rows' size. Asked to look
    up one id, SQLite's planner takes the table's rowid instead unless it has statistics
    (which it keeps only when asked: three times slower for "salt" at 4,000 matches)."""

    inherit_cache = True


@compiles(_ReadThrough, "sqlite")
def _read_through_index(element: _ReadThrough, compiler: Any, **kw: Any) -> str:
    rendered: str = compiler.visit_alias(element, **kw)
    return f"{rendered} INDEXED BY ix_recipes_access" if kw.get("asfrom") else rendered


def _access(dialect: str) -> Any:
    """The recipes table as a search checks its matches against it (PostgreSQL's planner
    takes the index by itself)."""
    return _recipes if dialect == "postgresql" else _ReadThrough._construct(_recipes, name="access")


# A LIMIT that leaves every row.
_NO_LIMIT = {"postgresql": null(), "sqlite": -1}


def _found(dialect: str, form: str, conditions: Conditions, ranked: bool, queries: Any) -> Any:
    """(recipe_id, tier, score) of every recipe meeting ``conditions`` that matches the words
    in this form ("whole" or "typed"). The score is computed for the recipes of the tier
    ``tier`` only (lower is better), or for none unless ``ranked``."""
    access = _access(dialect)
    if dialect == "postgresql":
        query = select(queries.c[form]).scalar_subquery()
        title_query = select(queries.c[f"{form}_title"]).scalar_subquery()
        hits = select(_recipes.c.id.label("recipe_id")).where(_PG_TITLE.op("@@")(title_query))
        index: Any = _PG_SEARCH
        key = _PG_SEARCH.c.recipe_id
        matched = _PG_SEARCH.c.document.op("@@")(query)
        score: Any = cast(-func.ts_rank_cd(_PG_SEARCH.c.document, query), Float)
    else:
        # Found by a second read of the index: its column filter reads the same entries.
        hits = select(_TITLE_INDEX.c.rowid.label("recipe_id")).where(
            _TITLE_DOCUMENT.op("MATCH")(bindparam(f"{form}_title"))
        )
        index, key = _FTS, _FTS.c.rowid
        matched = _FTS_DOCUMENT.op("MATCH")(bindparam(form))
        score = func.bm25(_FTS_DOCUMENT, *_FTS5_WEIGHTS, type_=Float)
    # The recipes with every word in the title, found once: each match is then one lookup.
    title_hits = hits.cte(f"{form}_title_hits").prefix_with("MATERIALIZED")
    in_title = title_hits.c.recipe_id.is_not(None)
    source = index.outerjoin(title_hits, title_hits.c.recipe_id == key)
    tier = case((in_title, 0), else_=1)
    wanted = case((tier == bindparam("tier", type_=Integer), score), else_=null())
    return (
        select(
            key.label("recipe_id"),
            tier.label("tier"),
            (wanted if ranked else null()).label("score"),
        )
        .select_from(source.join(access, access.c.id == key))
        .where(matched, *conditions(access))
    )


@dataclass(frozen=True)
class Matches:
    """Every match of a search: ``rows`` (recipe_id, tier, score) to page through, ``total``
    and ``in_title`` how many there are in all and in tier 0."""

    rows: Any
    total: Any
    in_title: Any


def matches(dialect: str, conditions: Conditions, *, ranked: bool) -> Matches:
    """The recipes meeting ``conditions`` that match the words whole or, when none does, with
    the last word as typed. ``conditions`` (the viewer's visibility and the filters) are those
    of the recipes table given, so what a search falls back to never depends on recipes the
    viewer cannot see."""
    queries = _pg_queries() if dialect == "postgresql" else None
    whole = (
        _found(dialect, "whole", conditions, ranked, queries)
        .cte("whole_matches")
        .prefix_with("MATERIALIZED")
    )
    # Read only when the whole words find nothing: both databases skip a LIMIT 0 query before
    # it starts.
    found_whole = exists(select(1).select_from(whole))
    typed = (
        _found(dialect, "typed", conditions, ranked, queries)
        .limit(case((found_whole, 0), else_=_NO_LIMIT[dialect]))
        .cte("typed_matches")
        .prefix_with("MATERIALIZED")
    )

    def counted(*where: Any) -> Any:
        return (
            select(func.count()).select_from(whole).where(*(c(whole) for c in where))
        ).scalar_subquery() + (
            select(func.count()).select_from(typed).where(*(c(typed) for c in where))
        ).scalar_subquery()

    rows = select(whole.c.recipe_id, whole.c.tier, whole.c.score).union_all(
        select(typed.c.recipe_id, typed.c.tier, typed.c.score)
    )
    return Matches(
        rows=rows.subquery("matches"),
        total=counted(),
        in_title=counted(lambda found: found.c.tier == 0),
    )


def probe(dialect: str, conditions: Conditions) -> Any:
    """One row, one column: whether a recipe meeting ``conditions`` matches ``probe`` (words
    rendered by ``_render``). PostgreSQL ignores stop words, so a query of stop words alone
    counts as found there: nothing is corrected."""
    access = _access(dialect)
    if dialect == "postgresql":
        query = _tsquery(bindparam("probe"))
        found = exists(
            select(1)
            .select_from(_PG_SEARCH.join(access, access.c.id == _PG_SEARCH.c.recipe_id))
            .where(_PG_SEARCH.c.document.op("@@")(query), *conditions(access))
        )
        return select(or_(func.numnode(query) == 0, found))
    return select(
        exists(
            select(1)
            .select_from(_FTS.join(access, access.c.id == _FTS.c.rowid))
            .where(_FTS_DOCUMENT.op("MATCH")(bindparam("probe")), *conditions(access))
        )
    )


# --- Typos -------------------------------------------------------------------------------------


async def corrected_parameters(
    read: Any, dialect: str, query: str, probe_statement: Any, parameters: dict[str, Any]
) -> dict[str, Any] | None:
    """Bind values for ``matches`` with the query's misspelt words corrected, or None when no
    word needs it or one cannot be: for when the query, whole and as typed, finds nothing.

    A word is misspelt when no recipe the viewer may see (with the filters) has it, whole or,
    for the last, as typed. It is replaced by the kept words (``search_words``) nearest to it
    by edit distance that such a recipe has, all of them when several are as near. Found
    words are never changed, so a correct word is never corrected away.
    """
    read_parameters = dict(parameters)

    async def found(words: Sequence[Word]) -> bool:
        read_parameters["probe"] = _render(dialect, words, title=False)
        rows = await read(probe_statement, read_parameters)
        return bool(rows[0][0])

    words = terms(query)
    chosen: list[Word] = []
    corrected = False
    for position, word in enumerate(words):
        if await found([Word((word,))]):
            chosen.append(Word((word,)))
        elif position == len(words) - 1 and await found([Word((word,), prefix=True)]):
            chosen.append(Word((word,), prefix=True))
        else:
            corrections = await _corrections(read, found, spelling.plain(word))
            if not corrections:
                return None
            chosen.append(Word(corrections))
            corrected = True
    if not corrected:
        return None
    return _form_parameters(dialect, "whole", chosen) | _form_parameters(dialect, "typed", chosen)


async def _corrections(read: Any, found: Any, word: str) -> tuple[str, ...]:
    if not spelling.max_edits(word):
        return ()
    near = await read(search_words.NEAR, search_words.near_parameters(word))
    for group in spelling.closest(word, (row[0] for row in near)):
        kept = tuple([near_word for near_word in group if await found([Word((near_word,))])])
        if kept:
            return kept
    return ()
