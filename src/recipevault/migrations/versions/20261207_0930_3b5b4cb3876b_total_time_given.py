"""Total time given or derived: ``recipes.total_minutes_given`` records whether a recipe's total
time was given (it may include resting time, and stays as given) or is preparation plus cooking
(recomputed whenever either changes).

Until now a total left out was filled in once as preparation plus cooking and then kept, so the
stored numbers are all there is to go by: a total that equals a non-zero preparation plus
cooking counts as derived, any other total as given.

The column is added and dropped with plain ALTER TABLE on both databases: on SQLite, a batch
operation would rebuild ``recipes``, and dropping the old table with foreign keys enforced
would delete every row that references a recipe with ON DELETE CASCADE.

Revision ID: 3b5b4cb3876b
Revises: f0388d5b745a
Create Date: 2026-12-07 09:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b5b4cb3876b"
down_revision: str | None = "f0388d5b745a"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = sa.text(
    "UPDATE recipes SET total_minutes_given = "
    "CASE WHEN total_minutes IS NULL THEN FALSE "
    "WHEN COALESCE(prep_minutes, 0) + COALESCE(cook_minutes, 0) > 0 "
    "AND total_minutes = COALESCE(prep_minutes, 0) + COALESCE(cook_minutes, 0) THEN FALSE "
    "ELSE TRUE END"
)


def upgrade() -> None:
    op.add_column(
        "recipes",
        sa.Column("total_minutes_given", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    op.execute("ALTER TABLE recipes DROP COLUMN total_minutes_given")
