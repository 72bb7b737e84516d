"""Units as written: a person's unit preference may be "original" (recipes shown in the units
they were written in, no conversion), and that is now everyone's default.

Metric was the default before and nobody could choose "as written", so a stored "metric" cannot
tell a choice from the default: those accounts move to "original" and may choose metric again.
"us" was always a choice, and stays.

On SQLite the column's CHECK constraint and declared length are changed in the stored schema,
as SQLite documents for changes that leave the table's data as it is ("Making Other Kinds Of
Table Schema Changes" in its ALTER TABLE page). Rebuilding the table instead, as a batch
operation does, would drop ``users`` with foreign keys enforced, and every row that references a
user with ON DELETE CASCADE (recipes, sessions, jobs ...) would go with it.

Revision ID: f0388d5b745a
Revises: a7c4e1f9b3d2
Create Date: 2026-12-07 09:00:00
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "f0388d5b745a"
down_revision: str | None = "a7c4e1f9b3d2"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CONSTRAINT = "ck_users_unit_system"
BEFORE = ("metric", "us")
AFTER = ("original", "metric", "us")


def _listed(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _sqlite_schema(values: tuple[str, ...], length: int) -> None:
    connection = op.get_bind()
    sql = connection.exec_driver_sql(
        "SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'users'"
    ).scalar_one()
    changed, checks = re.subn(
        rf"(CONSTRAINT\s+{CONSTRAINT}\s+CHECK\s*\(\s*unit_system\s+IN\s*\()[^)]*\)",
        lambda match: f"{match.group(1)}{_listed(values)})",
        sql,
    )
    changed, columns = re.subn(
        r"(\bunit_system\s+VARCHAR)\(\d+\)", rf"\g<1>({length})", changed, count=1
    )
    if (checks, columns) != (1, 1):
        raise RuntimeError("users.unit_system is not declared as this migration expects")
    version = connection.exec_driver_sql("PRAGMA schema_version").scalar_one()
    connection.exec_driver_sql("PRAGMA writable_schema = ON")
    connection.exec_driver_sql(
        "UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = 'users'", (changed,)
    )
    connection.exec_driver_sql(f"PRAGMA schema_version = {int(version) + 1}")
    connection.exec_driver_sql("PRAGMA writable_schema = OFF")


def _allow(values: tuple[str, ...], length: int, previous_length: int) -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_schema(values, length)
        return
    op.drop_constraint(op.f(CONSTRAINT), "users", type_="check")
    op.alter_column(
        "users",
        "unit_system",
        existing_type=sa.String(length=previous_length),
        type_=sa.String(length=length),
        existing_nullable=False,
    )
    op.create_check_constraint(op.f(CONSTRAINT), "users", f"unit_system IN ({_listed(values)})")


def upgrade() -> None:
    _allow(AFTER, 8, 6)
    op.execute("UPDATE users SET unit_system = 'original' WHERE unit_system = 'metric'")


def downgrade() -> None:
    op.execute("UPDATE users SET unit_system = 'metric' WHERE unit_system = 'original'")
    _allow(BEFORE, 6, 8)
