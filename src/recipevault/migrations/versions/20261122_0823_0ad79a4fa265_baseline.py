"""Baseline: the empty schema every later revision builds on.

Revision ID: 0ad79a4fa265
Revises:
Create Date: 2026-11-22 08:23:56
"""

from collections.abc import Sequence

revision: str = "0ad79a4fa265"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
