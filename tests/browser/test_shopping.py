"""Shopping in a real browser, on a phone-sized page: plan a week, make a list, add the week's
plan to it, check items off by tapping (no page load), undo one, and find the rest in the
checked section, which stays collapsed; axe-core checks the lists page and the list page."""

from __future__ import annotations

import datetime as dt
import itertools
import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, ViewportSize, expect

from tests.support.browser import LiveServer, assert_accessible, fits_viewport

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
PHONE: ViewportSize = {"width": 375, "height": 740}
MINIMUM_TARGET = 44  # px: a thumb's tap target
MEALS = {
    "Onion soup": ["4 onions", "1 l stock", "salt, to taste"],
    "Onion tart": ["2 onions", "200 g flour", "100 g butter"],
    "Pancakes": ["200 g flour", "2 eggs", "300 ml milk"],
}
_people = itertools.count(1)


@dataclass
class Phone:
    page: Page
    errors: list[str]  # what went wrong inside its pages (see conftest's console_errors)


@pytest.fixture
def phone(browser: Browser, server: LiveServer) -> Iterator[Phone]:
    """A touch screen 375 px wide."""
    context = browser.new_context(
        base_url=server.url, viewport=PHONE, has_touch=True, is_mobile=True
    )
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on(
        "console",
        lambda message: (
            errors.append(message.text)
            if message.type == "error" and not message.text.startswith("Failed to load resource")
            else None
        ),
    )
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on(
        "response",
        lambda answer: (
            errors.append(f"{answer.status} for {answer.url}")
            if answer.status >= 400 and answer.request.resource_type != "document"
            else None
        ),
    )
    try:
        yield Phone(page, errors)
    finally:
        context.close()


def _register(page: Page, name: str) -> None:
    page.goto("/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(f"shopper{next(_people)}-{os.getpid()}@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("details.menu > summary")).to_contain_text(name)


def _api(page: Page, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
    """Call the API with the page's session, as its scripts do."""
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    response = page.request.fetch(path, method=method, data=body, headers={"X-CSRF-Token": token})
    assert response.ok, response.text()
    return response.json()


def _plan_the_week(page: Page) -> None:
    """Three dinners this week (the server plans in UTC days, as the test does)."""
    household = _api(page, "GET", "/api/v1/households")[0]["id"]
    slots = _api(page, "GET", f"/api/v1/households/{household}/meal-slots")
    dinner = next(slot["id"] for slot in slots if slot["name"] == "Dinner")
    today = dt.datetime.now(dt.UTC).date()
    monday = today - dt.timedelta(days=today.weekday())
    for number, (title, lines) in enumerate(MEALS.items()):
        recipe = _api(
            page,
            "POST",
            "/api/v1/recipes",
            {"title": title, "servings": 4, "ingredients": [{"text": line} for line in lines]},
        )
        _api(
            page,
            "POST",
            "/api/v1/meal-plan",
            {
                "household_id": household,
                "date": (monday + dt.timedelta(days=number)).isoformat(),
                "slot_id": dinner,
                "recipe_id": recipe["id"],
            },
        )


def _open_item(page: Page, text: str) -> Any:
    return page.locator("#open-items .shop-item").filter(has_text=text)


def test_add_the_week_and_check_items_off_on_a_phone(phone: Phone) -> None:
    page = phone.page
    _register(page, "Sam Shopper")
    _plan_the_week(page)

    # The lists page: make a list.
    page.goto("/shopping")
    expect(page.get_by_role("heading", level=1)).to_have_text("Shopping lists")
    assert_accessible(page)
    page.get_by_label("Name").fill("Weekly")
    page.get_by_role("button", name="Make list").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Weekly")

    # Add this week's plan: the form starts with this week.
    adding = page.locator("#add-plan")
    adding.get_by_role("button", name="Add the plan").click()
    expect(page.locator(".flashes")).to_contain_text("Added the meals planned from Monday")
    items = page.locator("#open-items .shop-item")
    expect(items).to_have_count(6)
    expect(_open_item(page, "onions")).to_contain_text("6 onions")
    expect(_open_item(page, "flour")).to_contain_text("400 g flour")
    # "Salt, to taste" was offered, not added.
    expect(page.locator("#offered")).to_contain_text("salt, to taste")
    assert fits_viewport(page), "the list scrolls sideways at 375 px"
    assert_accessible(page)

    # Every item is a big target for a thumb.
    for number in range(items.count()):
        box = items.nth(number).locator(".shop-item__button").bounding_box()
        assert box is not None
        assert box["height"] >= MINIMUM_TARGET
        assert box["width"] >= PHONE["width"] / 2

    # Tap to check off: no page load, the item goes to the checked section.
    page.evaluate("window.notReloaded = true")
    _open_item(page, "onions").locator(".shop-item__button").tap()
    expect(page.locator("#shop-toast")).to_contain_text("Checked off 6 onions.")
    _open_item(page, "stock").locator(".shop-item__button").tap()
    expect(page.locator("#shop-toast")).to_contain_text("Checked off 1 l stock.")
    expect(items).to_have_count(4)
    expect(page.locator("#checked-count")).to_have_text("2")
    expect(page.locator("#open-count")).to_have_text("4")
    # The checked section stays collapsed: what is in it is out of the way.
    checked = page.locator("#checked")
    expect(checked).not_to_have_attribute("open", "")
    expect(checked.locator(".shop-item").first).to_be_hidden()

    # Undo the last one.
    page.locator("#shop-toast").get_by_role("button", name="Undo").tap()
    expect(page.locator("#shop-toast")).to_contain_text("Put 1 l stock back on the list.")
    expect(_open_item(page, "stock")).to_have_count(1)
    expect(items).to_have_count(5)
    expect(page.locator("#checked-count")).to_have_text("1")
    assert page.evaluate("window.notReloaded") is True
    assert_accessible(page)

    # The server has it so: after a reload, one item is checked, behind the summary.
    page.reload()
    expect(items).to_have_count(5)
    expect(checked.locator(".shop-item")).to_have_count(1)
    expect(checked.locator(".shop-item").first).to_be_hidden()
    checked.locator("summary").tap()
    expect(checked.locator(".shop-item").first).to_be_visible()
    expect(checked.locator(".shop-item").first).to_contain_text("6 onions")
    assert phone.errors == []
