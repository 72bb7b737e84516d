"""The accounts as a whole, for the people who run the site: how many there are, finding
them, and whether someone else could still administer it."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.models import Role, User
from recipevault.http.pagination import Page, decode_id_cursor, encode_cursor


@dataclass(frozen=True, slots=True)
class AccountCounts:
    users: int
    admins: int
    deactivated: int


async def account_counts(session: AsyncSession) -> AccountCounts:
    users, admins, deactivated = (
        await session.execute(
            select(
                func.count(),
                func.count().filter(User.role == Role.ADMIN),
                func.count().filter(User.is_active.is_(False)),
            ).select_from(User)
        )
    ).one()
    return AccountCounts(users=users, admins=admins, deactivated=deactivated)


def _escape_like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def find_accounts(
    session: AsyncSession, *, q: str | None, limit: int, cursor: str | None
) -> Page[User]:
    """Accounts in the order they were made, those whose email or name holds ``q`` (any
    case) when it is given, a page at a time."""
    query = select(User).order_by(User.id).limit(limit + 1)
    if q:
        pattern = f"%{_escape_like(q.lower())}%"
        query = query.where(
            or_(
                User.email.like(pattern, escape="\\"),
                func.lower(User.display_name).like(pattern, escape="\\"),
            )
        )
    if cursor:
        query = query.where(User.id > decode_id_cursor(cursor))
    users = list((await session.scalars(query)).all())
    more = len(users) > limit
    users = users[:limit]
    return Page(items=users, next=encode_cursor({"id": users[-1].id}) if more else None)


async def other_active_admins(session: AsyncSession, user_id: int) -> int:
    """How many active admins there are besides ``user_id``."""
    return (
        await session.scalar(
            select(func.count())
            .select_from(User)
            .where(User.role == Role.ADMIN, User.is_active.is_(True), User.id != user_id)
        )
    ) or 0
