from __future__ import annotations

from pathlib import Path

import httpx
from asgi_lifespan import LifespanManager

from recipevault.config import Settings
from recipevault.db import Database
from recipevault.main import create_app


async def test_live(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"


async def test_ready_checks_database(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/ready")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "checks": {"database": "ok"}}


async def test_ready_is_503_problem_when_database_unreachable(
    settings: Settings, tmp_path: Path
) -> None:
    # A directory cannot be opened as an SQLite database file.
    broken = Database.from_settings(
        settings.model_copy(update={"database_url": f"sqlite+aiosqlite:///{tmp_path}"})
    )
    app = create_app(settings, database=broken)
    try:
        async with LifespanManager(app) as manager:
            transport = httpx.ASGITransport(app=manager.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
                response = await c.get("/health/ready")
                live = await c.get("/health/live")
    finally:
        await broken.dispose()
    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["detail"] == "The database is not reachable."
    assert live.status_code == 200
