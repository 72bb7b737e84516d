"""Shopping lists: a household's lists, their items (removed ones kept as markers for a while),
the operations that changed them, the foods it buys (aisles, habits) and its stores.
recipevault/shopping/ owns these tables.

Revision ID: ddb9739cea46
Revises: 5b1e7c0d9a42
Create Date: 2026-12-07 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "ddb9739cea46"
down_revision: str | None = "5b1e7c0d9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "shopping_foods",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("aisle", sa.String(length=100), nullable=True),
        sa.Column("staple", sa.Boolean(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_shopping_foods_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", "key", name=op.f("pk_shopping_foods")),
    )
    op.create_table(
        "shopping_stores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("aisles", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_shopping_stores_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopping_stores")),
        sa.UniqueConstraint(
            "household_id", "name", name=op.f("uq_shopping_stores_household_id_name")
        ),
    )
    with op.batch_alter_table("shopping_stores", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shopping_stores_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "shopping_lists",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("swept_seq", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_shopping_lists_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopping_lists")),
    )
    with op.batch_alter_table("shopping_lists", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shopping_lists_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "shopping_items",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("food", sa.String(length=100), nullable=True),
        sa.Column("food_key", sa.String(length=100), nullable=True),
        sa.Column("food_id", sa.Integer(), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("aisle", sa.String(length=100), nullable=True),
        sa.Column("checked", sa.Boolean(), nullable=False),
        sa.Column("checked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("changed_seq", sa.Integer(), nullable=False),
        sa.Column("deleted_seq", sa.Integer(), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_shopping_items_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["food_id"],
            ["foods.id"],
            name=op.f("fk_shopping_items_food_id_foods"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["shopping_lists.id"],
            name=op.f("fk_shopping_items_list_id_shopping_lists"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopping_items")),
    )
    with op.batch_alter_table("shopping_items", schema=None) as batch_op:
        batch_op.create_index("ix_shopping_items_deleted_at", ["deleted_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_shopping_items_food_id"), ["food_id"], unique=False)
        batch_op.create_index(
            "ix_shopping_items_list_changed", ["list_id", "changed_seq"], unique=False
        )
        batch_op.create_index(
            "ix_shopping_items_list_food_key", ["list_id", "food_key"], unique=False
        )
        batch_op.create_index(
            "ix_shopping_items_list_checked", ["list_id", "checked", "checked_at"], unique=False
        )

    op.create_table(
        "shopping_operations",
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("op_id", sa.String(length=64), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["shopping_lists.id"],
            name=op.f("fk_shopping_operations_list_id_shopping_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_shopping_operations_user_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("list_id", "op_id", name=op.f("pk_shopping_operations")),
    )
    with op.batch_alter_table("shopping_operations", schema=None) as batch_op:
        batch_op.create_index("ix_shopping_operations_created_at", ["created_at"], unique=False)

    op.create_table(
        "shopping_additions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("list_id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=True),
        sa.Column("plan_entry_id", sa.Integer(), nullable=True),
        sa.Column("servings", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["list_id"],
            ["shopping_lists.id"],
            name=op.f("fk_shopping_additions_list_id_shopping_lists"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["plan_entry_id"],
            ["meal_plan_entries.id"],
            name=op.f("fk_shopping_additions_plan_entry_id_meal_plan_entries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_shopping_additions_recipe_id_recipes"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopping_additions")),
        sa.UniqueConstraint(
            "list_id", "plan_entry_id", name=op.f("uq_shopping_additions_list_id_plan_entry_id")
        ),
    )
    with op.batch_alter_table("shopping_additions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shopping_additions_plan_entry_id"), ["plan_entry_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shopping_additions_recipe_id"), ["recipe_id"], unique=False
        )

    op.create_table(
        "shopping_item_sources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("addition_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("quantity_max", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("unit", sa.String(length=50), nullable=True),
        sa.Column("size", sa.String(length=100), nullable=True),
        sa.Column("food", sa.String(length=100), nullable=True),
        sa.ForeignKeyConstraint(
            ["addition_id"],
            ["shopping_additions.id"],
            name=op.f("fk_shopping_item_sources_addition_id_shopping_additions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["item_id"],
            ["shopping_items.id"],
            name=op.f("fk_shopping_item_sources_item_id_shopping_items"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_shopping_item_sources")),
    )
    with op.batch_alter_table("shopping_item_sources", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_shopping_item_sources_addition_id"), ["addition_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_shopping_item_sources_item_id"), ["item_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("shopping_item_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shopping_item_sources_item_id"))
        batch_op.drop_index(batch_op.f("ix_shopping_item_sources_addition_id"))

    op.drop_table("shopping_item_sources")
    with op.batch_alter_table("shopping_additions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shopping_additions_recipe_id"))
        batch_op.drop_index(batch_op.f("ix_shopping_additions_plan_entry_id"))

    op.drop_table("shopping_additions")
    with op.batch_alter_table("shopping_operations", schema=None) as batch_op:
        batch_op.drop_index("ix_shopping_operations_created_at")

    op.drop_table("shopping_operations")
    with op.batch_alter_table("shopping_items", schema=None) as batch_op:
        batch_op.drop_index("ix_shopping_items_list_food_key")
        batch_op.drop_index("ix_shopping_items_list_checked")
        batch_op.drop_index("ix_shopping_items_list_changed")
        batch_op.drop_index(batch_op.f("ix_shopping_items_food_id"))
        batch_op.drop_index("ix_shopping_items_deleted_at")

    op.drop_table("shopping_items")
    with op.batch_alter_table("shopping_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shopping_lists_household_id"))

    op.drop_table("shopping_lists")
    with op.batch_alter_table("shopping_stores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_shopping_stores_household_id"))

    op.drop_table("shopping_stores")
    op.drop_table("shopping_foods")
