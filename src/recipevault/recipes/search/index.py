"""Full-text search: an FTS5 table on SQLite; a tsvector with a GIN index on PostgreSQL. Both
answer the same question over every match, "which recipes that this viewer may see have these
words, best first", and count them, from the index alone (see docs/search.md).

Best first, on both databases:

1. the tier: how many parts of the recipe, taken in the order title, foods (of its
   ingredients), description, steps, it takes to hold every word: tier 0 when the title has
   them all, 1 when the title and the foods together do, 2 with the description too, 3 when a
   word is only in the steps;
2. then newest first (the highest id first).

Each tier is one query of the index, whose entries are in id order: SQLite reads a page of a
tier from the newest end and stops when the page is full; PostgreSQL collects the tier's
matches from the GIN index and keeps the newest. Counting is the same query for all tiers.

Who may read a recipe is part of its entry: the keys of ``policy.read_keys`` (admins, its
owner, everyone when it is public, its household's members when it is shared with them). A
search asks for the words and for any key the viewer holds (``policy.viewer_keys``), so the
index checks both at once and no match is looked up in ``recipes`` to be counted. A recipe in
the trash has no entry, and an entry without keys is found by nobody: a key that is missing
hides a recipe, it never shows one. The database keeps the keys true where a change to a
recipe bypasses indexing: when a household is deleted its recipes lose its key, and a deleted
recipe loses its entry (triggers made by the migration "search_keys").

The search tables are not ORM models: the migrations create them per database, and only this
package (``on_hand`` and ``words``, their own) touches them. Indexing happens with every document
rebuild, in the same transaction.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import (
    ARRAY,
    BigInteger,
    Integer,
    String,
    Text,
    and_,
    bindparam,
    case,
    cast,
    column,
    delete,
    exists,
    func,
    insert,
    literal,
    literal_column,
    not_,
    null,
    or_,
    select,
    table,
    union_all,
    update,
)
from sqlalchemy.dialects.postgresql import TSQUERY, TSVECTOR
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from recipevault.db import Reads
from recipevault.policy import read_keys, unscoped
from recipevault.recipes.models import Recipe
from recipevault.recipes.recipe_rows import load_parts
from recipevault.recipes.search import on_hand, spelling
from recipevault.recipes.search import words as search_words

MAX_TERMS = 12
# Letters and digits: what both indexes take as (part of) one word.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)
PARTS = ("title", "foods", "description", "steps")
"""The parts of a recipe in the order of the tiers."""
TIERS = len(PARTS)
NO_BOUND = 2**63 - 1
"""Above every recipe id: a tier read from its start."""


def terms(query: str) -> list[str]:
    return [word.lower() for word in _WORD.findall(query)][:MAX_TERMS]


INDEX_TABLES = (
    "recipe_search",
    search_words.GRAMS_TABLE,
    search_words.WORDS_TABLE,
    on_hand.TABLE,
)
"""The tables derived from the recipes for finding them: left out of backups, rebuilt."""

# --- Writing the index ------------------------------------------------------------------------

# The full-text table as each database has it (made by the migrations): on SQLite an FTS5
# table keyed by rowid, its parts in columns, the keys in ``access``; on PostgreSQL a tsvector.
_SQLITE_ENTRIES = table(
    "recipe_search",
    column("rowid", Integer),
    *(column(part, Text) for part in PARTS),
    column("access", Text),
)
_PG_ENTRIES = table("recipe_search", column("recipe_id", Integer), column("terms", TSVECTOR))
_ENGLISH: Any = literal_column("'english'::regconfig")


def _pg_keys() -> Any:
    return cast(bindparam("keys", type_=ARRAY(Text)), ARRAY(Text))


def _pg_words() -> Any:
    """On PostgreSQL each word is kept once, as "<tier>:<lexeme>" with the tier of the first
    part that has it, and each key as "a:<key>": every question of a search is then one
    tsquery that the GIN index answers alone (no weights, so nothing to recheck in the row)."""
    every_word = union_all(
        *(
            select(
                literal(tier, Integer).label("part"),
                func.unnest(
                    func.tsvector_to_array(func.to_tsvector(_ENGLISH, bindparam(part, type_=Text)))
                ).label("lexeme"),
            )
            for tier, part in enumerate(PARTS)
        )
    ).subquery("every_word")
    first_parts = (
        select(every_word.c.lexeme, func.min(every_word.c.part).label("part"))
        .group_by(every_word.c.lexeme)
        .subquery("first_parts")
    )
    tiered = first_parts.c.part.op("||")(literal(":", Text)).op("||")(first_parts.c.lexeme)
    return select(func.array_to_tsvector(func.array_agg(tiered))).scalar_subquery()


def _pg_key_lexemes(terms: Any) -> Any:
    """The keys an entry holds: its "a:<key>" lexemes."""
    lexeme = func.unnest(func.tsvector_to_array(terms), type_=Text).column_valued("lexeme")
    return func.array(select(lexeme).where(lexeme.like(literal("a:%", Text))).scalar_subquery())


def _write_statements(dialect: str) -> tuple[Any, Any, Any]:
    """Per database: writing a recipe's entry; its keys alone, where they differ from the
    ones given (the words stay as they are); and deleting the entries of ``ids``."""
    if dialect == "postgresql":
        entries = _PG_ENTRIES
        empty = cast(literal("", Text), TSVECTOR)
        keys = func.array_to_tsvector(_pg_keys())
        write = insert(entries).values(
            recipe_id=bindparam("id"),
            terms=func.coalesce(_pg_words(), empty).op("||")(keys),
        )
        held = _pg_key_lexemes(entries.c.terms)
        same_keys = and_(held.op("@>")(_pg_keys()), held.op("<@")(_pg_keys()))
        write_keys = (
            update(entries)
            .where(entries.c.recipe_id == bindparam("id"), not_(same_keys))
            .values(terms=func.ts_delete(entries.c.terms, held).op("||")(keys))
        )
        key = entries.c.recipe_id
    else:
        entries = _SQLITE_ENTRIES
        write = insert(entries).values(
            rowid=bindparam("id"),
            **{part: bindparam(part) for part in PARTS},
            access=bindparam("keys"),
        )
        write_keys = (
            update(entries)
            .where(entries.c.rowid == bindparam("id"), entries.c.access.is_not(bindparam("keys")))
            .values(access=bindparam("keys"))
        )
        key = entries.c.rowid
    unindex = delete(entries).where(key.in_(bindparam("ids", expanding=True)))
    return write, write_keys, unindex


_WRITES = {dialect: _write_statements(dialect) for dialect in ("postgresql", "sqlite")}


def index_keys(dialect: str, keys: frozenset[str]) -> Any:
    """Keys of ``policy.read_keys`` as the index keeps them."""
    if dialect == "postgresql":
        return [f"a:{key}" for key in sorted(keys)]
    return " ".join(sorted(keys))


def _entry(
    dialect: str, recipe: Recipe, document: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """The recipe's entry: the words of its lines and steps from its rows, or from its
    ``document`` (``documents.recipe_fields``) when the caller has it."""
    if document is None:
        foods = [line.food.name for line in recipe.ingredients if line.food is not None]
        steps = [step.text for step in recipe.steps]
    else:
        foods = [line["food"] for line in document["ingredients"] if line["food"] is not None]
        steps = [step["text"] for step in document["steps"]]
    return {
        "id": recipe.id,
        "title": recipe.title,
        "foods": " ".join(foods),
        "description": recipe.description or "",
        "steps": " ".join(steps),
        "keys": index_keys(dialect, read_keys(recipe)),
    }


async def index_recipes(
    session: AsyncSession,
    recipes: Sequence[Recipe],
    *,
    words: bool = True,
    foods: bool = True,
    documents: Mapping[int, Mapping[str, Any]] | None = None,
) -> None:
    """(Re)write the entries of these recipes, and their foods for cook-with, in the caller's
    transaction. Those in the trash lose theirs: nobody finds them. An edit that changed
    neither their words nor their foods may say so (``words``, ``foods`` false) to leave that
    part as it is; their keys are rewritten all the same, since who may read a recipe can
    change without its words. The words of a recipe's lines and steps come from its loaded
    rows, or from its fields in ``documents`` (by id) where given; its foods for cook-with
    (``foods``) always from its loaded lines."""
    if not recipes:
        return
    dialect = session.get_bind().dialect.name
    live = [recipe for recipe in recipes if recipe.deleted_at is None]
    trashed = [recipe.id for recipe in recipes if recipe.deleted_at is not None]
    # Rewritten entries go first, with those of the recipes in the trash.
    gone = [recipe.id for recipe in recipes] if words else trashed
    if gone:
        await _unindex_words(session, dialect, gone)
    await on_hand.unindex_recipes(session, trashed)
    if not live:
        return
    if foods:
        await on_hand.index_recipes(session, live)
    if not words:
        keys = [{"id": r.id, "keys": index_keys(dialect, read_keys(r))} for r in live]
        await session.execute(_WRITES[dialect][1], keys)
        return
    rows = [_entry(dialect, recipe, (documents or {}).get(recipe.id)) for recipe in live]
    await session.execute(_WRITES[dialect][0], rows)
    await search_words.add_words(
        session, (row[part] for row in rows for part in PARTS if row[part])
    )


async def rebuild_index(session: AsyncSession, *, batch_size: int = 200) -> int:
    """Index every recipe outside the trash again, ``batch_size`` at a time, in the caller's
    transaction (a restore brings back the tables, not the index); returns how many."""
    ids = await session.scalars(
        unscoped(select(Recipe.id).where(Recipe.deleted_at.is_(None)).order_by(Recipe.id))
    )
    recipe_ids = list(ids)
    for start in range(0, len(recipe_ids), batch_size):
        batch = recipe_ids[start : start + batch_size]
        loaded = (
            await session.scalars(
                unscoped(select(Recipe).where(Recipe.id.in_(batch)).order_by(Recipe.id))
            )
        ).all()
        await load_parts(session, loaded, ["ingredients", "steps"])
        await index_recipes(session, loaded)
        session.expunge_all()
    return len(recipe_ids)


async def unindex_recipes(session: AsyncSession, recipe_ids: Sequence[int]) -> None:
    if not recipe_ids:
        return
    await on_hand.unindex_recipes(session, recipe_ids)
    await _unindex_words(session, session.get_bind().dialect.name, recipe_ids)


async def _unindex_words(session: AsyncSession, dialect: str, recipe_ids: Sequence[int]) -> None:
    await session.execute(_WRITES[dialect][2], {"ids": list(recipe_ids)})


async def clear_index(connection: AsyncConnection) -> None:
    """Empty every search table, as before any recipe was indexed."""
    for index in INDEX_TABLES:
        await connection.execute(delete(table(index)))


# --- The words and keys, as each index reads them ---------------------------------------------


@dataclass(frozen=True, slots=True)
class Word:
    """One word of a search: any of ``spellings`` matches it (the word as typed, or the words
    it was corrected to), each whole after stemming or, with ``prefix``, as the start of a
    word."""

    spellings: tuple[str, ...]
    prefix: bool = False


def words_of(query: str) -> list[Word]:
    return [Word((word,)) for word in terms(query)]


def as_typed(words: Sequence[Word]) -> list[Word]:
    """The words with the last one taken as the start of a word: the search box searches as
    you type ("garl", "pancak")."""
    return [*words[:-1], Word(words[-1].spellings, prefix=True)]


def bind_values(dialect: str, words: Sequence[Word], keys: frozenset[str]) -> dict[str, str]:
    """Bind values for this module's statements: recipes with every one of ``words`` that one
    of ``keys`` (``policy.viewer_keys``) opens. Words are letters and digits only, so user
    input never reaches the query syntax (and on SQLite each is quoted besides)."""
    if dialect == "postgresql":
        groups = []
        for word in words:
            spellings = [f"{s}:*" if word.prefix else s for s in word.spellings]
            groups.append(spellings[0] if len(spellings) == 1 else f"({' | '.join(spellings)})")
        # Parsed and stemmed by to_tsquery in the statement (see ``_pg_questions``).
        return {
            "words": " & ".join(groups),
            "keys": " | ".join(f"'a:{key}'" for key in sorted(keys)),
        }
    star_groups = []
    for word in words:
        star = "*" if word.prefix else ""
        spellings = [f'"{spelling}"{star}' for spelling in word.spellings]
        star_groups.append(spellings[0] if len(spellings) == 1 else f"({' OR '.join(spellings)})")
    every_word = " AND ".join(star_groups)
    # Each tier's parts: the words anywhere in them, and never in the access column.
    within = [f"{{{' '.join(PARTS[: tier + 1])}}} : ({every_word})" for tier in range(TIERS)]
    access = "{access} : (" + " OR ".join(f'"{key}"' for key in sorted(keys)) + ")"
    values = {"every": f"({within[-1]}) AND {access}"}
    for tier in range(TIERS):
        held = within[tier] if tier == 0 else f"({within[tier]}) NOT ({within[tier - 1]})"
        values[f"tier_{tier}"] = f"({held}) AND {access}"
    return values


# --- The statements -----------------------------------------------------------------------------

_FTS = table("recipe_search", column("rowid", Integer))
_FTS_DOCUMENT: Any = literal_column("recipe_search")
_PG_SEARCH = table("recipe_search", column("recipe_id", Integer), column("terms"))
# A lexeme of to_tsquery's output ('stem', or 'stem':* for a prefix), and what it becomes to
# find it in the first ``tier + 1`` parts: ('0:stem' | ... | '<tier>:stem').
_PG_LEXEME = r"'([^']+)'(:\*)?"


def _pg_lexeme_within(tier: int) -> str:
    return "(" + " | ".join(rf"'{part}:\1'\2" for part in range(tier + 1)) + ")"


Filters = Callable[[Any], list[Any]]
"""Given the recipes table (or an alias of it), what the filters ask of its recipes; none,
the empty list. Who may see a recipe is the index's question, not one of these."""


