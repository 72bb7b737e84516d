"""Calls the vocabulary tests make over HTTP: write a recipe, list terms, read a recipe."""

from __future__ import annotations

from typing import Any

import httpx

BASE = "/api/v1/vocabularies"
RECIPES = "/api/v1/recipes"
Headers = dict[str, str]


async def add_recipe(
    client: httpx.AsyncClient, headers: Headers, household_id: int | None, **fields: Any
) -> dict[str, Any]:
    body = {"title": "Soup", "household_id": household_id, **fields}
    response = await client.post(RECIPES, json=body, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def list_terms(
    client: httpx.AsyncClient, headers: Headers, kind: str, household_id: int
) -> dict[str, dict[str, Any]]:
    response = await client.get(
        f"{BASE}/{kind}", params={"household_id": household_id}, headers=headers
    )
    assert response.status_code == 200, response.text
    return {term["name"]: term for term in response.json()}


async def read_recipe(
    client: httpx.AsyncClient, headers: Headers, recipe_id: int
) -> dict[str, Any]:
    response = await client.get(f"{RECIPES}/{recipe_id}", headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())
