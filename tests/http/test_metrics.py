from __future__ import annotations

import re

import httpx
import pytest
from fastapi import APIRouter, FastAPI

router = APIRouter()


@router.get("/api/v1/_things/{thing_id}")
async def thing(thing_id: int) -> dict[str, int]:
    return {"id": thing_id}


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    app.include_router(router)
    return app


def _sample(text: str, name: str, labels: str) -> float:
    match = re.search(rf"^{re.escape(name)}\{{{re.escape(labels)}\}} (\S+)$", text, re.MULTILINE)
    assert match, f"{name}{{{labels}}} not in metrics"
    return float(match.group(1))


async def test_metrics_count_by_route_template(client: httpx.AsyncClient) -> None:
    for thing_id in (1, 2, 3):
        await client.get(f"/api/v1/_things/{thing_id}")
    await client.get("/api/v1/_things/not-a-number")
    await client.get("/no/such/page")

    response = await client.get("/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    text = response.text
    labels = 'method="GET",route="/api/v1/_things/{thing_id}",status="200"'
    assert _sample(text, "http_requests_total", labels) == 3
    assert _sample(text, "http_request_duration_seconds_count", labels) == 3
    assert _sample(text, "http_requests_total", labels.replace("200", "422")) == 1
    assert (
        _sample(text, "http_requests_total", 'method="GET",route="<unmatched>",status="404"') == 1
    )
    assert "/api/v1/_things/1" not in text
    assert 'http_request_duration_seconds_bucket{le="0.005",method="GET"' in text


async def test_unknown_methods_share_one_label(client: httpx.AsyncClient) -> None:
    for method in ("BREW", "PROPFIND"):
        await client.request(method, "/api/v1/_things/1")

    text = (await client.get("/metrics")).text
    labels = 'method="OTHER",route="/api/v1/_things/{thing_id}",status="405"'
    assert _sample(text, "http_requests_total", labels) == 2
    assert 'method="BREW"' not in text
