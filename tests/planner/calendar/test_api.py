"""The calendar feed over HTTP: made, listed and revoked by members; read by calendar apps at
its secret address, parsed here with the icalendar package."""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import Decimal
from typing import Any

import httpx
import pytest
import time_machine
from fastapi import FastAPI
from icalendar import Calendar, Event
from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from recipevault.accounts.models import User
from recipevault.households.models import HouseholdMember
from recipevault.logging import configure_logging
from recipevault.planner.calendar import service as calendar_service
from recipevault.planner.calendar.ics import MEAL_DURATION, calendar_document
from recipevault.planner.calendar.service import UNAVAILABLE
from recipevault.planner.models import CalendarFeed, MealPlanEntry
from recipevault.policy import Visibility
from recipevault.recipes import service as recipes
from recipevault.recipes.models import Recipe
from recipevault.recipes.schemas import RecipeCreate, RecipeUpdate
from tests.planner.calendar.parsing import recurrence
from tests.planner.factories import make_entry, make_slot
from tests.support.world import HeadersFor, World, actor_for

BASE = "/api/v1/households"
HOST = "testserver"
TODAY = dt.date(2026, 12, 7)
NOON = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.UTC)


@pytest.fixture(autouse=True)
def _today() -> Any:
    """Every test here plans around the same Monday; the clock stands still at its noon."""
    with time_machine.travel(NOON, tick=False):
        yield


async def _recipe(
    session: AsyncSession, world: World, title: str, *, by: User | None = None, **fields: Any
) -> Recipe:
    data = RecipeCreate(
        title=title,
        visibility=Visibility.HOUSEHOLD,
        household_id=world.household.id,
        **fields,
    )
    return await recipes.create_recipe(
        session, actor=await actor_for(session, by or world.owner), data=data
    )


async def _new_feed(client: httpx.AsyncClient, world: World, headers: dict[str, str]) -> str:
    created = await client.post(f"{BASE}/{world.household.id}/calendar-feeds", headers=headers)
    assert created.status_code == 201, created.text
    return str(created.json()["url"])


def _path(url: str) -> str:
    assert url.startswith(f"https://{HOST}/calendar/")
    return url.removeprefix(f"https://{HOST}")


async def _events(client: httpx.AsyncClient, url: str) -> dict[str, Event]:
    response = await client.get(_path(url))
    assert response.status_code == 200, response.text
    return _by_uid(response.content)


def _by_uid(document: bytes) -> dict[str, Event]:
    return {str(event["UID"]): event for event in Calendar.from_ical(document).events}


def _uid(entry: MealPlanEntry) -> str:
    return f"entry-{entry.id}@{HOST}"


async def test_a_member_makes_a_feed_whose_token_is_shown_once(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: HeadersFor
) -> None:
    created = await client.post(
        f"{BASE}/{world.household.id}/calendar-feeds", headers=as_("member")
    )
    assert created.status_code == 201
    body = created.json()
    assert body["household_id"] == world.household.id
    assert body["created_by_id"] == world.member.id
    token = _path(body["url"]).removeprefix("/calendar/").removesuffix(".ics")
    assert token.startswith("rvc_")
    assert len(token) == len("rvc_") + 43  # 256 random bits
    stored = await session.scalar(select(CalendarFeed).where(CalendarFeed.id == body["id"]))
    assert stored is not None
    assert stored.token_hash == hashlib.sha256(token.encode()).hexdigest()
    listed = await client.get(f"{BASE}/{world.household.id}/calendar-feeds", headers=as_("owner"))
    assert listed.status_code == 200
    assert [feed["id"] for feed in listed.json()] == [body["id"]]
    assert token not in listed.text
    assert "url" not in listed.json()[0]
    again = await _new_feed(client, world, as_("member"))
    assert again != body["url"]


