"""Household service functions the pages use beyond the API's: previews and confirmations."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.auth import actor_for_job
from recipevault.errors import Forbidden, NotFound
from recipevault.households import service
from recipevault.households.models import MemberRole
from tests.support.world import World, actor_for


async def _invite(session: AsyncSession, world: World, **extra: bool) -> tuple[int, str]:
    invite, code = await service.create_invite(
        session,
        actor=await actor_for(session, world.owner),
        household_id=world.household.id,
        lifetime=timedelta(days=1),
        ip=None,
        **extra,
    )
    return invite.id, code


async def test_membership_is_for_members_only(session: AsyncSession, world: World) -> None:
    view = await service.membership(
        session, actor=await actor_for(session, world.member), household_id=world.household.id
    )
    assert (view.role, view.member_count) == (MemberRole.MEMBER, 2)
    for outsider in (world.outsider, world.admin):
        with pytest.raises(service.HouseholdNotFound):
            await service.membership(
                session, actor=await actor_for(session, outsider), household_id=world.household.id
            )


async def test_a_households_things_are_kept_by_its_members_and_admins(
    session: AsyncSession, world: World
) -> None:
    """What features keep per household (its plan, its lists): its members may, admins too
    (for a household that exists); to anyone else it is not found, as is a missing one."""
    for keeper in (world.owner, world.member, world.admin):
        actor = await actor_for(session, keeper)
        await service.require_household(session, actor, world.household.id)
    outsider = await actor_for(session, world.outsider)
    (personal,) = outsider.household_ids
    await service.require_household(session, outsider, personal)
    with pytest.raises(service.HouseholdNotFound):
        await service.require_household(session, outsider, world.household.id)
    admin = await actor_for(session, world.admin)
    for missing in (999_999_999, 0):
        with pytest.raises(service.HouseholdNotFound):
            await service.require_household(session, admin, missing)


async def test_get_member_needs_a_manager(session: AsyncSession, world: World) -> None:
    for manager in (world.owner, world.admin):
        view, member = await service.get_member(
            session,
            actor=await actor_for(session, manager),
            household_id=world.household.id,
            user_id=world.member.id,
        )
        assert view.household.id == world.household.id
        assert (member.display_name, member.role) == ("Milo Member", MemberRole.MEMBER)
    with pytest.raises(Forbidden):
        await service.get_member(
            session,
            actor=await actor_for(session, world.member),
            household_id=world.household.id,
            user_id=world.owner.id,
        )
    with pytest.raises(NotFound):
        await service.get_member(
            session,
            actor=await actor_for(session, world.owner),
            household_id=world.household.id,
            user_id=world.outsider.id,
        )


async def test_invited_household_previews_without_joining(
    session: AsyncSession, world: World
) -> None:
    _, code = await _invite(session, world)
    outsider = await actor_for(session, world.outsider)
    view = await service.invited_household(session, actor=outsider, code=code.lower())
    assert (view.household.name, view.role, view.member_count) == ("The Flat", None, 2)
    member = await service.invited_household(
        session, actor=await actor_for(session, world.member), code=code
    )
    assert member.role == MemberRole.MEMBER
    with pytest.raises(service.InviteInvalid):
        await service.invited_household(session, actor=outsider, code="AAAA-BBBB-CCCC")


async def test_a_new_invite_can_replace_the_active_ones(
    session: AsyncSession, world: World
) -> None:
    first_id, first_code = await _invite(session, world)
    second_id, _ = await _invite(session, world)
    owner = await actor_for(session, world.owner)
    listed = await service.list_invites(session, actor=owner, household_id=world.household.id)
    assert [i.id for i in listed] == [first_id, second_id]

    third_id, third_code = await _invite(session, world, revoke_active=True)
    listed = await service.list_invites(session, actor=owner, household_id=world.household.id)
    assert [i.id for i in listed] == [third_id]
    outsider = await actor_for(session, world.outsider)
    with pytest.raises(service.InviteInvalid):
        await service.invited_household(session, actor=outsider, code=first_code)
    view = await service.invited_household(session, actor=outsider, code=third_code)
    assert view.household.id == world.household.id


async def test_an_actor_carries_the_households_its_person_is_in(
    session: AsyncSession, world: World
) -> None:
    """Households tell ``accounts.auth`` whose households a person is in, so the actor that
    a request or a job acts as has them, the owned ones apart."""
    personal = await service.personal_household_id(session, world.member.id)
    member = await actor_for_job(session, world.member.id)
    assert member is not None
    assert member.household_ids == {personal, world.household.id}
    assert member.owned_household_ids == {personal}
    owner = await actor_for_job(session, world.owner.id)
    assert owner is not None
    assert world.household.id in owner.owned_household_ids
