"""/api/v1/vocabularies: listing with usage counts, rename, merge and delete, for every kind,
and who may do it. Recipes are read back over HTTP to prove their stored documents follow."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.accounts import tokens
from recipevault.accounts.schemas import ApiTokenCreate
from recipevault.config import Settings
from recipevault.policy import unscoped
from recipevault.recipes.models import Recipe
from tests.recipes.terms_support import (
    BASE,
    RECIPES,
    Headers,
    add_recipe,
    list_terms,
    read_recipe,
)
from tests.support.database import statements_run
from tests.support.world import World, bearer


@pytest.fixture
def as_(session: AsyncSession, settings: Settings, world: World) -> dict[str, Headers]:
    return {role: bearer(user, settings, session) for role, user in world.all().items()}


async def _food_count(session: AsyncSession, recipe_id: int) -> int:
    count = await session.scalar(unscoped(select(Recipe.food_count).where(Recipe.id == recipe_id)))
    assert count is not None
    return count


# --- Listing -------------------------------------------------------------------------------


async def test_list_counts_recipes_outside_the_trash(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    await add_recipe(client, as_["owner"], home, tags=["Weeknight", "vegan"])
    await add_recipe(client, as_["member"], home, tags=["weeknight"], visibility="private")
    trashed = await add_recipe(client, as_["owner"], home, tags=["weeknight", "Zesty"])
    assert (await client.delete(f"{RECIPES}/{trashed['id']}", headers=as_["owner"])).is_success

    response = await client.get(
        f"{BASE}/tags", params={"household_id": home}, headers=as_["member"]
    )
    assert response.status_code == 200
    listed = response.json()
    assert [t["name"] for t in listed] == ["vegan", "Weeknight", "Zesty"]  # by name, any case
    assert [t["recipe_count"] for t in listed] == [1, 2, 0]
    assert set(listed[0]) == {"kind", "id", "household_id", "name", "recipe_count"}
    assert {t["household_id"] for t in listed} == {home}
    assert {t["kind"] for t in listed} == {"tags"}


async def test_list_without_household_covers_all_of_yours(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    await add_recipe(client, as_["member"], world.household.id, categories=["Shared"])
    await add_recipe(client, as_["member"], None, categories=["Mine"])  # the personal household
    await add_recipe(client, as_["outsider"], None, categories=["Theirs"])
    response = await client.get(f"{BASE}/categories", headers=as_["member"])
    assert [t["name"] for t in response.json()] == ["Mine", "Shared"]


async def test_foods_and_units_show_their_own_fields(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    await add_recipe(
        client,
        as_["owner"],
        home,
        ingredients=[{"text": "2 tbsp tomatoes"}, {"text": "1 tablespoon tomato paste"}],
    )
    foods = await list_terms(client, as_["owner"], "foods", home)
    assert foods["tomato"]["plural_name"] == "tomatoes"
    assert foods["tomato"]["aliases"] == []
    assert foods["tomato"]["recipe_count"] == 1
    assert set(foods["tomato"]) == {
        *("kind", "id", "household_id", "name", "recipe_count"),
        *("plural_name", "aliases"),
    }
    units = await list_terms(client, as_["owner"], "units", home)
    assert list(units) == ["tbsp"]  # "tbsp", "tablespoon": one unit, named as the vocabulary does
    assert units["tbsp"]["recipe_count"] == 1  # two lines, one recipe
    assert units["tbsp"]["plural_name"] == "tbsp"
    assert "abbreviation" in units["tbsp"]


@pytest.fixture
def statements(engine: AsyncEngine) -> Iterator[list[str]]:
    with statements_run(engine) as seen:
        yield seen


async def test_listing_costs_the_same_queries_for_many_terms(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers], statements: list[str]
) -> None:
    home = world.household.id
    await add_recipe(client, as_["owner"], home, ingredients=[{"food": "salt"}])

    async def queries() -> int:
        statements.clear()
        await list_terms(client, as_["owner"], "foods", home)
        return len(statements)

    few = await queries()
    foods = [{"food": f"spice {n}"} for n in range(15)]
    await add_recipe(client, as_["owner"], home, ingredients=foods)
    await add_recipe(client, as_["owner"], home, ingredients=foods[:5])
    assert await queries() == few


# --- Renaming ------------------------------------------------------------------------------


async def test_rename_shows_in_recipes_at_once(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    recipe = await add_recipe(client, as_["owner"], home, tags=["quick"], tools=["wok"])
    before = await client.get(f"{RECIPES}/{recipe['id']}", headers=as_["owner"])
    tag = (await list_terms(client, as_["member"], "tags", home))["quick"]

    response = await client.patch(
        f"{BASE}/tags/{tag['id']}", json={"name": "  Under   30 minutes "}, headers=as_["member"]
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**tag, "name": "Under 30 minutes"}
    after = await client.get(f"{RECIPES}/{recipe['id']}", headers=as_["owner"])
    assert after.json()["tags"] == ["Under 30 minutes"]
    assert after.headers["etag"] != before.headers["etag"]
    listed = await client.get(RECIPES, params={"tag": "under 30 minutes"}, headers=as_["owner"])
    assert [r["id"] for r in listed.json()["items"]] == [recipe["id"]]


async def test_renaming_a_food_keeps_its_old_spellings(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    recipe = await add_recipe(client, as_["owner"], home, ingredients=[{"text": "3 scallions"}])
    food = (await list_terms(client, as_["owner"], "foods", home))["scallion"]

    response = await client.patch(
        f"{BASE}/foods/{food['id']}", json={"name": "Green onion"}, headers=as_["owner"]
    )
    assert response.status_code == 200, response.text
    renamed = response.json()
    assert (renamed["name"], renamed["plural_name"]) == ("Green onion", "green onions")
    assert renamed["aliases"] == ["scallion", "scallions"]
    assert (await read_recipe(client, as_["owner"], recipe["id"]))["ingredients"][0]["food"] == (
        "Green onion"
    )
    # Text that names the old spelling, and the new one, both find the renamed food.
    await add_recipe(client, as_["owner"], home, ingredients=[{"food": "Scallions"}])
    await add_recipe(client, as_["owner"], home, ingredients=[{"food": "green onions"}])
    foods = await list_terms(client, as_["owner"], "foods", home)
    assert list(foods) == ["Green onion"]
    assert foods["Green onion"]["recipe_count"] == 3


async def test_rename_to_a_taken_name_is_409_and_says_merge(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    await add_recipe(client, as_["owner"], home, tags=["Vegan", "Weeknight"])
    tags = await list_terms(client, as_["owner"], "tags", home)
    response = await client.patch(
        f"{BASE}/tags/{tags['Vegan']['id']}", json={"name": "WEEKNIGHT"}, headers=as_["owner"]
    )
    assert response.status_code == 409
    assert "merge" in response.json()["detail"]
    assert response.json()["existing_term_id"] == tags["Weeknight"]["id"]
    # A change of case of the term's own name is a rename, not a clash.
    same = await client.patch(
        f"{BASE}/tags/{tags['Vegan']['id']}", json={"name": "vegan"}, headers=as_["owner"]
    )
    assert same.status_code == 200


async def test_renaming_a_food_to_another_foods_spelling_is_409(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    await add_recipe(
        client, as_["owner"], home, ingredients=[{"food": "scallion"}, {"food": "leek"}]
    )
    foods = await list_terms(client, as_["owner"], "foods", home)
    renamed = await client.patch(
        f"{BASE}/foods/{foods['scallion']['id']}",
        json={"name": "Spring onion"},
        headers=as_["owner"],
    )
    assert renamed.status_code == 200
    # "scallions" still means the spring onion, so the leek cannot take that name.
    response = await client.patch(
        f"{BASE}/foods/{foods['leek']['id']}", json={"name": "Scallions"}, headers=as_["owner"]
    )
    assert response.status_code == 409
    assert response.json()["existing_term_id"] == foods["scallion"]["id"]


async def test_renaming_a_unit(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    smidgen = {"quantity": 1, "unit": "smidgen", "food": "salt"}
    recipe = await add_recipe(client, as_["owner"], home, ingredients=[smidgen])
    unit = (await list_terms(client, as_["owner"], "units", home))["smidgen"]
    assert unit["plural_name"] is None
    response = await client.patch(
        f"{BASE}/units/{unit['id']}", json={"name": "Pinch"}, headers=as_["owner"]
    )
    assert response.status_code == 200, response.text
    # Now a unit the unit vocabulary knows, so recipes show its key and it has a plural.
    assert (response.json()["name"], response.json()["plural_name"]) == ("Pinch", "pinches")
    line = (await read_recipe(client, as_["owner"], recipe["id"]))["ingredients"][0]
    assert line["unit"] == "pinch"


@pytest.mark.parametrize(
    "body",
    [{"name": ""}, {"name": "   "}, {"name": "x" * 101}, {}, {"name": "ok", "colour": "red"}],
)
async def test_rename_bounds(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers], body: dict[str, Any]
) -> None:
    await add_recipe(client, as_["owner"], world.household.id, tags=["quick"])
    tag = (await list_terms(client, as_["owner"], "tags", world.household.id))["quick"]
    response = await client.patch(f"{BASE}/tags/{tag['id']}", json=body, headers=as_["owner"])
    assert response.status_code == 422


# --- Merging -------------------------------------------------------------------------------


async def test_merging_tags_leaves_one_link_per_recipe(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    both = await add_recipe(client, as_["owner"], home, tags=["Veggie", "Vegetarian", "Quick"])
    one = await add_recipe(client, as_["owner"], home, tags=["veggie"])
    tags = await list_terms(client, as_["owner"], "tags", home)

    response = await client.post(
        f"{BASE}/tags/{tags['Veggie']['id']}/merge",
        json={"into": tags["Vegetarian"]["id"]},
        headers=as_["member"],
    )
    assert response.status_code == 200, response.text
    assert response.json() == {**tags["Vegetarian"], "recipe_count": 2}
    assert sorted((await read_recipe(client, as_["owner"], both["id"]))["tags"]) == [
        "Quick",
        "Vegetarian",
    ]
    assert (await read_recipe(client, as_["owner"], one["id"]))["tags"] == ["Vegetarian"]
    assert list(await list_terms(client, as_["owner"], "tags", home)) == ["Quick", "Vegetarian"]


async def test_merging_foods_moves_their_spellings_and_recounts(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    both = await add_recipe(
        client,
        as_["owner"],
        home,
        ingredients=[{"text": "2 scallions"}, {"text": "1 green onion"}, {"text": "salt"}],
    )
    assert await _food_count(session, both["id"]) == 3
    foods = await list_terms(client, as_["owner"], "foods", home)

    response = await client.post(
        f"{BASE}/foods/{foods['scallion']['id']}/merge",
        json={"into": foods["green onion"]["id"]},
        headers=as_["owner"],
    )
    assert response.status_code == 200, response.text
    merged = response.json()
    assert merged["id"] == foods["green onion"]["id"]
    assert merged["aliases"] == ["scallion", "scallions"]
    assert merged["recipe_count"] == 1
    assert await _food_count(session, both["id"]) == 2
    lines = (await read_recipe(client, as_["owner"], both["id"]))["ingredients"]
    assert [line["food"] for line in lines] == ["green onion", "green onion", "salt"]

    # The merged-away spelling now resolves to the food that remains.
    later = await add_recipe(client, as_["owner"], home, ingredients=[{"text": "4 scallions"}])
    assert (await read_recipe(client, as_["owner"], later["id"]))["ingredients"][0]["food"] == (
        "green onion"
    )
    foods = await list_terms(client, as_["owner"], "foods", home)
    assert sorted(foods) == ["green onion", "salt"]
    assert foods["green onion"]["recipe_count"] == 2


async def test_merging_units(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    smidgen = {"quantity": 1, "unit": "smidgen", "food": "salt"}
    recipe = await add_recipe(
        client, as_["owner"], home, ingredients=[smidgen, {"text": "2 tsp oil"}]
    )
    units = await list_terms(client, as_["owner"], "units", home)
    response = await client.post(
        f"{BASE}/units/{units['smidgen']['id']}/merge",
        json={"into": units["tsp"]["id"]},
        headers=as_["owner"],
    )
    assert response.status_code == 200, response.text
    assert response.json()["recipe_count"] == 1
    lines = (await read_recipe(client, as_["owner"], recipe["id"]))["ingredients"]
    assert [line["unit"] for line in lines] == ["teaspoon", "teaspoon"]


async def test_merge_needs_another_term_of_the_same_household(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    await add_recipe(client, as_["owner"], world.household.id, tags=["quick"])
    await add_recipe(client, as_["owner"], None, tags=["personal"])
    tag = (await list_terms(client, as_["owner"], "tags", world.household.id))["quick"]
    personal = (await client.get(f"{BASE}/tags", headers=as_["owner"])).json()
    elsewhere = next(t for t in personal if t["name"] == "personal")
    url = f"{BASE}/tags/{tag['id']}/merge"
    for into in (tag["id"], elsewhere["id"], 10**9):
        response = await client.post(url, json={"into": into}, headers=as_["owner"])
        assert response.status_code == 422, into
        assert response.json()["errors"][0]["field"] == "into"
    assert (await client.post(url, json={}, headers=as_["owner"])).status_code == 422


# --- Deleting ------------------------------------------------------------------------------


async def test_delete_only_unused_terms(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    recipe = await add_recipe(client, as_["owner"], home, tags=["old", "kept"])
    patched = await client.patch(
        f"{RECIPES}/{recipe['id']}", json={"tags": ["kept"]}, headers=as_["owner"]
    )
    assert patched.status_code == 200
    tags = await list_terms(client, as_["owner"], "tags", home)

    used = await client.delete(f"{BASE}/tags/{tags['kept']['id']}", headers=as_["member"])
    assert used.status_code == 409
    assert used.json()["recipe_count"] == 1
    unused = await client.delete(f"{BASE}/tags/{tags['old']['id']}", headers=as_["member"])
    assert unused.status_code == 204
    assert list(await list_terms(client, as_["owner"], "tags", home)) == ["kept"]


async def test_trashed_recipes_still_hold_their_terms(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    recipe = await add_recipe(client, as_["owner"], home, ingredients=[{"food": "saffron"}])
    assert (await client.delete(f"{RECIPES}/{recipe['id']}", headers=as_["owner"])).is_success
    saffron = (await list_terms(client, as_["owner"], "foods", home))["saffron"]
    assert saffron["recipe_count"] == 0
    response = await client.delete(f"{BASE}/foods/{saffron['id']}", headers=as_["owner"])
    assert response.status_code == 409
    assert response.json()["recipe_count"] == 1


async def test_a_renamed_trashed_recipe_stays_out_of_search(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    recipe = await add_recipe(client, as_["owner"], home, ingredients=[{"food": "quince"}])
    assert (await client.delete(f"{RECIPES}/{recipe['id']}", headers=as_["owner"])).is_success
    quince = (await list_terms(client, as_["owner"], "foods", home))["quince"]
    response = await client.patch(
        f"{BASE}/foods/{quince['id']}", json={"name": "Marmelo"}, headers=as_["owner"]
    )
    assert response.status_code == 200
    trash = (await client.get(f"{RECIPES}/trash", headers=as_["owner"])).json()
    assert [r["id"] for r in trash] == [recipe["id"]]
    found = await client.get(RECIPES, params={"q": "marmelo"}, headers=as_["owner"])
    assert found.json()["items"] == []
    restored = await client.post(f"{RECIPES}/{recipe['id']}/restore", headers=as_["owner"])
    assert restored.json()["ingredients"][0]["food"] == "Marmelo"


# --- Who may --------------------------------------------------------------------------------


async def test_each_role_on_a_shared_households_term(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    """The rows the app's authorization matrix holds for these routes."""
    home = world.household.id
    expected = {  # list, rename, merge, delete a used term, delete an unused one
        "visitor": (401, 401, 401, 401, 401),
        "outsider": (404, 404, 404, 404, 404),
        "member": (200, 200, 200, 409, 204),
        "owner": (200, 200, 200, 409, 204),
        "admin": (200, 200, 200, 409, 204),
    }
    for role, statuses in expected.items():
        # Fresh terms for each role, since merging and deleting remove them.
        recipe = await add_recipe(client, as_["owner"], home, tags=["a", "b", "unused"])
        await client.patch(
            f"{RECIPES}/{recipe['id']}", json={"tags": ["a", "b"]}, headers=as_["owner"]
        )
        tags = await list_terms(client, as_["owner"], "tags", home)
        a, b, unused = (f"{BASE}/tags/{tags[name]['id']}" for name in ("a", "b", "unused"))
        calls: list[tuple[str, str, dict[str, Any] | None]] = [
            ("GET", f"{BASE}/tags?household_id={home}", None),
            ("PATCH", a, {"name": "a"}),
            ("POST", f"{a}/merge", {"into": tags["b"]["id"]}),
            ("DELETE", b, None),
            ("DELETE", unused, None),
        ]
        for (method, url, body), status in zip(calls, statuses, strict=True):
            response = await client.request(method, url, json=body, headers=as_.get(role, {}))
            assert response.status_code == status, f"{method} {url} as {role}: {response.text}"
        if statuses[-1] != 204:
            assert (await client.delete(unused, headers=as_["owner"])).status_code == 204


