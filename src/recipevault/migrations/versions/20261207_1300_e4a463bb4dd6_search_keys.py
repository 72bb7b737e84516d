"""Search keys: who may read a recipe is part of its entry in the full-text index, so a search
finds, counts and pages through its matches from the index alone. The ranking becomes tiers
by the parts of the recipe that hold the words, newest first within a tier: the index no
longer keeps the weights bm25 and ts_rank_cd read, nor PostgreSQL's index on titles, and no
match is checked in ``recipes`` any more (the index that served it goes).
recipevault/recipes/search/index.py writes and reads the entries and is their only user.

Revision ID: e4a463bb4dd6
Revises: cfa9129bc61f
Create Date: 2026-12-07 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e4a463bb4dd6"
down_revision: str | None = "cfa9129bc61f"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# recipevault.policy.read_keys as of this revision, for the recipe "r": admins, its owner,
# everyone when it is public, its household's members when it is shared with them.
_SQLITE_KEYS = (
    "'admin u' || r.owner_id || CASE "
    "WHEN r.visibility = 'public' THEN ' public' "
    "WHEN r.visibility = 'household' AND r.household_id IS NOT NULL "
    "THEN ' h' || r.household_id ELSE '' END"
)
_PG_KEYS = (
    "ARRAY['a:admin', 'a:u' || r.owner_id] || CASE "
    "WHEN r.visibility = 'public' THEN ARRAY['a:public'] "
    "WHEN r.visibility = 'household' AND r.household_id IS NOT NULL "
    "THEN ARRAY['a:h' || r.household_id] ELSE ARRAY[]::TEXT[] END"
)
# recipevault.recipes.search.index as of this revision: what each part of the recipe "r" holds, and
# on PostgreSQL each word once, marked with the first part that has it.
_FOODS = (
    "(SELECT string_agg(f.name, ' ') FROM recipe_ingredients i "
    "JOIN foods f ON f.id = i.food_id WHERE i.recipe_id = r.id)"
)
_STEPS = "(SELECT string_agg(s.text, ' ') FROM recipe_steps s WHERE s.recipe_id = r.id)"
_PG_WORDS = (
    "SELECT array_to_tsvector(array_agg(part || ':' || lexeme)) FROM ("  # noqa: S608 - constants
    "SELECT lexeme, min(part) AS part FROM ("
    "SELECT 0 AS part, unnest(tsvector_to_array(to_tsvector('english', r.title))) AS lexeme "
    f"UNION ALL SELECT 1, unnest(tsvector_to_array(to_tsvector('english', "
    f"coalesce({_FOODS}, '')))) "
    "UNION ALL SELECT 2, unnest(tsvector_to_array(to_tsvector('english', "
    "coalesce(r.description, '')))) "
    f"UNION ALL SELECT 3, unnest(tsvector_to_array(to_tsvector('english', "
    f"coalesce({_STEPS}, ''))))"
    ") AS every_word GROUP BY lexeme) AS first_parts"
)
_FTS5 = (
    "USING fts5(title, foods, description, steps, access, detail = column, "
    "tokenize = 'porter unicode61 remove_diacritics 2')"
)

# Where a change to a recipe does not go through indexing, the database keeps its keys true:
# a recipe whose household is deleted (its household_id set to NULL by the foreign key) loses
# that household's key, and a deleted recipe loses its entry (PostgreSQL: the foreign key).
_TRIGGERS = {
    "sqlite": (
        "CREATE TRIGGER recipe_search_household_gone AFTER UPDATE OF household_id ON recipes "
        "WHEN OLD.household_id IS NOT NULL AND OLD.household_id IS NOT NEW.household_id "
        "BEGIN UPDATE recipe_search SET access = "
        "trim(replace(' ' || access || ' ', ' h' || OLD.household_id || ' ', ' ')) "
        "WHERE rowid = OLD.id; END",
        "CREATE TRIGGER recipe_search_recipe_gone AFTER DELETE ON recipes "
        "BEGIN DELETE FROM recipe_search WHERE rowid = OLD.id; END",
    ),
    "postgresql": (
        "CREATE FUNCTION recipe_search_household_gone() RETURNS trigger LANGUAGE plpgsql AS $$ "
        "BEGIN UPDATE recipe_search SET terms = ts_delete(terms, 'a:h' || OLD.household_id) "
        "WHERE recipe_id = OLD.id; RETURN NULL; END $$",
        "CREATE TRIGGER recipe_search_household_gone AFTER UPDATE OF household_id ON recipes "
        "FOR EACH ROW WHEN (OLD.household_id IS NOT NULL "
        "AND OLD.household_id IS DISTINCT FROM NEW.household_id) "
        "EXECUTE FUNCTION recipe_search_household_gone()",
    ),
}


def create(dialect: str, name: str) -> str:
    """The statement creating an empty full-text table ``name`` as this revision keeps it."""
    if dialect == "postgresql":
        return (
            f"CREATE TABLE {name} ("
            "recipe_id INTEGER PRIMARY KEY REFERENCES recipes (id) ON DELETE CASCADE, "
            "terms TSVECTOR NOT NULL)"
        )
    return f"CREATE VIRTUAL TABLE {name} {_FTS5}"


def fill(dialect: str, name: str) -> str:
    """The statement giving every recipe not in the trash its entry in ``name``, as indexing
    does: on PostgreSQL from the recipes, on SQLite from the entries there are (their texts
    are the same)."""
    if dialect == "postgresql":
        return (
            f"INSERT INTO {name} (recipe_id, terms) SELECT r.id, "  # noqa: S608 - constants
            f"coalesce(({_PG_WORDS}), ''::tsvector) || array_to_tsvector({_PG_KEYS}) "
            "FROM recipes r WHERE r.deleted_at IS NULL"
        )
    return (
        f"INSERT INTO {name} (rowid, title, foods, description, steps, access) "  # noqa: S608
        f"SELECT s.rowid, s.title, s.foods, s.description, s.steps, {_SQLITE_KEYS} "
        "FROM recipe_search s JOIN recipes r ON r.id = s.rowid WHERE r.deleted_at IS NULL"
    )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "postgresql":
        # Reads streamed by an earlier migration of the same run (cfa9129bc61f's words) keep
        # their cursors open until the transaction ends (asyncpg closes none of its own), and
        # PostgreSQL refuses to drop an index of a table an open cursor reads.
        op.execute("CLOSE ALL")
        op.execute("DROP INDEX IF EXISTS recipe_search_title")
    op.drop_index("ix_recipes_access", table_name="recipes")
    # A new table written once, rather than the old one rewritten row by row.
    op.execute(create(dialect, "recipe_search_new"))
    op.execute(fill(dialect, "recipe_search_new"))
    op.execute("DROP TABLE recipe_search")
    op.execute("ALTER TABLE recipe_search_new RENAME TO recipe_search")
    if dialect == "postgresql":
        op.execute("ALTER INDEX recipe_search_new_pkey RENAME TO recipe_search_pkey")
        op.execute(
            "ALTER TABLE recipe_search RENAME CONSTRAINT recipe_search_new_recipe_id_fkey "
            "TO recipe_search_recipe_id_fkey"
        )
        # Written through: each search reads the index as it is, without a list of pending
        # entries to scan first.
        op.execute(
            "CREATE INDEX recipe_search_terms ON recipe_search USING GIN (terms) "
            "WITH (fastupdate = off)"
        )
        op.execute("ANALYZE recipe_search")
    else:
        op.execute("INSERT INTO recipe_search (recipe_search) VALUES ('optimize')")
    for statement in _TRIGGERS[dialect]:
        op.execute(statement)


# The index of revision cfa9129bc61f, for going back.
_PG_DOCUMENT = (
    "setweight(to_tsvector('english', r.title), 'A') || "
    f"setweight(to_tsvector('english', coalesce({_FOODS}, '')), 'B') || "
    "setweight(to_tsvector('english', coalesce(r.description, '')), 'C') || "
    f"setweight(to_tsvector('english', coalesce({_STEPS}, '')), 'D')"
)


def downgrade() -> None:
    op.create_index(
        "ix_recipes_access",
        "recipes",
        ["id", "deleted_at", "visibility", "owner_id", "household_id"],
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER recipe_search_household_gone ON recipes")
        op.execute("DROP FUNCTION recipe_search_household_gone()")
        op.execute("DROP TABLE recipe_search")
        op.execute(
            "CREATE TABLE recipe_search ("
            "recipe_id INTEGER PRIMARY KEY REFERENCES recipes (id) ON DELETE CASCADE, "
            "document TSVECTOR NOT NULL)"
        )
        op.execute(
            "INSERT INTO recipe_search (recipe_id, document) "  # noqa: S608 - constants
            f"SELECT r.id, {_PG_DOCUMENT} FROM recipes r WHERE r.deleted_at IS NULL"
        )
        op.execute("CREATE INDEX recipe_search_document ON recipe_search USING GIN (document)")
        op.execute(
            "CREATE INDEX recipe_search_title ON recipes USING GIN (to_tsvector('english', title))"
        )
        return
    op.execute("DROP TRIGGER recipe_search_household_gone")
    op.execute("DROP TRIGGER recipe_search_recipe_gone")
    op.execute(
        "CREATE VIRTUAL TABLE recipe_search_old USING fts5("
        "title, description, foods, steps, tokenize = 'porter unicode61 remove_diacritics 2')"
    )
    op.execute(
        "INSERT INTO recipe_search_old (rowid, title, description, foods, steps) "
        "SELECT rowid, title, description, foods, steps FROM recipe_search"
    )
    op.execute("DROP TABLE recipe_search")
    op.execute("ALTER TABLE recipe_search_old RENAME TO recipe_search")
