"""Reading the audit log."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.audit import service


async def test_recorded_actions_lists_each_kind_once_in_order(session: AsyncSession) -> None:
    assert await service.recorded_actions(session) == []
    for action in ("user.registered", "admin.user_unlocked", "user.registered"):
        service.record(session, action=action, actor_id=None, ip=None)
    await session.flush()
    assert await service.recorded_actions(session) == ["admin.user_unlocked", "user.registered"]
