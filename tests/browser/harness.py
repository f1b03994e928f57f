"""The browser harness every journey shares: Debian's chromium through Playwright, a fresh context per person.

The fixtures are registered for the folder by ``conftest.py``; journeys import ``sign_in`` from here.
"""

import os
import re

import pytest
from axe_playwright_python.sync_playwright import Axe
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
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 390, "height": 844}  # an iPhone 12 to 15
VIEWPORTS = pytest.mark.parametrize("viewport", [DESKTOP, PHONE], ids=["desktop", "phone"])
# axe-core's impact levels that fail a page; "moderate" and "minor" ones are left to judgement.
FAILING_IMPACTS = ("serious", "critical")
AXE = Axe()  # axe-core as the package bundles it: nothing is fetched from the network


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
    """Open a page in a fresh context (its own cookies, the screen size given) against the live server; all are
    closed afterwards."""
    contexts = []

    def opener(viewport=DESKTOP):
        context = browser.new_context(base_url=live_server.url, locale="en-GB", viewport=viewport)
        context.set_default_timeout(TIMEOUT_MS)
        # The site has no favicon; answering here keeps chromium's background fetch off the server (and its log).
        context.route("**/favicon.ico", lambda route: route.fulfill(status=204))
        contexts.append(context)
        return context.new_page()

    yield opener
    for context in contexts:
        context.close()


def sign_in(page, user, *, check=False):
    """Sign in through the sign-in form (checked with ``check_page`` first when ``check``)."""
    page.goto("/accounts/login/")
    if check:
        check_page(page)
    page.locator("input[name='login']").fill(user.email)
    page.locator("input[name='password']").fill(PASSWORD)
    # allauth's stock "Sign In", or the site's own "Sign in".
    page.get_by_role("button", name=re.compile(r"^sign in$", re.IGNORECASE)).click()
    # Signed in: the header names the person and offers "Sign out".
    expect(page.locator("header .who")).to_have_text(user.display_name)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def is_phone(page):
    return page.viewport_size["width"] <= PHONE["width"]


# Settles the page before it is measured: a message fading in (Wagtail's) would otherwise be judged half-transparent.
# Only running animations that end are waited for (not a spinner, nor a paused one), and 5 s at most.
SETTLE = """() => Promise.race([
    Promise.all(document.getAnimations()
        .filter((animation) => animation.playState === "running" && animation.effect
            && animation.effect.getComputedTiming().endTime !== Infinity)
        .map((animation) => animation.finished.catch(() => null))),
    new Promise((resolve) => setTimeout(resolve, 5000)),
])"""


def accessibility_problems(page):
    """axe-core's serious and critical violations on the page as it is now (once its transitions have finished),
    one line per rule and its nodes."""
    page.evaluate(SETTLE)
    results = AXE.run(page, options={"resultTypes": ["violations"]})
    problems = []
    for violation in results.response["violations"]:
        if violation["impact"] not in FAILING_IMPACTS:
            continue
        nodes = "; ".join(" ".join(map(str, node["target"])) + why(node) for node in violation["nodes"])
        problems.append(f"{violation['id']} ({violation['impact']}): {violation['help']} -- {nodes}")
    return problems


def why(node):
    """What axe-core says of one failing node (a contrast's colours and ratio, say), in brackets; or nothing."""
    messages = [check["message"] for check in node.get("any", []) + node.get("all", []) if check.get("message")]
    return f" [{messages[0]}]" if messages else ""


def check_page(page):
    """The page as it is now passes axe-core (no serious or critical violation) and, on a phone, does not
    scroll sideways. Call it once the page shows what the step expects (after an ``expect``)."""
    problems = accessibility_problems(page)
    assert not problems, f"{page.url}: axe-core found\n" + "\n".join(problems)
    if is_phone(page):
        widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        assert widths[0] <= widths[1], f"{page.url}: {widths[0]} px wide on a {widths[1]} px screen"


def visit(page, path):
    """Go to ``path`` and check the page (``check_page``); the response is returned."""
    response = page.goto(path)
    check_page(page)
    return response
