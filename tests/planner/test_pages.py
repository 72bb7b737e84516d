"""The planner's pages, driven as a browser without JavaScript would: the week and the month,
adding, moving and removing meals, copying a week, templates, suggestions, the calendar feed,
and "Add to plan" from a recipe; bad input comes back beside its field (422), and another
household's plan does not exist (404)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal
from typing import Any

import httpx
import pytest
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession

from recipevault.planner import service
from recipevault.planner.schemas import MealPlanEntryCreate
from recipevault.planner.templates import service as templates
from recipevault.policy import Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.schemas import RecipeUpdate
from tests.planner.conftest import Plan, make_recipe
from tests.support.database import statements_run
from tests.support.html import field_error, flashes, form_error
from tests.support.world import World, actor_for, sign_in

MONDAY = dt.date(2026, 12, 7)
HTMX = {"HX-Request": "true"}


def _page(world: World, **params: str) -> str:
    query = "&".join(
        f"{k}={v}" for k, v in {"household": str(world.household.id), **params}.items()
    )
    return f"/planner?{query}"


async def _open(client: httpx.AsyncClient, url: str, status: int = 200) -> str:
    response = await client.get(url)
    assert response.status_code == status, response.text[-800:]
    return response.text


async def _post(client: httpx.AsyncClient, token: str, url: str, **form: Any) -> httpx.Response:
    return await client.post(url, data={"csrf_token": token, **form})


async def _entries(session: AsyncSession, world: World) -> list[service.PlannedEntry]:
    actor = await actor_for(session, world.owner)
    return await service.list_plan(
        session,
        actor=actor,
        household_id=world.household.id,
        start=MONDAY - dt.timedelta(days=7),
        end=MONDAY + dt.timedelta(days=20),
    )


async def _done(client: httpx.AsyncClient, token: str, url: str, **form: Any) -> list[str]:
    """Send a form that is done (303), and the notices of the page it leads to."""
    return flashes(await _open(client, _flash_after(await _post(client, token, url, **form))))


def _flash_after(response: httpx.Response) -> str:
    assert response.status_code == 303, response.text[-800:]
    return str(response.headers["location"])


def _entry_form(world: World, slot_id: int, **fields: Any) -> dict[str, Any]:
    """The form that plans a meal of the shared household in the slot ``slot_id``."""
    return {"household_id": world.household.id, "slot_id": slot_id, **fields}


def _copy_form(world: World, to_start: str) -> dict[str, Any]:
    """The form that copies the shared household's week of ``MONDAY`` to ``to_start``."""
    return {
        "household_id": world.household.id,
        "from_start": "2026-12-07",
        "from_end": "2026-12-13",
        "to_start": to_start,
    }


def _template_form(world: World, name: str) -> dict[str, Any]:
    """The form that saves the shared household's week of ``MONDAY`` as a template."""
    return {"household_id": world.household.id, "name": name, "week_start": "2026-12-07"}


# --- Who sees what ------------------------------------------------------------------------------


async def test_visitors_are_sent_to_sign_in(client: httpx.AsyncClient) -> None:
    response = await client.get("/planner")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=%2Fplanner"


async def test_the_week_shows_each_day_and_slot_with_recipes_at_their_servings(
    client: httpx.AsyncClient, session: AsyncSession, world: World, plan: Plan
) -> None:
    soup = await make_recipe(session, world, title="Lentil <soup>", servings=4)
    assert (await plan("member", recipe_id=soup.id, servings=6)).status_code == 201
    assert (
        await plan("member", slot="Lunch", title="Eating out", note="Bistro")
    ).status_code == 201
    await sign_in(client, world.member.email)
    page = await _open(client, _page(world, date="2026-12-09"))
    assert "<h1>Meal plan: The Flat</h1>" in page
    assert "Week of 7 December 2026" in page
    for day in ("Monday 7 Dec", "Sunday 13 Dec"):
        assert f">{day}" in page
    for slot in ("Breakfast", "Lunch", "Dinner", "Snack"):
        assert f'<h4 class="plan-slot__name">{slot}' in page
    assert f'<a href="/recipes/{soup.slug}?servings=6">Lentil &lt;soup&gt;</a>' in page
    assert "Eating out" in page
    assert "Bistro" in page
    # Previous and next weeks, and the month around.
    assert f'href="/planner?household={world.household.id}&amp;date=2026-11-30" rel="prev"' in page
    assert f'href="/planner?household={world.household.id}&amp;date=2026-12-14" rel="next"' in page
    assert "date=2026-12-09&amp;view=month" in page
    # The household selector offers the member's households.
    assert re.search(r'<select id="household-select" name="household">', page)
    assert "Milo Member&#39;s kitchen" in page


