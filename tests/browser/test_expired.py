"""An adviser whose network's subscription has ended, on a desktop and on a 390 px phone: she is told which network,
when its access ended and who can renew it, and still reads her own questions and their answers. Every page is
checked with axe-core (and for sideways scrolling on the phone)."""

import pytest
from playwright.sync_api import expect

from qa_site.knowledge.models import Question
from subscriptions.models import Membership
from tests.browser.harness import VIEWPORTS, check_page, sign_in
from tests.factories import MembershipFactory, UserFactory, make_published_page

TITLE = "Do we need a safeguarding policy for a lunch club?"
ANSWER = "Yes: any group working with adults at risk should have a written safeguarding policy and a named lead. " * 2


@pytest.mark.browser
@VIEWPORTS
def test_an_adviser_of_an_ended_subscription_is_told_who_can_renew_and_keeps_her_questions(
    live_server, new_page, viewport, carol, eastmoor, erin, topic
):
    edgar = UserFactory(email="edgar@example.test", first_name="Edgar", last_name="Moss")
    MembershipFactory(network=eastmoor, user=edgar, role=Membership.Role.ADMIN)
    answer = make_published_page(topic=topic, title=TITLE, expert=erin, network=eastmoor, answer=ANSWER)
    Question.objects.filter(pk=answer.question_id).update(asker=carol)  # Carol asked it while Eastmoor subscribed
    ended_on = eastmoor.subscriptions.get().access_until

    page = new_page(viewport)
    sign_in(page, carol)
    # Home: no "Ask a question" for her, but "My questions" is still in the navigation.
    navigation = page.get_by_role("navigation", name="Main")
    expect(navigation.get_by_role("link", name="Ask a question")).to_have_count(0)
    check_page(page)
    navigation.get_by_role("link", name="My questions").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("My questions")
    expect(page.get_by_role("row").filter(has_text=TITLE)).to_contain_text("Answered")
    cannot_ask = page.get_by_test_id("cannot-ask")
    expect(cannot_ask).to_have_text("You can't ask new questions just now: why, and who can renew.")
    check_page(page)

    # Why: her network, the day its access ended, and its admin to ask.
    page.get_by_role("link", name="why, and who can renew").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("You can't ask questions just now")
    lapsed = page.get_by_test_id("lapsed")
    expect(lapsed).to_contain_text(
        f"Your network, Eastmoor VA, has no current subscription: its access ended on {ended_on:%-d %B %Y}."
    )
    expect(lapsed).to_contain_text("Its administrator can renew it: Edgar Moss (edgar@example.test).")
    expect(lapsed.get_by_role("link", name="edgar@example.test")).to_have_attribute("href", "mailto:edgar@example.test")
    check_page(page)

    # Her own question and its answer are still hers to read.
    page.get_by_role("main").get_by_role("link", name="My questions").click()
    page.get_by_role("link", name=TITLE).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.get_by_test_id("answer")).to_contain_text("should have a written safeguarding policy")
    check_page(page)
