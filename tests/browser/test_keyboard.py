"""Every core flow with the keyboard alone: Tab to reach a control (which must show where the
focus is), Enter or Space to use it, typing to fill it. No clicks."""

from __future__ import annotations

import itertools
import os
import re

import pytest
from playwright.sync_api import Locator, Page, expect

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
MAX_TABS = 80
_people = itertools.count(1)


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until ``target`` has the focus; fail if it cannot be reached. The target is
    looked up again after each press: htmx may have swapped it for a fresh copy."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate("(element) => document.activeElement === element"):
            ring = target.evaluate(
                "(element) => { const s = getComputedStyle(element);"
                " return [s.outlineStyle, s.boxShadow]; }"
            )
            # A visible focus ring: an outline, or a box shadow drawn in its place.
            assert ring[0] != "none" or ring[1] != "none", ring
            return
    raise AssertionError(f"{target} cannot be reached with Tab")


def type_into(page: Page, target: Locator, text: str) -> None:
    tab_to(page, target)
    page.keyboard.press("Control+A")
    page.keyboard.type(text)


def test_register_write_find_scale_cook_and_sign_out_by_keyboard(page: Page) -> None:
    name = "Kim Keys"
    email = f"keys{next(_people)}-{os.getpid()}@example.org"

    page.goto("/")
    tab_to(page, page.get_by_role("link", name="Register"))
    page.keyboard.press("Enter")
    type_into(page, page.get_by_label("Your name"), name)
    type_into(page, page.get_by_label("Email"), email)
    type_into(page, page.get_by_label("Password", exact=True), PASSWORD)
    page.keyboard.press("Enter")
    expect(page.locator("details.menu > summary")).to_contain_text(name)

    # Write a recipe through the form.
    page.goto("/recipes/new")
    type_into(page, page.get_by_label("Title", exact=True), "Keyboard soup")
    type_into(page, page.get_by_label("Servings"), "4")
    type_into(page, page.get_by_label("Ingredient 1", exact=True), "400 g tomatoes")
    tab_to(page, page.get_by_role("button", name="Add an ingredient"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Ingredient 2", exact=True)).to_be_focused()
    page.keyboard.type("1 onion")
    type_into(page, page.get_by_label("Step 1", exact=True), "Soften the onion.")
    tab_to(page, page.get_by_role("button", name="Add a step"))
    page.keyboard.press("Enter")
    expect(page.get_by_label("Step 2", exact=True)).to_be_focused()
    page.keyboard.type("Simmer with the tomatoes.")
    # A radio group is one Tab stop; the arrow keys choose within it.
    tab_to(page, page.locator('input[name="visibility"]:checked'))
    everyone = page.get_by_label("Everyone")
    for _ in range(3):
        if everyone.is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(everyone).to_be_checked()
    tab_to(page, page.get_by_role("button", name="Save recipe"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Keyboard soup")

    # Find it through the search page.
    page.goto("/recipes")
    type_into(page, page.get_by_label("Search recipes"), "keyboard soup")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"q=keyboard"))
    link = page.get_by_role("link", name="Keyboard soup").first
    expect(link).to_be_visible()
    # Results also refresh as you type: let that settle before moving through them.
    page.wait_for_load_state("networkidle")
    tab_to(page, link)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/recipes/keyboard-soup"))

    # Scale it.
    type_into(page, page.get_by_label("Servings"), "8")
    page.keyboard.press("Enter")
    expect(page.locator("#ingredient-list")).to_contain_text("For 8 servings")

    # Cook mode, one step at a time.
    tab_to(page, page.get_by_role("link", name="Cook mode"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/cook"))
    one_at_a_time = page.locator("[data-cook-mode]")
    tab_to(page, one_at_a_time)
    page.keyboard.press("Space")
    expect(one_at_a_time).to_have_attribute("aria-pressed", "true")
    progress = page.locator("[data-cook-progress]")
    expect(progress).to_have_text("Step 1 of 2")
    page.keyboard.press("ArrowRight")
    expect(progress).to_have_text("Step 2 of 2")

    # Sign out from the account menu.
    summary = page.locator("details.menu > summary")
    tab_to(page, summary)
    page.keyboard.press("Enter")
    tab_to(page, page.get_by_role("button", name="Sign out"))
    page.keyboard.press("Enter")
    expect(page.get_by_role("link", name="Sign in")).to_be_visible()