async def test_the_personal_household_is_shown_first(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.member.email)
    page = await _open(client, "/planner")
    assert "<h1>Meal plan: Milo Member&#39;s kitchen</h1>" in page


async def test_the_month_shows_its_weeks_and_moves_by_month(
    client: httpx.AsyncClient, session: AsyncSession, world: World, plan: Plan
) -> None:
    soup = await make_recipe(session, world, title="Lentil soup")
    await plan("member", date="2026-12-31", recipe_id=soup.id)
    await plan("member", date="2027-01-01", title="New year")
    await sign_in(client, world.member.email)
    page = await _open(client, _page(world, view="month", date="2026-12-15"))
    assert "December 2026" in page
    # From the Monday before the 1st to the Sunday after the 31st: 30 Nov to 3 Jan.
    assert 'id="day-2026-11-30"' in page
    assert 'id="day-2027-01-03"' in page
    assert 'id="day-2026-11-29"' not in page
    assert 'id="day-2027-01-04"' not in page
    assert f'<a href="/recipes/{soup.slug}?servings=4">Lentil soup</a>' in page
    assert "New year" in page
    assert "date=2026-11-01&amp;view=month" in page
    assert "date=2027-01-01&amp;view=month" in page


async def test_the_month_reads_its_plan_in_a_few_queries(
    client: httpx.AsyncClient, session: AsyncSession, world: World, engine: AsyncEngine
) -> None:
    """However many entries: the listing reads them at once (no query per entry)."""
    owner = await actor_for(session, world.owner)
    slots = await service.list_meal_slots(session, actor=owner, household_id=world.household.id)
    soup = await make_recipe(session, world, title="Lentil soup")
    await sign_in(client, world.member.email)
    counts, planned = [], 0
    for more in (4, 40):
        planned += more
        for number in range(more):
            await service.add_plan_entry(
                session,
                actor=owner,
                data=MealPlanEntryCreate(
                    household_id=world.household.id,
                    date=dt.date(2026, 12, 1) + dt.timedelta(days=number % 28),
                    slot_id=slots[number % 4].id,
                    recipe_id=soup.id if number % 2 else None,
                    title=None if number % 2 else f"Meal {number}",
                ),
            )
        await session.commit()
        with statements_run(engine, lambda s: "SAVEPOINT" not in s.upper()) as statements:
            page = await _open(client, _page(world, view="month", date="2026-12-01"))
        counts.append(len(statements))
        assert page.count('<li><span class="plan-month__slot">') == planned
    assert counts[0] == counts[1], counts


async def test_outsiders_find_no_plan_and_no_entry(
    client: httpx.AsyncClient, session: AsyncSession, world: World, plan: Plan
) -> None:
    entry = (await plan("member", title="Pizza night")).json()
    token = await sign_in(client, world.outsider.email)
    await _open(client, _page(world), status=404)
    await _open(client, f"/planner/suggest?household={world.household.id}", status=404)
    slot = (
        await service.list_meal_slots(
            session,
            actor=await actor_for(session, world.outsider),
            household_id=next(iter((await actor_for(session, world.outsider)).household_ids)),
        )
    )[0]
    mine = _entry_form(world, entry["slot_id"], date="2026-12-08", title="Mine now")
    for url, form in (
        (f"/planner/entries/{entry['id']}/move", {"date": "2026-12-08", "slot_id": slot.id}),
        (f"/planner/entries/{entry['id']}/remove", {}),
        ("/planner/entries", mine),
        ("/planner/copy", _copy_form(world, "2026-12-14")),
        ("/planner/templates", _template_form(world, "Taken")),
        ("/planner/calendar-feeds", {"household_id": world.household.id}),
    ):
        response = await _post(client, token, url, **form)
        assert response.status_code == 404, (url, response.text[-300:])
    assert [e.entry.title for e in await _entries(session, world)] == ["Pizza night"]