def _pg_questions() -> Any:
    """The tsqueries of a search on PostgreSQL, made once per statement from the words and
    keys: ``every`` (the words anywhere) and ``tier_<n>`` each with the viewer's keys, and
    ``blank``, whether the words were only stop words (which PostgreSQL does not index)."""
    given = select(
        func.to_tsquery(_ENGLISH, bindparam("words", type_=Text)).label("query"),
        cast(bindparam("keys", type_=String), TSQUERY).label("access"),
    ).subquery("given")
    words, keys = given.c.query, given.c.access

    def within(tier: int) -> Any:
        rewritten = func.regexp_replace(
            cast(words, Text), literal(_PG_LEXEME), literal(_pg_lexeme_within(tier)), "g"
        )
        return cast(rewritten, TSQUERY)

    def question(query: Any) -> Any:
        # to_tsquery gives an empty query for stop words, which && would drop, leaving the
        # keys alone: every visible recipe. Stop words find nothing instead.
        return case((func.numnode(words) > 0, func.tsquery_and(query, keys)), else_=null())

    columns = [question(within(TIERS - 1)).label("every")]
    for tier in range(TIERS):
        held = within(tier)
        if tier:
            held = func.tsquery_and(held, func.tsquery_not(within(tier - 1)))
        columns.append(question(held).label(f"tier_{tier}"))
    columns.append((func.numnode(words) == 0).label("blank"))
    return select(*columns).select_from(given).cte("search_query").prefix_with("MATERIALIZED")


