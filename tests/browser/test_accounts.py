"""Accounts in a real browser: register, land signed in, open the account page, sign out,
sign in again; axe-core checks each page."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.support.browser import LiveServer, assert_accessible, fits_viewport

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"


def test_register_account_sign_out_and_in(
    page: Page, server: LiveServer, console_errors: list[str]
) -> None:
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("banner").get_by_role("link", name="Register").click()
    expect(page).to_have_url(f"{server.url}/register")
    page.get_by_label("Your name").fill("Brenda Browser")
    page.get_by_label("Email").fill("brenda@example.org")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()

    expect(page).to_have_url(f"{server.url}/")
    expect(page.get_by_role("status")).to_contain_text("Welcome to RecipeVault, Brenda Browser")
    menu = page.locator("details.menu > summary")
    expect(menu).to_contain_text("Brenda Browser")

    menu.click()
    page.get_by_role("link", name="Account", exact=True).click()
    expect(page).to_have_url(f"{server.url}/account")
    expect(page.get_by_role("heading", name="Your account")).to_be_visible()
    expect(page.get_by_text("Not confirmed yet")).to_be_visible()
    assert_accessible(page)

    # htmx requests carry the CSRF token from the page's meta tag (app.js adds it).
    token = page.locator('meta[name="csrf-token"]').get_attribute("content")
    with page.expect_response("**/account/verify-email") as answered:
        page.evaluate("htmx.ajax('POST', '/account/verify-email', {swap: 'none'})")
    assert answered.value.request.headers["x-csrf-token"] == token
    assert answered.value.status == 303
    page.reload()
    expect(page.get_by_role("status")).to_contain_text("A new confirmation link is on its way")

    # The menu opens from the keyboard too.
    menu.focus()
    page.keyboard.press("Enter")
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(f"{server.url}/")
    expect(page.get_by_role("status")).to_contain_text("You are signed out.")

    page.goto("/account")
    expect(page).to_have_url(re.compile(r"/login\?next=%2Faccount$"))
    assert_accessible(page)
    page.get_by_label("Email").fill("brenda@example.org")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("alert")).to_contain_text("The email or password is not correct.")
    expect(page.get_by_label("Email")).to_have_value("brenda@example.org")

    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page).to_have_url(f"{server.url}/account")
    expect(page.get_by_role("status")).to_contain_text("Welcome back, Brenda Browser.")
    assert console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_pages_fit_a_small_phone_in_both_themes(
    browser: Browser, server: LiveServer, scheme: str
) -> None:
    context = browser.new_context(
        base_url=server.url,
        viewport={"width": 360, "height": 740},
        color_scheme=scheme,  # type: ignore[arg-type]
    )
    try:
        small = context.new_page()
        for path in ("/", "/login", "/register", "/forgot-password", "/no-such-page"):
            small.goto(path)
            assert fits_viewport(small), f"{path} scrolls sideways at 360 px"
            assert_accessible(small)

        small.goto("/register")
        small.get_by_label("Your name").fill(f"Pat {scheme.title()}")
        small.get_by_label("Email").fill(f"pat-{scheme}@example.org")
        small.get_by_label("Password", exact=True).fill(PASSWORD)
        small.get_by_role("button", name="Create account").click()
        small.goto("/account")
        small.get_by_label("Name", exact=True).fill("phone backup")
        small.get_by_role("button", name="Create token").click()
        expect(small.locator("#new-token")).to_contain_text("rvp_")
        assert fits_viewport(small), "/account scrolls sideways at 360 px"
        assert_accessible(small)
    finally:
        context.close()
