"""Importing in a real browser: paste a recipe's JSON-LD and land on the recipe; import a page
from a little site on 127.0.0.1 and watch its job page update itself until it is done; axe-core
checks the import, job, export and admin job pages in light and dark colour schemes.

These tests run their own live server and job worker: importing from 127.0.0.1 needs
``import_allowed_hosts``, and a job only runs when a worker takes it from the queue.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.importing.test_api import JSON_LD, page_with
from tests.support.browser import (
    LiveServer,
    assert_accessible,
    fits_viewport,
    live_server,
    run_cli,
)
from tests.support.website import Page as SitePage
from tests.support.website import Site, serve_site

pytestmark = pytest.mark.browser

PASSWORD = "correct horse battery"
ADMIN_EMAIL = "ingrid-admin@example.org"
# A job waits for the worker to look at the queue again (it looks less often while idle).
JOB_SECONDS = 30


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A live server and a job worker sharing one database and one queue."""
    settings = {
        "RECIPEVAULT_IMPORT_ALLOWED_HOSTS": "127.0.0.1",
        "RECIPEVAULT_FETCH_TIMEOUT_SECONDS": "5",
    }
    workdir = tmp_path_factory.mktemp("import-server")
    with live_server(workdir, settings=settings, with_worker=True) as running:
        yield running


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with serve_site() as site:
        site.pages["/lemon-cake"] = SitePage(page_with(JSON_LD))
        site.pages["/soup"] = SitePage(
            page_with({**JSON_LD, "name": "Tomato Soup", "recipeYield": "4"})
        )
        yield site


@pytest.fixture(scope="module")
def admin_email(server: LiveServer) -> str:
    run_cli(
        server,
        "users",
        "create",
        "--email",
        ADMIN_EMAIL,
        "--name",
        "Ingrid Admin",
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


def _wait_for_done(page: Page) -> None:
    expect(page.locator("#job-live .badge").first).to_have_text("Done", timeout=JOB_SECONDS * 1000)


def test_paste_a_recipe_then_import_a_page_and_watch_its_job(
    page: Page, server: LiveServer, site: Site, console_errors: list[str]
) -> None:
    _register(page, "Pia Paste", "pia-paste@example.org")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Import").click()
    expect(page).to_have_url(f"{server.url}/import")
    expect(page.get_by_role("heading", name="Import recipes")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("link", name="Paste a page").click()
    expect(page).to_have_url(f"{server.url}/import?tab=paste")
    page.get_by_label("The page\u2019s HTML, or JSON-LD").fill(json.dumps(JSON_LD))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/recipes/lemon-drizzle-cake[\w-]*$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Lemon Drizzle Cake")
    expect(page.get_by_role("status").first).to_contain_text("“Lemon Drizzle Cake” is imported.")

    # Text without a recipe comes back, kept, with the reason beside it.
    page.goto("/import?tab=paste")
    page.get_by_label("The page\u2019s HTML, or JSON-LD").fill("<p>Only a story.</p>")
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#paste-html-error")).to_have_text("No recipe found on this page.")
    expect(page.get_by_label("The page\u2019s HTML, or JSON-LD")).to_have_value(
        "<p>Only a story.</p>"
    )
    assert_accessible(page)

    # A web address: the job page polls itself until the job is done.
    page.get_by_role("link", name="Web address").click()
    page.get_by_label("Address of the recipe\u2019s page").fill(site.url("/soup"))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
    job_url = page.url
    expect(page.get_by_role("status").first).to_contain_text("The import has started.")
    _wait_for_done(page)
    expect(page.get_by_role("button", name="Cancel the job")).to_have_count(0)
    expect(page.locator("#job-announce")).to_contain_text("The job has ended: done.")
    expect(page.locator("#job-live")).not_to_have_attribute("hx-trigger", re.compile("."))
    link = page.get_by_role("link", name="Open “Tomato Soup”")
    expect(link).to_be_visible()
    assert_accessible(page)

    # The same page again: the form names the recipe and offers to update it.
    page.goto("/import")
    page.get_by_label("Address of the recipe\u2019s page").fill(site.url("/soup"))
    page.get_by_role("button", name="Import", exact=True).click()
    expect(page.locator("#url-url-error")).to_have_text(
        "You imported this page before as “Tomato Soup”."
    )
    expect(page.get_by_label("Update it with what is there now", exact=False)).to_be_checked()
    assert_accessible(page)

    page.goto("/jobs")
    expect(page.get_by_role("table")).to_contain_text(f"Import of {site.url('/soup')}")
    page.get_by_role("link", name=f"Import of {site.url('/soup')}").click()
    expect(page).to_have_url(job_url)
    page.get_by_role("link", name="Open “Tomato Soup”").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tomato Soup")
    assert console_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_import_job_and_export_pages_are_accessible_in_both_themes(
    browser: Browser, server: LiveServer, admin_email: str, site: Site, scheme: str
) -> None:
    context = browser.new_context(
        base_url=server.url,
        viewport={"width": 1280, "height": 900},
        color_scheme=scheme,  # type: ignore[arg-type]
    )
    try:
        page = context.new_page()
        _register(page, f"Axel Import {scheme.title()}", f"axel-import-{scheme}@example.org")
        for tab in ("url", "paste", "bulk", "file"):
            page.goto(f"/import?tab={tab}")
            assert_accessible(page)

        # A list of addresses, one of them without a recipe: a job with a result per address.
        page.goto("/import?tab=bulk")
        page.get_by_label("Web addresses", exact=True).fill(
            f"{site.url('/lemon-cake')}\n{site.url('/missing')}"
        )
        page.get_by_label("Import them again as other recipes").check()
        page.get_by_role("button", name="Import them all").click()
        expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
        assert_accessible(page)
        _wait_for_done(page)
        expect(page.get_by_role("table")).to_contain_text("Not imported")
        assert_accessible(page)

        page.goto("/exports")
        assert_accessible(page)
        page.get_by_role("button", name="Export as CSV").click()
        expect(page).to_have_url(re.compile(r"/jobs/\d+$"))
        export_url = page.url
        _wait_for_done(page)
        expect(page.get_by_role("link", name="Download the export")).to_be_visible()
        assert_accessible(page)
        page.goto("/jobs")
        assert_accessible(page)

        phone = context.new_page()
        phone.set_viewport_size({"width": 360, "height": 740})
        for path in ("/import", "/import?tab=file", "/jobs", export_url, "/exports"):
            phone.goto(path)
            assert fits_viewport(phone), f"{path} scrolls sideways at 360 px"

        admin = context.new_page()
        context.clear_cookies()
        admin.goto("/login?next=/admin/jobs")
        admin.get_by_label("Email").fill(admin_email)
        admin.get_by_label("Password", exact=True).fill(PASSWORD)
        admin.get_by_role("button", name="Sign in").click()
        expect(admin).to_have_url(f"{server.url}/admin/jobs")
        expect(admin.get_by_role("table")).to_contain_text(f"Axel Import {scheme.title()}")
        assert_accessible(admin)
    finally:
        context.close()
