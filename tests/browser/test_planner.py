"""The meal planner in a real browser: plan a week from suggestions (preview, keep some), move
a meal with its "Move to…" form and by drag and drop, subscribe to the calendar feed and read
it with the icalendar package; axe-core checks the week, the month and the phone's day list."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from typing import Any

import httpx
import pytest
from icalendar import Calendar
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import LiveServer, assert_accessible, fits_viewport

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
RECIPES = ("Lentil soup", "Mushroom risotto", "Chickpea curry", "Baked salmon", "Bean chili")
_people = itertools.count(1)


def _register(page: Page, name: str) -> None:
    page.goto("/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(f"planner{next(_people)}-{os.getpid()}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("details.menu > summary")).to_contain_text(name)


def _api_recipe(page: Page, title: str) -> dict[str, Any]:
    """A public recipe made through the API with the page's session."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    response = page.request.post(
        "/api/v1/recipes",
        data={"title": title, "servings": 4, "visibility": "public"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status == 201, response.text()
    result: dict[str, Any] = response.json()
    return result


def _this_monday() -> dt.date:
    # The server plans in UTC days, as the test does.
    today = dt.datetime.now(dt.UTC).date()
    return today - dt.timedelta(days=today.weekday())


def _day(page: Page, day: dt.date) -> Any:
    return page.locator(f"section[aria-labelledby='day-{day.isoformat()}']")


def _slot(page: Page, day: dt.date, slot: str) -> Any:
    return _day(page, day).locator(".plan-slot").filter(has=page.locator("h4", has_text=slot))


def test_plan_a_week_move_meals_and_subscribe(
    page: Page, browser: Browser, server: LiveServer, console_errors: list[str]
) -> None:
    _register(page, "Pia Planner")
    made = {title: _api_recipe(page, title) for title in RECIPES}
    monday = _this_monday()

    # The navigation leads to this week's plan of the personal household.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Planner").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Meal plan: Pia Planner's kitchen")
    expect(page.get_by_role("heading", level=2, name="Week of")).to_be_visible()
    assert_accessible(page)

    # Suggest dinners for the week: a preview first, then keep all but two.
    page.get_by_role("link", name="Suggest week…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Suggest meals")
    for slot in ("Breakfast", "Lunch", "Snack"):
        page.get_by_label(slot, exact=True).uncheck()
    page.get_by_role("button", name="Suggest").click()
    proposals = page.locator("input[name='keep']")
    expect(proposals).to_have_count(7)
    assert_accessible(page)
    proposals.nth(5).uncheck()
    proposals.nth(6).uncheck()
    page.get_by_role("button", name="Plan the chosen meals").click()
    expect(page.get_by_role("status").first).to_contain_text(
        "Planned 5 meals from the suggestions."
    )
    entries = page.locator("#plan .plan-entry")
    expect(entries).to_have_count(5)
    for number in range(5):
        day = monday + dt.timedelta(days=number)
        expect(_slot(page, day, "Dinner").locator(".plan-entry")).to_have_count(1)
    # Each recipe links to its page at the planned servings.
    link = _slot(page, monday, "Dinner").locator(".plan-entry a").first
    assert (link.get_attribute("href") or "").endswith("?servings=4")

    # Move Tuesday's dinner to Saturday's lunch with its "Move to…" form (no script needed).
    tuesday, saturday = monday + dt.timedelta(days=1), monday + dt.timedelta(days=5)
    tuesday_dinner = _slot(page, tuesday, "Dinner").locator(".plan-entry")
    title = tuesday_dinner.locator(".plan-entry__title a").inner_text()
    tuesday_dinner.locator("summary").click()
    tuesday_dinner.get_by_label("Day").fill(saturday.isoformat())
    tuesday_dinner.get_by_label("Meal").select_option(label="Lunch")
    tuesday_dinner.get_by_role("button", name="Move", exact=True).click()
    expect(page.get_by_role("status").first).to_contain_text(f"Moved {title} to Saturday")
    expect(_slot(page, saturday, "Lunch").locator(".plan-entry")).to_contain_text(title)
    expect(_slot(page, tuesday, "Dinner").locator(".plan-entry")).to_have_count(0)

    # Drag Wednesday's dinner to Sunday's breakfast.
    wednesday, sunday = monday + dt.timedelta(days=2), monday + dt.timedelta(days=6)
    dragged = _slot(page, wednesday, "Dinner").locator(".plan-entry")
    title = dragged.locator(".plan-entry__title a").inner_text()
    dragged.locator(".plan-entry__title").drag_to(_slot(page, sunday, "Breakfast"))
    expect(page.locator("#plan-status")).to_contain_text(f"Moved {title} to")
    expect(_slot(page, sunday, "Breakfast").locator(".plan-entry")).to_contain_text(title)
    page.reload()
    expect(_slot(page, sunday, "Breakfast").locator(".plan-entry")).to_contain_text(title)
    expect(_slot(page, wednesday, "Dinner").locator(".plan-entry")).to_have_count(0)

    # Find a recipe in place (htmx swaps in what the search finds) and plan it.
    adding = page.locator("#add-entry")
    adding.get_by_label("Find a recipe").fill("lentil")
    adding.get_by_label("Lentil soup").check()
    adding.get_by_label("Day").fill(sunday.isoformat())
    adding.get_by_label("Meal").select_option(label="Lunch")
    adding.get_by_role("button", name="Add to plan").click()
    expect(page.get_by_role("status").first).to_contain_text("Planned Lentil soup on Sunday")
    expect(_slot(page, sunday, "Lunch").locator(".plan-entry")).to_contain_text("Lentil soup")

    # From a recipe's page, "Add to plan" asks for a day and a meal in place.
    page.goto(f"/recipes/{made['Bean chili']['slug']}")
    page.get_by_role("link", name="Add to plan…").click()
    adding = page.locator("#add-to-plan")
    expect(adding.get_by_role("heading", name="Add Bean chili to the plan")).to_be_visible()
    assert_accessible(page)
    adding.get_by_label("Day").fill(saturday.isoformat())
    adding.get_by_label("Meal").select_option(label="Snack")
    adding.get_by_label("Servings").fill("2")
    adding.get_by_role("button", name="Add to plan").click()
    expect(page.get_by_role("status").first).to_contain_text("Planned Bean chili on Saturday")
    snack = _slot(page, saturday, "Snack").locator(".plan-entry a")
    expect(snack).to_have_text("Bean chili")
    assert (snack.get_attribute("href") or "").endswith("?servings=2")

    # Suggestions may come from any recipe the household can read, other people's public ones
    # too: the feed is held to what the week shows.
    planned = set(page.locator("#plan .plan-entry__title a").all_inner_texts())
    assert len(planned) >= 2

    # The month holds the same meals.
    page.get_by_role("link", name="Show the month").click()
    expect(page.locator(".plan-month")).to_be_visible()
    assert_accessible(page)

    # Subscribe: the address is shown once, and a calendar app reads the plan from it.
    page.get_by_role("button", name="Make a calendar address").click()
    address = page.locator("#feed-url").inner_text().strip()
    assert address.startswith(f"{server.url}/calendar/")
    assert address.endswith(".ics")
    assert_accessible(page)
    feed = httpx.get(address, timeout=10)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    events = Calendar.from_ical(feed.content).walk("VEVENT")
    assert len(events) == 7
    assert {str(event["SUMMARY"]) for event in events} == planned
    assert sorted(str(event["URL"]).rsplit("=", 1)[1] for event in events) == ["2"] + ["4"] * 6

    # On a phone the week is a list of days, with nothing wider than the screen.
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto("/planner")
    days = page.locator("#plan > section.plan-day")
    expect(days).to_have_count(7)
    first, second = days.nth(0).bounding_box(), days.nth(1).bounding_box()
    assert first is not None
    assert second is not None
    assert second["y"] > first["y"]  # one below the other, not side by side
    assert fits_viewport(page), "the week scrolls sideways at 360 px"
    assert_accessible(page)
    assert console_errors == []
