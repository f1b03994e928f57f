"""The expert's queue in chromium: a long title has the row's width (two lines at most on a desktop, three on a 390 px
phone), the network is named once under it, and the page neither scrolls sideways nor fails axe-core."""

import pytest
from playwright.sync_api import expect

from tests.browser.harness import DESKTOP, PHONE, check_page, sign_in
from tests.factories import ask

TITLE = "Can our trustees be paid for the bookkeeping one of them does for the charity every month?"


@pytest.mark.browser
@pytest.mark.parametrize(("viewport", "most_lines"), [(DESKTOP, 2), (PHONE, 3)], ids=["desktop", "phone"])
def test_a_long_title_has_the_width_of_the_queue(
    live_server, new_page, run_on_commit, alice, northshire, topic, erin, viewport, most_lines
):
    ask(run_on_commit, alice, northshire, topic, title=TITLE)
    page = new_page(viewport)
    sign_in(page, erin)
    page.goto("/experts/dashboard/")
    row = page.get_by_test_id("queue").get_by_role("row").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row.get_by_test_id("queue-network")).to_have_text("Northshire RCC")
    title = row.get_by_role("link", name=TITLE)
    lines = title.evaluate(
        "link => Math.round(link.getBoundingClientRect().height / parseFloat(getComputedStyle(link).lineHeight))"
    )
    assert lines <= most_lines, f"the title takes {lines} lines"
    check_page(page)  # axe-core, and no sideways scrolling on the phone
