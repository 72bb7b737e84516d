"""Search window: a second full-text index holding only the newest recipes, and the lowest
recipe id it holds. recipevault/recipes/search/index.py keeps both and is their only reader.

Revision ID: c3d8a1f0b6e2
Revises: b7e1c2d9a4f3
Create Date: 2026-11-22 19:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c3d8a1f0b6e2"
down_revision: str | None = "b7e1c2d9a4f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# search.window_floor as of this revision: the window holds at least the newest 10,000 recipe
# ids, and its floor moves in steps of 1,000.
FLOOR = "CASE WHEN n > 10000 THEN (n - 10000) / 1000 * 1000 ELSE 0 END"
_WINDOW = {
    "postgresql": (
        "INSERT INTO recipe_search_recent (recipe_id, document) SELECT recipe_id, document "
        "FROM recipe_search WHERE recipe_id >= (SELECT floor FROM recipe_search_floor)"
    ),
    "sqlite": (
        "INSERT INTO recipe_search_recent (rowid, title, description, foods, steps) "
        "SELECT rowid, title, description, foods, steps FROM recipe_search "
        "WHERE rowid >= (SELECT floor FROM recipe_search_floor)"
    ),
}


def backfill(dialect: str) -> list[str]:
    """Fill an empty window from the whole index (the floor row exists)."""
    return [
        f"UPDATE recipe_search_floor SET floor = (SELECT {FLOOR} "  # noqa: S608 - constants
        "FROM (SELECT coalesce(max(id), 0) AS n FROM recipes) AS newest)",
        _WINDOW[dialect],
    ]


def upgrade() -> None:
    # Created by hand, like the full-text index: derived from the recipes, left out of backups
    # and rebuilt on restore (see recipevault.db.migrate.UNMODELLED_PREFIX).
    dialect = op.get_bind().dialect.name
    op.execute("CREATE TABLE recipe_search_floor (floor INTEGER NOT NULL)")
    op.execute("INSERT INTO recipe_search_floor (floor) VALUES (0)")
    if dialect == "postgresql":
        op.execute(
            "CREATE TABLE recipe_search_recent ("
            "recipe_id INTEGER PRIMARY KEY REFERENCES recipes (id) ON DELETE CASCADE, "
            "document TSVECTOR NOT NULL)"
        )
        op.execute(
            "CREATE INDEX recipe_search_recent_document ON recipe_search_recent "
            "USING GIN (document)"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE recipe_search_recent USING fts5("
            "title, description, foods, steps, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )
    for statement in backfill(dialect):
        op.execute(statement)


def downgrade() -> None:
    op.execute("DROP TABLE recipe_search_recent")
    op.execute("DROP TABLE recipe_search_floor")