async def test_the_feed_shows_each_entry_as_an_event(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: HeadersFor
) -> None:
    soup = await _recipe(session, world, "Lentil soup", servings=Decimal(4))
    stew = await _recipe(session, world, "Bean stew", servings=Decimal(2))
    dinner = await make_slot(session, world.household.id, name="Dinner", time=dt.time(19, 0))
    snack = await make_slot(session, world.household.id, name="Snack", time=None, position=1)
    planned = await make_entry(
        session, dinner, TODAY, recipe_id=soup.id, servings=6, note="Double the garlic"
    )
    default_servings = await make_entry(
        session, dinner, TODAY + dt.timedelta(days=1), recipe_id=stew.id
    )
    three_dinners = await make_entry(
        session,
        dinner,
        TODAY + dt.timedelta(days=2),
        end_date=TODAY + dt.timedelta(days=4),
        title="Chili",
    )
    eating_out = await make_entry(session, snack, TODAY, note="Eating out\nat Nonna's")
    away = await make_entry(
        session,
        snack,
        TODAY + dt.timedelta(days=5),
        end_date=TODAY + dt.timedelta(days=6),
        title="Camping",
    )
    leftovers = await make_entry(
        session, dinner, TODAY + dt.timedelta(days=7), leftovers_of_id=planned.id
    )
    events = await _events(client, await _new_feed(client, world, as_("member")))
    assert set(events) == {
        _uid(e) for e in (planned, default_servings, three_dinners, eating_out, away, leftovers)
    }

    soup_event = events[_uid(planned)]
    assert str(soup_event["SUMMARY"]) == "Lentil soup"
    assert soup_event.decoded("DTSTART") == dt.datetime(2026, 12, 7, 19, 0)
    assert soup_event.decoded("DTSTART").tzinfo is None
    assert soup_event.decoded("DURATION") == MEAL_DURATION
    link = f"https://{HOST}/recipes/{soup.slug}?servings=6"
    assert str(soup_event["URL"]) == link
    description = str(soup_event["DESCRIPTION"])
    assert link in description
    assert "Servings: 6" in description
    assert "Double the garlic" in description
    assert soup_event.decoded("SEQUENCE") == 0
    assert soup_event.decoded("DTSTAMP") == planned.updated_at
    assert soup_event.decoded("LAST-MODIFIED") == planned.updated_at
    assert soup_event.categories == ["Dinner"]

    stew_event = events[_uid(default_servings)]
    assert str(stew_event["URL"]) == f"https://{HOST}/recipes/{stew.slug}?servings=2"
    assert "Servings: 2" in str(stew_event["DESCRIPTION"])

    chili = events[_uid(three_dinners)]
    assert str(chili["SUMMARY"]) == "Chili"
    assert chili.decoded("DTSTART") == dt.datetime(2026, 12, 9, 19, 0)
    assert recurrence(chili)["COUNT"] == [3]
    assert "URL" not in chili

    out = events[_uid(eating_out)]
    assert str(out["SUMMARY"]) == "Eating out"
    assert str(out["DESCRIPTION"]) == "Eating out\nat Nonna's"
    assert out.decoded("DTSTART") == TODAY  # no time: all day
    assert out.decoded("DTEND") == TODAY + dt.timedelta(days=1)

    camping = events[_uid(away)]
    assert camping.decoded("DTSTART") == TODAY + dt.timedelta(days=5)
    assert camping.decoded("DTEND") == TODAY + dt.timedelta(days=7)  # spans both days

    assert str(events[_uid(leftovers)]["SUMMARY"]) == "Leftovers"


async def test_an_edited_entry_keeps_its_uid_and_raises_its_sequence(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: HeadersFor
) -> None:
    soup = await _recipe(session, world, "Lentil soup", servings=Decimal(4))
    dinner = await make_slot(session, world.household.id)
    entry = await make_entry(session, dinner, TODAY, recipe_id=soup.id)
    url = await _new_feed(client, world, as_("owner"))
    before = (await _events(client, url))[_uid(entry)]
    first = await client.get(_path(url))

    edited_at = NOON + dt.timedelta(minutes=5)
    entry.servings = Decimal(8)
    entry.sequence += 1
    entry.updated_at = edited_at
    await session.flush()
    after = (await _events(client, url))[_uid(entry)]
    assert after.decoded("SEQUENCE") == before.decoded("SEQUENCE") + 1 == 1
    assert after.decoded("LAST-MODIFIED") == edited_at
    assert str(after["URL"]).endswith("?servings=8")
    second = await client.get(_path(url))
    assert second.headers["etag"] != first.headers["etag"]


async def test_the_feed_covers_four_weeks_back_to_26_weeks_ahead(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: HeadersFor
) -> None:
    dinner = await make_slot(session, world.household.id)
    days = {
        "too old": (-29, -29),
        "oldest": (-28, -28),
        "ends in the window": (-40, -27),
        "furthest": (182, 182),
        "too far": (183, 183),
    }
    entries = {
        name: await make_entry(
            session,
            dinner,
            TODAY + dt.timedelta(days=first),
            end_date=TODAY + dt.timedelta(days=last),
            title=name,
        )
        for name, (first, last) in days.items()
    }
    events = await _events(client, await _new_feed(client, world, as_("member")))
    assert {str(event["SUMMARY"]) for event in events.values()} == {
        "oldest",
        "ends in the window",
        "furthest",
    }
    assert _uid(entries["too old"]) not in events


