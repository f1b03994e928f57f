"""The core loop through the real UI, in headless chromium: ask → answer → review and publish → read, search, feed,
e-mail: the adviser's, the expert's and the coordinator's journeys, on a desktop and on a 390 px phone.

Each person uses their own browser context (their own cookies), as three people on three machines would. Every page
they reach is checked with axe-core and, on the phone, for sideways scrolling (``check_page``).
"""

import re

import feedparser
import pytest
from django.utils import dateformat, timezone
from playwright.sync_api import expect

from qa_site.knowledge.models import HelpfulVote, Question, QuestionPage
from tests.browser.harness import VIEWPORTS, check_page, sign_in, visit

TITLE = "Can our trustees claim travel expenses for board meetings?"
EDITED_TITLE = "Can trustees claim travel expenses for board meetings?"  # the coordinator drops "our"
DETAILS = (
    "We are a small village hall charity. Two trustees drive about twenty miles to each board meeting "
    "and have asked whether the charity can pay their mileage."
)
ANSWER = (
    "Yes, trustees can be repaid reasonable out-of-pocket expenses such as travel to board meetings. "
    "This is not payment for being a trustee, so it does not need a power in your governing document. "
    "Agree a written expenses policy, use a standard mileage rate, and keep receipts or mileage logs for each claim."
)
DRAFT = "Yes, trustees can be repaid reasonable expenses."


def link_in(message, path_pattern):
    """The one link to this site in a plain-text e-mail, as a path (the host is the site's BASE_URL)."""
    links = re.findall(rf"^https?://[^/\s]+({path_pattern})$", message.body, re.MULTILINE)
    assert len(links) == 1, message.body
    return links[0]


