"""Search every match: relevance is computed over all of a search's matches, so the window of
the newest recipes and its floor go; so does the trigram index on titles (PostgreSQL), now that
misspelt words are corrected from the words the recipes hold, kept here with their trigrams on
both databases. recipevault/recipes/search/words.py keeps them and is their only reader.

Revision ID: cfa9129bc61f
Revises: a7c2e9d4f6b1
Create Date: 2026-12-07 02:00:00
"""

import re
import unicodedata
from collections.abc import Iterable, Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "cfa9129bc61f"
down_revision: str | None = "a7c2e9d4f6b1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# recipevault.recipes.search.spelling as of this revision: the words a misspelling may be corrected
# to, and their trigrams.
_LETTERS = re.compile(r"[^\W\d_]+", re.UNICODE)
_CHUNK = 500

# What the index holds of each recipe that is not in the trash.
_TEXTS = (
    "SELECT title FROM recipes WHERE deleted_at IS NULL",
    "SELECT description FROM recipes WHERE deleted_at IS NULL AND description IS NOT NULL",
    "SELECT DISTINCT f.name FROM foods f JOIN recipe_ingredients i ON i.food_id = f.id "
    "JOIN recipes r ON r.id = i.recipe_id WHERE r.deleted_at IS NULL",
    "SELECT s.text FROM recipe_steps s JOIN recipes r ON r.id = s.recipe_id "
    "WHERE r.deleted_at IS NULL",
)


def words_of(texts: Iterable[str]) -> set[str]:
    found: set[str] = set()
    for text in texts:
        decomposed = unicodedata.normalize("NFKD", text.casefold())
        plain = "".join(char for char in decomposed if not unicodedata.combining(char))
        found.update(word for word in _LETTERS.findall(plain) if 3 <= len(word) <= 40)
    return found


def grams(word: str) -> set[str]:
    padded = f" {word} "
    return {padded[i : i + 3] for i in range(len(padded) - 2)}


def backfill_words(connection: sa.Connection) -> None:
    """Keep the words of every recipe not in the trash, as indexing does."""
    found: set[str] = set()
    for statement in _TEXTS:
        rows = connection.execute(sa.text(statement).execution_options(stream_results=True))
        found |= words_of(row[0] for row in rows)
    words = sorted(found)
    for start in range(0, len(words), _CHUNK):
        chunk = words[start : start + _CHUNK]
        connection.execute(
            sa.text("INSERT INTO recipe_search_words (word) VALUES (:word)"),
            [{"word": word} for word in chunk],
        )
        connection.execute(
            sa.text("INSERT INTO recipe_search_word_grams (gram, word) VALUES (:gram, :word)"),
            [{"gram": gram, "word": word} for word in chunk for gram in grams(word)],
        )


def upgrade() -> None:
    dialect = op.get_bind().dialect.name
    op.execute("DROP TABLE recipe_search_recent")
    op.execute("DROP TABLE recipe_search_floor")
    if dialect == "postgresql":
        op.execute("DROP INDEX IF EXISTS recipe_search_title_trgm")
        # The recipes whose title holds the words: ranked first, found without reading the
        # whole documents.
        op.execute(
            "CREATE INDEX recipe_search_title ON recipes USING GIN (to_tsvector('english', title))"
        )
    op.create_index(
        "ix_recipes_access",
        "recipes",
        ["id", "deleted_at", "visibility", "owner_id", "household_id"],
    )
    # Created by hand, like the full-text index: derived from the recipes, left out of backups
    # and rebuilt on restore (see recipevault.db.migrate.UNMODELLED_PREFIX).
    op.execute("CREATE TABLE recipe_search_words (word VARCHAR(40) PRIMARY KEY)")
    op.execute(
        "CREATE TABLE recipe_search_word_grams ("
        "gram VARCHAR(3) NOT NULL, "
        "word VARCHAR(40) NOT NULL REFERENCES recipe_search_words (word) ON DELETE CASCADE, "
        "PRIMARY KEY (gram, word))"
    )
    backfill_words(op.get_bind())


# The search window of revision c3d8a1f0b6e2, and its compaction (e5a0c3f8b2d7), for going back.
_FLOOR = "CASE WHEN n > 10000 THEN (n - 10000) / 1000 * 1000 ELSE 0 END"
_WINDOW = {
    "postgresql": (
        "CREATE TABLE recipe_search_recent ("
        "recipe_id INTEGER PRIMARY KEY REFERENCES recipes (id) ON DELETE CASCADE, "
        "document TSVECTOR NOT NULL)",
        "CREATE INDEX recipe_search_recent_document ON recipe_search_recent USING GIN (document)",
        "INSERT INTO recipe_search_recent (recipe_id, document) SELECT recipe_id, document "
        "FROM recipe_search WHERE recipe_id >= (SELECT floor FROM recipe_search_floor)",
        "CREATE INDEX recipe_search_title_trgm ON recipes USING GIN (title gin_trgm_ops)",
    ),
    "sqlite": (
        "CREATE VIRTUAL TABLE recipe_search_recent USING fts5("
        "title, description, foods, steps, "
        "tokenize = 'porter unicode61 remove_diacritics 2')",
        "INSERT INTO recipe_search_recent (rowid, title, description, foods, steps) "
        "SELECT rowid, title, description, foods, steps FROM recipe_search "
        "WHERE rowid >= (SELECT floor FROM recipe_search_floor)",
        "INSERT INTO recipe_search_recent (recipe_search_recent) VALUES ('optimize')",
    ),
}


def downgrade() -> None:
    op.drop_index("ix_recipes_access", table_name="recipes")
    op.execute("DROP INDEX IF EXISTS recipe_search_title")
    op.execute("DROP TABLE recipe_search_word_grams")
    op.execute("DROP TABLE recipe_search_words")
    op.execute("CREATE TABLE recipe_search_floor (floor INTEGER NOT NULL)")
    op.execute(
        f"INSERT INTO recipe_search_floor (floor) SELECT {_FLOOR} "  # noqa: S608 - constants
        "FROM (SELECT coalesce(max(id), 0) AS n FROM recipes) AS newest"
    )
    for statement in _WINDOW[op.get_bind().dialect.name]:
        op.execute(statement)
