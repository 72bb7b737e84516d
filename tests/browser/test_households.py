"""Households and admin pages in a real browser: an owner makes a household and copies its
invite link, someone else opens it and joins, the owner removes them again; a member is refused
the admin pages; axe-core checks the household and admin pages."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from tests.support.browser import LiveServer, assert_accessible, run_cli

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
ADMIN_EMAIL = "hilda-admin@example.org"


@pytest.fixture(scope="module")
def admin_email(server: LiveServer) -> str:
    """A site admin made as an operator would, with the command line."""
    run_cli(
        server,
        "users",
        "create",
        "--email",
        ADMIN_EMAIL,
        "--name",
        "Hilda Admin",
        "--password",
        PASSWORD,
        "--admin",
    )
    return ADMIN_EMAIL


def _register(page: Page, name: str, email: str) -> None:
    page.goto("/register")
    page.get_by_label("Your name").fill(name)
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("status")).to_contain_text(f"Welcome to RecipeVault, {name}")


def _new_context(browser: Browser, server: LiveServer) -> BrowserContext:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    return context


def test_invite_join_remove_and_admin_pages(
    page: Page,
    browser: Browser,
    server: LiveServer,
    admin_email: str,
    console_errors: list[str],
) -> None:
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=server.url)
    _register(page, "Hanna Owner", "hanna-owner@example.org")

    # The account menu leads to the households page.
    page.locator("details.menu > summary").click()
    page.get_by_role("link", name="Households", exact=True).click()
    expect(page).to_have_url(f"{server.url}/households")
    expect(page.get_by_role("heading", name="Your households")).to_be_visible()
    assert_accessible(page)

    page.get_by_label("Name", exact=True).fill("Hanna's <b>Kitchen</b>")
    page.get_by_role("button", name="Create household").click()
    expect(page).to_have_url(re.compile(r"/households/\d+$"))
    household_url = page.url
    expect(page.get_by_role("heading", level=1)).to_have_text("Hanna's <b>Kitchen</b>")

    page.get_by_role("button", name="Make an invite link").click()
    link = page.locator("#invite-link").inner_text().strip()
    assert link.startswith(f"{server.url}/households/join?code=")
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    assert_accessible(page)

    joiner_context = _new_context(browser, server)
    try:
        joiner = joiner_context.new_page()
        # Signed out, the link asks to sign in and would come back to it.
        joiner.goto(link)
        expect(joiner).to_have_url(re.compile(r"/login\?next=%2Fhouseholds%2Fjoin%3Fcode%3D"))
        _register(joiner, "Jonas Joiner", "jonas-joiner@example.org")
        joiner.goto(link)
        expect(joiner.get_by_role("heading", level=1)).to_have_text("Join Hanna's <b>Kitchen</b>?")
        joiner.get_by_role("button", name="Join Hanna's <b>Kitchen</b>").click()
        expect(joiner).to_have_url(household_url)
        expect(joiner.get_by_role("status")).to_contain_text("Welcome to Hanna's <b>Kitchen</b>.")

        # A member is shown the friendly 403 page on the admin pages.
        joiner.goto("/admin/users")
        expect(joiner.get_by_role("heading", level=1)).to_have_text("You can\u2019t do that here")
        expect(joiner.get_by_text("Only site admins can see this page.")).to_be_visible()
    finally:
        joiner_context.close()

    page.goto(household_url)
    members = page.get_by_role("table", name=re.compile("Members of"))
    expect(members).to_contain_text("Jonas Joiner")
    members.get_by_role("link", name="Remove Jonas Joiner").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Remove Jonas Joiner")
    page.get_by_role("button", name="Remove Jonas Joiner").click()
    expect(page).to_have_url(household_url)
    expect(page.get_by_role("status")).to_contain_text("Jonas Joiner is no longer a member")
    expect(members).not_to_contain_text("Jonas Joiner")
    assert console_errors == []

    admin_context = _new_context(browser, server)
    try:
        admin = admin_context.new_page()
        admin.goto("/login?next=/admin/users")
        admin.get_by_label("Email").fill(admin_email)
        admin.get_by_label("Password", exact=True).fill(PASSWORD)
        admin.get_by_role("button", name="Sign in").click()
        expect(admin).to_have_url(f"{server.url}/admin/users")
        expect(admin.get_by_role("table")).to_contain_text("Jonas Joiner")
        assert_accessible(admin)
        admin.get_by_label("Search by name or email").fill("jonas")
        admin.get_by_role("button", name="Search").click()
        expect(admin.get_by_role("table")).not_to_contain_text("Hanna Owner")
        admin.goto("/admin/audit")
        expect(admin.get_by_role("table")).to_contain_text("household.member_removed")
        assert_accessible(admin)
        admin.goto("/admin")
        assert_accessible(admin)
        admin.goto("/admin/backups")
        expect(admin.get_by_role("heading", name="Backups")).to_be_visible()
        assert_accessible(admin)
    finally:
        admin_context.close()
