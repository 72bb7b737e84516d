from __future__ import annotations

from enum import StrEnum
from typing import Literal

import httpx
import pytest
from fastapi import APIRouter, FastAPI, Request
from pydantic import BaseModel, Field

from recipevault.http.querystring import QueryString


class Colour(StrEnum):
    RED = "red"
    BLUE = "blue"


class Filters(BaseModel):
    word: str | None = Field(default=None, max_length=5, description="A short word")
    tag: list[str] = Field(default_factory=list, max_length=2)
    colour: Colour | None = None
    order: Literal["asc", "desc"] = "asc"
    limit: int = Field(default=10, ge=1, le=50)


FILTERS = QueryString(Filters)
router = APIRouter()


@router.get("/_filters", openapi_extra=FILTERS.openapi)
async def filters(request: Request) -> dict[str, object]:
    return FILTERS.parse(request).model_dump(mode="json")


@pytest.fixture
def app(app: FastAPI) -> FastAPI:
    app.router.routes.extend(router.routes)
    return app


async def test_defaults_without_a_query_string(client: httpx.AsyncClient) -> None:
    response = await client.get("/_filters")
    assert response.json() == {
        "word": None,
        "tag": [],
        "colour": None,
        "order": "asc",
        "limit": 10,
    }


async def test_repeated_parameters_make_a_list_and_unknown_ones_are_ignored(
    client: httpx.AsyncClient,
) -> None:
    response = await client.get(
        "/_filters", params=[("tag", "a"), ("tag", "b"), ("colour", "blue"), ("utm", "x")]
    )
    assert response.json()["tag"] == ["a", "b"]
    assert response.json()["colour"] == "blue"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("limit=0", "limit"),
        ("limit=many", "limit"),
        ("word=toolong", "word"),
        ("tag=a&tag=b&tag=c", "tag"),
        ("colour=green", "colour"),
        ("order=sideways", "order"),
    ],
)
async def test_invalid_values_are_a_422_problem_naming_the_field(
    client: httpx.AsyncClient, query: str, field: str
) -> None:
    response = await client.get(f"/_filters?{query}")
    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    (error,) = response.json()["errors"]
    assert error["field"] == field
    assert error["location"] == ["query", field]


async def test_parameters_are_documented_with_their_constraints(
    client: httpx.AsyncClient,
) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"]["/_filters"]["get"]
    parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}
    assert list(parameters) == ["word", "tag", "colour", "order", "limit"]
    assert all(parameter["in"] == "query" for parameter in parameters.values())
    assert parameters["word"]["description"] == "A short word"
    assert parameters["tag"]["schema"]["type"] == "array"
    assert parameters["tag"]["explode"] is True
    assert parameters["limit"]["schema"]["maximum"] == 50
    # Enums are copied in: a parameter cannot point into the model's own definitions.
    assert "$ref" not in str(parameters["colour"])
    assert {"red", "blue"} <= set(str(parameters["colour"]["schema"]).split("'"))


async def test_recipe_list_documents_its_filters(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"]["/api/v1/recipes"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"q", "tag", "food", "exclude_food", "sort", "limit", "cursor"} <= names
