"""The request's session costs nothing when a request never uses it, and still commits,
rolls back and closes when it does."""

from __future__ import annotations

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.deps import SessionDep

router = APIRouter(prefix="/api/v1/_session")


@router.get("/untouched")
async def untouched(session: SessionDep) -> dict[str, bool]:
    return {"in_transaction": session.in_transaction()}


@router.get("/reads")
async def reads(session: SessionDep) -> dict[str, int]:
    return {"one": int((await session.execute(text("SELECT 1"))).scalar_one())}


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    app.include_router(router)
    return app


async def test_untouched_session_is_neither_committed_nor_closed(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    for name in ("commit", "rollback", "close"):
        original = getattr(AsyncSession, name)

        async def spy(self: AsyncSession, _name: str = name, _original=original) -> None:  # type: ignore[no-untyped-def]
            calls.append(_name)
            await _original(self)

        monkeypatch.setattr(AsyncSession, name, spy)
    response = await client.get("/api/v1/_session/untouched")
    assert response.json() == {"in_transaction": False}
    assert calls == []
    assert (await client.get("/api/v1/_session/reads")).json() == {"one": 1}
    # Committing returned the connection to the pool; there is nothing left to close.
    assert calls == ["commit"]
