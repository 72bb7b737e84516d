"""Meal plan rotations remember the last day they have planned, so that planning ahead goes on
from there and never plans again a week whose entries people have since removed.

Revision ID: 5b1e7c0d9a42
Revises: d94a323e88a2
Create Date: 2026-12-07 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1e7c0d9a42"
down_revision: str | None = "d94a323e88a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("meal_plan_rotations", sa.Column("planned_through", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("meal_plan_rotations") as batch:
        batch.drop_column("planned_through")