@dataclass(frozen=True)
class _Index:
    """The full-text table as one dialect asks it: its recipe id, and whether an entry
    matches the question ``form`` (a bind value on SQLite, a column of ``_pg_questions`` on
    PostgreSQL)."""

    dialect: str
    questions: Any

    @property
    def table(self) -> Any:
        return _PG_SEARCH if self.dialect == "postgresql" else _FTS

    @property
    def key(self) -> Any:
        return _PG_SEARCH.c.recipe_id if self.dialect == "postgresql" else _FTS.c.rowid

    def question(self, form: str) -> Any:
        """PostgreSQL's tsquery for ``form``, made once per statement."""
        return select(self.questions.c[form]).scalar_subquery()

    def matches(self, form: str) -> Any:
        if self.dialect == "postgresql":
            return _PG_SEARCH.c.terms.op("@@")(self.question(form))
        return _FTS_DOCUMENT.op("MATCH")(bindparam(form))

    def found(self, form: str, filters: Filters | None = None) -> Any:
        """The entries matching ``form`` whose recipes meet ``filters``."""
        conditions = [self.matches(form)]
        recipes = Recipe.__table__.alias("filtered")
        asked = filters(recipes) if filters is not None else []
        if asked:
            # A test per match, in the index's order, rather than a join the planner could
            # start from ``recipes``, asking the index once per recipe.
            conditions.append(
                exists(select(1).select_from(recipes).where(recipes.c.id == self.key, *asked))
            )
        return select(self.key.label("id")).select_from(self.table).where(*conditions)


