"""Registering: the account and its personal household, made together."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.households.models import Household, HouseholdMember, MemberRole
from tests.support.world import make_user


async def test_registration_makes_a_personal_household(
    session: AsyncSession, settings: Settings
) -> None:
    user = await make_user(session, settings, name="Pat")
    row = (
        await session.execute(
            select(Household, HouseholdMember.role)
            .join(HouseholdMember)
            .where(HouseholdMember.user_id == user.id)
        )
    ).one()
    assert row[0].is_personal
    assert row[1] == MemberRole.OWNER
