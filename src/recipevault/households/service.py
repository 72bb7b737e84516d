"""Household use cases: membership, invitations and ownership.

Members see their households; owners manage them; admins see and manage all. A household a
viewer may not see answers "not found", like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, Select, delete, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts import auth
from recipevault.accounts import service as accounts
from recipevault.accounts.credentials import hash_secret, new_invite_code, normalize_invite_code
from recipevault.accounts.models import User
from recipevault.audit import service as audit
from recipevault.clock import utcnow
from recipevault.errors import Conflict, Forbidden, NotFound
from recipevault.households.models import Household, HouseholdInvite, HouseholdMember, MemberRole
from recipevault.policy import Actor


class HouseholdNotFound(NotFound):
    title = "Household not found"


class InviteInvalid(NotFound):
    title = "Invite not valid"


@dataclass(frozen=True, slots=True)
class HouseholdView:
    household: Household
    role: MemberRole | None
    member_count: int


@dataclass(frozen=True, slots=True)
class MemberView:
    user_id: int
    display_name: str
    role: MemberRole
    joined_at: datetime


def _record(
    session: AsyncSession, action: str, actor: Actor, household_id: int, ip: str | None
) -> None:
    audit.record(
        session,
        action=action,
        actor_id=actor.user_id,
        ip=ip,
        target_type="household",
        target_id=household_id,
    )


async def _view(
    session: AsyncSession, household: Household, role: MemberRole | None
) -> HouseholdView:
    counts = await _member_counts(session, [household.id])
    return HouseholdView(household=household, role=role, member_count=counts.get(household.id, 0))


async def memberships(session: AsyncSession, user_id: int) -> list[tuple[int, MemberRole]]:
    rows = await session.execute(
        select(HouseholdMember.household_id, HouseholdMember.role).where(
            HouseholdMember.user_id == user_id
        )
    )
    return [(household_id, role) for household_id, role in rows]


async def households_of(session: AsyncSession, user_id: int) -> list[tuple[int, bool]]:
    """The user's households, each with whether they own it: what their actor carries."""
    return [(h, role == MemberRole.OWNER) for h, role in await memberships(session, user_id)]


auth.read_households_with(
    select(
        HouseholdMember.user_id,
        HouseholdMember.household_id,
        (HouseholdMember.role == MemberRole.OWNER).label("owns"),
    ).subquery("memberships")
)


def households_listed(user_id: ColumnElement[int]) -> Select[int, str, bool]:
    """The households of the person ``user_id`` names, for other features' statements: id,
    name and whether it is their personal one (``list_households`` lists the personal one
    first, then by name)."""
    return (
        select(Household.id, Household.name, Household.is_personal)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.user_id == user_id)
    )


def _add_member(
    session: AsyncSession, household: Household, user_id: int, role: MemberRole
) -> None:
    session.add(HouseholdMember(household_id=household.id, user_id=user_id, role=role))


async def personal_household_id(session: AsyncSession, user_id: int) -> int:
    """The user's personal household, or, should they have left it, their oldest one."""
    rows = await session.execute(
        select(Household.id)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.user_id == user_id)
        .order_by(Household.is_personal.desc(), Household.id)
        .limit(1)
    )
    return int(rows.scalar_one())


async def household_named(session: AsyncSession, *, user_id: int, name: str) -> int | None:
    """The id of a household called ``name`` that the user is a member of, if there is one."""
    found: int | None = await session.scalar(
        select(Household.id)
        .join(HouseholdMember, HouseholdMember.household_id == Household.id)
        .where(HouseholdMember.user_id == user_id, Household.name == name)
    )
    return found


def name_of(household_id: ColumnElement[int | None]) -> ScalarSelect[str]:
    """The name of the household ``household_id`` names (NULL for none), as a column for other
    features' statements (looked up by primary key, row by row)."""
    return select(Household.name).where(Household.id == household_id).scalar_subquery()


async def household_exists(session: AsyncSession, household_id: int) -> bool:
    return await session.get(Household, household_id) is not None


async def require_household(session: AsyncSession, actor: Actor, household_id: int) -> None:
    """Refuse (404) a household whose things (its meal plan, its shopping lists) ``actor`` may
    not keep: any but their own, except for admins (who manage every household that exists).
    Features that keep things per household ask this, so that they agree on who may."""
    if actor.in_household(household_id):
        return
    if not actor.is_admin or not await household_exists(session, household_id):
        raise HouseholdNotFound()


async def create_personal_household(session: AsyncSession, *, user: User) -> Household:
    household = Household(name=f"{user.display_name}'s kitchen"[:100], is_personal=True)
    session.add(household)
    await session.flush()
    _add_member(session, household, user.id, MemberRole.OWNER)
    return household


async def create_household(
    session: AsyncSession, *, actor: Actor, name: str, ip: str | None
) -> HouseholdView:
    household = Household(name=name)
    session.add(household)
    await session.flush()
    _add_member(session, household, actor.user_id, MemberRole.OWNER)
    _record(session, "household.created", actor, household.id, ip)
    return HouseholdView(household=household, role=MemberRole.OWNER, member_count=1)