async def test_bad_addresses_are_refused_not_errors(
    client: httpx.AsyncClient, world: World
) -> None:
    await sign_in(client, world.member.email)
    for params in (
        {"date": "2026-02-30"},
        {"date": "1999-12-31"},
        {"view": "year"},
        {"household": "0"},
        {"household": "abc"},
    ):
        response = await client.get("/planner", params=params)
        assert response.status_code == 422, (params, response.status_code)
        assert "text/html" in response.headers["content-type"]
    await _open(client, "/planner?household=999999", status=404)


# --- Adding meals ---------------------------------------------------------------------------------


async def test_a_search_finds_readable_recipes_in_place(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    soup = await make_recipe(session, world, title="Lentil soup")
    await make_recipe(
        session, world, title="Lentil secret", owner="outsider", visibility=Visibility.PRIVATE
    )
    await session.commit()
    await sign_in(client, world.member.email)
    page = await _open(client, _page(world, q="lentil"))
    assert f'id="choice-{soup.id}" type="radio" name="recipe_id" value="{soup.id}"' in page
    assert "Lentil secret" not in page
    fragment = await client.get(
        _page(world, q="lentil"), headers={**HTMX, "HX-Target": "recipe-choices"}
    )
    assert fragment.status_code == 200
    assert "<html" not in fragment.text
    assert "Lentil soup" in fragment.text
    assert "Lentil secret" not in fragment.text
    nothing = await client.get(
        _page(world, q="zzzz"), headers={**HTMX, "HX-Target": "recipe-choices"}
    )
    assert "No recipes found for “zzzz”" in nothing.text


async def test_adding_a_recipe_and_a_note(
    client: httpx.AsyncClient, session: AsyncSession, world: World, slots: dict[str, int]
) -> None:
    soup = await make_recipe(session, world, title="Lentil soup", servings=4)
    token = await sign_in(client, world.member.email)
    dinner = _entry_form(world, slots["Dinner"], date="2026-12-08", recipe_id=soup.id, servings="")
    added = await _post(client, token, "/planner/entries", **dinner)
    assert _flash_after(added) == f"/planner?household={world.household.id}&date=2026-12-08"
    page = await _open(client, added.headers["location"])
    assert "Planned Lentil soup on Tuesday 8 Dec." in flashes(page)
    lunch = _entry_form(world, slots["Lunch"], date="2026-12-09", recipe_id="", title="Eating out")
    note = await _post(client, token, "/planner/entries", **lunch)
    _flash_after(note)
    planned = {
        (e.entry.date, e.entry.title, e.entry.recipe_id, e.entry.servings)
        for e in await _entries(session, world)
    }
    assert planned == {
        (dt.date(2026, 12, 8), None, soup.id, Decimal(4)),
        (dt.date(2026, 12, 9), "Eating out", None, None),
    }


@pytest.mark.parametrize(
    ("form", "field", "message"),
    [
        ({"servings": "0"}, "add-servings", "greater than or equal"),
        ({"servings": "many"}, "add-servings", "Enter a number."),
        ({"date": "2026-13-01"}, "add-date", ""),
        ({"date": "1999-01-01"}, "add-date", "Must be between"),
        ({"title": "x" * 201}, "add-title", "at most 200"),
        ({"title": ""}, "recipe-id", "Plan a recipe"),
        ({"slot_id": "other-household"}, "add-slot-id", "No such meal slot"),
        ({"recipe_id": "hidden"}, "recipe-id", "No such recipe"),
    ],
)
async def test_bad_entries_come_back_beside_their_field(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    slots: dict[str, int],
    form: dict[str, str],
    field: str,
    message: str,
) -> None:
    outsider = await actor_for(session, world.outsider)
    (personal,) = outsider.household_ids
    other_slot = (await service.list_meal_slots(session, actor=outsider, household_id=personal))[0]
    hidden = await make_recipe(
        session, world, title="Secret", owner="outsider", visibility=Visibility.PRIVATE
    )
    values = _entry_form(world, slots["Dinner"], date="2026-12-08", title="Soup") | form
    if values["slot_id"] == "other-household":
        values["slot_id"] = other_slot.id
    if values.get("recipe_id") == "hidden":
        values["recipe_id"] = hidden.id
    token = await sign_in(client, world.member.email)
    response = await _post(client, token, "/planner/entries", **values)
    assert response.status_code == 422, response.text[-500:]
    error = field_error(response.text, field)
    assert error is not None, (field, form_error(response.text))
    assert message in error
    assert await _entries(session, world) == []


# --- Moving and removing -------------------------------------------------------------------------


async def test_moving_an_entry_with_the_move_to_form(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    plan: Plan,
    slots: dict[str, int],
) -> None:
    entry = (await plan("member", title="Pizza night", end_date="2026-12-08")).json()
    token = await sign_in(client, world.member.email)
    page = await _open(client, _page(world, date="2026-12-07"))
    assert f'action="/planner/entries/{entry["id"]}/move"' in page
    assert "Moved Pizza night to Thursday 10 Dec." in await _done(
        client,
        token,
        f"/planner/entries/{entry['id']}/move",
        date="2026-12-10",
        slot_id=slots["Lunch"],
    )
    (planned,) = await _entries(session, world)
    assert (planned.entry.date, planned.entry.end_date, planned.entry.slot_id) == (
        dt.date(2026, 12, 10),
        dt.date(2026, 12, 11),
        slots["Lunch"],
    )


async def test_bad_moves_come_back_beside_their_field(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    plan: Plan,
    slots: dict[str, int],
) -> None:
    entry = (await plan("member", title="Pizza night")).json()
    outsider = await actor_for(session, world.outsider)
    (personal,) = outsider.household_ids
    other_slot = (await service.list_meal_slots(session, actor=outsider, household_id=personal))[0]
    token = await sign_in(client, world.member.email)
    url = f"/planner/entries/{entry['id']}/move"
    key = f"{entry['id']}-2026-12-07"
    for form, field in (
        ({"date": "someday", "slot_id": slots["Lunch"]}, f"move-date-{key}"),
        ({"date": "2300-01-01", "slot_id": slots["Lunch"]}, f"move-date-{key}"),
        ({"date": "2026-12-09", "slot_id": other_slot.id}, f"move-slot-{key}"),
        ({"date": "2026-12-09", "slot_id": "0"}, f"move-slot-{key}"),
    ):
        response = await _post(client, token, url, **form)
        assert response.status_code == 422, (form, response.text[-500:])
        assert field_error(response.text, field), (form, field)
        assert '<details class="plan-entry__actions" open>' in response.text
    (planned,) = await _entries(session, world)
    assert (planned.entry.date, planned.entry.slot_id) == (MONDAY, slots["Dinner"])
    missing = await _post(
        client, token, "/planner/entries/999999/move", date="2026-12-09", slot_id=slots["Lunch"]
    )
    assert missing.status_code == 404


async def test_removing_an_entry(
    client: httpx.AsyncClient, session: AsyncSession, world: World, plan: Plan
) -> None:
    entry = (await plan("member", title="Pizza night")).json()
    token = await sign_in(client, world.member.email)
    assert "Removed Pizza night from Monday 7 Dec." in await _done(
        client, token, f"/planner/entries/{entry['id']}/remove"
    )
    assert await _entries(session, world) == []


async def test_a_recipe_no_longer_readable_shows_as_no_longer_available(
    client: httpx.AsyncClient, session: AsyncSession, world: World, plan: Plan
) -> None:
    secret = await make_recipe(session, world, title="Anniversary dinner")
    await plan("owner", recipe_id=secret.id)
    owner = await actor_for(session, world.owner)
    await recipes.update_recipe(
        session,
        actor=owner,
        recipe_id=secret.id,
        data=RecipeUpdate(visibility=Visibility.PRIVATE),
        partial=True,
        if_match=None,
    )
    await session.commit()
    await sign_in(client, world.member.email)
    for url in (_page(world), _page(world, view="month")):
        page = await _open(client, url.replace("household", "date=2026-12-07&household"))
        assert "No longer available" in page
        assert "Anniversary" not in page
        assert secret.slug not in page


# --- Copying, templates ---------------------------------------------------------------------------


async def test_copying_a_week(
    client: httpx.AsyncClient, session: AsyncSession, world: World, plan: Plan
) -> None:
    await plan("member", title="Pizza night")
    token = await sign_in(client, world.member.email)
    copied = await _done(client, token, "/planner/copy", **_copy_form(world, "2026-12-14"))
    assert "Copied 1 meal to the week of Monday 14 Dec." in copied
    assert sorted(e.entry.date for e in await _entries(session, world)) == [
        MONDAY,
        dt.date(2026, 12, 14),
    ]
    bad = await _post(client, token, "/planner/copy", **_copy_form(world, "2200-01-01"))
    assert bad.status_code == 422
    assert field_error(bad.text, "copy-to-start")


async def test_saving_and_applying_a_template(
    client: httpx.AsyncClient, session: AsyncSession, world: World, plan: Plan
) -> None:
    await plan("member", title="Pizza night")
    token = await sign_in(client, world.member.email)
    usual_week = _template_form(world, "Usual week")
    saved = await _done(client, token, "/planner/templates", **usual_week)
    assert "Saved this week as “Usual week”." in saved
    again = await _post(client, token, "/planner/templates", **usual_week)
    assert again.status_code == 422
    assert field_error(again.text, "save-name") == "Taken by another template."
    blank = await _post(client, token, "/planner/templates", **_template_form(world, ""))
    assert field_error(blank.text, "save-name") == "This field is required."
    owner = await actor_for(session, world.owner)
    (template,) = await templates.list_templates(
        session, actor=owner, household_id=world.household.id
    )
    page = await _open(client, _page(world, date="2026-12-14"))
    assert f'<option value="{template.template.id}">Usual week</option>' in page
    assert "Planned “Usual week”: 1 meal this week." in await _done(
        client,
        token,
        "/planner/templates/apply",
        household_id=world.household.id,
        template_id=template.template.id,
        week_start="2026-12-14",
    )
    assert sorted(e.entry.date for e in await _entries(session, world)) == [
        MONDAY,
        dt.date(2026, 12, 14),
    ]


async def test_another_households_template_is_refused(
    client: httpx.AsyncClient, session: AsyncSession, world: World, plan: Plan
) -> None:
    await plan("member", title="Pizza night")
    owner = await actor_for(session, world.owner)
    theirs = await templates.save_week_as_template(
        session, actor=owner, household_id=world.household.id, name="Theirs", week_start=MONDAY
    )
    await session.commit()
    outsider = await actor_for(session, world.outsider)
    (personal,) = outsider.household_ids
    token = await sign_in(client, world.outsider.email)
    response = await _post(
        client,
        token,
        "/planner/templates/apply",
        household_id=personal,
        template_id=theirs.template.id,
        week_start="2026-12-14",
    )
    assert response.status_code == 422
    assert form_error(response.text) == "No such template in this household."
    assert len(await _entries(session, world)) == 1


# --- Suggestions ---------------------------------------------------------------------------------


def _proposals(page: str) -> list[str]:
    return [html.unescape(v) for v in re.findall(r'name="keep" value="([^"]+)"', page)]


async def test_suggesting_a_week_previews_and_keeps_some(
    client: httpx.AsyncClient, session: AsyncSession, world: World, slots: dict[str, int]
) -> None:
    for title in ("Lentil soup", "Pea soup", "Pasta"):
        await make_recipe(session, world, title=title)
    await session.commit()
    token = await sign_in(client, world.member.email)
    form_page = await _open(
        client, f"/planner/suggest?household={world.household.id}&date=2026-12-09"
    )
    assert 'id="suggest-start" name="start" type="date" value="2026-12-07"' in form_page
    rules = {
        "household_id": world.household.id,
        "start": "2026-12-07",
        "end": "2026-12-08",
        "slot_ids": [slots["Dinner"], slots["Lunch"]],
        "seed": "7",
    }
    preview = await _post(client, token, "/planner/suggest", **rules)
    assert preview.status_code == 200, preview.text[-800:]
    proposals = _proposals(preview.text)
    assert len(proposals) == 4
    assert await _entries(session, world) == []  # a preview plans nothing
    assert "Planned 3 meals from the suggestions." in await _done(
        client, token, "/planner/suggest/keep", household_id=world.household.id, keep=proposals[:3]
    )
    assert len(await _entries(session, world)) == 3


async def test_bad_suggestion_rules_and_choices_are_refused(
    client: httpx.AsyncClient, session: AsyncSession, world: World, slots: dict[str, int]
) -> None:
    hidden = await make_recipe(
        session, world, title="Secret", owner="outsider", visibility=Visibility.PRIVATE
    )
    token = await sign_in(client, world.member.email)
    base = {
        "household_id": world.household.id,
        "start": "2026-12-07",
        "end": "2026-12-13",
        "slot_ids": [slots["Dinner"]],
    }
    for changes, field in (
        ({"end": "2026-12-01"}, "suggest-end"),
        ({"slot_ids": []}, "suggest-slot-ids"),
        ({"max_total_minutes": "0"}, "suggest-max-total-minutes"),
        ({"include_tags": "quick", "exclude_tags": "Quick"}, "suggest-exclude-tags"),
    ):
        response = await _post(client, token, "/planner/suggest", **{**base, **changes})
        assert response.status_code == 422, (changes, response.text[-500:])
        assert field_error(response.text, field), (changes, field)
    for keep in (["not-a-proposal"], [f"2026-12-07:{slots['Dinner']}:{hidden.id}"], []):
        response = await _post(
            client, token, "/planner/suggest/keep", household_id=world.household.id, keep=keep
        )
        assert response.status_code == 422, (keep, response.text[-500:])
        assert form_error(response.text)
    assert await _entries(session, world) == []


# --- The calendar feed ---------------------------------------------------------------------------


async def test_subscribing_and_stopping_the_calendar_feed(
    client: httpx.AsyncClient, world: World
) -> None:
    token = await sign_in(client, world.member.email)
    made = await _post(client, token, "/planner/calendar-feeds", household_id=world.household.id)
    assert made.status_code == 201
    assert made.headers["cache-control"] == "no-store"
    found = re.search(r'<code class="secret" id="feed-url">([^<]+)</code>', made.text)
    assert found
    url = html.unescape(found.group(1))
    path = "/calendar/" + url.rsplit("/calendar/", 1)[1]
    assert (await client.get(path)).status_code == 200
    feed_id = re.search(r'action="/planner/calendar-feeds/(\d+)/revoke"', made.text)
    assert feed_id
    assert "That calendar address no longer works." in await _done(
        client,
        token,
        f"/planner/calendar-feeds/{feed_id.group(1)}/revoke",
        household_id=world.household.id,
    )
    assert (await client.get(path)).status_code == 404
    again = await _post(
        client,
        token,
        f"/planner/calendar-feeds/{feed_id.group(1)}/revoke",
        household_id=world.household.id,
    )
    assert again.status_code == 404


# --- From a recipe --------------------------------------------------------------------------------


async def test_add_to_plan_from_a_recipe_page(
    client: httpx.AsyncClient, session: AsyncSession, world: World, slots: dict[str, int]
) -> None:
    soup = await make_recipe(session, world, title="Lentil soup", servings=4)
    await session.commit()
    visitor_page = await _open(client, f"/recipes/{soup.slug}", status=404)
    assert "Add to plan" not in visitor_page
    token = await sign_in(client, world.member.email)
    recipe_page = await _open(client, f"/recipes/{soup.slug}")
    assert f'href="/planner/add?recipe={soup.id}"' in recipe_page
    fragment = await client.get(
        f"/planner/add?recipe={soup.id}", headers={**HTMX, "HX-Target": "add-to-plan"}
    )
    assert fragment.status_code == 200
    assert '<section id="add-to-plan"' in fragment.text
    assert "<html" not in fragment.text
    page = await _open(client, f"/planner/add?recipe={soup.id}&household={world.household.id}")
    assert 'id="plan-servings" name="servings" type="number" value="4"' in page
    from_recipe = _entry_form(world, slots["Dinner"], recipe_id=soup.id, source="recipe")
    added = await _post(
        client, token, "/planner/entries", **from_recipe, date="2026-12-10", servings="2"
    )
    _flash_after(added)
    (planned,) = await _entries(session, world)
    assert (planned.entry.date, planned.entry.servings) == (dt.date(2026, 12, 10), Decimal(2))
    bad = await _post(client, token, "/planner/entries", **from_recipe, date="")
    assert bad.status_code == 422
    assert field_error(bad.text, "plan-date") == "This field is required."
    assert "Add Lentil soup to the plan" in bad.text


async def test_add_to_plan_of_an_unreadable_recipe_is_not_found(
    client: httpx.AsyncClient, session: AsyncSession, world: World
) -> None:
    hidden = await make_recipe(
        session, world, title="Secret", owner="outsider", visibility=Visibility.PRIVATE
    )
    await session.commit()
    readable = await make_recipe(session, world, title="Lentil soup")
    await session.commit()
    await sign_in(client, world.member.email)
    await _open(client, f"/planner/add?recipe={readable.id}")
    await _open(client, f"/planner/add?recipe={hidden.id}", status=404)
    await _open(client, "/planner/add?recipe=999999", status=404)