async def test_answers_etag_and_304_and_is_private(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: HeadersFor
) -> None:
    dinner = await make_slot(session, world.household.id)
    await make_entry(session, dinner, TODAY, title="Pancakes")
    path = _path(await _new_feed(client, world, as_("member")))
    first = await client.get(path)
    assert first.status_code == 200
    assert first.headers["content-type"] == "text/calendar; charset=utf-8"
    assert first.headers["cache-control"].startswith("private")
    etag = first.headers["etag"]
    assert etag.startswith('"')
    assert etag.endswith('"')

    unchanged = await client.get(path, headers={"If-None-Match": etag})
    assert unchanged.status_code == 304
    assert unchanged.content == b""
    assert unchanged.headers["etag"] == etag
    assert unchanged.headers["cache-control"].startswith("private")
    listed = await client.get(path, headers={"If-None-Match": f'"other", W/{etag}'})
    assert listed.status_code == 304

    # A renamed slot changes the feed although no entry changed.
    dinner.name = "Supper"
    await session.flush()
    renamed = await client.get(path, headers={"If-None-Match": etag})
    assert renamed.status_code == 200
    assert renamed.headers["etag"] != etag
    # So does a new entry, and a removed one.
    await make_entry(session, dinner, TODAY + dt.timedelta(days=1), title="Waffles")
    added = await client.get(path, headers={"If-None-Match": renamed.headers["etag"]})
    assert added.status_code == 200
    await session.execute(delete(MealPlanEntry).where(MealPlanEntry.title == "Waffles"))
    removed = await client.get(path, headers={"If-None-Match": added.headers["etag"]})
    assert removed.status_code == 200
    assert removed.headers["etag"] == renamed.headers["etag"]


async def test_a_revoked_feed_answers_404(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: HeadersFor
) -> None:
    url = await _new_feed(client, world, as_("owner"))
    kept = await _new_feed(client, world, as_("owner"))
    feeds = (
        await client.get(f"{BASE}/{world.household.id}/calendar-feeds", headers=as_("owner"))
    ).json()
    assert (await client.get(_path(url))).status_code == 200
    revoked = await client.delete(
        f"{BASE}/{world.household.id}/calendar-feeds/{feeds[0]['id']}", headers=as_("member")
    )
    assert revoked.status_code == 204
    gone = await client.get(_path(url))
    assert gone.status_code == 404
    assert (await client.get(_path(kept))).status_code == 200
    listed = await client.get(f"{BASE}/{world.household.id}/calendar-feeds", headers=as_("owner"))
    assert [feed["id"] for feed in listed.json()] == [feeds[1]["id"]]
    twice = await client.delete(
        f"{BASE}/{world.household.id}/calendar-feeds/{feeds[0]['id']}", headers=as_("owner")
    )
    assert twice.status_code == 404


async def test_feeds_belong_to_their_household(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: HeadersFor
) -> None:
    feeds = f"{BASE}/{world.household.id}/calendar-feeds"
    assert (await client.post(feeds, headers=as_("outsider"))).status_code == 404
    assert (await client.get(feeds, headers=as_("outsider"))).status_code == 404
    # An admin outside the household may see and revoke its feeds, not make one that would
    # show the plan as they see it.
    assert (await client.post(feeds, headers=as_("admin"))).status_code == 404
    await _new_feed(client, world, as_("owner"))
    (feed,) = (await client.get(feeds, headers=as_("admin"))).json()
    own = (await client.get(BASE, headers=as_("outsider"))).json()[0]["id"]
    elsewhere = f"{BASE}/{own}/calendar-feeds/{feed['id']}"
    assert (await client.delete(elsewhere, headers=as_("outsider"))).status_code == 404
    missing = f"{BASE}/999999/calendar-feeds"
    assert (await client.get(missing, headers=as_("admin"))).status_code == 404
    assert (
        await client.delete(f"{feeds}/{feed['id']}", headers=as_("outsider"))
    ).status_code == 404
    assert (await client.delete(f"{feeds}/{feed['id']}", headers=as_("admin"))).status_code == 204


@pytest.mark.parametrize(
    "token",
    ["nope", "rvc_" + "A" * 43, "rvc_" + "A" * 44, "rvp_" + "A" * 43],
)
async def test_unknown_tokens_answer_404(client: httpx.AsyncClient, token: str) -> None:
    response = await client.get(f"/calendar/{token}.ics")
    assert response.status_code == 404
    assert token not in response.text.replace(f"/calendar/{token}.ics", "")


async def test_a_feed_stops_when_its_maker_leaves_the_household(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: HeadersFor
) -> None:
    url = await _new_feed(client, world, as_("member"))
    assert (await client.get(_path(url))).status_code == 200
    left = await client.post(f"{BASE}/{world.household.id}/leave", headers=as_("member"))
    assert left.status_code == 204
    assert (await client.get(_path(url))).status_code == 404
    # Coming back does not revive it for anyone else's benefit: it is theirs again.
    session.add(
        HouseholdMember(household_id=world.household.id, user_id=world.member.id, role="member")
    )
    await session.flush()
    assert (await client.get(_path(url))).status_code == 200