def _index(dialect: str) -> _Index:
    return _Index(dialect, _pg_questions() if dialect == "postgresql" else None)


def _count(found: Any) -> Any:
    return select(func.count()).select_from(found.subquery()).scalar_subquery()


@dataclass(frozen=True)
class Ranked:
    """A page of a search by relevance: ``page`` (id, tier) in the order of the ranking, at
    most ``page_size`` rows, and ``total``, every match."""

    page: Any
    total: Any


def ranked(dialect: str, filters: Filters) -> Ranked:
    """The best ``page_size`` matches after a position: for each tier ``n``, the newest
    ``take_<n>`` (0 for the tiers before the position) whose ids are below ``before_<n>``
    (``NO_BOUND`` for the tiers after it). A tier is read only while the ones before it have
    not filled the page: both databases skip a LIMIT 0 query before starting it."""
    index = _index(dialect)
    page_size = bindparam("page_size", type_=Integer)
    every = index.found("every", filters)
    kept = None
    if filters(Recipe.__table__):
        # The matches that meet the filters, found once: a tier's are then those of them it
        # matches, each tested in this set instead of in ``recipes`` again.
        kept = every.cte("kept").prefix_with("MATERIALIZED")
        every = select(kept.c.id)
    tiers: list[Any] = []
    for tier in range(TIERS):
        found = index.found(f"tier_{tier}")
        if kept is not None:
            found = found.where(index.key.in_(select(kept.c.id)))
        bound: Any = bindparam(f"before_{tier}")
        take: Any = bindparam(f"take_{tier}", type_=Integer)
        if tiers:
            earlier = [select(func.count()).select_from(t).scalar_subquery() for t in tiers]
            take = case((sum(earlier[1:], earlier[0]) >= page_size, 0), else_=take)
        if dialect == "postgresql":
            rows = _pg_tier(index, tier, found, kept, cast(bound, BigInteger), take)
        else:
            # FTS5 gives the matches in id order, newest first when asked: the page is read
            # and the rest of the tier is not.
            label = literal(tier).label("tier")
            rows = (
                found.where(index.key < bound)
                .add_columns(label)
                .order_by(index.key.desc())
                .limit(take)
            )
        tiers.append(rows.cte(f"tier_{tier}").prefix_with("MATERIALIZED"))
    page = union_all(*(select(t.c.id, t.c.tier) for t in tiers)).subquery("ranked")
    return Ranked(page=page, total=_count(every))


