"""A network admin's journey, on a desktop and on a 390 px phone: the network's dashboard, its members, inviting
someone (the e-mail and the page its link opens), and the value report. Every page is checked with axe-core (and
for sideways scrolling on the phone)."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.harness import VIEWPORTS, check_page, sign_in
from tests.factories import ask


@pytest.mark.browser
@VIEWPORTS
def test_a_network_admin_sees_the_network_invites_someone_and_reads_the_value_report(
    live_server, new_page, mailoutbox, viewport, nadia, alice, northshire, erin, topic, run_on_commit
):
    ask(run_on_commit, alice, northshire, topic)  # one question asked this month, for the report
    mailoutbox.clear()

    page = new_page(viewport)
    sign_in(page, nadia)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Your network").click()

    # The dashboard: the plan, the subscription and the seats.
    expect(page).to_have_url(f"{live_server.url}/network/northshire/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Northshire RCC")
    expect(page.get_by_test_id("plan").get_by_role("heading")).to_have_text("Standard plan")
    expect(page.get_by_test_id("seats")).to_contain_text("2 of 25 seats used: 2 members and 0 pending invitations")
    check_page(page)

    # Members: Alice and Nadia herself.
    page.get_by_role("navigation", name="Northshire RCC").get_by_role("link", name="Members").click()
    members = page.get_by_test_id("members")
    expect(members.get_by_role("row").filter(has_text="alice@example.test")).to_contain_text("Adviser")
    expect(members.get_by_role("row").filter(has_text="nadia@example.test")).to_contain_text("(you)")
    check_page(page)

    # She invites Dan, from Hilltop Advice: a pending invitation holding a seat.
    invite = page.locator("#invite")
    invite.get_by_label("E-mail address").fill("dan@example.test")
    invite.get_by_label("Organisation (optional)").fill("Hilltop Advice")
    invite.get_by_role("button", name="Send invitation").click()
    expect(
        page.get_by_text("Invitation sent to dan@example.test. It holds a seat until they join or it expires.")
    ).to_be_visible()
    row = page.get_by_test_id("invitations").get_by_role("row").filter(has_text="dan@example.test")
    expect(row).to_contain_text("Hilltop Advice")
    expect(row).to_contain_text("Pending")
    expect(page.get_by_test_id("seats")).to_contain_text("3 of 25 seats used")
    check_page(page)

    # Dan's e-mail names who invites him and where; its link opens the invitation.
    assert [message.to for message in mailoutbox] == [["dan@example.test"]]
    message = mailoutbox[0]
    assert message.subject == f"{nadia.display_name} invites you to Ask an Expert through Northshire RCC"
    links = re.findall(r"^https?://[^/\s]+(/network/join/\S+/)$", message.body, re.MULTILINE)
    assert len(links) == 1, message.body
    dan = new_page(viewport)
    dan.goto(links[0])
    expect(dan.get_by_role("heading", level=1)).to_have_text("Join Northshire RCC")
    expect(dan.get_by_test_id("invitation")).to_contain_text(
        f"{nadia.display_name} of Northshire RCC invited dan@example.test to join as an adviser for Hilltop Advice."
    )
    check_page(dan)

    # The value report counts Alice's question.
    page.get_by_role("navigation", name="Northshire RCC").get_by_role("link", name="Value report").click()
    asked = page.get_by_test_id("totals").locator(".stat").first
    expect(asked).to_contain_text("1")
    expect(asked).to_contain_text("questions asked")
    check_page(page)