async def _member_counts(session: AsyncSession, household_ids: list[int]) -> dict[int, int]:
    if not household_ids:
        return {}
    rows = await session.execute(
        select(HouseholdMember.household_id, func.count())
        .where(HouseholdMember.household_id.in_(household_ids))
        .group_by(HouseholdMember.household_id)
    )
    return dict(rows.all())


async def list_households(session: AsyncSession, *, actor: Actor) -> list[HouseholdView]:
    rows = (
        await session.execute(
            select(Household, HouseholdMember.role)
            .join(HouseholdMember, HouseholdMember.household_id == Household.id)
            .where(HouseholdMember.user_id == actor.user_id)
            .order_by(Household.is_personal.desc(), Household.name, Household.id)
        )
    ).all()
    counts = await _member_counts(session, [household.id for household, _ in rows])
    return [
        HouseholdView(household=household, role=role, member_count=counts.get(household.id, 0))
        for household, role in rows
    ]


async def _visible_household(
    session: AsyncSession, actor: Actor, household_id: int
) -> tuple[Household, MemberRole | None]:
    household = await session.get(Household, household_id)
    if household is None:
        raise HouseholdNotFound()
    role = await session.scalar(
        select(HouseholdMember.role).where(
            HouseholdMember.household_id == household_id,
            HouseholdMember.user_id == actor.user_id,
        )
    )
    if role is None and not actor.is_admin:
        raise HouseholdNotFound()
    return household, role


async def _managed_household(
    session: AsyncSession, actor: Actor, household_id: int
) -> tuple[Household, MemberRole | None]:
    household, role = await _visible_household(session, actor, household_id)
    if role != MemberRole.OWNER and not actor.is_admin:
        raise Forbidden("Only the household's owner can do that.")
    return household, role


async def get_household(
    session: AsyncSession, *, actor: Actor, household_id: int
) -> tuple[HouseholdView, list[MemberView]]:
    household, role = await _visible_household(session, actor, household_id)
    members = await _members(session, household_id)
    return HouseholdView(household=household, role=role, member_count=len(members)), members


async def _members(
    session: AsyncSession, household_id: int, *, user_id: int | None = None
) -> list[MemberView]:
    query = (
        select(HouseholdMember)
        .where(HouseholdMember.household_id == household_id)
        .order_by(HouseholdMember.joined_at, HouseholdMember.user_id)
    )
    if user_id is not None:
        query = query.where(HouseholdMember.user_id == user_id)
    members = list((await session.scalars(query)).all())
    names = await accounts.display_names(session, {m.user_id for m in members})
    return [
        MemberView(
            user_id=m.user_id, display_name=names[m.user_id], role=m.role, joined_at=m.joined_at
        )
        for m in members
    ]


async def membership(session: AsyncSession, *, actor: Actor, household_id: int) -> HouseholdView:
    """A household the actor is a member of (admins who are not members get "not found", as
    for anything only members may do, such as leaving)."""
    household, role = await _visible_household(session, actor, household_id)
    if role is None:
        raise HouseholdNotFound()
    return await _view(session, household, role)


async def get_member(
    session: AsyncSession, *, actor: Actor, household_id: int, user_id: int
) -> tuple[HouseholdView, MemberView]:
    """One member of a household the actor manages: what a page shows before removing them
    or handing them the household."""
    household, role = await _managed_household(session, actor, household_id)
    found = await _members(session, household_id, user_id=user_id)
    if not found:
        raise NotFound("That person is not a member of this household.")
    return await _view(session, household, role), found[0]


async def rename_household(
    session: AsyncSession, *, actor: Actor, household_id: int, name: str, ip: str | None
) -> HouseholdView:
    household, role = await _managed_household(session, actor, household_id)
    household.name = name
    _record(session, "household.renamed", actor, household.id, ip)
    return await _view(session, household, role)


def _active_invites(household_id: int, now: datetime) -> Select[HouseholdInvite]:
    return (
        select(HouseholdInvite)
        .where(
            HouseholdInvite.household_id == household_id,
            HouseholdInvite.revoked_at.is_(None),
            HouseholdInvite.expires_at > now,
        )
        .order_by(HouseholdInvite.id)
    )


async def create_invite(
    session: AsyncSession,
    *,
    actor: Actor,
    household_id: int,
    lifetime: timedelta,
    ip: str | None,
    revoke_active: bool = False,
) -> tuple[HouseholdInvite, str]:
    """A new invite code; with ``revoke_active`` it replaces the ones still usable (codes are
    stored hashed, so "show me the link again" is a new link, and the old one may leak)."""
    household, _ = await _managed_household(session, actor, household_id)
    if revoke_active:
        now = utcnow()
        for active in await session.scalars(_active_invites(household_id, now)):
            active.revoked_at = now
            _record(session, "household.invite_revoked", actor, household.id, ip)
    code = new_invite_code()
    invite = HouseholdInvite(
        household_id=household.id,
        code_hash=hash_secret(code),
        created_by_id=actor.user_id,
        expires_at=utcnow() + lifetime,
    )
    session.add(invite)
    await session.flush()
    _record(session, "household.invite_created", actor, household.id, ip)
    return invite, code