def position(page_size: int, after: tuple[int, int] | None) -> dict[str, int]:
    """Bind values of ``ranked`` for the page after ``after`` (the tier and id of the last
    row shown), or for the first page."""
    tier, before = after if after is not None else (0, NO_BOUND)
    values = {}
    for each in range(TIERS):
        values[f"take_{each}"] = page_size if each >= tier else 0
        values[f"before_{each}"] = before if each == tier else NO_BOUND
    return values


PG_NEWEST = 1000
"""On PostgreSQL, how many of the newest entries a tier's page is looked for in first."""


def _pg_newest(name: str, bound: Any = None) -> Any:
    """The newest ``PG_NEWEST`` entries (below ``bound``), read backwards by recipe id."""
    entries = select(_PG_SEARCH.c.recipe_id.label("id"), _PG_SEARCH.c.terms)
    if bound is not None:
        entries = entries.where(_PG_SEARCH.c.recipe_id < bound)
    return (
        entries.order_by(_PG_SEARCH.c.recipe_id.desc())
        .limit(literal_column(str(PG_NEWEST)))  # a constant: the plan reads the key in order
        .subquery(name)
    )


def _pg_tier(index: _Index, tier: int, found: Any, kept: Any, bound: Any, take: Any) -> Any:
    """The newest ``take`` of a tier's matches below ``bound``, on PostgreSQL. First among the
    newest ``PG_NEWEST`` entries, read in id order (the primary key backwards) and stopped
    when the page is full: enough for a tier that holds more than one entry in fifty, and a
    fraction of a millisecond. Otherwise all of the tier's matches from the GIN index, then
    the newest of them: ordered by id in that query, PostgreSQL could walk the primary key
    testing every row instead, which for a tier with few matches reads the whole table."""
    label = literal(tier).label("tier")
    wanted = select(take.label("n")).cte(f"tier_{tier}_wanted").prefix_with("MATERIALIZED")
    n = select(wanted.c.n).scalar_subquery()
    entries = _pg_newest(f"tier_{tier}_entries", bound)
    newest = select(entries.c.id).where(entries.c.terms.op("@@")(index.question(f"tier_{tier}")))
    if kept is not None:
        newest = newest.where(entries.c.id.in_(select(kept.c.id)))
    newest_cte = (
        newest.order_by(entries.c.id.desc())
        .limit(n)
        .cte(f"tier_{tier}_newest")
        .prefix_with("MATERIALIZED")
    )
    filled = select(func.count()).select_from(newest_cte).scalar_subquery() >= n
    matched = found.cte(f"tier_{tier}_matches").prefix_with("MATERIALIZED")
    older = (
        select(matched.c.id, label)
        .where(matched.c.id < bound)
        .order_by(matched.c.id.desc())
        .limit(case((filled, 0), else_=n))
        .subquery(f"tier_{tier}_older")
    )
    return union_all(select(newest_cte.c.id, label).where(filled), select(older.c.id, older.c.tier))


