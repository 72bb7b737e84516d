"""A list's live items indexed by checked, checked at and id, removed items left out: reading a
list (its open items, its items checked last, how many are checked) and paging its checked
history read the index alone, however long the history of removed items.

Revision ID: 3c5e8f2a7b19
Revises: ddb9739cea46
Create Date: 2026-12-07 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c5e8f2a7b19"
down_revision: str | None = "ddb9739cea46"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_LIVE = sa.text("deleted_at IS NULL")


def upgrade() -> None:
    with op.batch_alter_table("shopping_items", schema=None) as batch_op:
        batch_op.drop_index("ix_shopping_items_list_checked")
        batch_op.create_index(
            "ix_shopping_items_live",
            ["list_id", "checked", "checked_at", "id"],
            unique=False,
            sqlite_where=_LIVE,
            postgresql_where=_LIVE,
        )


def downgrade() -> None:
    with op.batch_alter_table("shopping_items", schema=None) as batch_op:
        batch_op.drop_index("ix_shopping_items_live")
        batch_op.create_index(
            "ix_shopping_items_list_checked", ["list_id", "checked", "checked_at"], unique=False
        )
