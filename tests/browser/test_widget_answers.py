"""A full answer in the widget, in chromium, on a member's website: its lists are bulleted lists and its tables have
ruled cells, in the script's shadow root and in the iframe alike (the widget's own list of answers is unbulleted)."""

import pytest
from playwright.sync_api import expect

from subscriptions.models import AccessKey, Plan
from tests.browser.test_widget import MemberSite, load
from tests.factories import make_published_page

ANSWER = (
    "Trustees may be repaid:\n- travel to meetings\n- postage\n\n| Cost | Repaid |\n|---|---|\n| Mileage | 45p a mile |"
)


@pytest.fixture
def member_site(live_server):
    site = MemberSite(live_server.url)
    yield site
    site.close()


@pytest.mark.browser
@pytest.mark.parametrize("embed", ["script", "frame"])
def test_a_full_answer_in_the_widget_shows_its_list_and_table(
    live_server, new_page, member_site, topic, erin, northshire, nadia, embed
):
    Plan.objects.filter(subscriptions__network=northshire).update(full_answers_in_widgets=True)
    make_published_page(topic=topic, title="Can trustees claim travel expenses?", expert=erin, answer=ANSWER)
    key = AccessKey.objects.create(
        network=northshire, name="Members' site", kind="widget", created_by=nadia, allowed_origins=member_site.origin
    )
    page = new_page()
    if embed == "script":
        load(page, f"{member_site.origin}/script.html?key={key.key}")
        widget = page.locator("[data-ask-an-expert] section")
    else:
        page.goto(f"{member_site.origin}/frame.html?key={key.key}")
        widget = page.frame_locator("iframe").locator("section")
    widget.get_by_text("Read the answer: Can trustees claim travel expenses?").click()
    items = widget.locator(".answer li")
    expect(items).to_have_text(["travel to meetings", "postage"])
    assert items.first.evaluate("li => getComputedStyle(li).listStyleType") == "disc"
    assert items.first.evaluate("li => getComputedStyle(li).borderTopStyle") == "none"
    cell = widget.locator(".answer td").first
    expect(cell).to_have_text("Mileage")
    assert cell.evaluate("td => getComputedStyle(td).borderTopStyle") == "solid"
    outer = widget.locator("ul").first.locator("> li").first
    assert outer.evaluate("li => getComputedStyle(li).listStyleType") == "none"
