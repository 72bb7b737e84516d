"""Recipe tables: recipes with their ordered ingredient lines, steps and images, per-household
vocabularies (tags, categories, tools, foods, units), revisions, and the pre-serialized
documents that the read path serves.

Full-text search tables differ by database (an FTS5 table on SQLite, a tsvector table on
PostgreSQL); they are created by the migrations and used through ``search.py`` only.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    SmallInteger,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from recipevault.clock import utcnow
from recipevault.db import Base, CreatedAt
from recipevault.db.column_types import string_enum
from recipevault.policy import Scoped, Visibility

Quantity = Numeric(12, 4)


def _link_table(name: str, target: str) -> Table:
    return Table(
        name,
        Base.metadata,
        Column("recipe_id", ForeignKey("recipes.id", ondelete="CASCADE"), primary_key=True),
        Column(
            f"{target}_id",
            ForeignKey(f"{target}s.id", ondelete="CASCADE"),
            primary_key=True,
            index=True,
        ),
    )


recipe_tags = _link_table("recipe_tags", "tag")
recipe_categories = Table(
    "recipe_categories",
    Base.metadata,
    Column("recipe_id", ForeignKey("recipes.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "category_id", ForeignKey("categories.id", ondelete="CASCADE"), primary_key=True, index=True
    ),
)
recipe_tools = _link_table("recipe_tools", "tool")


class VocabularyTerm:
    """A household's shared word for something; names are unique ignoring case."""

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(100))
    key: Mapped[str] = mapped_column(String(100), index=True)


class Tag(VocabularyTerm, Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("household_id", "key"),)


class Category(VocabularyTerm, Base):
    __tablename__ = "categories"
    __table_args__ = (UniqueConstraint("household_id", "key"),)


class Tool(VocabularyTerm, Base):
    __tablename__ = "tools"
    __table_args__ = (UniqueConstraint("household_id", "key"),)


class Food(VocabularyTerm, Base):
    """``key`` is the singular form; every spelling that means this food is a ``FoodName``."""

    __tablename__ = "foods"
    __table_args__ = (UniqueConstraint("household_id", "key"),)
    plural_name: Mapped[str | None] = mapped_column(String(100))


class FoodName(Base):
    """Lower-cased spellings (singular, plural, aliases gathered by merges) → one food."""

    __tablename__ = "food_names"
    __table_args__ = (Index("ix_food_names_key", "key"),)

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(100), primary_key=True)
    food_id: Mapped[int] = mapped_column(ForeignKey("foods.id", ondelete="CASCADE"), index=True)


class Unit(VocabularyTerm, Base):
    """``key`` is the canonical unit from ``units.UNITS`` ("tablespoon") or, for units that
    vocabulary does not know, the lower-cased name."""

    __tablename__ = "units"
    __table_args__ = (UniqueConstraint("household_id", "key"),)
    plural_name: Mapped[str | None] = mapped_column(String(100))
    abbreviation: Mapped[str | None] = mapped_column(String(20))


