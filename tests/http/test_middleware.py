from __future__ import annotations

import asyncio
import uuid
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, Request

from recipevault.config import Settings
from recipevault.db import Database
from tests.support.app import app_client

router = APIRouter()


@router.get("/api/v1/_whoami")
async def whoami(request: Request) -> dict[str, object]:
    client = request.client
    return {"host": client.host if client else None, "scheme": request.url.scheme}


async def test_request_id_is_generated_as_uuid(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live")
    assert uuid.UUID(response.headers["x-request-id"]).version == 4


async def test_request_id_is_echoed(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "abc-123"})
    assert response.headers["x-request-id"] == "abc-123"


async def test_unsafe_request_id_is_replaced(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"X-Request-ID": "bad id\twith junk" * 20})
    assert uuid.UUID(response.headers["x-request-id"])


async def test_request_id_on_error_responses(client: httpx.AsyncClient) -> None:
    response = await client.get("/nope", headers={"X-Request-ID": "r-404"})
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "r-404"


@pytest.mark.parametrize("path", ["/health/live", "/", "/nope"])
async def test_security_headers_on_every_response(client: httpx.AsyncClient, path: str) -> None:
    headers = (await client.get(path)).headers
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "strict-origin-when-cross-origin"
    assert headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in headers["content-security-policy"]


async def test_html_gets_restrictive_csp(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    assert response.headers["content-type"].startswith("text/html")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert "object-src 'none'" in csp


async def test_unknown_host_is_rejected(client: httpx.AsyncClient) -> None:
    response = await client.get("/health/live", headers={"host": "evil.example"})
    assert response.status_code == 400


async def test_no_cors_by_default(client: httpx.AsyncClient) -> None:
    response = await client.options(
        "/health/live",
        headers={"Origin": "https://other.example", "Access-Control-Request-Method": "GET"},
    )
    assert "access-control-allow-origin" not in response.headers


async def test_cors_for_configured_origins(settings: Settings, database: Database) -> None:
    async with app_client(
        settings, database, router, cors_origins=["https://app.example"]
    ) as client:
        allowed = await client.get("/health/live", headers={"Origin": "https://app.example"})
        assert allowed.headers["access-control-allow-origin"] == "https://app.example"
        other = await client.get("/health/live", headers={"Origin": "https://other.example"})
        assert "access-control-allow-origin" not in other.headers


async def test_proxy_headers_ignored_without_trusted_proxies(
    settings: Settings, database: Database
) -> None:
    async with app_client(settings, database, router, client_addr="10.1.2.3") as client:
        response = await client.get(
            "/api/v1/_whoami",
            headers={"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"},
        )
        assert response.json() == {"host": "10.1.2.3", "scheme": "http"}


async def test_proxy_headers_trusted_only_from_configured_proxy(
    settings: Settings, database: Database
) -> None:
    forwarded = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    async with app_client(
        settings, database, router, client_addr="10.1.2.3", trusted_proxies=["10.0.0.0/8"]
    ) as client:
        response = await client.get("/api/v1/_whoami", headers=forwarded)
        assert response.json() == {"host": "203.0.113.9", "scheme": "https"}
    async with app_client(
        settings, database, router, client_addr="192.0.2.7", trusted_proxies=["10.0.0.0/8"]
    ) as client:
        response = await client.get("/api/v1/_whoami", headers=forwarded)
        assert response.json() == {"host": "192.0.2.7", "scheme": "http"}


async def test_hsts_only_in_production_over_https(settings: Settings, database: Database) -> None:
    production: dict[str, Any] = {
        "env": "production",
        "secret_key": "s" * 40,
        "trusted_proxies": ["127.0.0.1"],
    }
    async with app_client(settings, database, router, **production) as client:
        response = await client.get("/health/live", headers={"X-Forwarded-Proto": "https"})
        assert response.headers["strict-transport-security"].startswith("max-age=")
        response = await client.get("/health/live")
        assert "strict-transport-security" not in response.headers


class _Gate:
    """Holds requests to ``/api/v1/_held`` until opened, counting how many are inside."""

    def __init__(self) -> None:
        self.inside = 0
        self.most = 0
        self.two_inside = asyncio.Event()
        self.opened = asyncio.Event()

    async def hold(self) -> None:
        self.inside += 1
        self.most = max(self.most, self.inside)
        if self.inside == 2:
            self.two_inside.set()
        try:
            await self.opened.wait()
        finally:
            self.inside -= 1


@pytest.fixture
def gate() -> _Gate:
    return _Gate()


async def test_requests_beyond_the_limit_wait_their_turn_and_probes_do_not(
    settings: Settings, database: Database, gate: _Gate
) -> None:
    limited = APIRouter()

    @limited.get("/api/v1/_held")
    async def held() -> dict[str, int]:
        await gate.hold()
        return {"inside": gate.inside}

    async with app_client(settings, database, limited, max_concurrent_requests=2) as client:
        waiting = [asyncio.create_task(client.get("/api/v1/_held")) for _ in range(5)]
        await asyncio.wait_for(gate.two_inside.wait(), 5)
        await asyncio.sleep(0.05)  # the others had every chance to come in
        assert gate.inside == 2
        # Answered at once although every turn is taken.
        assert (await client.get("/health/live")).status_code == 200
        gate.opened.set()
        responses = await asyncio.gather(*waiting)
    assert [r.status_code for r in responses] == [200] * 5
    assert gate.most == 2
