"""A reader's say on an answer in a real browser: "Was this helpful?", then the optional rating opening in the same box
(js/helpful.js), on a desktop and a phone; and an imported answer's credit under it."""

import pytest
from playwright.sync_api import expect

from qa_site.knowledge.models import AnswerRating, HelpfulVote
from tests.browser.harness import VIEWPORTS, check_page, sign_in
from tests.factories import make_published_page
from tests.imports.imported import make_imported_page


@pytest.mark.browser
@VIEWPORTS
def test_a_reader_says_it_helped_then_rates_it_in_the_same_box(live_server, new_page, topic, erin, alice, viewport):
    answer = make_published_page(topic=topic, title="Can we pay a trustee for training?", expert=erin)
    page = new_page(viewport)
    sign_in(page, alice)
    page.goto(answer.url)
    box = page.locator("section.feedback")
    rating = box.locator("details[data-rating]")
    expect(rating).not_to_have_attribute("open", "")
    check_page(page)

    box.get_by_role("button", name="Yes", exact=True).click()
    expect(box.locator("[data-helpful-status]")).to_have_text("Thank you: glad it helped.")
    expect(rating).to_have_attribute("open", "")  # opened by the vote, without leaving the page
    box.get_by_label("4 — good").check()
    box.get_by_label("Anything the expert or coordinators should know? (optional)").fill("Clear, thank you.")
    check_page(page)
    box.get_by_role("button", name="Rate this answer").click()

    expect(page.get_by_text("Thank you for rating this answer.")).to_be_visible()
    expect(page.locator("section.feedback summary")).to_have_text(
        "You rated this answer 4 out of 5 — change your rating?"
    )
    check_page(page)
    assert list(HelpfulVote.objects.values_list("user", "helpful")) == [(alice.pk, True)]
    assert list(AnswerRating.objects.values_list("user", "stars", "comment")) == [(alice.pk, 4, "Clear, thank you.")]


@pytest.mark.browser
@VIEWPORTS
def test_an_imported_answer_shows_its_credit(live_server, new_page, topic, viewport):
    answer = make_imported_page(topic)
    page = new_page(viewport)
    page.goto(answer.url)
    credit = page.get_by_test_id("attribution")
    expect(credit).to_contain_text("question by Quentin Asker and answer by Ada Answerer")
    expect(credit.get_by_role("link", name="CC BY-SA 4.0")).to_have_attribute(
        "href", "https://creativecommons.org/licenses/by-sa/4.0/"
    )
    check_page(page)
