"""Recipes in a real browser: write one through the form, read it, scale it, switch units, edit
it, restore an older version, find it by searching, cook from it; someone else cannot see it.
axe-core checks the search, recipe, cook and edit pages in light and dark colour schemes.

With RECIPEVAULT_SCREENSHOTS=1 the README's screenshots are written to docs/screenshots/.
"""

from __future__ import annotations

import itertools
import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import LiveServer, assert_accessible, fits_viewport

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
SCREENSHOTS = Path(__file__).resolve().parents[2] / "docs" / "screenshots"
_people = itertools.count(1)


def _register(page: Page, name: str) -> str:
    email = f"cook{next(_people)}-{os.getpid()}@example.org"
    page.goto("/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("details.menu > summary")).to_contain_text(name)
    return email


def _csrf(page: Page) -> str:
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    assert token
    return token


def _api_recipe(page: Page, body: dict[str, Any]) -> dict[str, Any]:
    """A recipe made through the API with the page's session (quicker than the form)."""
    response = page.request.post(
        "/api/v1/recipes", data=body, headers={"X-CSRF-Token": _csrf(page)}
    )
    assert response.status == 201, response.text()
    result: dict[str, Any] = response.json()
    return result


def _write_apple_pie(page: Page, server: LiveServer) -> str:
    page.goto("/recipes/new")
    expect(page.get_by_role("heading", name="New recipe")).to_be_visible()
    page.get_by_label("Title", exact=True).fill("Grandma's apple pie")
    page.get_by_label("Description").fill("A double-crust pie with plenty of cinnamon.")
    page.get_by_label("Servings").fill("8")
    page.get_by_label("Preparation (minutes)").fill("40")
    page.get_by_label("Cooking (minutes)").fill("50")

    page.get_by_label("Section heading before ingredient 1").fill("Crust")
    page.get_by_label("Ingredient 1", exact=True).fill("2 1/2 cups flour")
    add = page.get_by_role("button", name="Add an ingredient")
    for number, text in ((2, "1 cup butter"), (3, "6 apples"), (4, "3/4 cup sugar")):
        add.click()
        field = page.get_by_label(f"Ingredient {number}", exact=True)
        expect(field).to_be_focused()
        field.fill(text)
    page.get_by_label("Section heading before ingredient 3").fill("Filling")
    # Moving a line in the page renumbers it.
    page.get_by_role("button", name="Move ingredient 4 up").click()
    expect(page.get_by_label("Ingredient 3", exact=True)).to_have_value("3/4 cup sugar")
    page.get_by_role("button", name="Move ingredient 3 down").click()
    expect(page.get_by_label("Ingredient 4", exact=True)).to_have_value("3/4 cup sugar")

    page.get_by_label("Step 1", exact=True).fill("Rub the butter into the flour; chill.")
    page.get_by_role("button", name="Add a step").click()
    page.get_by_label("Step 2", exact=True).fill("Fill with apples and sugar, then bake.")
    page.get_by_label("Timer (min) for step 2").fill("50")
    page.get_by_label("Tags").fill("dessert, baking")
    page.get_by_label("Only me").check()
    page.get_by_role("button", name="Save recipe").click()
    expect(page.get_by_role("status")).to_contain_text("“Grandma's apple pie” is saved.")
    expect(page).to_have_url(re.compile(r"/recipes/grandma-s-apple-pie$"))
    return "grandma-s-apple-pie"


def test_write_read_scale_edit_restore_search_and_cook(
    page: Page, browser: Browser, server: LiveServer, console_errors: list[str]
) -> None:
    email = _register(page, "Rita Recipe")
    slug = _write_apple_pie(page, server)

    # The recipe, with both sections.
    expect(page.get_by_role("heading", level=1)).to_have_text("Grandma's apple pie")
    ingredients = page.locator("#ingredient-list")
    expect(ingredients.get_by_role("heading", name="Crust")).to_be_visible()
    expect(ingredients.get_by_role("heading", name="Filling")).to_be_visible()
    # New accounts read recipes as written until they choose otherwise; metric is a click away.
    expect(ingredients).to_contain_text("2 1/2 cups flour")
    expect(ingredients).not_to_contain_text("in metric units")
    page.locator('label[for="units-metric"]').click()
    expect(ingredients).to_contain_text("in metric units")
    expect(ingredients).to_contain_text(re.compile(r"\d+ g flour"))

    # Scaling and units swap the ingredient list in place.
    servings = page.get_by_label("Servings")
    servings.fill("16")
    servings.press("Enter")
    expect(ingredients).to_contain_text("For 16 servings")
    expect(page).to_have_url(re.compile(r"servings=16"))
    page.locator('label[for="units-us"]').click()
    expect(ingredients).to_contain_text("in US units")
    expect(ingredients).to_contain_text("5 cups flour")
    page.locator('label[for="units-original"]').click()
    expect(ingredients).not_to_contain_text("in US units")
    expect(ingredients).to_contain_text("5 cups flour")

    # Edit the title, then see the change in the history and restore the first version.
    page.get_by_role("link", name="Edit").click()
    page.get_by_label("Title", exact=True).fill("Apple pie for a crowd")
    page.get_by_role("button", name="Save changes").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Apple pie for a crowd")
    page.get_by_role("link", name="History").click()
    history = page.locator("ol.history")
    expect(history).to_contain_text("Version 2")
    expect(history.locator("del").first).to_contain_text("Grandma's apple pie")
    expect(history.locator("ins").first).to_contain_text("Apple pie for a crowd")
    page.get_by_role("button", name=re.compile(r"Restore version 1")).click()
    expect(page.get_by_role("status")).to_contain_text("Version 1 is back, saved as version 3.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Grandma's apple pie")

    # Search as you type: the results change without leaving the page.
    page.goto("/recipes")
    page.get_by_label("Search recipes").fill("cinnamon")
    results = page.locator("#recipe-results")
    expect(results.get_by_role("link", name="Grandma's apple pie")).to_be_visible()
    expect(page).to_have_url(re.compile(r"q=cinnamon"))
    page.get_by_label("Search recipes").fill("no such dish")
    expect(results).to_contain_text("No recipes match that search.")

    # Cook mode: one step at a time, and a timer for the step that has one.
    page.goto(f"/recipes/{slug}/cook")
    page.get_by_role("button", name="One step at a time").click()
    progress = page.locator("[data-cook-progress]")
    expect(progress).to_have_text("Step 1 of 2")
    expect(page.get_by_text("Fill with apples and sugar")).to_be_hidden()
    page.get_by_role("button", name="Next step").click()
    expect(progress).to_have_text("Step 2 of 2")
    page.get_by_role("button", name="Start 50 min timer").click()
    timer = page.locator('[data-timer-minutes="50"]')
    expect(timer).to_contain_text("left: stop timer")

    # Someone else cannot see a private recipe at all.
    other = browser.new_context(base_url=server.url)
    try:
        stranger = other.new_page()
        _register(stranger, "Sam Stranger")
        response = stranger.goto(f"/recipes/{slug}")
        assert response is not None
        assert response.status == 404
        stranger.goto("/recipes?q=apple")
        expect(stranger.locator("#recipe-results")).not_to_contain_text("apple pie")
    finally:
        other.close()

    page.locator("details.menu > summary").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")
    assert page.goto(f"/recipes/{slug}").status == 404  # type: ignore[union-attr]

    # Signing in again brings the private recipe back.
    page.goto(f"/login?next=/recipes/{slug}")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/recipes/{slug}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Grandma's apple pie")
    assert console_errors == []


def test_a_refused_form_keeps_what_was_typed(page: Page, console_errors: list[str]) -> None:
    _register(page, "Fiona Form")
    page.goto("/recipes/new")
    page.get_by_label("Description").fill("Still here after the error.")
    page.get_by_label("Servings").fill("a few")
    page.get_by_label("Ingredient 1", exact=True).fill("1 onion")
    page.get_by_role("button", name="Save recipe").click()
    expect(page.get_by_role("alert")).to_contain_text("The recipe was not saved")
    title = page.get_by_label("Title", exact=True)
    expect(title).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#recipe-title-error")).to_have_text("This field is required.")
    expect(page.locator("#recipe-servings-error")).to_have_text("Enter a number.")
    expect(page.get_by_label("Servings")).to_have_value("a few")
    expect(page.get_by_label("Description")).to_have_value("Still here after the error.")
    expect(page.get_by_label("Ingredient 1", exact=True)).to_have_value("1 onion")
    assert_accessible(page)
    assert console_errors == []


def _shown_step_numbers(page: Page) -> list[str]:
    """The numbers the browser draws in front of the steps on screen (list markers are not in
    the DOM; Chromium's accessibility tree has them, for the items that are displayed)."""
    cdp = page.context.new_cdp_session(page)
    try:
        nodes = cdp.send("Accessibility.getFullAXTree")["nodes"]
    finally:
        cdp.detach()
    names = [
        str(node.get("name", {}).get("value", ""))
        for node in nodes
        if node.get("role", {}).get("value") == "ListMarker"
    ]
    return [name.strip().rstrip(".") for name in names if re.fullmatch(r"\d+\. ", name)]


def test_cook_mode_shows_the_number_of_the_step_it_counts(
    page: Page, console_errors: list[str]
) -> None:
    _register(page, "Stella Steps")
    recipe = _api_recipe(
        page,
        {
            "title": "Layered stew",
            "ingredients": [{"text": "2 onions"}, {"text": "1 (14 oz) can tomatoes"}],
            "steps": [
                {"text": "Chop the onions.", "section": "Base"},
                {"text": "Soften them in oil."},
                {"text": "Add the tomatoes.", "section": "Stew"},
                {"text": "Simmer until thick.", "timer_minutes": 30},
            ],
        },
    )
    page.goto(f"/recipes/{recipe['slug']}/cook")
    expect(page.locator(".cook__step")).to_have_count(4)
    assert _shown_step_numbers(page) == ["1", "2", "3", "4"]

    page.get_by_role("button", name="One step at a time").click()
    progress = page.locator("[data-cook-progress]")
    for number in range(1, 5):
        expect(progress).to_have_text(f"Step {number} of 4")
        assert _shown_step_numbers(page) == [str(number)]
        if number < 4:
            page.get_by_role("button", name="Next step").click()
    page.keyboard.press("ArrowLeft")
    expect(progress).to_have_text("Step 3 of 4")
    assert _shown_step_numbers(page) == ["3"]
    assert console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_recipe_pages_are_accessible_in_both_themes(
    browser: Browser, server: LiveServer, scheme: str
) -> None:
    context = browser.new_context(
        base_url=server.url,
        viewport={"width": 1280, "height": 900},
        color_scheme=scheme,  # type: ignore[arg-type]
    )
    try:
        page = context.new_page()
        _register(page, f"Axel {scheme.title()}")
        recipe = _api_recipe(
            page,
            {
                "title": f"Lentil soup ({scheme})",
                "description": "Warming and cheap.",
                "servings": 4,
                "total_minutes": 45,
                "rating": 4,
                "visibility": "public",
                "tags": ["soup", "vegan"],
                "ingredients": [
                    {"text": "200 g red lentils", "section": "Soup"},
                    {"text": "1 onion, chopped"},
                    {"text": "1 tsp cumin", "section": "To finish"},
                ],
                "steps": [
                    {"text": "Soften the onion."},
                    {"text": "Simmer the lentils.", "timer_minutes": 20},
                ],
                "notes": "Freezes well.",
                "nutrition": {"calories": "230 kcal"},
            },
        )
        slug = recipe["slug"]
        for path in (
            "/recipes",
            "/recipes?q=lentil&sort=title",
            f"/recipes/{slug}",
            f"/recipes/{slug}?servings=8&units=us",
            f"/recipes/{slug}/cook",
            f"/recipes/{slug}/edit",
            f"/recipes/{slug}/revisions",
            "/recipes/trash",
            "/",
        ):
            page.goto(path)
            assert_accessible(page)
        page.goto("/recipes")
        page.get_by_text("Filters and order").click()
        assert_accessible(page)
        page.goto(f"/recipes/{slug}/cook")
        page.get_by_role("button", name="One step at a time").click()
        assert_accessible(page)

        phone = context.new_page()
        phone.set_viewport_size({"width": 360, "height": 740})
        for path in ("/recipes", f"/recipes/{slug}", f"/recipes/{slug}/cook", "/recipes/new"):
            phone.goto(path)
            assert fits_viewport(phone), f"{path} scrolls sideways at 360 px"
    finally:
        context.close()


SHOWCASE: list[dict[str, Any]] = [
    {
        "title": "Buttermilk pancakes",
        "description": "Tall, fluffy pancakes with a tang of buttermilk; ready in half an hour.",
        "servings": 4,
        "prep_minutes": 10,
        "cook_minutes": 20,
        "yield_text": "12 pancakes",
        "rating": 5,
        "tags": ["breakfast", "quick", "vegetarian"],
        "categories": ["Brunch"],
        "ingredients": [
            {"text": "2 cups all-purpose flour", "section": "Batter"},
            {"text": "2 tbsp sugar"},
            {"text": "2 tsp baking powder"},
            {"text": "1/2 tsp salt"},
            {"text": "2 cups buttermilk"},
            {"text": "2 large eggs"},
            {"text": "3 tbsp melted butter"},
            {"text": "maple syrup, to serve", "section": "To serve"},
            {"text": "1 cup blueberries (optional)"},
        ],
        "steps": [
            {"text": "Whisk the flour, sugar, baking powder and salt in a large bowl."},
            {"text": "Whisk the buttermilk, eggs and butter, then fold into the dry ingredients."},
            {"text": "Rest the batter while the griddle heats.", "timer_minutes": 5},
            {"text": "Cook ladlefuls on a buttered griddle until bubbles form; flip once.",
             "timer_minutes": 3},
        ],
        "notes": "Do not overmix: a few lumps keep them light.\nLeftover batter keeps a day.",
        "nutrition": {"calories": "320 kcal", "protein_content": "9 g", "fat_content": "11 g"},
        "source_url": "https://en.wikibooks.org/wiki/Cookbook:Buttermilk_Pancakes",
        "attribution": "Wikibooks Cookbook contributors, CC BY-SA 4.0 (adapted)",
    },
    {"title": "Tomato soup", "description": "Roasted tomatoes, garlic and a swirl of cream.",
     "total_minutes": 50, "rating": 4, "tags": ["soup", "vegetarian"]},
    {"title": "Garlic bread", "description": "Crisp outside, soft and buttery within.",
     "total_minutes": 15, "rating": 5, "tags": ["side", "quick"]},
    {"title": "Chicken curry", "description": "A weeknight curry with tomatoes and spinach.",
     "total_minutes": 40, "rating": 4, "tags": ["dinner", "spicy"]},
    {"title": "Lemon drizzle cake", "description": "A light sponge soaked in lemon syrup.",
     "total_minutes": 60, "rating": 5, "tags": ["baking", "dessert"]},
    {"title": "Green salad", "description": "Leaves, herbs and a mustard vinaigrette.",
     "total_minutes": 10, "rating": 3, "tags": ["side", "vegan", "quick"]},
]  # fmt: skip


def test_readme_screenshots(browser: Browser, server: LiveServer, tmp_path: Path) -> None:
    """The README's pictures of the search and recipe pages at 1280 px. They go to a temporary
    folder, or to docs/screenshots with RECIPEVAULT_SCREENSHOTS=1 (to refresh the README)."""
    folder = SCREENSHOTS if os.environ.get("RECIPEVAULT_SCREENSHOTS") == "1" else tmp_path
    context = browser.new_context(
        base_url=server.url, viewport={"width": 1280, "height": 860}, color_scheme="light"
    )
    try:
        page = context.new_page()
        _register(page, "Demo Cook")
        slugs = [
            _api_recipe(page, recipe | {"visibility": "public"})["slug"] for recipe in SHOWCASE
        ]
        folder.mkdir(parents=True, exist_ok=True)
        page.goto("/recipes?q=&sort=rating")
        page.get_by_text("Filters and order").click()
        expect(page.get_by_role("link", name=SHOWCASE[0]["title"]).first).to_be_visible()
        page.screenshot(path=str(folder / "search.png"))
        page.goto(f"/recipes/{slugs[0]}?servings=6")
        expect(page.get_by_role("heading", level=1)).to_have_text(SHOWCASE[0]["title"])
        page.screenshot(path=str(folder / "recipe.png"), full_page=True)
    finally:
        context.close()
    for name in ("search.png", "recipe.png"):
        assert (folder / name).read_bytes().startswith(b"\x89PNG")
