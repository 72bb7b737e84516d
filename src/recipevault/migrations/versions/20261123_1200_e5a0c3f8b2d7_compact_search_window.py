"""Search window (SQLite): compact its full-text index once. recipevault/recipes/search/index.py now
compacts it each time its floor moves; a database whose floor moved before that keeps the
entries of every row the window dropped (FTS5 keeps them until a merge reaches their segment)
until the floor next moves, up to 1,000 new recipes later.

Revision ID: e5a0c3f8b2d7
Revises: d4e9b2a7c1f5
Create Date: 2026-11-23 12:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "e5a0c3f8b2d7"
down_revision: str | None = "d4e9b2a7c1f5"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# search.COMPACT_WINDOW as of this revision.
COMPACT = "INSERT INTO recipe_search_recent (recipe_search_recent) VALUES ('optimize')"


def upgrade() -> None:
    # PostgreSQL's vacuum already reclaims the GIN index's dead entries.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(COMPACT)


def downgrade() -> None:
    """Nothing to undo: compacting changes no row."""
