"""/api/v1/meal-plan/copy, /templates and /rotations: reusing a household's plan."""

from __future__ import annotations

from typing import Any

import httpx
import time_machine
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.policy import Visibility
from tests.planner.conftest import PLAN, HeadersFor, Plan, make_recipe
from tests.support.world import World

TEMPLATES = PLAN + "/templates"
ROTATIONS = PLAN + "/rotations"


async def week_of(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, start: str, end: str
) -> list[dict[str, Any]]:
    response = await client.get(
        PLAN,
        params={"household_id": world.household.id, "start": start, "end": end},
        headers=as_("member"),
    )
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["items"]
    return items


def summary(entries: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    return [
        (e["date"], e["end_date"], e["slot_id"], e["recipe_id"], e["servings"], e["title"])
        for e in entries
    ]


async def a_week(session: AsyncSession, world: World, plan: Plan) -> dict[str, int]:
    """Monday 2026-12-07: soup for dinner (6 servings); Tuesday: its leftovers for lunch;
    Saturday to Sunday: camping."""
    soup = await make_recipe(session, world, title="Soup", servings=4)
    dinner = (await plan("member", recipe_id=soup.id, servings=6)).json()
    await plan("member", date="2026-12-08", slot="Lunch", leftovers_of=dinner["id"])
    await plan("member", date="2026-12-12", end_date="2026-12-13", title="Camping")
    return {"soup": soup.id, "dinner": dinner["id"]}


async def test_copy_a_week_to_the_next(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    plan: Plan,
) -> None:
    made = await a_week(session, world, plan)
    copied = await client.post(
        PLAN + "/copy",
        json={
            "household_id": world.household.id,
            "from_start": "2026-12-07",
            "from_end": "2026-12-13",
            "to_start": "2026-12-14",
        },
        headers=as_("member"),
    )
    assert copied.status_code == 201, copied.text
    items = copied.json()["items"]
    assert [(e["date"], e["end_date"]) for e in items] == [
        ("2026-12-14", "2026-12-14"),
        ("2026-12-15", "2026-12-15"),
        ("2026-12-19", "2026-12-20"),
    ]
    assert items[0]["recipe_id"] == made["soup"]
    assert items[0]["servings"] == 6
    # The leftovers follow their meal's copy, not the original.
    assert items[1]["leftovers_of"] == items[0]["id"]
    original = await week_of(client, world, as_, "2026-12-07", "2026-12-13")
    assert len(original) == 3
    assert original[1]["leftovers_of"] == made["dinner"]


async def test_copy_a_day_leaves_out_recipes_the_copier_cannot_read(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    plan: Plan,
) -> None:
    secret = await make_recipe(
        session, world, title="Owner's secret", visibility=Visibility.PRIVATE
    )
    await plan("owner", recipe_id=secret.id)
    await plan("owner", slot="Lunch", recipe_id=secret.id, note="With salad")
    copied = await client.post(
        PLAN + "/copy",
        json={
            "household_id": world.household.id,
            "from_start": "2026-12-07",
            "from_end": "2026-12-07",
            "to_start": "2026-12-09",
        },
        headers=as_("member"),
    )
    assert copied.status_code == 201
    assert [(e["recipe_id"], e["note"]) for e in copied.json()["items"]] == [(None, "With salad")]


async def test_bad_copies_are_refused_naming_the_field(
    client: httpx.AsyncClient, world: World, as_: HeadersFor
) -> None:
    base = {
        "household_id": world.household.id,
        "from_start": "2026-12-07",
        "from_end": "2026-12-13",
        "to_start": "2026-12-14",
    }
    for changes, field in (
        ({"from_end": "2026-12-01"}, "from_end"),
        ({"from_end": "2027-12-01"}, "from_end"),
        ({"to_start": "9999-12-31"}, "to_start"),
        ({"from_start": None}, "from_start"),
    ):
        response = await client.post(
            PLAN + "/copy", json={**base, **changes}, headers=as_("member")
        )
        assert response.status_code == 422, response.text
        assert field in {error["field"] for error in response.json()["errors"]}
    outsider = await client.post(PLAN + "/copy", json=base, headers=as_("outsider"))
    assert outsider.status_code == 404


async def test_a_week_saved_as_a_template_plans_any_week_once(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    plan: Plan,
) -> None:
    made = await a_week(session, world, plan)
    saved = await client.post(
        TEMPLATES,
        json={"household_id": world.household.id, "name": "Usual", "week_start": "2026-12-07"},
        headers=as_("member"),
    )
    assert saved.status_code == 201, saved.text
    template = saved.json()
    assert saved.headers["location"] == f"{TEMPLATES}/{template['id']}"
    # Leftovers alone have nothing to plan without their meal: they are left out.
    assert [(e["weekday"], e["days"], e["recipe_id"], e["title"]) for e in template["entries"]] == [
        (0, 1, made["soup"], None),
        (5, 2, None, "Camping"),
    ]
    url = f"{TEMPLATES}/{template['id']}/apply"
    # A week that starts on a Thursday: Monday's dinner falls on the 28th.
    first = await client.post(url, json={"week_start": "2027-01-21"}, headers=as_("owner"))
    assert first.status_code == 200, first.text
    planned = summary(first.json()["items"])
    assert [(d, e) for d, e, *_ in planned] == [
        ("2027-01-23", "2027-01-24"),
        ("2027-01-25", "2027-01-25"),
    ]
    again = await client.post(url, json={"week_start": "2027-01-21"}, headers=as_("member"))
    assert summary(again.json()["items"]) == planned
    listed = await week_of(client, world, as_, "2027-01-21", "2027-01-27")
    assert summary(listed) == planned
    # The week it was made from counts as planned by it.
    own = await client.post(url, json={"week_start": "2026-12-07"}, headers=as_("member"))
    assert len(own.json()["items"]) == 2
    assert len(await week_of(client, world, as_, "2026-12-07", "2026-12-13")) == 3


async def test_templates_are_listed_renamed_and_removed(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, plan: Plan
) -> None:
    await plan("member", title="Pizza night")
    body = {"household_id": world.household.id, "name": "Usual", "week_start": "2026-12-07"}
    template = (await client.post(TEMPLATES, json=body, headers=as_("member"))).json()
    taken = await client.post(TEMPLATES, json=body, headers=as_("owner"))
    assert taken.status_code == 409
    other = (
        await client.post(TEMPLATES, json={**body, "name": "Other"}, headers=as_("owner"))
    ).json()
    url = f"{TEMPLATES}/{template['id']}"
    clash = await client.patch(url, json={"name": "Other"}, headers=as_("member"))
    assert clash.status_code == 409
    renamed = await client.patch(url, json={"name": "Autumn"}, headers=as_("member"))
    assert renamed.json()["name"] == "Autumn"
    listed = await client.get(
        TEMPLATES, params={"household_id": world.household.id}, headers=as_("member")
    )
    assert [t["name"] for t in listed.json()["items"]] == ["Autumn", "Other"]
    assert (await client.get(url, headers=as_("outsider"))).status_code == 404
    assert (await client.delete(url, headers=as_("outsider"))).status_code == 404
    assert (await client.delete(url, headers=as_("member"))).status_code == 204
    assert (await client.get(url, headers=as_("member"))).status_code == 404
    # What the template planned stays planned.
    assert len(await week_of(client, world, as_, "2026-12-07", "2026-12-13")) == 1
    assert other["entries"][0]["title"] == "Pizza night"


@time_machine.travel("2026-12-09 12:00:00+00:00", tick=False)
async def test_a_rotation_plans_its_weeks_ahead(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    plan: Plan,
) -> None:
    await plan("member", date="2026-11-30", title="Pizza night")
    template = (
        await client.post(
            TEMPLATES,
            json={"household_id": world.household.id, "name": "Pizza", "week_start": "2026-11-30"},
            headers=as_("member"),
        )
    ).json()
    started = await client.post(
        ROTATIONS,
        json={
            "household_id": world.household.id,
            "template_id": template["id"],
            "start_date": "2026-11-23",
            "every_weeks": 2,
            "end_date": "2027-01-31",
        },
        headers=as_("member"),
    )
    assert started.status_code == 201, started.text
    rotation = started.json()
    assert rotation["planned_through"] == "2027-01-31"
    planned = await week_of(client, world, as_, "2026-11-01", "2027-02-08")
    # Every second Monday from 2026-11-23, from this week on (the past is not planned).
    assert [e["date"] for e in planned] == [
        "2026-11-30",
        "2026-12-07",
        "2026-12-21",
        "2027-01-04",
        "2027-01-18",
    ]
    listed = await client.get(
        ROTATIONS, params={"household_id": world.household.id}, headers=as_("owner")
    )
    assert [r["id"] for r in listed.json()["items"]] == [rotation["id"]]
    url = f"{ROTATIONS}/{rotation['id']}"
    assert (await client.delete(url, headers=as_("outsider"))).status_code == 404
    assert (await client.delete(url, headers=as_("member"))).status_code == 204
    assert len(await week_of(client, world, as_, "2026-11-01", "2027-02-08")) == 5


async def test_bad_rotations_are_refused_naming_the_field(
    client: httpx.AsyncClient, world: World, as_: HeadersFor, plan: Plan
) -> None:
    await plan("member", title="Pizza night")
    template = (
        await client.post(
            TEMPLATES,
            json={"household_id": world.household.id, "name": "Pizza", "week_start": "2026-12-07"},
            headers=as_("member"),
        )
    ).json()
    home = (await client.get("/api/v1/households", headers=as_("outsider"))).json()[0]
    theirs = (
        await client.post(
            TEMPLATES,
            json={"household_id": home["id"], "name": "Theirs", "week_start": "2026-12-07"},
            headers=as_("outsider"),
        )
    ).json()
    base = {
        "household_id": world.household.id,
        "template_id": template["id"],
        "start_date": "2026-12-07",
        "every_weeks": 1,
    }
    for changes, field in (
        ({"every_weeks": 0}, "every_weeks"),
        ({"every_weeks": 53}, "every_weeks"),
        ({"end_date": "2026-12-01"}, "end_date"),
        ({"template_id": theirs["id"]}, "template_id"),
        ({"start_date": "1900-01-01"}, "start_date"),
    ):
        response = await client.post(ROTATIONS, json={**base, **changes}, headers=as_("member"))
        assert response.status_code == 422, response.text
        assert field in {error["field"] for error in response.json()["errors"]}
