"""/api/v1/meal-plan: planning recipes, notes and leftovers for a household's days."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.policy import Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import RecipeUpdate
from tests.planner.conftest import PLAN, HeadersFor, Plan, make_recipe
from tests.support.world import World, actor_for

ENTRY_FIELDS = {
    "id",
    "household_id",
    "date",
    "end_date",
    "slot_id",
    "recipe_id",
    "recipe",
    "recipe_unavailable",
    "servings",
    "title",
    "note",
    "cook_id",
    "leftovers_of",
}


async def listing(
    client: httpx.AsyncClient, world: World, headers: dict[str, str], start: str, end: str
) -> list[dict[str, Any]]:
    response = await client.get(
        PLAN,
        params={"household_id": world.household.id, "start": start, "end": end},
        headers=headers,
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


async def test_plan_a_recipe_at_its_servings_or_at_others(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    slots: dict[str, int],
    plan: Plan,
) -> None:
    soup = await make_recipe(session, world, title="Lentil soup", servings=4)
    created = await plan(
        "member",
        recipe_id=soup.id,
    )
    assert created.status_code == 201, created.text
    entry = created.json()
    assert set(entry) == ENTRY_FIELDS
    assert entry["recipe"] == {"id": soup.id, "title": "Lentil soup", "slug": soup.slug}
    assert entry["servings"] == 4
    assert entry["end_date"] == "2026-12-07"
    assert created.headers["location"] == f"{PLAN}/{entry['id']}"
    six = await plan(
        "owner",
        date="2026-12-08",
        recipe_id=soup.id,
        servings=6,
        cook_id=world.member.id,
    )
    assert six.json()["servings"] == 6
    assert six.json()["cook_id"] == world.member.id
    read = await client.get(f"{PLAN}/{entry['id']}", headers=as_("owner"))
    assert read.json() == entry


async def test_notes_multi_day_entries_and_leftovers(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    slots: dict[str, int],
    plan: Plan,
) -> None:
    stew = await make_recipe(session, world, title="Stew")
    headers = as_("member")
    out = await plan(
        "member",
        date="2026-12-09",
        slot="Lunch",
        title="Eating out",
        note="At Nonna's",
    )
    assert out.status_code == 201
    assert out.json()["recipe"] is None
    assert out.json()["recipe_unavailable"] is False
    camp = await plan(
        "member",
        date="2026-12-05",
        end_date="2026-12-08",
        slot="Breakfast",
        note="Camping: porridge",
    )
    assert camp.status_code == 201
    cooked = await plan(
        "member",
        recipe_id=stew.id,
    )
    left = await plan(
        "member",
        date="2026-12-08",
        slot="Lunch",
        leftovers_of=cooked.json()["id"],
    )
    assert left.status_code == 201
    assert left.json()["leftovers_of"] == cooked.json()["id"]

    week = await listing(client, world, headers, "2026-12-07", "2026-12-13")
    # The camping entry started before the week and runs into it; ordered by date, then slot.
    assert [(e["date"], e["slot_id"]) for e in week] == [
        ("2026-12-05", slots["Breakfast"]),
        ("2026-12-07", slots["Dinner"]),
        ("2026-12-08", slots["Lunch"]),
        ("2026-12-09", slots["Lunch"]),
    ]
    assert await listing(client, world, headers, "2026-12-10", "2026-12-31") == []


async def test_listing_orders_by_slot_position(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, slots: dict[str, int], plan: Plan
) -> None:
    headers = as_("member")
    for name in ("Snack", "Dinner", "Breakfast"):
        await plan(
            "member",
            slot=name,
            title=name,
        )
    await client.patch(
        f"/api/v1/households/{world.household.id}/meal-slots/{slots['Snack']}",
        json={"position": 0},
        headers=headers,
    )
    day = await listing(client, world, headers, "2026-12-07", "2026-12-07")
    assert [entry["title"] for entry in day] == ["Snack", "Breakfast", "Dinner"]


async def test_change_move_and_remove_an_entry(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    slots: dict[str, int],
    plan: Plan,
) -> None:
    soup = await make_recipe(session, world, title="Soup", servings=2)
    pie = await make_recipe(session, world, title="Pie", servings=8)
    entry = (
        await plan(
            "member",
            end_date="2026-12-08",
            recipe_id=soup.id,
        )
    ).json()
    url = f"{PLAN}/{entry['id']}"
    moved = await client.patch(url, json={"date": "2026-12-10"}, headers=as_("owner"))
    assert moved.status_code == 200
    assert (moved.json()["date"], moved.json()["end_date"]) == ("2026-12-10", "2026-12-11")
    other = await client.patch(
        url, json={"recipe_id": pie.id, "slot_id": slots["Lunch"]}, headers=as_("member")
    )
    assert other.json()["recipe"]["title"] == "Pie"
    assert other.json()["servings"] == 8
    assert other.json()["slot_id"] == slots["Lunch"]
    noted = await client.patch(
        url, json={"recipe_id": None, "note": "Something light"}, headers=as_("member")
    )
    assert noted.json()["recipe"] is None
    assert noted.json()["note"] == "Something light"
    emptied = await client.patch(url, json={"note": None}, headers=as_("member"))
    assert emptied.status_code == 422
    assert (await client.delete(url, headers=as_("member"))).status_code == 204
    assert (await client.get(url, headers=as_("member"))).status_code == 404


async def test_a_recipe_you_cannot_read_cannot_be_planned(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    slots: dict[str, int],
    plan: Plan,
) -> None:
    private = await make_recipe(session, world, title="Secret", visibility=Visibility.PRIVATE)
    theirs = await make_recipe(session, world, owner="outsider", title="Not yours")
    for recipe_id in (private.id, theirs.id, 999_999):
        refused = await plan(
            "member",
            recipe_id=recipe_id,
        )
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == ["recipe_id"]
        assert "Secret" not in refused.text
        assert "Not yours" not in refused.text
    entry = (
        await plan(
            "member",
            title="Something",
        )
    ).json()
    patched = await client.patch(
        f"{PLAN}/{entry['id']}", json={"recipe_id": private.id}, headers=as_("member")
    )
    assert patched.status_code == 422


async def test_a_recipe_that_becomes_unreadable_shows_as_no_longer_available(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    slots: dict[str, int],
    plan: Plan,
) -> None:
    tart = await make_recipe(session, world, title="Plum tart")
    gone = await make_recipe(session, world, title="Trashed pie")
    for recipe in (tart, gone):
        created = await plan(
            "member",
            recipe_id=recipe.id,
        )
        assert created.status_code == 201
    owner = await actor_for(session, world.owner)
    await recipes.update_recipe(
        session,
        actor=owner,
        recipe_id=tart.id,
        data=RecipeUpdate(visibility=Visibility.PRIVATE),
        partial=True,
        if_match=None,
    )
    await recipes.trash_recipe(session, actor=owner, recipe_id=gone.id, if_match=None, ip=None)
    member_view = await listing(client, world, as_("member"), "2026-12-07", "2026-12-07")
    for entry in member_view:
        assert entry["recipe"] is None
        assert entry["recipe_id"] is None
        assert entry["recipe_unavailable"] is True
        assert entry["servings"] == 4
    text = str(member_view)
    assert "Plum tart" not in text
    assert tart.slug not in text
    assert "Trashed" not in text
    owner_view = await listing(client, world, as_("owner"), "2026-12-07", "2026-12-07")
    assert [e["recipe"] and e["recipe"]["title"] for e in owner_view] == ["Plum tart", None]


async def test_the_plan_of_another_household_does_not_exist(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, slots: dict[str, int], plan: Plan
) -> None:
    entry = (
        await plan(
            "member",
            title="Ours",
        )
    ).json()
    url = f"{PLAN}/{entry['id']}"
    outsider = as_("outsider")
    assert (await client.get(url, headers=outsider)).status_code == 404
    assert (await client.patch(url, json={"title": "X"}, headers=outsider)).status_code == 404
    assert (await client.delete(url, headers=outsider)).status_code == 404
    listed = await client.get(
        PLAN,
        params={"household_id": world.household.id, "start": "2026-12-07", "end": "2026-12-07"},
        headers=outsider,
    )
    assert listed.status_code == 404
    planned = await plan(
        "outsider",
        title="Theirs",
    )
    assert planned.status_code == 404
    assert (await client.get(url, headers=as_("admin"))).json()["title"] == "Ours"


async def test_references_to_another_household_are_refused(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, slots: dict[str, int], plan: Plan
) -> None:
    outsider_home = (await client.get("/api/v1/households", headers=as_("outsider"))).json()[0]
    their_slots = await client.get(
        f"/api/v1/households/{outsider_home['id']}/meal-slots", headers=as_("outsider")
    )
    their_slot = their_slots.json()[0]["id"]
    their_entry = (
        await plan(
            "outsider",
            household_id=outsider_home["id"],
            date="2026-12-06",
            slot_id=their_slot,
            title="Theirs",
        )
    ).json()
    base = {"household_id": world.household.id, "date": "2026-12-07", "title": "Ours"}
    for extra, field in (
        ({"slot_id": their_slot}, "slot_id"),
        ({"slot_id": slots["Dinner"], "cook_id": world.outsider.id}, "cook_id"),
        ({"slot_id": slots["Dinner"], "leftovers_of": their_entry["id"]}, "leftovers_of"),
    ):
        refused = await plan("member", **base, **extra)
        assert refused.status_code == 422, refused.text
        assert [e["field"] for e in refused.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"date": "1999-12-31"}, "date"),
        ({"date": "9999-12-31"}, "date"),
        ({"date": "not a date"}, "date"),
        ({"end_date": "2026-12-06"}, "end_date"),
        ({"end_date": "2027-06-01"}, "end_date"),
        ({"servings": 0}, "servings"),
        ({"servings": -2}, "servings"),
        ({"servings": 1e9}, "servings"),
        ({"servings": True}, "servings"),
        ({"title": "x" * 201}, "title"),
        ({"note": "x" * 2001}, "note"),
        ({"slot_id": 2**40}, "slot_id"),
        ({"slot_id": 999_999}, "slot_id"),
        ({"recipe_id": 0}, "recipe_id"),
        ({"cook_id": 999_999}, "cook_id"),
        ({"leftovers_of": 999_999}, "leftovers_of"),
        ({"title": None}, "recipe_id"),
        ({"household_id": "three"}, "household_id"),
        ({"unknown": 1}, "unknown"),
    ],
)
async def test_bad_entries_are_refused_naming_the_field(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
    slots: dict[str, int],
    changes: dict[str, Any],
    field: str,
) -> None:
    body = {
        "household_id": world.household.id,
        "date": "2026-12-07",
        "slot_id": slots["Dinner"],
        "title": "Soup",
        **changes,
    }
    response = await client.post(PLAN, json=body, headers=as_("member"))
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert field in {error["field"] for error in response.json()["errors"]}


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "2026-12-01", "end": "2027-03-11"}, "end"),
        ({"start": "2026-12-07", "end": "2026-12-06"}, "end"),
        ({"start": "0001-01-01", "end": "0001-01-02"}, "start"),
        ({"start": "2026-13-01", "end": "2026-12-06"}, "start"),
        ({"end": "2026-12-06"}, "start"),
        ({"household_id": "x"}, "household_id"),
    ],
)
async def test_bad_ranges_are_refused_naming_the_field(
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
    params: dict[str, str],
    field: str,
) -> None:
    query = {"household_id": str(world.household.id), "start": "2026-12-01", "end": "2026-12-31"}
    query.update(params)
    if "start" not in params and "end" in params:
        del query["start"]
    response = await client.get(PLAN, params=query, headers=as_("member"))
    assert response.status_code == 422, response.text
    assert field in {error["field"] for error in response.json()["errors"]}


async def test_a_hundred_days_may_be_listed(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    assert await listing(client, world, as_("member"), "2026-12-01", "2027-03-10") == []