@dataclass(frozen=True)
class Matches:
    """Every match of a search, to sort by a column of ``recipes``: ``found`` (id), and
    ``total``, how many."""

    found: Any
    total: Any


def matches(dialect: str, filters: Filters) -> Matches:
    found = _index(dialect).found("every", filters).cte("found").prefix_with("MATERIALIZED")
    return Matches(found=found, total=select(func.count()).select_from(found).scalar_subquery())


def probe(dialect: str, filters: Filters) -> Any:
    """One row, one column: whether a recipe the viewer may see (with ``filters``) has the
    words. PostgreSQL ignores stop words, so a query of stop words alone counts as found
    there: nothing is corrected."""
    index = _index(dialect)
    found = index.found("every", filters)
    if dialect != "postgresql":
        return select(exists(found))
    # Asked "is there one", PostgreSQL's planner walks the table hoping to meet a match soon,
    # which for a misspelt word means testing every entry (150 ms at 100,000 recipes). So:
    # among the newest entries first, where a common word is; then every match from the GIN
    # index, counted (no match, an empty bitmap: a fraction of a millisecond). OR stops at
    # the first that holds, and each is evaluated only when reached.
    newest = _pg_newest("probe_entries")
    recent = select(newest.c.id).where(newest.c.terms.op("@@")(index.question("every")))
    recipes = Recipe.__table__.alias("filtered")
    if asked := filters(recipes):
        meets = select(1).select_from(recipes).where(recipes.c.id == newest.c.id, *asked)
        recent = recent.where(exists(meets))
    anywhere = select(func.count()).select_from(found.subquery("anywhere")).scalar_subquery()
    blank = select(index.questions.c.blank).scalar_subquery()
    return select(or_(blank, exists(recent), anywhere > 0))


# --- Typos -------------------------------------------------------------------------------------


async def corrected_words(
    read: Reads,
    dialect: str,
    query: str,
    probe_statement: Any,
    parameters: dict[str, Any],
    keys: frozenset[str],
) -> list[Word] | None:
    """The query's words with the misspelt ones corrected, or None when no word needs it or
    one cannot be: for when the query, whole and as typed, finds nothing.

    A word is misspelt when no recipe the viewer may see (with the filters) has it, whole or,
    for the last, as typed. It is replaced by the kept words (``search.words``) nearest to it
    by edit distance that such a recipe has, all of them when several are as near. Found
    words are never changed, so a correct word is never corrected away.
    """

    async def found(words: Sequence[Word]) -> bool:
        rows = await read.rows(probe_statement, parameters | bind_values(dialect, words, keys))
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
    return chosen if corrected else None


async def _corrections(read: Reads, found: Any, word: str) -> tuple[str, ...]:
    if not spelling.max_edits(word):
        return ()
    near = await read.rows(search_words.NEAR, search_words.near_parameters(word))
    for group in spelling.closest(word, (row[0] for row in near)):
        kept = tuple([near_word for near_word in group if await found([Word((near_word,))])])
        if kept:
            return kept
    return ()
