"""Pages at a phone's width (390 px, an iPhone 12 to 15): nothing wider than the screen."""

import pytest

from tests.browser.harness import sign_in
from tests.factories import ask

PHONE = {"width": 390, "height": 844}


def overflow(page):
    """How many pixels the page is wider than the screen (0: no sideways scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


@pytest.mark.browser
def test_the_expert_dashboard_fits_a_phone(live_server, new_page, alice, northshire, erin, topic, run_on_commit):
    # Routed to Erin: her queue has a row, with a long title.
    title = "Can our trustees be paid for the bookkeeping one of them does for the charity every month?"
    ask(run_on_commit, alice, northshire, topic, title=title)
    page = new_page()
    page.set_viewport_size(PHONE)
    sign_in(page, erin)
    page.goto("/experts/dashboard/")
    assert page.get_by_text("Can our trustees be paid for the bookkeeping").count() >= 1
    assert overflow(page) == 0
