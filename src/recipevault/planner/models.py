"""Meal planner tables. Everything belongs to a household, and every member reads and edits it."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from recipevault.clock import utcnow
from recipevault.db import Base, CreatedAt

TITLE_LENGTH = 200
NOTE_LENGTH = 2000
SLOT_NAME_LENGTH = 50
TEMPLATE_NAME_LENGTH = 100


class Planner(CreatedAt, Base):
    """A household that has started planning: its default slots were made then, once."""

    __tablename__ = "meal_planners"

    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), primary_key=True
    )


class MealSlot(Base):
    """A meal of the day (Breakfast 08:00, Dinner 19:00, Snack), in the household's order."""

    __tablename__ = "meal_slots"
    __table_args__ = (Index("ix_meal_slots_household_position", "household_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(SLOT_NAME_LENGTH))
    time: Mapped[dt.time | None] = mapped_column(Time)
    position: Mapped[int]


class MealPlanEntry(CreatedAt, Base):
    """What is planned for a slot on a day (or several days, up to ``end_date``): a recipe at a
    number of servings, a note alone ("Eating out"), or the leftovers of another entry."""

    __tablename__ = "meal_plan_entries"
    __table_args__ = (
        CheckConstraint("end_date >= date", name="ends_after_start"),
        CheckConstraint("servings IS NULL OR servings > 0", name="servings_positive"),
        Index("ix_meal_plan_entries_household_date", "household_id", "date"),
        # Applying a template to a week twice plans each of its entries once.
        UniqueConstraint("template_entry_id", "date"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    slot_id: Mapped[int] = mapped_column(
        ForeignKey("meal_slots.id", ondelete="CASCADE"), index=True
    )
    recipe_id: Mapped[int | None] = mapped_column(
        ForeignKey("recipes.id", ondelete="SET NULL"), index=True
    )
    servings: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    title: Mapped[str | None] = mapped_column(String(TITLE_LENGTH))
    note: Mapped[str | None] = mapped_column(Text)
    cook_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    leftovers_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("meal_plan_entries.id", ondelete="SET NULL"), index=True
    )
    template_entry_id: Mapped[int | None] = mapped_column(
        ForeignKey("meal_plan_template_entries.id", ondelete="SET NULL")
    )
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    # The iCalendar SEQUENCE: one more each time the entry changes.
    sequence: Mapped[int] = mapped_column(default=0)


class MealPlanTemplate(CreatedAt, Base):
    """A week saved under a name, to plan any week the same way."""

    __tablename__ = "meal_plan_templates"
    __table_args__ = (UniqueConstraint("household_id", "name"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(ForeignKey("households.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(TEMPLATE_NAME_LENGTH))


class MealPlanTemplateEntry(Base):
    """An entry of a template: its day of the week (0 is Monday) and how many days it spans."""

    __tablename__ = "meal_plan_template_entries"
    __table_args__ = (
        CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday_range"),
        CheckConstraint("days >= 1", name="days_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("meal_plan_templates.id", ondelete="CASCADE"), index=True
    )
    weekday: Mapped[int]
    days: Mapped[int] = mapped_column(default=1)
    slot_id: Mapped[int] = mapped_column(ForeignKey("meal_slots.id", ondelete="CASCADE"))
    recipe_id: Mapped[int | None] = mapped_column(ForeignKey("recipes.id", ondelete="SET NULL"))
    servings: Mapped[Decimal | None] = mapped_column(Numeric(10, 3))
    title: Mapped[str | None] = mapped_column(String(TITLE_LENGTH))
    note: Mapped[str | None] = mapped_column(Text)
    cook_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))


class MealPlanRotation(CreatedAt, Base):
    """A template planned every ``every_weeks`` weeks from the week of ``start_date``."""

    __tablename__ = "meal_plan_rotations"
    __table_args__ = (CheckConstraint("every_weeks >= 1", name="every_weeks_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    template_id: Mapped[int] = mapped_column(
        ForeignKey("meal_plan_templates.id", ondelete="CASCADE")
    )
    start_date: Mapped[dt.date] = mapped_column(Date)
    every_weeks: Mapped[int]
    end_date: Mapped[dt.date | None] = mapped_column(Date)
    # The weeks starting on or before this day are planned (planning ahead goes on from here).
    planned_through: Mapped[dt.date | None] = mapped_column(Date)


class CalendarFeed(CreatedAt, Base):
    """A secret address at which a calendar app reads the household's plan. Only a digest of
    its token is kept; a revoked feed answers 404."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(primary_key=True)
    household_id: Mapped[int] = mapped_column(
        ForeignKey("households.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    revoked_at: Mapped[dt.datetime | None]
