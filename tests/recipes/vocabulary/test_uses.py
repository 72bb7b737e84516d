"""A household's vocabulary as each member may know it: terms that only recipes hidden from
you use (another member's private ones) are not listed, counted, renamed, merged or deleted
by you, and your changes leave those recipes as they are."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from tests.recipes.terms_support import BASE, Headers, add_recipe, list_terms, read_recipe
from tests.support.world import World, bearer

KINDS = ("tags", "categories", "tools", "foods", "units")


@pytest.fixture
def as_(session: AsyncSession, settings: Settings, world: World) -> dict[str, Headers]:
    return {role: bearer(user, settings, session) for role, user in world.all().items()}


def _private(**fields: Any) -> dict[str, Any]:
    return {"visibility": "private", **fields}


SECRET = _private(
    tags=["Anniversary surprise"],
    categories=["For Sam only"],
    tools=["Sous vide"],
    ingredients=[{"quantity": 2, "unit": "dram", "food": "truffle"}],
)
SECRET_NAMES = {
    "tags": "Anniversary surprise",
    "categories": "For Sam only",
    "tools": "Sous vide",
    "foods": "truffle",
    "units": "dram",
}


async def test_terms_only_anothers_private_recipes_use_do_not_exist_for_a_member(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    await add_recipe(client, as_["owner"], home, **SECRET)
    for kind in KINDS:
        name = SECRET_NAMES[kind]
        assert name not in await list_terms(client, as_["member"], kind, home)
        everyone_else = await client.get(f"{BASE}/{kind}", headers=as_["member"])
        assert name not in [term["name"] for term in everyone_else.json()]
        # Its owner and admins see it; the member gets what a term that does not exist gets.
        term = (await list_terms(client, as_["owner"], kind, home))[name]
        assert term["recipe_count"] == 1
        assert name in await list_terms(client, as_["admin"], kind, home)
        url = f"{BASE}/{kind}/{term['id']}"
        member = as_["member"]
        assert (await client.patch(url, json={"name": "Leaked"}, headers=member)).status_code == (
            404
        )
        merged = await client.post(f"{url}/merge", json={"into": term["id"]}, headers=member)
        assert merged.status_code == 404
        assert (await client.delete(url, headers=member)).status_code == 404
    assert SECRET_NAMES["tags"] in await list_terms(client, as_["owner"], "tags", home)


async def test_counts_count_only_the_recipes_you_may_read(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    await add_recipe(client, as_["owner"], home, tags=["Weeknight"], ingredients=[{"food": "leek"}])
    private = _private(tags=["weeknight"], ingredients=[{"food": "leeks"}])
    await add_recipe(client, as_["owner"], home, **private)
    await add_recipe(client, as_["owner"], home, **private)
    for kind, name in (("tags", "Weeknight"), ("foods", "leek")):
        assert (await list_terms(client, as_["member"], kind, home))[name]["recipe_count"] == 1
        assert (await list_terms(client, as_["owner"], kind, home))[name]["recipe_count"] == 3
        assert (await list_terms(client, as_["admin"], kind, home))[name]["recipe_count"] == 3


async def test_renaming_leaves_the_recipes_you_cannot_read_as_they_were(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    shared = await add_recipe(client, as_["owner"], home, tags=["Weeknight"])
    private = await add_recipe(client, as_["owner"], home, **_private(tags=["weeknight"]))
    tag = (await list_terms(client, as_["member"], "tags", home))["Weeknight"]

    response = await client.patch(
        f"{BASE}/tags/{tag['id']}", json={"name": "Quick"}, headers=as_["member"]
    )
    assert response.status_code == 200, response.text
    assert (response.json()["name"], response.json()["recipe_count"]) == ("Quick", 1)
    assert (await read_recipe(client, as_["owner"], shared["id"]))["tags"] == ["Quick"]
    assert (await read_recipe(client, as_["owner"], private["id"]))["tags"] == ["Weeknight"]
    assert list(await list_terms(client, as_["member"], "tags", home)) == ["Quick"]
    owners = await list_terms(client, as_["owner"], "tags", home)
    assert {name: term["recipe_count"] for name, term in owners.items()} == {
        "Quick": 1,
        "Weeknight": 1,
    }


async def test_renaming_a_food_leaves_hidden_recipes_their_food_and_spellings(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    shared = await add_recipe(client, as_["owner"], home, ingredients=[{"food": "scallions"}])
    hidden = _private(ingredients=[{"food": "scallion"}, {"food": "garlic"}])
    private = await add_recipe(client, as_["owner"], home, **hidden)
    food = (await list_terms(client, as_["member"], "foods", home))["scallion"]

    response = await client.patch(
        f"{BASE}/foods/{food['id']}", json={"name": "Spring onion"}, headers=as_["member"]
    )
    assert response.status_code == 200, response.text
    assert response.json()["aliases"] == []  # the old spellings stay with the hidden recipe
    assert (await read_recipe(client, as_["owner"], shared["id"]))["ingredients"][0]["food"] == (
        "Spring onion"
    )
    assert (await read_recipe(client, as_["owner"], private["id"]))["ingredients"][0]["food"] == (
        "scallion"
    )
    assert set(await list_terms(client, as_["member"], "foods", home)) == {"Spring onion"}


async def test_merging_moves_only_the_recipes_you_can_read(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    shared = await add_recipe(client, as_["owner"], home, tags=["Veggie", "Vegetarian"])
    private = await add_recipe(client, as_["owner"], home, **_private(tags=["veggie"]))
    tags = await list_terms(client, as_["member"], "tags", home)

    response = await client.post(
        f"{BASE}/tags/{tags['Veggie']['id']}/merge",
        json={"into": tags["Vegetarian"]["id"]},
        headers=as_["member"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["recipe_count"] == 1
    assert (await read_recipe(client, as_["owner"], shared["id"]))["tags"] == ["Vegetarian"]
    assert (await read_recipe(client, as_["owner"], private["id"]))["tags"] == ["Veggie"]
    assert list(await list_terms(client, as_["member"], "tags", home)) == ["Vegetarian"]
    assert list(await list_terms(client, as_["owner"], "tags", home)) == ["Vegetarian", "Veggie"]


async def test_a_hidden_term_is_no_merge_target(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    await add_recipe(client, as_["owner"], home, **_private(tags=["Secret"]))
    await add_recipe(client, as_["member"], home, tags=["Mine"])
    hidden = (await list_terms(client, as_["owner"], "tags", home))["Secret"]
    mine = (await list_terms(client, as_["member"], "tags", home))["Mine"]
    missing = await client.post(
        f"{BASE}/tags/{mine['id']}/merge", json={"into": 10**9}, headers=as_["member"]
    )
    response = await client.post(
        f"{BASE}/tags/{mine['id']}/merge", json={"into": hidden["id"]}, headers=as_["member"]
    )
    assert response.status_code == missing.status_code == 422
    assert response.json()["detail"] == missing.json()["detail"]


async def test_renaming_to_a_name_only_hidden_recipes_use_tells_nothing_about_them(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    """The name joins the hidden term, as writing it into a recipe would: no 409 naming it,
    and the hidden recipe keeps its term as it was."""
    home = world.household.id
    private = await add_recipe(client, as_["owner"], home, **_private(tags=["Surprise"]))
    shared = await add_recipe(client, as_["member"], home, tags=["Party"])
    party = (await list_terms(client, as_["member"], "tags", home))["Party"]

    response = await client.patch(
        f"{BASE}/tags/{party['id']}", json={"name": "surprise"}, headers=as_["member"]
    )
    assert response.status_code == 200, response.text
    assert response.json()["recipe_count"] == 1
    assert "existing_term_id" not in response.json()
    assert (await read_recipe(client, as_["member"], shared["id"]))["tags"] == ["Surprise"]
    assert (await read_recipe(client, as_["owner"], private["id"]))["tags"] == ["Surprise"]
    owners = await list_terms(client, as_["owner"], "tags", home)
    assert {name: term["recipe_count"] for name, term in owners.items()} == {"Surprise": 2}


async def test_a_term_both_see_is_still_a_409_when_taken(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    await add_recipe(client, as_["owner"], home, tags=["Party"])
    await add_recipe(client, as_["owner"], home, **_private(tags=["party", "Secret"]))
    await add_recipe(client, as_["member"], home, tags=["Feast"])
    tags = await list_terms(client, as_["member"], "tags", home)
    response = await client.patch(
        f"{BASE}/tags/{tags['Feast']['id']}", json={"name": "PARTY"}, headers=as_["member"]
    )
    assert response.status_code == 409
    assert response.json()["existing_term_id"] == tags["Party"]["id"]


async def test_deleting_counts_only_what_you_may_read(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    await add_recipe(client, as_["owner"], home, tags=["Weeknight"])
    for _ in range(2):
        await add_recipe(client, as_["owner"], home, **_private(tags=["weeknight"]))
    tag = (await list_terms(client, as_["member"], "tags", home))["Weeknight"]
    response = await client.delete(f"{BASE}/tags/{tag['id']}", headers=as_["member"])
    assert response.status_code == 409
    assert response.json()["recipe_count"] == 1
    assert response.json()["detail"].startswith("1 recipe use")
