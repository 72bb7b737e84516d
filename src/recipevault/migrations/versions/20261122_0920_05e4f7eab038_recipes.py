"""Recipes: ingredients, steps, vocabularies, revisions, documents and full-text search.

Revision ID: 05e4f7eab038
Revises: ec684afe8144
Create Date: 2026-11-22 09:20:45
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "05e4f7eab038"
down_revision: str | None = "ec684afe8144"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "categories",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_categories_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_categories")),
        sa.UniqueConstraint("household_id", "key", name=op.f("uq_categories_household_id_key")),
    )
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_categories_household_id"), ["household_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_categories_key"), ["key"], unique=False)

    op.create_table(
        "foods",
        sa.Column("plural_name", sa.String(length=100), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_foods_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_foods")),
        sa.UniqueConstraint("household_id", "key", name=op.f("uq_foods_household_id_key")),
    )
    with op.batch_alter_table("foods", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_foods_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_foods_key"), ["key"], unique=False)

    op.create_table(
        "recipes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("slug", sa.String(length=220), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("servings", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("yield_text", sa.String(length=100), nullable=True),
        sa.Column("prep_minutes", sa.Integer(), nullable=True),
        sa.Column("cook_minutes", sa.Integer(), nullable=True),
        sa.Column("total_minutes", sa.Integer(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("nutrition", sa.JSON(), nullable=True),
        sa.Column("source_url", sa.String(length=2048), nullable=True),
        sa.Column("attribution", sa.String(length=500), nullable=True),
        sa.Column("rating", sa.SmallInteger(), nullable=True),
        sa.Column("owner_id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=True),
        sa.Column(
            "visibility",
            sa.Enum(
                "private",
                "household",
                "public",
                name="visibility",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("sort_title", sa.String(length=200), nullable=False),
        sa.Column("sort_total_minutes", sa.Integer(), nullable=False),
        sa.Column("sort_rating", sa.SmallInteger(), nullable=False),
        sa.Column("food_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "rating IS NULL OR (rating BETWEEN 1 AND 5)", name=op.f("ck_recipes_rating_range")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_recipes_household_id_households"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_recipes_owner_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipes")),
        sa.UniqueConstraint("slug", name=op.f("uq_recipes_slug")),
    )
    with op.batch_alter_table("recipes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recipes_household_id"), ["household_id"], unique=False)
        batch_op.create_index("ix_recipes_listing_created", ["created_at", "id"], unique=False)
        batch_op.create_index("ix_recipes_listing_rating", ["sort_rating", "id"], unique=False)
        batch_op.create_index("ix_recipes_listing_title", ["sort_title", "id"], unique=False)
        batch_op.create_index(
            "ix_recipes_listing_total_time", ["sort_total_minutes", "id"], unique=False
        )
        batch_op.create_index("ix_recipes_listing_updated", ["updated_at", "id"], unique=False)
        batch_op.create_index(batch_op.f("ix_recipes_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_tags_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tags")),
        sa.UniqueConstraint("household_id", "key", name=op.f("uq_tags_household_id_key")),
    )
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tags_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tags_key"), ["key"], unique=False)

    op.create_table(
        "tools",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_tools_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tools")),
        sa.UniqueConstraint("household_id", "key", name=op.f("uq_tools_household_id_key")),
    )
    with op.batch_alter_table("tools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_tools_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_tools_key"), ["key"], unique=False)

    op.create_table(
        "units",
        sa.Column("plural_name", sa.String(length=100), nullable=True),
        sa.Column("abbreviation", sa.String(length=20), nullable=True),
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_units_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("household_id", "key", name=op.f("uq_units_household_id_key")),
    )
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_units_household_id"), ["household_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_units_key"), ["key"], unique=False)

    op.create_table(
        "food_names",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("food_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["food_id"], ["foods.id"], name=op.f("fk_food_names_food_id_foods"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_food_names_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", "key", name=op.f("pk_food_names")),
    )
    with op.batch_alter_table("food_names", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_food_names_food_id"), ["food_id"], unique=False)
        batch_op.create_index("ix_food_names_key", ["key"], unique=False)

    op.create_table(
        "recipe_categories",
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("category_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["category_id"],
            ["categories.id"],
            name=op.f("fk_recipe_categories_category_id_categories"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_recipe_categories_recipe_id_recipes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recipe_id", "category_id", name=op.f("pk_recipe_categories")),
    )
    with op.batch_alter_table("recipe_categories", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_recipe_categories_category_id"), ["category_id"], unique=False
        )

    op.create_table(
        "recipe_documents",
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("etag", sa.String(length=40), nullable=False),
        sa.Column("document", sa.LargeBinary(), nullable=False),
        sa.Column("summary", sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_recipe_documents_recipe_id_recipes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recipe_id", name=op.f("pk_recipe_documents")),
    )
    op.create_table(
        "recipe_ingredients",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=100), nullable=True),
        sa.Column("text", sa.String(length=500), nullable=False),
        sa.Column("quantity", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("quantity_max", sa.Numeric(precision=12, scale=4), nullable=True),
        sa.Column("unit_id", sa.Integer(), nullable=True),
        sa.Column("food_id", sa.Integer(), nullable=True),
        sa.Column("size", sa.String(length=100), nullable=True),
        sa.Column("note", sa.String(length=500), nullable=True),
        sa.Column("optional", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["food_id"],
            ["foods.id"],
            name=op.f("fk_recipe_ingredients_food_id_foods"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_recipe_ingredients_recipe_id_recipes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_recipe_ingredients_unit_id_units"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipe_ingredients")),
    )
    with op.batch_alter_table("recipe_ingredients", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recipe_ingredients_food_recipe", ["food_id", "recipe_id"], unique=False
        )
        batch_op.create_index(
            "ix_recipe_ingredients_recipe_position", ["recipe_id", "position"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_recipe_ingredients_unit_id"), ["unit_id"], unique=False
        )

    op.create_table(
        "recipe_revisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("changed_fields", sa.JSON(), nullable=False),
        sa.Column("snapshot", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["users.id"],
            name=op.f("fk_recipe_revisions_author_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_recipe_revisions_recipe_id_recipes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipe_revisions")),
        sa.UniqueConstraint(
            "recipe_id", "number", name=op.f("uq_recipe_revisions_recipe_id_number")
        ),
    )
    op.create_table(
        "recipe_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("section", sa.String(length=100), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("timer_minutes", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_recipe_steps_recipe_id_recipes"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recipe_steps")),
    )
    with op.batch_alter_table("recipe_steps", schema=None) as batch_op:
        batch_op.create_index(
            "ix_recipe_steps_recipe_position", ["recipe_id", "position"], unique=False
        )

    op.create_table(
        "recipe_tags",
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("tag_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_recipe_tags_recipe_id_recipes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tag_id"], ["tags.id"], name=op.f("fk_recipe_tags_tag_id_tags"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("recipe_id", "tag_id", name=op.f("pk_recipe_tags")),
    )
    with op.batch_alter_table("recipe_tags", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recipe_tags_tag_id"), ["tag_id"], unique=False)

    op.create_table(
        "recipe_tools",
        sa.Column("recipe_id", sa.Integer(), nullable=False),
        sa.Column("tool_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_recipe_tools_recipe_id_recipes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tool_id"],
            ["tools.id"],
            name=op.f("fk_recipe_tools_tool_id_tools"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("recipe_id", "tool_id", name=op.f("pk_recipe_tools")),
    )
    with op.batch_alter_table("recipe_tools", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recipe_tools_tool_id"), ["tool_id"], unique=False)

    _create_search()


def downgrade() -> None:
    _drop_search()
    with op.batch_alter_table("recipe_tools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipe_tools_tool_id"))

    op.drop_table("recipe_tools")
    with op.batch_alter_table("recipe_tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipe_tags_tag_id"))

    op.drop_table("recipe_tags")
    with op.batch_alter_table("recipe_steps", schema=None) as batch_op:
        batch_op.drop_index("ix_recipe_steps_recipe_position")

    op.drop_table("recipe_steps")
    op.drop_table("recipe_revisions")
    with op.batch_alter_table("recipe_ingredients", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipe_ingredients_unit_id"))
        batch_op.drop_index("ix_recipe_ingredients_recipe_position")
        batch_op.drop_index("ix_recipe_ingredients_food_recipe")

    op.drop_table("recipe_ingredients")
    op.drop_table("recipe_documents")
    with op.batch_alter_table("recipe_categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipe_categories_category_id"))

    op.drop_table("recipe_categories")
    with op.batch_alter_table("food_names", schema=None) as batch_op:
        batch_op.drop_index("ix_food_names_key")
        batch_op.drop_index(batch_op.f("ix_food_names_food_id"))

    op.drop_table("food_names")
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_units_key"))
        batch_op.drop_index(batch_op.f("ix_units_household_id"))

    op.drop_table("units")
    with op.batch_alter_table("tools", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tools_key"))
        batch_op.drop_index(batch_op.f("ix_tools_household_id"))

    op.drop_table("tools")
    with op.batch_alter_table("tags", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_tags_key"))
        batch_op.drop_index(batch_op.f("ix_tags_household_id"))

    op.drop_table("tags")
    with op.batch_alter_table("recipes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recipes_owner_id"))
        batch_op.drop_index("ix_recipes_listing_updated")
        batch_op.drop_index("ix_recipes_listing_total_time")
        batch_op.drop_index("ix_recipes_listing_title")
        batch_op.drop_index("ix_recipes_listing_rating")
        batch_op.drop_index("ix_recipes_listing_created")
        batch_op.drop_index(batch_op.f("ix_recipes_household_id"))

    op.drop_table("recipes")
    with op.batch_alter_table("foods", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_foods_key"))
        batch_op.drop_index(batch_op.f("ix_foods_household_id"))

    op.drop_table("foods")
    with op.batch_alter_table("categories", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_categories_key"))
        batch_op.drop_index(batch_op.f("ix_categories_household_id"))

    op.drop_table("categories")


def _create_search() -> None:
    # Full-text search differs per database; recipevault/recipes/search/index.py is its only user.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE TABLE recipe_search ("
            "recipe_id INTEGER PRIMARY KEY REFERENCES recipes (id) ON DELETE CASCADE, "
            "document TSVECTOR NOT NULL)"
        )
        op.execute("CREATE INDEX recipe_search_document ON recipe_search USING GIN (document)")
        op.execute(
            "CREATE INDEX recipe_search_title_trgm ON recipes USING GIN (title gin_trgm_ops)"
        )
    else:
        op.execute(
            "CREATE VIRTUAL TABLE recipe_search USING fts5("
            "title, description, foods, steps, "
            "tokenize = 'porter unicode61 remove_diacritics 2')"
        )


def _drop_search() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX IF EXISTS recipe_search_title_trgm")
    op.execute("DROP TABLE IF EXISTS recipe_search")
