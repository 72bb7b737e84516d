"""Meal planner: a household's meal slots, its planned entries, templates and rotations, and
calendar feeds. recipevault/planner/ owns these tables.

Revision ID: d94a323e88a2
Revises: e4a463bb4dd6
Create Date: 2026-12-07 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d94a323e88a2"
down_revision: str | None = "e4a463bb4dd6"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "calendar_feeds",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_calendar_feeds_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_calendar_feeds_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_calendar_feeds")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_calendar_feeds_token_hash")),
    )
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_calendar_feeds_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "meal_plan_templates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_meal_plan_templates_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meal_plan_templates")),
        sa.UniqueConstraint(
            "household_id", "name", name=op.f("uq_meal_plan_templates_household_id_name")
        ),
    )
    op.create_table(
        "meal_planners",
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_meal_planners_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("household_id", name=op.f("pk_meal_planners")),
    )
    op.create_table(
        "meal_slots",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("time", sa.Time(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_meal_slots_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meal_slots")),
    )
    with op.batch_alter_table("meal_slots", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meal_slots_household_position", ["household_id", "position"], unique=False
        )

    op.create_table(
        "meal_plan_rotations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("every_weeks", sa.Integer(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "every_weeks >= 1", name=op.f("ck_meal_plan_rotations_every_weeks_positive")
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_meal_plan_rotations_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["meal_plan_templates.id"],
            name=op.f("fk_meal_plan_rotations_template_id_meal_plan_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meal_plan_rotations")),
    )
    with op.batch_alter_table("meal_plan_rotations", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meal_plan_rotations_household_id"), ["household_id"], unique=False
        )

    op.create_table(
        "meal_plan_template_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("template_id", sa.Integer(), nullable=False),
        sa.Column("weekday", sa.Integer(), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=True),
        sa.Column("servings", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("cook_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("days >= 1", name=op.f("ck_meal_plan_template_entries_days_positive")),
        sa.CheckConstraint(
            "weekday BETWEEN 0 AND 6", name=op.f("ck_meal_plan_template_entries_weekday_range")
        ),
        sa.ForeignKeyConstraint(
            ["cook_id"],
            ["users.id"],
            name=op.f("fk_meal_plan_template_entries_cook_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_meal_plan_template_entries_recipe_id_recipes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["meal_slots.id"],
            name=op.f("fk_meal_plan_template_entries_slot_id_meal_slots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_id"],
            ["meal_plan_templates.id"],
            name=op.f("fk_meal_plan_template_entries_template_id_meal_plan_templates"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meal_plan_template_entries")),
    )
    with op.batch_alter_table("meal_plan_template_entries", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_meal_plan_template_entries_template_id"), ["template_id"], unique=False
        )

    op.create_table(
        "meal_plan_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("household_id", sa.Integer(), nullable=False),
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("end_date", sa.Date(), nullable=False),
        sa.Column("slot_id", sa.Integer(), nullable=False),
        sa.Column("recipe_id", sa.Integer(), nullable=True),
        sa.Column("servings", sa.Numeric(precision=10, scale=3), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("cook_id", sa.Integer(), nullable=True),
        sa.Column("leftovers_of_id", sa.Integer(), nullable=True),
        sa.Column("template_entry_id", sa.Integer(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sequence", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("end_date >= date", name=op.f("ck_meal_plan_entries_ends_after_start")),
        sa.CheckConstraint(
            "servings IS NULL OR servings > 0", name=op.f("ck_meal_plan_entries_servings_positive")
        ),
        sa.ForeignKeyConstraint(
            ["cook_id"],
            ["users.id"],
            name=op.f("fk_meal_plan_entries_cook_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"],
            ["users.id"],
            name=op.f("fk_meal_plan_entries_created_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["household_id"],
            ["households.id"],
            name=op.f("fk_meal_plan_entries_household_id_households"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["leftovers_of_id"],
            ["meal_plan_entries.id"],
            name=op.f("fk_meal_plan_entries_leftovers_of_id_meal_plan_entries"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["recipe_id"],
            ["recipes.id"],
            name=op.f("fk_meal_plan_entries_recipe_id_recipes"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["slot_id"],
            ["meal_slots.id"],
            name=op.f("fk_meal_plan_entries_slot_id_meal_slots"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["template_entry_id"],
            ["meal_plan_template_entries.id"],
            name=op.f("fk_meal_plan_entries_template_entry_id_meal_plan_template_entries"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meal_plan_entries")),
        sa.UniqueConstraint(
            "template_entry_id", "date", name=op.f("uq_meal_plan_entries_template_entry_id_date")
        ),
    )
    with op.batch_alter_table("meal_plan_entries", schema=None) as batch_op:
        batch_op.create_index(
            "ix_meal_plan_entries_household_date", ["household_id", "date"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meal_plan_entries_leftovers_of_id"), ["leftovers_of_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_meal_plan_entries_recipe_id"), ["recipe_id"], unique=False
        )
        batch_op.create_index(batch_op.f("ix_meal_plan_entries_slot_id"), ["slot_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("meal_plan_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meal_plan_entries_slot_id"))
        batch_op.drop_index(batch_op.f("ix_meal_plan_entries_recipe_id"))
        batch_op.drop_index(batch_op.f("ix_meal_plan_entries_leftovers_of_id"))
        batch_op.drop_index("ix_meal_plan_entries_household_date")

    op.drop_table("meal_plan_entries")
    with op.batch_alter_table("meal_plan_template_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meal_plan_template_entries_template_id"))

    op.drop_table("meal_plan_template_entries")
    with op.batch_alter_table("meal_plan_rotations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_meal_plan_rotations_household_id"))

    op.drop_table("meal_plan_rotations")
    with op.batch_alter_table("meal_slots", schema=None) as batch_op:
        batch_op.drop_index("ix_meal_slots_household_position")

    op.drop_table("meal_slots")
    op.drop_table("meal_planners")
    op.drop_table("meal_plan_templates")
    with op.batch_alter_table("calendar_feeds", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_calendar_feeds_household_id"))

    op.drop_table("calendar_feeds")
