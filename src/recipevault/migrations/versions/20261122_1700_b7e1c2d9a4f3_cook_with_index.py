"""Cook-with index: for each recipe and each of its foods, the highest share of the recipe's
foods a cook can have when this is the first of them, in the recipe's rarest-first order, that
they have. recipevault/recipes/search/on_hand.py keeps it and is its only reader.

Revision ID: b7e1c2d9a4f3
Revises: 4f9971bfe75c
Create Date: 2026-11-22 17:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "b7e1c2d9a4f3"
down_revision: str | None = "4f9971bfe75c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Same on both databases. A food's rank from the end of the recipe's rarest-first order
# (rarest: used by the fewest recipes; then the lower id) is a running count over the reverse
# order; divided by the recipe's food count it is the share.
_BACKFILL = """
WITH uses AS (
    SELECT DISTINCT i.recipe_id, i.food_id
    FROM recipe_ingredients i JOIN recipes r ON r.id = i.recipe_id
    WHERE i.food_id IS NOT NULL AND r.deleted_at IS NULL
),
frequency AS (SELECT food_id, count(*) AS recipes FROM uses GROUP BY food_id)
INSERT INTO recipe_search_foods (recipe_id, food_id, bound)
SELECT uses.recipe_id, uses.food_id,
    CAST(count(*) OVER (
        PARTITION BY uses.recipe_id
        ORDER BY frequency.recipes DESC, uses.food_id DESC
        ROWS UNBOUNDED PRECEDING
    ) AS DOUBLE PRECISION) / count(*) OVER (PARTITION BY uses.recipe_id)
FROM uses JOIN frequency ON frequency.food_id = uses.food_id
"""


def upgrade() -> None:
    # Created by hand, like the full-text index: it is derived from the recipes, left out of
    # backups and rebuilt on restore (see recipevault.db.migrate.UNMODELLED_PREFIX).
    op.execute(
        "CREATE TABLE recipe_search_foods ("
        "recipe_id INTEGER NOT NULL REFERENCES recipes (id) ON DELETE CASCADE, "
        "food_id INTEGER NOT NULL REFERENCES foods (id) ON DELETE CASCADE, "
        "bound DOUBLE PRECISION NOT NULL, "
        "PRIMARY KEY (recipe_id, food_id))"
    )
    op.execute("CREATE INDEX recipe_search_foods_bound ON recipe_search_foods (food_id, bound)")
    op.execute(_BACKFILL)


def downgrade() -> None:
    op.execute("DROP TABLE recipe_search_foods")
