"""Pages at a phone's width (390 px, an iPhone 12 to 15): nothing wider than the screen, and axe-core clean
(``check_page``). The journeys in this folder walk every role at this width too; this one keeps a long title in the
expert's queue."""

import pytest
from playwright.sync_api import expect

from tests.browser.harness import PHONE, sign_in, visit
from tests.factories import ask


@pytest.mark.browser
def test_the_expert_dashboard_fits_a_phone(live_server, new_page, alice, northshire, erin, topic, run_on_commit):
    # Routed to Erin: her queue has a row, with a long title.
    title = "Can our trustees be paid for the bookkeeping one of them does for the charity every month?"
    ask(run_on_commit, alice, northshire, topic, title=title)
    page = new_page(PHONE)
    sign_in(page, erin)
    visit(page, "/experts/dashboard/")
    queue = page.get_by_test_id("queue")
    row = queue.get_by_role("row").filter(has_text="Can our trustees be paid for the bookkeeping")
    expect(row).to_have_count(1)
