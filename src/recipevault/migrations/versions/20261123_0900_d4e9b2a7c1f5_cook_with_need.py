"""Cook-with index: each posting carries its recipe's number of foods, so a list of ``k`` foods
reads it at ``min(bound, k / need)`` (see recipevault/recipes/search/on_hand.py).

Revision ID: d4e9b2a7c1f5
Revises: c3d8a1f0b6e2
Create Date: 2026-11-23 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "d4e9b2a7c1f5"
down_revision: str | None = "c3d8a1f0b6e2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


_BACKFILL = (
    "UPDATE recipe_search_foods SET need = "
    "(SELECT food_count FROM recipes WHERE recipes.id = recipe_search_foods.recipe_id)"
)


def upgrade() -> None:
    # 1 is what a posting without the count must read as: k / 1 is never below a bound, so
    # such a posting is read where its bound alone puts it.
    op.execute("ALTER TABLE recipe_search_foods ADD COLUMN need INTEGER NOT NULL DEFAULT 1")
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.execute("ALTER TABLE recipe_search_foods DROP COLUMN need")