@pytest.mark.browser
@VIEWPORTS
def test_question_is_asked_answered_reviewed_published_and_read(
    live_server, new_page, mailoutbox, viewport, alice, erin, colin, topic
):
    # 1. Alice signs in, has asked nothing yet, and asks a public question on Charity law; she lands on its page,
    # routed to Erin with a due time.
    alice_page = new_page(viewport)
    sign_in(alice_page, alice, check=True)
    check_page(alice_page)  # the home page, where signing in lands
    alice_page.get_by_role("link", name="My questions").click()
    expect(alice_page.get_by_text("You haven't asked anything yet.")).to_be_visible()
    check_page(alice_page)
    alice_page.get_by_role("link", name="Ask a question").first.click()
    expect(alice_page.get_by_role("heading", name="Ask a question")).to_be_visible()
    check_page(alice_page)
    alice_page.get_by_label("Your question in one line").fill(TITLE)
    alice_page.get_by_label("Details").fill(DETAILS)
    alice_page.get_by_label("Topic").select_option(label="Charity law")
    public = alice_page.get_by_role("radio", name=re.compile(r"^Everyone"))
    expect(public).to_be_checked()  # the default; she keeps it
    alice_page.get_by_role("button", name="Send my question").click()

    expect(alice_page.get_by_text("Thank you: your question has been sent.")).to_be_visible()
    question = Question.objects.get()
    expect(alice_page).to_have_url(f"{live_server.url}/questions/{question.pk}/")
    assert (question.status, question.assignee, question.visibility) == ("assigned", erin, "public")
    expect(alice_page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(alice_page.get_by_test_id("status")).to_have_text("With an expert")
    progress = alice_page.locator("article p.card")
    expect(progress).to_contain_text(f"{erin.display_name} is answering this question, due by")
    assert question.due_at > question.submitted_at
    due_text = dateformat.format(timezone.localtime(question.due_at), "l j F, H:i")  # as the template shows it
    expect(progress.locator("strong").nth(1)).to_have_text(due_text)
    check_page(alice_page)

    # "My questions" lists it, with the expert's due time, and leads back to it.
    alice_page.get_by_role("link", name="My questions").first.click()
    mine = alice_page.get_by_role("row").filter(has_text=TITLE)
    expect(mine).to_have_count(1)
    expect(mine).to_contain_text("Charity law")
    expect(mine).to_contain_text("With an expert")
    check_page(alice_page)

    # Erin is e-mailed: the subject names the question, the link opens it on her dashboard.
    to_erin = [m for m in mailoutbox if m.to == [erin.email]]
    assert len(to_erin) == 1
    assert to_erin[0].subject == f"New question for you: {TITLE}"
    assigned_link = link_in(to_erin[0], r"/experts/questions/\d+/")
    assert assigned_link == f"/experts/questions/{question.pk}/"

    # 2. Erin finds it in her queue, saves a draft, then submits her answer for review.
    erin_page = new_page(viewport)
    sign_in(erin_page, erin)
    visit(erin_page, "/experts/dashboard/")
    queue = erin_page.get_by_test_id("queue")
    row = queue.get_by_role("row").filter(has_text=TITLE)
    expect(row).to_have_count(1)
    expect(row).to_contain_text("Charity law")
    expect(row).to_contain_text("Northshire RCC")
    row.get_by_role("link", name=TITLE).click()

    expect(erin_page).to_have_url(f"{live_server.url}{assigned_link}")  # where her e-mail's link leads
    expect(erin_page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(erin_page.locator(".question-box")).to_contain_text(DETAILS)
    check_page(erin_page)
    answer_box = erin_page.get_by_label("Your answer")
    answer_box.fill(DRAFT)
    erin_page.get_by_role("button", name="Save draft").click()
    expect(erin_page.get_by_text("Draft saved.", exact=True)).to_be_visible()
    expect(erin_page.get_by_label("Your answer")).to_have_value(DRAFT)

    erin_page.get_by_label("Your answer").fill(ANSWER)
    erin_page.get_by_role("button", name="Submit answer for review").click()
    expect(erin_page).to_have_url(f"{live_server.url}/experts/dashboard/")
    expect(erin_page.get_by_text("Thank you: your answer has gone to a coordinator for review.")).to_be_visible()
    expect(erin_page.get_by_text("Nothing waiting for you.")).to_be_visible()
    check_page(erin_page)

    # 3. Colin's console opens on the work waiting: one answer to review. He reviews it, removes a word from the
    # title, and publishes.
    colin_page = new_page(viewport)
    sign_in(colin_page, colin)
    visit(colin_page, "/admin/")
    waiting = colin_page.get_by_test_id("work-waiting").locator("tr[data-queue='Answers waiting for review']")
    expect(waiting.get_by_test_id("count")).to_have_text("1")
    waiting.get_by_role("link", name="Answers waiting for review").click()
    expect(colin_page).to_have_url(f"{live_server.url}/admin/questions/review/")
    check_page(colin_page)
    colin_page.get_by_role("link", name=TITLE).click()
    expect(colin_page).to_have_url(f"{live_server.url}/admin/questions/review/{question.pk}/")
    expect(colin_page.get_by_role("heading", name=TITLE)).to_be_visible()
    expect(colin_page.locator("section .help-block")).to_contain_text("Agree a written expenses policy")
    check_page(colin_page)
    title_field = colin_page.get_by_label("Title", exact=True)
    expect(title_field).to_have_value(TITLE)
    title_field.fill(EDITED_TITLE)
    colin_page.get_by_role("button", name="Approve and publish").click()
    expect(colin_page).to_have_url(f"{live_server.url}/admin/questions/review/")
    expect(colin_page.get_by_text(f"Published “{EDITED_TITLE}”.")).to_be_visible()
    expect(colin_page.get_by_text("No answers are waiting for review.")).to_be_visible()
    check_page(colin_page)

    page = QuestionPage.objects.get()
    assert page.title == EDITED_TITLE

    # 4. The answer is listed on the topic page; Alice reads it in full, an anonymous visitor sees a teaser.
    visit(alice_page, "/topics/charity-law/")
    link = alice_page.locator("ul.answer-list").get_by_role("link", name=EDITED_TITLE, exact=True)
    expect(link).to_be_visible()
    link.click()
    expect(alice_page).to_have_url(f"{live_server.url}{page.url}")
    expect(alice_page.get_by_role("heading", level=1)).to_have_text(EDITED_TITLE)
    expect(alice_page.get_by_test_id("full-answer")).to_have_text(ANSWER)
    expect(alice_page.get_by_text("The full answer is for subscribers.")).to_have_count(0)
    expect(alice_page.get_by_test_id("checked-on")).to_have_text(f"Checked on {page.checked_on:%-d %B %Y}")
    # She says it helped: the page's script sends her vote without leaving the page.
    alice_page.get_by_role("button", name="Yes", exact=True).click()
    expect(alice_page.locator("[data-helpful-status]")).to_have_text("Thank you: glad it helped.")
    expect(alice_page.get_by_role("button", name="Yes", exact=True)).to_have_attribute("aria-pressed", "true")
    expect(alice_page.get_by_role("button", name="No", exact=True)).to_have_attribute("aria-pressed", "false")
    assert list(HelpfulVote.objects.values_list("user", "helpful")) == [(alice.pk, True)]
    check_page(alice_page)

    anonymous = new_page(viewport)
    visit(anonymous, "/topics/charity-law/")
    anonymous.get_by_role("link", name=EDITED_TITLE, exact=True).click()
    expect(anonymous.get_by_role("heading", level=1)).to_have_text(EDITED_TITLE)
    expect(anonymous.get_by_text("The full answer is for subscribers.")).to_be_visible()
    teaser = anonymous.get_by_test_id("teaser")
    expect(teaser).to_contain_text("Yes, trustees can be repaid reasonable out-of-pocket expenses")
    expect(teaser).to_contain_text("…")  # cut short: the last sentence is for subscribers
    expect(teaser).not_to_contain_text("mileage logs for each claim.")
    expect(anonymous.get_by_test_id("full-answer")).to_have_count(0)
    check_page(anonymous)

    # The search finds it by a word of its answer (the coordinator's publish indexed it).
    anonymous.get_by_role("link", name="Search", exact=True).click()
    anonymous.get_by_role("searchbox", name="Search the answers").fill("mileage")
    anonymous.get_by_role("button", name="Search", exact=True).click()
    expect(anonymous.get_by_test_id("result-count")).to_have_text("1 answer for “mileage”")
    expect(anonymous.locator(".search-main").get_by_role("link", name=EDITED_TITLE, exact=True)).to_be_visible()
    check_page(anonymous)

    # 5. The public RSS feed carries the new answer.
    response = anonymous.request.get("/feeds/latest.rss")
    assert response.ok
    assert response.headers["content-type"].startswith("application/rss+xml")
    body = response.text()
    assert EDITED_TITLE in body
    feed = feedparser.parse(body)
    assert not feed.bozo, feed.get("bozo_exception")
    assert [entry.title for entry in feed.entries] == [EDITED_TITLE]
    assert feed.entries[0].link == f"{live_server.url}{page.url}"

    # 6. Alice was e-mailed that her question is answered.
    to_alice = [m for m in mailoutbox if m.to == [alice.email]]
    assert len(to_alice) == 1
    assert to_alice[0].subject.startswith("Answered:")
    assert to_alice[0].subject == f"Answered: {TITLE}"  # her own wording: the e-mail goes only to her
    answered_link = link_in(to_alice[0], r"/questions/\d+/")
    assert answered_link == f"/questions/{question.pk}/"

    # ... and the e-mail's link takes her to her question, now answered.
    alice_page.goto(answered_link)
    expect(alice_page.get_by_test_id("status")).to_have_text("Answered")
    expect(alice_page.get_by_test_id("answer")).to_have_text(ANSWER)
    expect(alice_page.get_by_role("link", name="See it in the knowledge base")).to_have_attribute("href", page.url)
    check_page(alice_page)