async def list_invites(
    session: AsyncSession, *, actor: Actor, household_id: int
) -> list[HouseholdInvite]:
    await _managed_household(session, actor, household_id)
    result = await session.scalars(_active_invites(household_id, utcnow()))
    return list(result.all())


async def revoke_invite(
    session: AsyncSession, *, actor: Actor, household_id: int, invite_id: int, ip: str | None
) -> None:
    await _managed_household(session, actor, household_id)
    invite = await session.get(HouseholdInvite, invite_id)
    if invite is None or invite.household_id != household_id or invite.revoked_at is not None:
        raise InviteInvalid("No such invite in this household.")
    invite.revoked_at = utcnow()
    _record(session, "household.invite_revoked", actor, household_id, ip)


async def _usable_invite(session: AsyncSession, code: str) -> tuple[HouseholdInvite, Household]:
    invite = await session.scalar(
        select(HouseholdInvite).where(
            HouseholdInvite.code_hash == hash_secret(normalize_invite_code(code))
        )
    )
    if invite is None or invite.revoked_at is not None or invite.expires_at <= utcnow():
        raise InviteInvalid("This invite code is not valid or has expired.")
    household = await session.get(Household, invite.household_id)
    assert household is not None
    return invite, household


async def invited_household(session: AsyncSession, *, actor: Actor, code: str) -> HouseholdView:
    """The household an invite code leads to, for a page that asks before joining; the role
    is the actor's own, if they are a member already."""
    _, household = await _usable_invite(session, code)
    role = await session.scalar(
        select(HouseholdMember.role).where(
            HouseholdMember.household_id == household.id,
            HouseholdMember.user_id == actor.user_id,
        )
    )
    return await _view(session, household, role)


async def join_household(
    session: AsyncSession, *, actor: Actor, code: str, ip: str | None
) -> HouseholdView:
    invite, household = await _usable_invite(session, code)
    if actor.in_household(household.id):
        raise Conflict("You are already a member of this household.")
    _add_member(session, household, actor.user_id, MemberRole.MEMBER)
    invite.uses += 1
    _record(session, "household.joined", actor, household.id, ip)
    await session.flush()
    return await _view(session, household, MemberRole.MEMBER)


async def leave_household(
    session: AsyncSession, *, actor: Actor, household_id: int, ip: str | None
) -> None:
    household, role = await _visible_household(session, actor, household_id)
    if role is None:
        raise HouseholdNotFound()
    counts = await _member_counts(session, [household_id])
    if role == MemberRole.OWNER and counts.get(household_id, 0) > 1:
        raise Conflict("Transfer ownership to another member before leaving this household.")
    if len(actor.household_ids) <= 1:
        raise Conflict("You cannot leave your only household.")
    await session.execute(
        delete(HouseholdMember).where(
            HouseholdMember.household_id == household_id,
            HouseholdMember.user_id == actor.user_id,
        )
    )
    if counts.get(household_id, 0) <= 1:
        # The last member left: nobody can reach it any more.
        await session.delete(household)
    _record(session, "household.left", actor, household_id, ip)


async def remove_member(
    session: AsyncSession, *, actor: Actor, household_id: int, user_id: int, ip: str | None
) -> None:
    await _managed_household(session, actor, household_id)
    if user_id == actor.user_id:
        raise Conflict("Leave the household instead of removing yourself.")
    member = await session.get(HouseholdMember, (household_id, user_id))
    if member is None:
        raise NotFound("That person is not a member of this household.")
    if member.role == MemberRole.OWNER:
        raise Conflict("The owner cannot be removed; transfer ownership first.")
    await session.delete(member)
    audit.record(
        session,
        action="household.member_removed",
        actor_id=actor.user_id,
        ip=ip,
        target_type="user",
        target_id=user_id,
        details={"household_id": household_id},
    )


async def transfer_ownership(
    session: AsyncSession, *, actor: Actor, household_id: int, user_id: int, ip: str | None
) -> HouseholdView:
    household, _ = await _managed_household(session, actor, household_id)
    new_owner = await session.get(HouseholdMember, (household_id, user_id))
    if new_owner is None:
        raise NotFound("That person is not a member of this household.")
    owners = await session.scalars(
        select(HouseholdMember).where(
            HouseholdMember.household_id == household_id,
            HouseholdMember.role == MemberRole.OWNER,
        )
    )
    for owner in owners:
        owner.role = MemberRole.MEMBER
    new_owner.role = MemberRole.OWNER
    audit.record(
        session,
        action="household.ownership_transferred",
        actor_id=actor.user_id,
        ip=ip,
        target_type="user",
        target_id=user_id,
        details={"household_id": household_id},
    )
    await session.flush()
    own_role = await session.scalar(
        select(HouseholdMember.role).where(
            HouseholdMember.household_id == household_id,
            HouseholdMember.user_id == actor.user_id,
        )
    )
    return await _view(session, household, own_role)
