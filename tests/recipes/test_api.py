"""/api/v1/recipes: the shape clients rely on, writes, reads, ETags, revisions and trash."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.config import Settings
from recipevault.http.schemas import MAX_ID
from tests.support.world import World, bearer

BASE = "/api/v1/recipes"
PANCAKES: dict[str, Any] = {
    "title": "Buttermilk Pancakes",
    "description": "Fluffy.",
    "servings": 4,
    "prep_minutes": 10,
    "cook_minutes": 15,
    "visibility": "public",
    "tags": ["breakfast"],
    "categories": ["Brunch"],
    "ingredients": [
        {"text": "2 cups all-purpose flour"},
        {"text": "1 1/2 cups buttermilk"},
        {"section": "Topping", "text": "2 tbsp maple syrup"},
    ],
    "steps": [
        {"text": "Whisk the dry ingredients."},
        {"text": "Cook on a hot griddle.", "timer_minutes": 3},
    ],
}


@pytest.fixture
def owner(session: AsyncSession, settings: Settings, world: World) -> dict[str, str]:
    return bearer(world.owner, settings, session)


async def _create(
    client: httpx.AsyncClient, headers: dict[str, str], **changes: Any
) -> dict[str, Any]:
    response = await client.post(BASE, json={**PANCAKES, **changes}, headers=headers)
    assert response.status_code == 201, response.text
    return dict(response.json())


async def test_create_accepts_the_documented_body(
    client: httpx.AsyncClient, world: World, owner: dict[str, str]
) -> None:
    response = await client.post(BASE, json=PANCAKES, headers=owner)
    assert response.status_code == 201
    body = response.json()
    assert response.headers["location"] == f"{BASE}/{body['id']}"
    assert response.headers["etag"]
    assert body["slug"] == "buttermilk-pancakes"
    assert body["total_minutes"] == 25
    assert body["version"] == 1
    assert body["owner"] == {"id": world.owner.id, "display_name": "Olive Owner"}
    assert body["household"]["id"]
    assert body["tags"] == ["breakfast"]
    assert body["categories"] == ["Brunch"]
    flour, buttermilk, syrup = body["ingredients"]
    assert (flour["quantity"], flour["unit"], flour["food"]) == (2, "cup", "all-purpose flour")
    assert flour["text"] == "2 cups all-purpose flour"
    assert (buttermilk["quantity"], buttermilk["display"]) == (1.5, "1½ cups")
    assert flour["section"] is None
    assert syrup["section"] == "Topping"
    assert syrup["unit"] == "tablespoon"
    assert [s["timer_minutes"] for s in body["steps"]] == [None, 3]
    for key in (
        "id",
        "slug",
        "title",
        "description",
        "servings",
        "prep_minutes",
        "cook_minutes",
        "visibility",
        "created_at",
        "updated_at",
    ):
        assert key in body


async def test_get_matches_create_and_supports_304(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    created = await client.post(BASE, json=PANCAKES, headers=owner)
    url = created.headers["location"]
    read = await client.get(url)
    assert read.json() == created.json()
    assert read.headers["etag"] == created.headers["etag"]
    cached = await client.get(url, headers={"If-None-Match": read.headers["etag"]})
    assert cached.status_code == 304


async def test_slugs_are_unique_and_stable(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    first = await _create(client, owner)
    second = await _create(client, owner)
    assert second["slug"] == "buttermilk-pancakes-2"
    renamed = await client.patch(
        f"{BASE}/{first['id']}", json={"title": "Best Pancakes"}, headers=owner
    )
    assert renamed.json()["slug"] == "buttermilk-pancakes"


async def test_scaling_and_units(client: httpx.AsyncClient, owner: dict[str, str]) -> None:
    recipe = await _create(client, owner)
    doubled = (await client.get(f"{BASE}/{recipe['id']}", params={"servings": 8})).json()
    assert doubled["servings"] == 8
    assert doubled["ingredients"][0]["quantity"] == 4
    assert doubled["ingredients"][1]["display"] == "3 cups"
    third = (await client.get(f"{BASE}/{recipe['id']}", params={"scale": "0.5"})).json()
    assert third["servings"] == 2
    assert third["ingredients"][1]["display"] == "¾ cup"
    metric = (await client.get(f"{BASE}/{recipe['id']}", params={"units": "metric"})).json()
    assert metric["units"] == "metric"
    flour = metric["ingredients"][0]
    assert flour["unit"] == "gram"
    assert 230 <= flour["quantity"] <= 260
    assert set(metric) == set(recipe)


async def test_total_time_follows_prep_and_cook_unless_given(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    recipe = await _create(client, owner)  # 10 + 15 minutes, no total given
    url = f"{BASE}/{recipe['id']}"
    assert (recipe["total_minutes"], recipe["total_minutes_given"]) == (25, False)

    async def patch(**fields: Any) -> dict[str, Any]:
        response = await client.patch(url, json=fields, headers=owner)
        assert response.status_code == 200, response.text
        return dict(response.json())

    assert (await patch(prep_minutes=20))["total_minutes"] == 35
    assert (await patch(cook_minutes=None))["total_minutes"] == 20
    assert (await patch(prep_minutes=None))["total_minutes"] is None
    assert (await patch(prep_minutes=5, cook_minutes=40))["total_minutes"] == 45
    # A total given (with an hour of rest, say) stays when the times change...
    given = await patch(total_minutes=105)
    assert (given["total_minutes"], given["total_minutes_given"]) == (105, True)
    assert (await patch(prep_minutes=10))["total_minutes"] == 105
    # ...until it is cleared, or the recipe is replaced without one.
    cleared = await patch(total_minutes=None)
    assert (cleared["total_minutes"], cleared["total_minutes_given"]) == (50, False)
    await patch(total_minutes=200)
    replaced = await client.put(url, json={**PANCAKES, "prep_minutes": 12}, headers=owner)
    assert (replaced.json()["total_minutes"], replaced.json()["total_minutes_given"]) == (27, False)


async def test_a_total_given_at_creation_is_kept_and_restored_as_given(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    recipe = await _create(client, owner, total_minutes=240)
    url = f"{BASE}/{recipe['id']}"
    assert recipe["total_minutes_given"] is True
    await client.patch(url, json={"total_minutes": None}, headers=owner)
    moved = await client.patch(url, json={"cook_minutes": 30}, headers=owner)
    assert moved.json()["total_minutes"] == 40
    restored = await client.post(f"{url}/revisions/1/restore", headers=owner)
    assert (restored.json()["total_minutes"], restored.json()["total_minutes_given"]) == (240, True)
    derived = await client.post(f"{url}/revisions/2/restore", headers=owner)
    assert (derived.json()["total_minutes"], derived.json()["total_minutes_given"]) == (25, False)
    later = await client.patch(url, json={"prep_minutes": 20}, headers=owner)
    assert later.json()["total_minutes"] == 35


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"servings": 0}, "servings"),
        ({"servings": 10**9}, "servings"),
        ({"scale": -1}, "scale"),
        ({"units": "imperial"}, "units"),
        ({"servings": 2, "scale": 2}, "scale"),
    ],
)
async def test_bad_scaling_is_422_naming_the_field(
    client: httpx.AsyncClient, owner: dict[str, str], params: dict[str, Any], field: str
) -> None:
    recipe = await _create(client, owner)
    response = await client.get(f"{BASE}/{recipe['id']}", params=params)
    assert response.status_code == 422
    assert field in [e["field"] for e in response.json()["errors"]]


async def test_stale_if_match_is_412_with_current_version(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    created = await client.post(BASE, json=PANCAKES, headers=owner)
    url, first_etag = created.headers["location"], created.headers["etag"]
    ok = await client.patch(url, json={"servings": 6}, headers={**owner, "If-Match": first_etag})
    assert ok.status_code == 200
    assert ok.json()["version"] == 2
    stale = await client.patch(url, json={"servings": 2}, headers={**owner, "If-Match": first_etag})
    assert stale.status_code == 412
    assert stale.json()["current_version"] == 2
    assert (await client.get(url)).json()["servings"] == 6


async def test_revisions_list_show_and_restore(
    client: httpx.AsyncClient, world: World, owner: dict[str, str]
) -> None:
    recipe = await _create(client, owner)
    url = f"{BASE}/{recipe['id']}"
    await client.patch(url, json={"title": "Pancakes II", "servings": 2}, headers=owner)
    await client.put(url, json={**PANCAKES, "title": "Pancakes III"}, headers=owner)
    revisions = (await client.get(f"{url}/revisions", headers=owner)).json()
    assert [r["number"] for r in revisions] == [2, 1]
    assert revisions[1]["changed_fields"] == ["servings", "title"]
    assert revisions[1]["author"]["id"] == world.owner.id
    first = (await client.get(f"{url}/revisions/1", headers=owner)).json()
    assert first["recipe"]["title"] == "Buttermilk Pancakes"
    restored = await client.post(f"{url}/revisions/1/restore", headers=owner)
    assert restored.json()["title"] == "Buttermilk Pancakes"
    assert restored.json()["version"] == 4
    assert restored.json()["ingredients"] == recipe["ingredients"]


async def test_no_change_makes_no_revision(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    recipe = await _create(client, owner)
    same = await client.put(f"{BASE}/{recipe['id']}", json=PANCAKES, headers=owner)
    assert same.json()["version"] == 1


async def test_trash_and_restore(client: httpx.AsyncClient, owner: dict[str, str]) -> None:
    recipe = await _create(client, owner)
    url = f"{BASE}/{recipe['id']}"
    assert (await client.delete(url, headers=owner)).status_code == 204
    assert (await client.get(url)).status_code == 404
    trash = (await client.get(f"{BASE}/trash", headers=owner)).json()
    assert [r["id"] for r in trash] == [recipe["id"]]
    assert (await client.post(f"{url}/restore", headers=owner)).status_code == 200
    assert (await client.get(url)).status_code == 200


async def test_visibility_rules_and_404_for_hidden(
    client: httpx.AsyncClient,
    session: AsyncSession,
    settings: Settings,
    world: World,
    owner: dict[str, str],
) -> None:
    private = await _create(client, owner, visibility="private")
    shared = await _create(client, owner, visibility="household", household_id=world.household.id)
    member = bearer(world.member, settings, session)
    outsider = bearer(world.outsider, settings, session)
    assert (await client.get(f"{BASE}/{private['id']}")).status_code == 404
    assert (await client.get(f"{BASE}/{private['id']}", headers=member)).status_code == 404
    assert (await client.get(f"{BASE}/{shared['id']}", headers=member)).status_code == 200
    assert (await client.get(f"{BASE}/{shared['id']}", headers=outsider)).status_code == 404
    edit = await client.patch(f"{BASE}/{shared['id']}", json={"title": "Mine"}, headers=member)
    assert edit.status_code == 403
    hidden_edit = await client.patch(
        f"{BASE}/{private['id']}", json={"title": "x"}, headers=outsider
    )
    assert hidden_edit.status_code == 404


async def test_bounds_and_unknown_fields(client: httpx.AsyncClient, owner: dict[str, str]) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"title": ""}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"ingredients": [{"text": "salt"}] * 201}, "ingredients"),
        ({"steps": [{"text": "stir"}] * 101}, "steps"),
        ({"tags": [f"t{i}" for i in range(51)]}, "tags"),
        ({"servings": 0}, "servings"),
        ({"colour": "red"}, "colour"),
        ({"source_url": "javascript:alert(1)"}, "source_url"),
    ]
    for change, field in cases:
        response = await client.post(BASE, json={**PANCAKES, **change}, headers=owner)
        assert response.status_code == 422, change
        assert any(e["field"].startswith(field) for e in response.json()["errors"]), response.text


async def test_moving_a_recipe_refiles_its_terms_in_the_new_household(
    client: httpx.AsyncClient, world: World, owner: dict[str, str]
) -> None:
    recipe = await _create(client, owner, visibility="household")
    moved = await client.patch(
        f"{BASE}/{recipe['id']}", json={"household_id": world.household.id}, headers=owner
    )
    assert moved.status_code == 200
    assert moved.json()["household"]["id"] == world.household.id
    assert moved.json()["tags"] == ["breakfast"]
    tags = (
        await client.get(
            "/api/v1/vocabularies/tags", params={"household_id": world.household.id}, headers=owner
        )
    ).json()
    assert [(t["name"], t["recipe_count"]) for t in tags] == [("breakfast", 1)]
    foods = (
        await client.get(
            "/api/v1/vocabularies/foods", params={"household_id": world.household.id}, headers=owner
        )
    ).json()
    assert {f["name"] for f in foods} >= {"buttermilk", "maple syrup"}


async def test_an_admin_may_file_a_recipe_in_any_household_that_exists(
    client: httpx.AsyncClient, session: AsyncSession, settings: Settings, world: World
) -> None:
    admin = bearer(world.admin, settings, session)
    theirs = await _create(client, admin, household_id=world.household.id)
    assert theirs["household"]["id"] == world.household.id
    nowhere = await client.post(BASE, json={**PANCAKES, "household_id": MAX_ID}, headers=admin)
    assert nowhere.status_code == 422, nowhere.text
    assert nowhere.json()["errors"][0]["field"] == "household_id"


async def _orphan(client: httpx.AsyncClient, owner: dict[str, str]) -> dict[str, Any]:
    """A recipe whose household was deleted: its only member (the recipe's owner) left it."""
    cabin = await client.post("/api/v1/households", json={"name": "Cabin"}, headers=owner)
    recipe = await _create(client, owner, visibility="household", household_id=cabin.json()["id"])
    await client.patch(f"{BASE}/{recipe['id']}", json={"servings": 2}, headers=owner)
    left = await client.post(f"/api/v1/households/{cabin.json()['id']}/leave", headers=owner)
    assert left.status_code == 204, left.text
    orphan = (await client.get(f"{BASE}/{recipe['id']}", headers=owner)).json()
    assert orphan["household"] is None
    return dict(orphan)


async def _personal_household(client: httpx.AsyncClient, headers: dict[str, str]) -> int:
    households = (await client.get("/api/v1/households", headers=headers)).json()
    return int(next(h["id"] for h in households if h["is_personal"]))


@pytest.mark.parametrize("method", ["PATCH", "PUT"])
async def test_a_recipe_whose_household_was_deleted_can_still_be_edited(
    client: httpx.AsyncClient, owner: dict[str, str], method: str
) -> None:
    orphan = await _orphan(client, owner)
    body = {"title": "Cabin"} if method == "PATCH" else {**PANCAKES, "visibility": "household"}
    edited = await client.request(method, f"{BASE}/{orphan['id']}", json=body, headers=owner)
    assert edited.status_code == 200, edited.text
    # It is filed where its owner's private recipes live, its terms with it.
    assert edited.json()["household"]["id"] == await _personal_household(client, owner)
    assert edited.json()["tags"] == ["breakfast"]
    assert [line["food"] for line in edited.json()["ingredients"]] == [
        line["food"] for line in orphan["ingredients"]
    ]
    assert edited.json()["visibility"] == "household"


async def test_a_recipe_whose_household_was_deleted_can_go_back_to_a_revision(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    orphan = await _orphan(client, owner)
    restored = await client.post(f"{BASE}/{orphan['id']}/revisions/1/restore", headers=owner)
    assert restored.status_code == 200, restored.text
    assert restored.json()["servings"] == PANCAKES["servings"]
    assert restored.json()["household"]["id"] == await _personal_household(client, owner)
    assert restored.json()["tags"] == ["breakfast"]


async def test_if_none_match_takes_a_list_and_weak_tags(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    created = await client.post(BASE, json=PANCAKES, headers=owner)
    etag = created.headers["etag"]
    for header in (f'"other", {etag}', f"W/{etag}", "*"):
        response = await client.get(created.headers["location"], headers={"If-None-Match": header})
        assert response.status_code == 304, header


async def test_longest_names_fit_every_database(
    client: httpx.AsyncClient, owner: dict[str, str]
) -> None:
    """Plurals and case folding can lengthen a name past its column; PostgreSQL would refuse."""
    long_food = "x" * 98 + "ry"  # its plural, "...ries", is longer than 100 characters
    response = await client.post(
        BASE,
        json={
            "title": "Long names",
            "tags": ["ß" * 100],
            "ingredients": [{"food": long_food, "quantity": 1}],
        },
        headers=owner,
    )
    assert response.status_code == 201, response.text
    assert response.json()["ingredients"][0]["food"] == long_food


async def test_a_recipe_id_that_is_not_a_number_is_no_address(
    client: httpx.AsyncClient,
) -> None:
    # Ids are numbers: /recipes/pancakes is no recipe, as /recipes/trash is another list.
    response = await client.get(f"{BASE}/pancakes")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


async def test_reading_a_recipe_documents_its_parameters(client: httpx.AsyncClient) -> None:
    operation = (await client.get("/openapi.json")).json()["paths"][f"{BASE}/{{recipe_id}}"]
    parameters = {(p["in"], p["name"]) for p in operation["get"]["parameters"]}
    assert parameters == {
        ("path", "recipe_id"),
        ("query", "servings"),
        ("query", "scale"),
        ("query", "units"),
    }
