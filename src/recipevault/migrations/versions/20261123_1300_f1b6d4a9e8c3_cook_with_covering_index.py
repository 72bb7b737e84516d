"""Cook-with index: the index its reads walk holds every column they use (``need`` and
``recipe_id`` after ``food_id, bound``), so reading a range of bounds never visits the table.

Revision ID: f1b6d4a9e8c3
Revises: e5a0c3f8b2d7
Create Date: 2026-11-23 13:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "f1b6d4a9e8c3"
down_revision: str | None = "e5a0c3f8b2d7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("DROP INDEX recipe_search_foods_bound")
    op.execute(
        "CREATE INDEX recipe_search_foods_bound "
        "ON recipe_search_foods (food_id, bound, need, recipe_id)"
    )


def downgrade() -> None:
    op.execute("DROP INDEX recipe_search_foods_bound")
    op.execute("CREATE INDEX recipe_search_foods_bound ON recipe_search_foods (food_id, bound)")
