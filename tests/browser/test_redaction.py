"""A coordinator redacts a phone number in one click, sees the placeholder in the preview, and publishes: in headless
chromium, on a desktop and a 390 px phone, each screen checked with axe-core (``check_page``)."""

import pytest
from playwright.sync_api import expect

from qa_site.knowledge import services
from qa_site.knowledge.models import QuestionPage
from tests.browser.harness import VIEWPORTS, check_page, sign_in, visit
from tests.factories import ask

TITLE = "Can we pay a trustee for running our training day?"
DETAILS = "Jo, a trustee (ring her on 07700 900123), ran our training day and would like to be paid for it."
ANSWER = (
    "Only if your governing document allows it, or the Charity Commission agrees. Minute the decision, make sure "
    "Jo takes no part in it, and keep the payment reasonable for the work done."
)


@pytest.mark.browser
@VIEWPORTS
def test_a_coordinator_redacts_a_phone_number_and_publishes(
    live_server, new_page, viewport, run_on_commit, alice, northshire, topic, erin, colin
):
    question = ask(run_on_commit, alice, northshire, topic, title=TITLE, details=DETAILS)
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)

    page = new_page(viewport)
    sign_in(page, colin)
    visit(page, f"/admin/questions/review/{question.pk}/")
    flags = page.get_by_test_id("flags")
    expect(flags).to_contain_text("Possible personal data: 1 to clear before publishing")
    flags.get_by_role("button", name="Redact phone number 07700 900123: replace it with [phone number]").click()

    expect(
        page.get_by_text("Redacted: Phone number “07700 900123” in the question is now “[phone number]”.")
    ).to_be_visible()
    preview = page.get_by_test_id("copy-preview")
    expect(preview).to_contain_text("Jo, a trustee (ring her on [phone number]), ran our training day")
    expect(preview.locator("mark.redacted")).to_have_text("[phone number]")
    expect(flags).to_contain_text("Possible personal data: all cleared")
    expect(flags).to_contain_text("Cleared: redacted, “07700 900123” replaced with “[phone number]”")
    expect(page.get_by_label("Question", exact=True)).to_have_value(
        "Jo, a trustee (ring her on [phone number]), ran our training day and would like to be paid for it."
    )
    check_page(page)

    page.get_by_role("button", name="Approve and publish").click()
    expect(page.get_by_text(f"Published “{TITLE}”.")).to_be_visible()
    published = QuestionPage.objects.get()
    visit(page, published.url)
    expect(page.get_by_text("ring her on [phone number]")).to_be_visible()
    expect(page.get_by_text("07700 900123")).to_have_count(0)
