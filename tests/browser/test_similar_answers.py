"""Writing a question on /ask/ in headless chromium: a similar answered question appears under the title as
the adviser types; opening it lands on the answer and counts a question saved for her network."""

import pytest
from playwright.sync_api import expect

from search.backends import get_backend
from search.documents import iter_documents
from subscriptions.models import UsageCount
from tests.browser.harness import sign_in
from tests.factories import make_published_page


@pytest.mark.browser
def test_a_similar_answer_appears_while_typing_and_opens(live_server, new_page, alice, northshire, erin, topic):  # noqa: F811
    answer = make_published_page(
        topic=topic,
        title="Volunteer drivers and mileage",
        expert=erin,
        answer="Volunteer drivers may claim the approved mileage rate without it counting as pay. " * 2,
    )
    make_published_page(topic=topic, title="Paying trustees for training", expert=erin)
    get_backend().rebuild(iter_documents())

    page = new_page()
    sign_in(page, alice)
    page.goto("/ask/")
    region = page.locator("#similar-answers")
    expect(region).to_have_attribute("aria-live", "polite")
    page.get_by_label("Your question in one line").press_sequentially("Can our volunteer drivers claim mileage?")

    suggestion = region.get_by_role("link", name="Volunteer drivers and mileage")
    expect(suggestion).to_be_visible()
    expect(region.get_by_role("link", name="Paying trustees for training")).to_have_count(0)
    suggestion.click()

    expect(page).to_have_url(f"{live_server.url}{answer.url}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Volunteer drivers and mileage")
    assert UsageCount.objects.get(network=northshire, kind=UsageCount.Kind.DEFLECTION).count == 1
