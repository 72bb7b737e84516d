"""Admin service functions the pages use beyond the API's."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.admin import service
from recipevault.config import Settings
from tests.support.world import actor_for, make_world


async def test_overview_counts_people_and_reads_the_switch(
    session: AsyncSession, settings: Settings
) -> None:
    world = await make_world(session, settings)
    admin = await actor_for(session, world.admin)
    await service.update_user(
        session, actor=admin, user_id=world.outsider.id, role=None, is_active=False, ip=None
    )
    await service.set_registration_open(session, actor=admin, open_=False, ip=None)
    site = await service.overview(session, settings=settings)
    assert (site.users, site.admins, site.deactivated) == (4, 1, 1)
    assert site.registration_open is False
