"""Reading one's own account is two reads of what is committed: who is asking, then the
account's fields; no transaction, and the same answer as the account's schema gives."""

from __future__ import annotations

import httpx
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.accounts.schemas import UserRead
from recipevault.accounts.service import get_user
from recipevault.config import Settings
from tests.support.database import statements_run
from tests.support.world import bearer, make_user


async def test_me_is_the_caller_then_the_account(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, engine: AsyncEngine
) -> None:
    user = await make_user(session, settings, name="Sam")
    headers = bearer(user, settings, session)
    assert (await client.get("/api/v1/users/me", headers=headers)).status_code == 200
    with statements_run(engine, lambda statement: "SAVEPOINT" not in statement.upper()) as ran:
        response = await client.get("/api/v1/users/me", headers=headers)
    assert response.status_code == 200, response.text
    assert len(ran) == 2, ran
    assert all(statement.lstrip().upper().startswith("SELECT") for statement in ran), ran
    user = await get_user(session, user.id)
    await session.refresh(user)
    assert response.json() == UserRead.model_validate(user).model_dump(mode="json")