async def test_a_feed_stops_when_its_makers_account_is_deactivated(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: HeadersFor
) -> None:
    url = await _new_feed(client, world, as_("member"))
    await session.execute(update(User).where(User.id == world.member.id).values(is_active=False))
    assert (await client.get(_path(url))).status_code == 404


async def test_recipes_the_maker_cannot_read_are_no_longer_available(
    client: httpx.AsyncClient, session: AsyncSession, world: World, as_: HeadersFor
) -> None:
    hidden = await _recipe(session, world, "Secret stew", servings=Decimal(4))
    trashed = await _recipe(session, world, "Old bake", servings=Decimal(4))
    shown = await _recipe(session, world, "Open salad", servings=Decimal(4))
    dinner = await make_slot(session, world.household.id)
    hidden_entry = await make_entry(
        session, dinner, TODAY, recipe_id=hidden.id, servings=3, note="Bring bread"
    )
    trashed_entry = await make_entry(
        session, dinner, TODAY + dt.timedelta(days=1), recipe_id=trashed.id
    )
    shown_entry = await make_entry(
        session, dinner, TODAY + dt.timedelta(days=2), recipe_id=shown.id
    )
    owner = await actor_for(session, world.owner)
    await recipes.update_recipe(
        session,
        actor=owner,
        recipe_id=hidden.id,
        data=RecipeUpdate(visibility=Visibility.PRIVATE),
        partial=True,
        if_match=None,
    )
    await recipes.trash_recipe(session, actor=owner, recipe_id=trashed.id, if_match=None, ip=None)

    member_url = await _new_feed(client, world, as_("member"))
    member_view = await client.get(_path(member_url))
    events = {str(e["UID"]): e for e in Calendar.from_ical(member_view.content).walk("VEVENT")}
    for entry in (hidden_entry, trashed_entry):
        event = events[_uid(entry)]
        assert str(event["SUMMARY"]) == UNAVAILABLE
        assert "URL" not in event
    assert "Bring bread" in str(events[_uid(hidden_entry)]["DESCRIPTION"])
    for leaked in ("Secret stew", hidden.slug, "Old bake", trashed.slug):
        assert leaked not in member_view.text
    assert str(events[_uid(shown_entry)]["SUMMARY"]) == "Open salad"

    # The owner's feed shows what the owner may read: their own private recipe.
    owner_events = await _events(client, await _new_feed(client, world, as_("owner")))
    assert str(owner_events[_uid(hidden_entry)]["SUMMARY"]) == "Secret stew"
    assert str(owner_events[_uid(trashed_entry)]["SUMMARY"]) == UNAVAILABLE


async def test_the_token_never_reaches_the_logs(
    app: FastAPI,
    client: httpx.AsyncClient,
    world: World,
    as_: HeadersFor,
    capsys: pytest.CaptureFixture[str],
) -> None:
    url = await _new_feed(client, world, as_("member"))
    token = _path(url).removeprefix("/calendar/").removesuffix(".ics")
    configure_logging(app.state.settings.model_copy(update={"log_level": "INFO"}))
    try:
        assert (await client.get(_path(url))).status_code == 200
        assert (await client.get(f"/calendar/{token[:-1]}x.ics")).status_code == 404
    finally:
        configure_logging(app.state.settings)
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines() if line.strip()]
    # What the server logs (the test's own HTTP client logs the addresses it calls).
    served = [line for line in lines if line["logger"] != "httpx"]
    access = [line for line in served if line["logger"] == "recipevault.access"]
    assert [line["path"] for line in access] == ["/calendar/[redacted]"] * 2
    assert token[4:-1] not in json.dumps(served)


async def test_a_current_copy_is_answered_without_making_the_document(
    client: httpx.AsyncClient,
    session: AsyncSession,
    world: World,
    as_: HeadersFor,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    dinner = await make_slot(session, world.household.id)
    await make_entry(session, dinner, TODAY, title="Pancakes")
    path = _path(await _new_feed(client, world, as_("member")))
    etag = (await client.get(path)).headers["etag"]
    made: list[str] = []

    def counted(name: str, meals: Any) -> bytes:
        made.append(name)
        return calendar_document(name, meals)

    monkeypatch.setattr(calendar_service, "calendar_document", counted)
    assert (await client.get(path, headers={"If-None-Match": etag})).status_code == 304
    assert made == []
    assert (await client.get(path)).status_code == 200
    assert made == ["The Flat: meal plan"]
