"""Enumerations stored in the database as short strings with a CHECK constraint."""

from __future__ import annotations

from enum import StrEnum

import sqlalchemy as sa


def string_enum(enum: type[StrEnum], name: str) -> sa.Enum:
    """A portable column type: VARCHAR plus a named CHECK constraint, values as stored text."""
    return sa.Enum(
        enum,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(member.value) for member in enum),
        values_callable=lambda members: [member.value for member in members],
        validate_strings=True,
    )
