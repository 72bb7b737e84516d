"""The demo account is marked as such and is never an admin.

Its password is printed in the README, yet on sites where the demo loader made the first
account, that account became the site admin. It is marked ``is_demo`` (found by the address the
loader gives it) and, where it holds the admin role, demoted to member, with an entry in the
audit log. No one is promoted in its place: if it was the only admin, make one with
``recipevault users create --admin``.

Revision ID: a7c2e9d4f6b1
Revises: 3b5b4cb3876b
Create Date: 2026-12-07 09:00:00
"""

import logging
from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "a7c2e9d4f6b1"
down_revision: str | None = "3b5b4cb3876b"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The address the demo loader registers its account under (recipevault.demo.loader), kept here
# as it was when this migration was written.
DEMO_EMAIL = "demo@example.com"
REASON = "the demo account's password is public; it is never an admin"

log = logging.getLogger("alembic.runtime.migration")
users = sa.table(
    "users",
    sa.column("id", sa.Integer()),
    sa.column("email", sa.String()),
    sa.column("role", sa.String()),
    sa.column("is_active", sa.Boolean()),
    sa.column("is_demo", sa.Boolean()),
)
audit_events = sa.table(
    "audit_events",
    sa.column("created_at", sa.DateTime(timezone=True)),
    sa.column("actor_id", sa.Integer()),
    sa.column("action", sa.String()),
    sa.column("target_type", sa.String()),
    sa.column("target_id", sa.String()),
    sa.column("ip", sa.String()),
    sa.column("details", sa.JSON()),
)


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("is_demo", sa.Boolean(), server_default=sa.false(), nullable=False)
        )
    bind = op.get_bind()
    bind.execute(users.update().where(users.c.email == DEMO_EMAIL).values(is_demo=True))
    demoted = (
        bind.execute(sa.select(users.c.id).where(users.c.is_demo, users.c.role == "admin"))
        .scalars()
        .all()
    )
    if not demoted:
        return
    bind.execute(users.update().where(users.c.id.in_(demoted)).values(role="member"))
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored as naive UTC, as the app writes it
    bind.execute(
        audit_events.insert(),
        [
            {
                "created_at": now,
                "actor_id": None,
                "action": "admin.role_changed",
                "target_type": "user",
                "target_id": str(user_id),
                "ip": None,
                "details": {"from": "admin", "to": "member", "reason": REASON},
            }
            for user_id in demoted
        ],
    )
    admins_left = bind.execute(
        sa.select(sa.func.count())
        .select_from(users)
        .where(users.c.role == "admin", users.c.is_active)
    ).scalar_one()
    log.warning(
        "The demo account was an admin and is now a member.%s",
        ""
        if admins_left
        else " No admin is left: make one with `recipevault users create --admin`.",
    )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("is_demo")
