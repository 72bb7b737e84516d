from __future__ import annotations

import json

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from recipevault.errors import PROBLEM_CONTENT_TYPE, Conflict, NotFound
from recipevault.logging import configure_logging

router = APIRouter(prefix="/api/v1/_probe")


class ProbeCreate(BaseModel):
    name: str = Field(min_length=1, max_length=10)
    count: int = Field(ge=1)


@router.post("/items")
async def create_item(data: ProbeCreate) -> dict[str, str]:
    return {"name": data.name}


@router.get("/missing")
async def missing() -> None:
    raise NotFound("No recipe 42 here.")


@router.get("/conflict")
async def conflict() -> None:
    raise Conflict("Already taken.", extra={"current_version": 3})


@router.get("/crash")
async def crash() -> None:
    raise RuntimeError("secret internals: /etc/passwd")


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    app.include_router(router)
    return app


def assert_problem(response: httpx.Response, status: int) -> dict[str, object]:
    assert response.status_code == status
    assert response.headers["content-type"] == PROBLEM_CONTENT_TYPE
    body = response.json()
    assert {"type", "title", "status", "detail", "instance"} <= body.keys()
    assert body["status"] == status
    return body  # type: ignore[no-any-return]


async def test_unknown_route_is_problem_404(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/nothing-here"), 404)
    assert body["instance"] == "/api/v1/nothing-here"
    assert body["type"] == "urn:recipevault:problem:not-found"


async def test_wrong_method_is_problem_405(client: httpx.AsyncClient) -> None:
    response = await client.delete("/health/live")
    body = assert_problem(response, 405)
    assert "DELETE" in str(body["detail"])
    assert "GET" in response.headers["allow"]


async def test_validation_error_lists_each_field(client: httpx.AsyncClient) -> None:
    response = await client.post("/api/v1/_probe/items", json={"name": "", "count": 0})
    body = assert_problem(response, 422)
    errors = {e["field"]: e for e in body["errors"]}  # type: ignore[attr-defined]
    assert set(errors) == {"name", "count"}
    assert errors["name"]["location"] == ["body", "name"]
    assert "at least 1 character" in errors["name"]["message"]
    assert "greater than or equal to 1" in errors["count"]["message"]


async def test_malformed_json_is_problem_422(client: httpx.AsyncClient) -> None:
    response = await client.post(
        "/api/v1/_probe/items", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert_problem(response, 422)


async def test_app_error_carries_status_detail_and_extras(client: httpx.AsyncClient) -> None:
    body = assert_problem(await client.get("/api/v1/_probe/missing"), 404)
    assert body["detail"] == "No recipe 42 here."
    body = assert_problem(await client.get("/api/v1/_probe/conflict"), 409)
    assert body["current_version"] == 3


async def test_unexpected_exception_is_500_without_traceback(
    app: FastAPI, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(app.state.settings)
    response = await client.get("/api/v1/_probe/crash", headers={"X-Request-ID": "req-crash-1"})
    body = assert_problem(response, 500)
    assert body["request_id"] == "req-crash-1"
    assert response.headers["x-request-id"] == "req-crash-1"
    assert "passwd" not in response.text
    assert "Traceback" not in response.text

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    error = next(line for line in lines if line.get("message") == "unhandled exception")
    assert error["request_id"] == "req-crash-1"
    assert "RuntimeError: secret internals" in error["exception"]
    assert "Traceback" in error["exception"]
