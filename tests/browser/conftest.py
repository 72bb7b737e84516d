"""Fixtures for browser tests: one live server for the run, one Chromium per module, a fresh
browser context (cookies, storage) per test, and a screenshot of the page when a test fails."""

from __future__ import annotations

from collections.abc import Generator, Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, ConsoleMessage, Page, Response, sync_playwright

from tests.support.browser import (
    CHROMIUM_ARGS,
    LiveServer,
    live_server,
    require_chromium,
    screenshot_path,
)


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("live-server")) as running:
        yield running


# Per module, not per session: while Playwright's sync API is started, its event loop counts
# as running on this thread, and the async tests that follow could not start their own.
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    executable = require_chromium()
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(executable), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, server: LiveServer) -> Iterator[Page]:
    context = browser.new_context(base_url=server.url, viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture
def console_errors(page: Page) -> list[str]:
    """What went wrong inside the pages: a script or style the CSP blocked, an exception, a
    missing stylesheet, script or image. Pages themselves may answer 400 (a refused form)."""
    errors: list[str] = []

    def console(message: ConsoleMessage) -> None:
        # Chromium logs every 4xx as "Failed to load resource"; subresources are checked below.
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            errors.append(message.text)

    def response(answer: Response) -> None:
        if answer.status >= 400 and answer.request.resource_type != "document":
            errors.append(f"{answer.status} for {answer.url}")

    page.on("console", console)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", response)
    return errors


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    page = getattr(item, "funcargs", {}).get("page")
    if report.when == "call" and report.failed and page is not None:
        path = screenshot_path(Path(item.config.rootpath), item.name)
        path.parent.mkdir(parents=True, exist_ok=True)
        try:
            page.screenshot(path=str(path), full_page=True)
        except Exception as exc:  # a crashed page must not hide the test's own failure
            note = f"could not save a screenshot: {exc}"
        else:
            note = f"screenshot saved in {path.parent}/ ({path.name})"
        report.sections.append(("browser", note))
        reporter = item.config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line(f"\n{item.nodeid}: {note}")
    return report