async def test_members_and_admins_may_curate(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    home = world.household.id
    await add_recipe(client, as_["owner"], home, tags=["spare"])
    tag = (await list_terms(client, as_["owner"], "tags", home))["spare"]
    for role in ("member", "owner", "admin"):
        response = await client.patch(
            f"{BASE}/tags/{tag['id']}", json={"name": f"by {role}"}, headers=as_[role]
        )
        assert response.status_code == 200, role
    assert (await list_terms(client, as_["admin"], "tags", home)).keys() == {"by admin"}


async def test_read_only_tokens_may_list_but_not_change(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: dict[str, Headers]
) -> None:
    await add_recipe(client, as_["owner"], world.household.id, tags=["quick"])
    _, secret = await tokens.create_api_token(
        session, user=world.owner, data=ApiTokenCreate(name="reader"), ip=None
    )
    reader = {"Authorization": f"Bearer {secret}"}
    tag = (await list_terms(client, reader, "tags", world.household.id))["quick"]
    response = await client.patch(f"{BASE}/tags/{tag['id']}", json={"name": "x"}, headers=reader)
    assert response.status_code == 403


async def test_visitors_get_401(client: httpx.AsyncClient) -> None:
    assert (await client.get(f"{BASE}/tags")).status_code == 401
    assert (await client.patch(f"{BASE}/tags/1", json={"name": "x"})).status_code == 401
    assert (await client.post(f"{BASE}/tags/1/merge", json={"into": 2})).status_code == 401
    assert (await client.delete(f"{BASE}/tags/1")).status_code == 401


async def test_other_households_terms_are_404(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    await add_recipe(client, as_["owner"], world.household.id, tags=["quick"])
    tag = (await list_terms(client, as_["owner"], "tags", world.household.id))["quick"]
    outsider = as_["outsider"]
    listing = await client.get(
        f"{BASE}/tags", params={"household_id": world.household.id}, headers=outsider
    )
    assert listing.status_code == 404
    assert (await client.get(f"{BASE}/tags", headers=outsider)).json() == []
    url = f"{BASE}/tags/{tag['id']}"
    assert (await client.patch(url, json={"name": "x"}, headers=outsider)).status_code == 404
    assert (await client.post(f"{url}/merge", json={"into": 1}, headers=outsider)).status_code == (
        404
    )
    assert (await client.delete(url, headers=outsider)).status_code == 404
    # A term id of another kind is not found either.
    assert (await client.delete(f"{BASE}/tools/{tag['id']}", headers=as_["owner"])).status_code == (
        404
    )


async def test_admins_may_list_any_household(
    client: httpx.AsyncClient, world: World, as_: dict[str, Headers]
) -> None:
    await add_recipe(client, as_["outsider"], None, tags=["theirs"])
    personal = (await client.get(f"{BASE}/tags", headers=as_["outsider"])).json()[0]
    response = await client.get(
        f"{BASE}/tags", params={"household_id": personal["household_id"]}, headers=as_["admin"]
    )
    assert [t["name"] for t in response.json()] == ["theirs"]
    missing = await client.get(f"{BASE}/tags", params={"household_id": 10**9}, headers=as_["admin"])
    assert missing.status_code == 404


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", "/recipes"),
        ("PATCH", "/recipes/1"),
        ("POST", "/recipes/1/merge"),
        ("DELETE", "/tag/1"),
    ],
)
async def test_unknown_kind_is_422(
    client: httpx.AsyncClient, as_: dict[str, Headers], method: str, path: str
) -> None:
    body = {"PATCH": {"name": "x"}, "POST": {"into": 2}}.get(method)
    response = await client.request(method, BASE + path, json=body, headers=as_["owner"])
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "kind"


async def test_documented_in_openapi(client: httpx.AsyncClient) -> None:
    paths = (await client.get("/openapi.json")).json()["paths"]
    assert set(paths[f"{BASE}/{{kind}}/{{term_id}}"]) == {"patch", "delete"}
    kind = paths[f"{BASE}/{{kind}}"]["get"]["parameters"][0]
    assert kind["schema"]["enum"] == ["tags", "categories", "tools", "foods", "units"]
