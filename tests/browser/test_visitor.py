"""A public visitor's journey, on a desktop and on a 390 px phone: home → topic → an answer's teaser, the search, and
the RSS feeds the pages link to. Every page is checked with axe-core (and for sideways scrolling on the phone)."""

import feedparser
import pytest
from playwright.sync_api import expect

from search.backends import get_backend
from search.documents import iter_documents
from tests.browser.harness import VIEWPORTS, check_page, visit
from tests.factories import make_published_page

TITLE = "Can volunteer drivers claim mileage?"
ANSWER = (
    "Volunteer drivers may be repaid the approved mileage rate without it counting as pay. "
    "Keep a log of each journey and its purpose. "
    "Above the approved rate, the excess is taxable and may make the volunteer an employee. "
    "Passengers carried on charity business add a small amount per mile, also free of tax, and parking is repaid "
    "at cost. Agree the rates in writing and review them each year with your trustees."
)


def feed_titles(page, href):
    """Fetch a feed the page links to, as a feed reader would, and return its entries' titles and links."""
    response = page.request.get(href)
    assert response.ok
    assert response.headers["content-type"].startswith("application/rss+xml")
    feed = feedparser.parse(response.text())
    assert not feed.bozo, feed.get("bozo_exception")
    return [(entry.title, entry.link) for entry in feed.entries]


@pytest.mark.browser
@VIEWPORTS
def test_a_visitor_browses_to_an_answer_searches_and_follows_the_feeds(live_server, new_page, viewport, erin, topic):
    answer = make_published_page(topic=topic, title=TITLE, expert=erin, answer=ANSWER)
    get_backend().rebuild(iter_documents())
    page = new_page(viewport)

    # Home: the latest answers and the topics; a visitor is offered a way in, not "Ask a question".
    visit(page, "/")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Questions answered by named experts, within a promised time"
    )
    expect(page.get_by_role("link", name="How to get access")).to_be_visible()
    expect(page.get_by_role("link", name="Ask a question")).to_have_count(0)
    latest = page.locator("section").filter(has=page.get_by_role("heading", name="Latest answers"))
    expect(latest.get_by_role("link", name=TITLE)).to_be_visible()
    latest_feed = page.get_by_role("link", name="Follow the latest answers by RSS").get_attribute("href")

    # The topic lists the answer and links to its own feed.
    page.get_by_role("link", name="Charity law").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Charity law")
    check_page(page)
    topic_feed = page.get_by_test_id("topic-feeds").get_by_role("link", name="RSS").get_attribute("href")
    page.locator("ul.answer-list").get_by_role("link", name=TITLE, exact=True).click()

    # The answer page: the question, who answered, and a teaser of the answer for a visitor.
    expect(page).to_have_url(f"{live_server.url}{answer.url}")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_text("The full answer is for subscribers.")).to_be_visible()
    teaser = page.get_by_test_id("teaser")
    expect(teaser).to_contain_text("Volunteer drivers may be repaid the approved mileage rate")
    expect(teaser).to_contain_text("…")  # cut short: the rest is for subscribers
    expect(teaser).not_to_contain_text("review them each year with your trustees")
    expect(page.get_by_test_id("full-answer")).to_have_count(0)
    check_page(page)

    # The search, from the header, finds it by a word of its answer.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Search").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Search the knowledge base")
    check_page(page)
    page.get_by_role("searchbox", name="Search the answers").fill("journey")
    page.get_by_role("button", name="Search", exact=True).click()
    expect(page.get_by_test_id("result-count")).to_have_text("1 answer for “journey”")
    result = page.locator(".search-main").get_by_role("link", name=TITLE, exact=True)
    expect(result).to_have_attribute("href", answer.url)
    check_page(page)

    # The feeds the pages link to carry the answer, linked to its page.
    expected = [(TITLE, f"{live_server.url}{answer.url}")]
    assert feed_titles(page, latest_feed) == expected
    assert feed_titles(page, topic_feed) == expected
