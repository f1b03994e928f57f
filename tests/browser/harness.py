"""The browser harness every journey shares: Debian's chromium through Playwright, a fresh context per person.

The fixtures are registered for the folder by ``conftest.py``; journeys import ``sign_in`` from here.
"""

import os

import pytest
from django.db import connections
from playwright.sync_api import expect, sync_playwright

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
TIMEOUT_MS = 15_000


@pytest.fixture
def allow_async_unsafe():
    """Playwright's sync API keeps an event loop running in the test thread; let the ORM work beside it."""
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    yield
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture
def browser(allow_async_unsafe):
    expect.set_options(timeout=TIMEOUT_MS)
    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
            try:
                yield browser
            finally:
                # While Playwright's event loop runs in this thread, Django keeps the test's database
                # connection in a context variable that teardown (after the loop stops) cannot see:
                # close it now, or PostgreSQL refuses to drop the test database at the end of the run.
                connections.close_all()
                browser.close()
    finally:
        expect.set_options(timeout=5_000)  # Playwright's default


@pytest.fixture
def new_page(browser, live_server):
    """Open a page in a fresh context (its own cookies) against the live server; all are closed afterwards."""
    contexts = []

    def opener():
        context = browser.new_context(base_url=live_server.url, locale="en-GB")
        context.set_default_timeout(TIMEOUT_MS)
        # The site has no favicon; answering here keeps chromium's background fetch off the server (and its log).
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        contexts.append(context)
        return context.new_page()

    yield opener
    for context in contexts:
        context.close()


def sign_in(page, user):
    page.goto("/accounts/login/")
    page.locator("input[name='login']").fill(user.email)
    page.locator("input[name='password']").fill(PASSWORD)
    page.get_by_role("button", name="Sign In", exact=True).click()
    # Signed in: the header names the person and offers "Sign out".
    expect(page.locator("header .who")).to_have_text(user.display_name)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
