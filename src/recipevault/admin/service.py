"""Admin use cases: the user directory, roles, deactivation, unlocking, site settings."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from recipevault import site_settings
from recipevault.accounts import directory
from recipevault.accounts import service as accounts
from recipevault.accounts.models import Role, User
from recipevault.audit import service as audit
from recipevault.config import Settings
from recipevault.errors import Conflict
from recipevault.policy import Actor


@dataclass(frozen=True, slots=True)
class SiteOverview:
    users: int
    admins: int
    deactivated: int
    registration_open: bool


async def set_registration_open(
    session: AsyncSession, *, actor: Actor, open_: bool, ip: str | None
) -> bool:
    await site_settings.store(session, site_settings.REGISTRATION_OPEN, open_)
    audit.record(
        session,
        action="admin.registration_" + ("opened" if open_ else "closed"),
        actor_id=actor.user_id,
        ip=ip,
    )
    return open_


async def overview(session: AsyncSession, *, settings: Settings) -> SiteOverview:
    """The numbers the admin home page starts with."""
    counts = await directory.account_counts(session)
    return SiteOverview(
        users=counts.users,
        admins=counts.admins,
        deactivated=counts.deactivated,
        registration_open=await site_settings.registration_open(session, settings=settings),
    )


async def update_user(
    session: AsyncSession,
    *,
    actor: Actor,
    user_id: int,
    role: Role | None,
    is_active: bool | None,
    ip: str | None,
) -> User:
    user = await accounts.get_user(session, user_id)
    losing_admin = user.role == Role.ADMIN and (
        (role is not None and role != Role.ADMIN) or is_active is False
    )
    if user.id == actor.user_id and is_active is False:
        # Signed out at once, with no way back in unless another admin notices.
        raise Conflict("You cannot deactivate your own account; ask another admin.")
    if losing_admin and not await directory.other_active_admins(session, user.id):
        raise Conflict("This is the last active admin; make someone else an admin first.")
    if role == Role.ADMIN and user.is_demo:
        raise Conflict("The demo account's password is public: it cannot be an admin.")
    if role is not None and role != user.role:
        audit.record(
            session,
            action="admin.role_changed",
            actor_id=actor.user_id,
            ip=ip,
            target_type="user",
            target_id=user.id,
            details={"from": user.role.value, "to": role.value},
        )
        user.role = role
    if is_active is not None and is_active != user.is_active:
        if is_active:
            user.is_active = True
        else:
            await accounts.deactivate(session, user)
        audit.record(
            session,
            action="admin.user_" + ("reactivated" if is_active else "deactivated"),
            actor_id=actor.user_id,
            ip=ip,
            target_type="user",
            target_id=user.id,
        )
    return user


async def unlock_user(session: AsyncSession, *, actor: Actor, user_id: int, ip: str | None) -> User:
    user = await accounts.get_user(session, user_id)
    accounts.unlock(user)
    audit.record(
        session,
        action="admin.user_unlocked",
        actor_id=actor.user_id,
        ip=ip,
        target_type="user",
        target_id=user.id,
    )
    return user
