"""Shopping list tables. A list belongs to a household, and every member reads and changes it.

Every change to a list is an operation numbered by the list (``ShoppingList.sequence``), so a
device that has seen a list up to some number can ask what changed since; an operation carries
the id its client gave it, so sending it again changes nothing. A removed item stays as a
marker (``deleted_at``) for ``TOMBSTONE_DAYS``, so that a device that was offline learns it went.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import JSON, ForeignKey, Index, Numeric, String, UniqueConstraint, column
from sqlalchemy.orm import Mapped, mapped_column

from recipevault.clock import utcnow
from recipevault.db import Base, CreatedAt

LIST_NAME_LENGTH = 100
TEXT_LENGTH = 500
FOOD_LENGTH = 100
UNIT_LENGTH = 50
SIZE_LENGTH = 100
NOTE_LENGTH = 500
AISLE_LENGTH = 100
OP_ID_LENGTH = 64
STORE_NAME_LENGTH = 100
MAX_AISLES = 100
TOMBSTONE_DAYS = 30


class ShoppingList(CreatedAt, Base):
    """A named list of a household ("Weekly", "Hardware store")."""

    __tablename__ = "shopping_lists"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(LIST_NAME_LENGTH))
    # The number of the list's last operation: one more for each change.
    sequence: Mapped[int] = mapped_column(default=0)
    # Markers of items removed up to this operation have been swept: a device that saw the
    # list before it cannot learn what changed since, and reads the whole list again.
    swept_seq: Mapped[int] = mapped_column(default=0)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ShoppingItem(CreatedAt, Base):
    """A line of a list: "700 g flour", "2 onions", "birthday candles": one food, its amounts
    being its parts (``ShoppingItemSource``: typed in, or brought by recipes and planned meals).

    ``text`` is the line as first typed (or the food a recipe brought), ``food`` the food read
    from it (``food_id`` when the household's foods vocabulary knows it). ``changed_seq``
    is the number of the operation that last changed it; a removed item keeps its row with
    ``deleted_at`` and ``deleted_seq`` until the markers are swept."""

    __tablename__ = "shopping_items"
    __table_args__ = (
        # "What changed since N" and the list itself (open items in order) both start here.
        Index("ix_shopping_items_list_changed", "list_id", "changed_seq"),
        Index("ix_shopping_items_list_food_key", "list_id", "food_key"),
        # A list's open items, its items checked last (a page at a time: checked at, id) and
        # how many are checked, from the index alone: removed items' markers are not in it.
        Index(
            "ix_shopping_items_live",
            "list_id",
            "checked",
            "checked_at",
            "id",
            sqlite_where=column("deleted_at").is_(None),
            postgresql_where=column("deleted_at").is_(None),
        ),
        Index("ix_shopping_items_deleted_at", "deleted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("shopping_lists.id", ondelete="CASCADE"))
    position: Mapped[int]
    text: Mapped[str] = mapped_column(String(TEXT_LENGTH))
    food: Mapped[str | None] = mapped_column(String(FOOD_LENGTH))
    # What makes two items the same food (``foods.food_key``): what is added joins its item.
    food_key: Mapped[str | None] = mapped_column(String(FOOD_LENGTH))
    food_id: Mapped[int | None] = mapped_column(
        ForeignKey("foods.id", ondelete="SET NULL"), index=True
    )
    note: Mapped[str | None] = mapped_column(String(NOTE_LENGTH))
    aisle: Mapped[str | None] = mapped_column(String(AISLE_LENGTH))
    checked: Mapped[bool] = mapped_column(default=False)
    checked_at: Mapped[dt.datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    changed_seq: Mapped[int]
    deleted_seq: Mapped[int | None]
    deleted_at: Mapped[dt.datetime | None]


class ShoppingOperation(CreatedAt, Base):
    """A change made to a list: its client's id (the same id again changes nothing) and the
    number the list gave it."""

    __tablename__ = "shopping_operations"
    __table_args__ = (Index("ix_shopping_operations_created_at", "created_at"),)

    list_id: Mapped[int] = mapped_column(
        ForeignKey("shopping_lists.id", ondelete="CASCADE"), primary_key=True
    )
    op_id: Mapped[str] = mapped_column(String(OP_ID_LENGTH), primary_key=True)
    sequence: Mapped[int]
    kind: Mapped[str] = mapped_column(String(30))
    # The item it made or changed (none for changes of the whole list); no foreign key, as
    # the record of the operation outlives the item's marker.
    item_id: Mapped[int | None]
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class ShoppingFood(Base):
    """What a household buys, by food: the name it last typed it under, the aisle it goes in
    (remembered once someone sets it), and how often and when it was last put on a list, for
    suggesting items as someone types."""

    __tablename__ = "shopping_foods"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )
    key: Mapped[str] = mapped_column(String(FOOD_LENGTH), primary_key=True)
    name: Mapped[str] = mapped_column(String(FOOD_LENGTH))
    aisle: Mapped[str | None] = mapped_column(String(AISLE_LENGTH))
    # Always in the house (salt, oil): what recipes need of it is not added unless asked for.
    staple: Mapped[bool] = mapped_column(default=False)
    uses: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[dt.datetime] = mapped_column(default=utcnow)


class ShoppingStore(CreatedAt, Base):
    """A shop a household goes to, with its aisles in the order one walks them."""

    __tablename__ = "shopping_stores"
    __table_args__ = (UniqueConstraint("household_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(STORE_NAME_LENGTH))
    aisles: Mapped[list[str]] = mapped_column(JSON, default=list)


class ShoppingAddition(CreatedAt, Base):
    """A recipe put on a list at some servings, directly or as a meal plan entry: what it
    brought stays linked to it (``ShoppingItemSource``), so removing it takes away exactly
    that. A plan entry is put on a list once."""

    __tablename__ = "shopping_additions"
    __table_args__ = (UniqueConstraint("list_id", "plan_entry_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    list_id: Mapped[int] = mapped_column(ForeignKey("shopping_lists.id", ondelete="CASCADE"))
    recipe_id: Mapped[int | None] = mapped_column(
        ForeignKey("recipes.id", ondelete="SET NULL"), index=True
    )
    plan_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("meal_plan_entries.id", ondelete="SET NULL"), index=True
    )
    servings: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))


class ShoppingItemSource(Base):
    """A part of an item: an amount typed in (no addition), or what an addition brought (an
    ingredient line at the addition's servings)."""

    __tablename__ = "shopping_item_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(
        ForeignKey("shopping_items.id", ondelete="CASCADE"), index=True
    )
    addition_id: Mapped[int | None] = mapped_column(
        ForeignKey("shopping_additions.id", ondelete="CASCADE"), index=True
    )
    text: Mapped[str] = mapped_column(String(TEXT_LENGTH))
    quantity: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    quantity_max: Mapped[Decimal | None] = mapped_column(Numeric(12, 4))
    unit: Mapped[str | None] = mapped_column(String(UNIT_LENGTH))
    size: Mapped[str | None] = mapped_column(String(SIZE_LENGTH))
    food: Mapped[str | None] = mapped_column(String(FOOD_LENGTH))
