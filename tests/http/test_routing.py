from __future__ import annotations

from collections.abc import AsyncIterator

import fastapi.routing
import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI, HTTPException, Request, Response
from pydantic import BaseModel

from recipevault.http.routing import DirectRoute, direct_get, only_reads, reads_only


class Greeting(BaseModel):
    text: str


def _app(router: APIRouter) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    return app


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    router = APIRouter(prefix="/greetings")

    @direct_get(router, "/{name}", response_model=Greeting)
    async def greet(request: Request) -> Response:
        name = request.path_params["name"]
        if name == "nobody":
            raise HTTPException(status_code=404, detail="no one to greet")
        return Response(f'{{"text": "hello {name}"}}', media_type="application/json")

    @router.get("/ordinary/{name}", response_model=Greeting)
    async def ordinary(name: str) -> Greeting:
        return Greeting(text=f"hello {name}")

    transport = httpx.ASGITransport(app=_app(router))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


async def test_a_direct_route_calls_its_endpoint_without_solving_dependencies(
    client: httpx.AsyncClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refuse(*args: object, **kwargs: object) -> None:
        raise AssertionError("dependencies solved")

    monkeypatch.setattr(fastapi.routing, "solve_dependencies", refuse)
    response = await client.get("/greetings/ada")
    assert response.status_code == 200
    assert response.json() == {"text": "hello ada"}
    with pytest.raises(AssertionError, match="dependencies solved"):
        await client.get("/greetings/ordinary/ada")


async def test_a_direct_routes_errors_reach_the_exception_handlers(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get("/greetings/nobody")
    assert response.status_code == 404
    assert response.json() == {"detail": "no one to greet"}


async def test_a_direct_route_is_documented_like_any_other(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"]["/greetings/{name}"]["get"]
    schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Greeting"}


async def _needs_nothing() -> None:
    return None


async def _declares_a_parameter(request: Request, name: str) -> Response:
    return Response(name)


async def _takes_the_response(request: Request, response: Response) -> Response:
    return response


def _not_async(request: Request) -> Response:
    return Response()


async def _request_only(request: Request) -> Response:
    return Response()


@pytest.mark.parametrize(
    ("router", "endpoint"),
    [
        (APIRouter(), _declares_a_parameter),
        (APIRouter(), _takes_the_response),
        (APIRouter(), _not_async),
        (APIRouter(dependencies=[Depends(_needs_nothing)]), _request_only),
    ],
    ids=["parameter", "response", "sync", "router-dependency"],
)
def test_a_direct_route_refuses_what_it_would_skip(router: APIRouter, endpoint: object) -> None:
    with pytest.raises(TypeError, match="direct route"):
        router.add_api_route("/{name}", endpoint, route_class_override=DirectRoute)  # type: ignore[arg-type]


async def test_a_route_declared_reads_only_only_reads_whatever_its_method() -> None:
    router = APIRouter()

    @router.post("/search")
    @reads_only
    async def search(request: Request) -> dict[str, bool]:
        return {"only_reads": only_reads(request)}

    @router.post("/save")
    async def save(request: Request) -> dict[str, bool]:
        return {"only_reads": only_reads(request)}

    @router.get("/read")
    async def read(request: Request) -> dict[str, bool]:
        return {"only_reads": only_reads(request)}

    transport = httpx.ASGITransport(app=_app(router))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        assert (await client.post("/search")).json() == {"only_reads": True}
        assert (await client.post("/save")).json() == {"only_reads": False}
        assert (await client.get("/read")).json() == {"only_reads": True}
