"""Recipe images: the uploaded originals and the WebP renditions made of them.

Revision ID: 4f9971bfe75c
Revises: 8831c74e29a2
Create Date: 2026-11-22 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4f9971bfe75c"
down_revision: str | None = "8831c74e29a2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "recipe_images",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "ready",
                "failed",
                name="image_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("original_key", sa.String(length=512), nullable=False),
        sa.Column("content_type", sa.String(length=50), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("variants", sa.JSON(), nullable=False),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_recipe_images_recipe_id_recipes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipe_images")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("recipe_images", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recipe_images_recipe_position", ["recipe_id", "position"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("recipe_images", schema=None) as batch_op:
        batch_op.drop_index("ix_recipe_images_recipe_position")

    op.drop_table("recipe_images")