class Recipe(Scoped, CreatedAt, Base):
    __tablename__ = "recipes"
    __table_args__ = (
        CheckConstraint("rating IS NULL OR (rating BETWEEN 1 AND 5)", name="rating_range"),
        Index("ix_recipes_listing_created", "created_at", "id"),
        Index("ix_recipes_listing_updated", "updated_at", "id"),
        Index("ix_recipes_listing_title", "sort_title", "id"),
        Index("ix_recipes_listing_total_time", "sort_total_minutes", "id"),
        Index("ix_recipes_listing_rating", "sort_rating", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    slug: Mapped[str] = mapped_column(String(220), unique=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    servings: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    yield_text: Mapped[str | None] = mapped_column(String(100))
    prep_minutes: Mapped[int | None]
    cook_minutes: Mapped[int | None]
    total_minutes: Mapped[int | None]
    # Whether ``total_minutes`` was given (it may include resting or chilling time); when not, it
    # is ``prep_minutes + cook_minutes``, recomputed whenever either changes.
    total_minutes_given: Mapped[bool] = mapped_column(default=False, server_default=false())
    notes: Mapped[str | None] = mapped_column(Text)
    nutrition: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    source_url: Mapped[str | None] = mapped_column(String(2048))
    attribution: Mapped[str | None] = mapped_column(String(500))
    rating: Mapped[int | None] = mapped_column(SmallInteger)

    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    household_id: Mapped[int | None] = mapped_column(
        ForeignKey("households.id", ondelete="SET NULL"), index=True
    )
    visibility: Mapped[Visibility] = mapped_column(string_enum(Visibility, "visibility"))

    version: Mapped[int] = mapped_column(default=1)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Not indexed: almost every row has NULL here, and an index on it lures SQLite's planner
    # away from the listing indexes into sorting the whole table.
    deleted_at: Mapped[datetime | None]

    # Keyset-friendly sort keys: never NULL, so "(key, id) > (:key, :id)" walks an index.
    sort_title: Mapped[str] = mapped_column(String(200))
    sort_total_minutes: Mapped[int] = mapped_column(Integer)
    sort_rating: Mapped[int] = mapped_column(SmallInteger)
    # Ingredient lines that name a food: the denominator of "cook with what I have".
    food_count: Mapped[int] = mapped_column(default=0)

    ingredients: Mapped[list[RecipeIngredient]] = relationship(
        order_by="RecipeIngredient.position", cascade="all, delete-orphan", lazy="raise"
    )
    steps: Mapped[list[RecipeStep]] = relationship(
        order_by="RecipeStep.position", cascade="all, delete-orphan", lazy="raise"
    )
    tags: Mapped[list[Tag]] = relationship(secondary=recipe_tags, lazy="raise")
    categories: Mapped[list[Category]] = relationship(secondary=recipe_categories, lazy="raise")
    tools: Mapped[list[Tool]] = relationship(secondary=recipe_tools, lazy="raise")
    # Position 0 is the primary image. Rows go with the recipe in the database (ON DELETE
    # CASCADE); their files are removed by whoever deletes the recipe for good.
    images: Mapped[list[RecipeImage]] = relationship(
        order_by="RecipeImage.position",
        cascade="all, delete-orphan",
        passive_deletes=True,
        lazy="raise",
    )


class RecipeIngredient(Base):
    __tablename__ = "recipe_ingredients"
    __table_args__ = (
        Index("ix_recipe_ingredients_recipe_position", "recipe_id", "position"),
        # Covers "which recipes use these foods" (filters, cook-with) without touching rows.
        Index("ix_recipe_ingredients_food_recipe", "food_id", "recipe_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id", ondelete="CASCADE"))
    position: Mapped[int]
    section: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(String(500))
    quantity: Mapped[Decimal | None] = mapped_column(Quantity)
    quantity_max: Mapped[Decimal | None] = mapped_column(Quantity)
    unit_id: Mapped[int | None] = mapped_column(
        ForeignKey("units.id", ondelete="SET NULL"), index=True
    )
    food_id: Mapped[int | None] = mapped_column(ForeignKey("foods.id", ondelete="SET NULL"))
    size: Mapped[str | None] = mapped_column(String(100))
    note: Mapped[str | None] = mapped_column(String(500))
    optional: Mapped[bool] = mapped_column(default=False)

    unit: Mapped[Unit | None] = relationship(lazy="raise")
    food: Mapped[Food | None] = relationship(lazy="raise")


class RecipeStep(Base):
    __tablename__ = "recipe_steps"
    __table_args__ = (Index("ix_recipe_steps_recipe_position", "recipe_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id", ondelete="CASCADE"))
    position: Mapped[int]
    section: Mapped[str | None] = mapped_column(String(100))
    text: Mapped[str] = mapped_column(Text)
    timer_minutes: Mapped[int | None]


class ImageStatus(StrEnum):
    PENDING = "pending"  # stored and checked; its WebP renditions are not made yet
    READY = "ready"
    FAILED = "failed"


class RecipeImage(CreatedAt, Base):
    """An uploaded photo of a recipe. The original is kept in media storage and never served;
    ``variants`` lists its WebP renditions (``{"width", "height", "key"}``), narrowest first.
    The storage keys stay inside: renditions are served at an address made of ``token``
    (see ``images.addresses``)."""

    __tablename__ = "recipe_images"
    __table_args__ = (
        Index("ix_recipe_images_recipe_position", "recipe_id", "position"),
        # Files are kept under the image's id and removed by it after the row is gone, so an id
        # must never be handed out again (SQLite otherwise reuses the largest one once deleted).
        {"sqlite_autoincrement": True},
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id", ondelete="CASCADE"))
    position: Mapped[int]
    status: Mapped[ImageStatus] = mapped_column(
        string_enum(ImageStatus, "image_status"), default=ImageStatus.PENDING
    )
    original_key: Mapped[str] = mapped_column(String(512))
    content_type: Mapped[str] = mapped_column(String(50))
    width: Mapped[int]
    height: Mapped[int]
    variants: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    error: Mapped[str | None] = mapped_column(String(500))
    # Random, derived from neither the content nor an id; replaced once the recipe is no
    # longer public, if this one was ever served as a public address.
    token: Mapped[str] = mapped_column(String(32), unique=True)
    token_public: Mapped[bool] = mapped_column(default=False)


class RecipeRevision(Base):
    """The recipe as it was before an update, kept in full so it can be shown and restored."""

    __tablename__ = "recipe_revisions"
    __table_args__ = (UniqueConstraint("recipe_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    recipe_id: Mapped[int] = mapped_column(ForeignKey("recipes.id", ondelete="CASCADE"))
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    changed_fields: Mapped[list[str]] = mapped_column(JSON)
    snapshot: Mapped[dict[str, Any]] = mapped_column(JSON)


class RecipeDocument(Base):
    """The recipe and its list summary, serialized once per write and served as bytes.

    Kept in step with every change that alters what a reader sees (the recipe itself, and
    renames or merges of the vocabulary it uses), inside the same transaction."""

    __tablename__ = "recipe_documents"

    recipe_id: Mapped[int] = mapped_column(
        ForeignKey("recipes.id", ondelete="CASCADE"), primary_key=True
    )
    etag: Mapped[str] = mapped_column(String(40))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    summary: Mapped[bytes] = mapped_column(LargeBinary)
