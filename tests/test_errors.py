from __future__ import annotations

import json

import httpx
import pytest
from fastapi import APIRouter, FastAPI
from pydantic import BaseModel, Field

from recipevault.deps import MarkPage, PageUser
from recipevault.errors import PROBLEM_CONTENT_TYPE, Conflict, Forbidden, NotFound
from recipevault.logging import configure_logging

router = APIRouter(prefix="/api/v1/_probe")
# Browser pages: outside /api/, marked as pages like every feature's pages.py router.
pages = APIRouter(prefix="/_probe", dependencies=[MarkPage])
HTML = {"Accept": "text/html,application/xhtml+xml,*/*;q=0.8"}


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


@pages.get("/forbidden")
async def forbidden_page() -> None:
    raise Forbidden("Only the cook may see this <draft>.")


@pages.get("/crash")
async def crash_page() -> None:
    raise RuntimeError("secret internals: /etc/passwd")


@pages.get("/members")
async def members_page(user: PageUser) -> None:
    return None


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    app.include_router(router)
    app.include_router(pages)
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


# --- Browsers get pages ---------------------------------------------------------------------


def assert_page(response: httpx.Response, status: int) -> str:
    assert response.status_code == status
    assert response.headers["content-type"].startswith("text/html")
    assert "<!doctype html>" in response.text
    assert '<main id="main"' in response.text
    return response.text


async def test_browser_gets_a_friendly_404_page(client: httpx.AsyncClient) -> None:
    page = assert_page(await client.get("/no/such/<page>", headers=HTML), 404)
    assert "find that page" in page
    assert "/no/such/&lt;page&gt;" in page
    assert "<page>" not in page


async def test_api_and_probes_keep_problem_json_for_browsers(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/api/v1/nothing-here", headers=HTML), 404)
    assert_problem(await client.get("/api/v1/_probe/missing", headers=HTML), 404)
    assert_problem(await client.delete("/health/live", headers=HTML), 405)
    assert_problem(await client.get("/api/v1/_probe/crash", headers=HTML), 500)


async def test_clients_not_asking_for_html_keep_problem_json(client: httpx.AsyncClient) -> None:
    assert_problem(await client.get("/no/such/page"), 404)
    assert_problem(await client.get("/no/such/page", headers={"Accept": "application/json"}), 404)


async def test_page_routes_answer_with_pages_whatever_the_accept_header(
    client: httpx.AsyncClient,
) -> None:
    page = assert_page(await client.get("/_probe/forbidden"), 403)
    assert "do that here" in page
    assert "Only the cook may see this &lt;draft&gt;." in page


async def test_browser_gets_a_friendly_500_page_without_internals(
    app: FastAPI, client: httpx.AsyncClient, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(app.state.settings)
    response = await client.get("/_probe/crash", headers={**HTML, "X-Request-ID": "req-page-1"})
    page = assert_page(response, 500)
    assert "Something went wrong" in page
    assert "req-page-1" in page
    assert response.headers["x-request-id"] == "req-page-1"
    assert "passwd" not in page
    assert "Traceback" not in page
    assert "content-security-policy" in response.headers

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line]
    error = next(line for line in lines if line.get("message") == "unhandled exception")
    assert "RuntimeError: secret internals" in error["exception"]


async def test_browser_is_sent_to_sign_in_instead_of_a_401(client: httpx.AsyncClient) -> None:
    response = await client.get("/_probe/members?tab=2")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2F_probe%2Fmembers%3Ftab%3D2"


async def test_browser_validation_error_is_a_page(client: httpx.AsyncClient) -> None:
    page = assert_page(await client.get("/reset-password?token=" + "x" * 300, headers=HTML), 422)
    assert "token" in page
