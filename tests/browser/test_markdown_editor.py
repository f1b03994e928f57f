"""The Markdown editor in chromium: an expert types a list, previews it as it will be published, and moves between
the tabs by keyboard; a coordinator previews a table on the review screen. No CSP violation, nothing axe-core
calls serious."""

import pytest
from django.urls import reverse
from playwright.sync_api import expect

from qa_site.knowledge import services
from tests.browser.harness import PHONE, check_page, sign_in
from tests.browser.test_csp import Watched
from tests.factories import ask

LIST = "Before paying a trustee, check:\n- your governing document\n- the minutes of the meeting"
TABLE = "Costs repaid:\n\n| Cost | Repaid |\n|---|---|\n| Mileage | 45p a mile |"


@pytest.mark.browser
@pytest.mark.parametrize("viewport", [None, PHONE], ids=["desktop", "phone"])
def test_an_expert_previews_a_list_as_it_will_be_published(
    live_server, new_page, run_on_commit, alice, northshire, topic, erin, viewport
):
    question = ask(run_on_commit, alice, northshire, topic)
    watched = Watched(new_page(viewport) if viewport else new_page())
    page = watched.page
    sign_in(page, erin)
    watched.visit(f"/experts/questions/{question.pk}/")

    write, preview = page.get_by_role("tab", name="Write"), page.get_by_role("tab", name="Preview")
    expect(write).to_have_attribute("aria-selected", "true")
    page.get_by_label("Your answer").fill(LIST)
    preview.click()
    expect(preview).to_have_attribute("aria-selected", "true")
    expect(write).to_have_attribute("aria-selected", "false")
    panel = page.get_by_role("tabpanel", name="Preview")
    expect(panel.locator("ul > li")).to_have_text(["your governing document", "the minutes of the meeting"])
    expect(panel.locator("p")).to_have_text("Before paying a trustee, check:")
    expect(page.get_by_label("Your answer")).to_be_hidden()
    check_page(page)
    watched.check("the preview")

    # By keyboard: the selected tab is the one in the tab order; arrows move between tabs and select them.
    preview.focus()
    page.keyboard.press("ArrowLeft")
    expect(write).to_be_focused()
    expect(write).to_have_attribute("aria-selected", "true")
    expect(page.get_by_label("Your answer")).to_be_visible()
    expect(page.get_by_label("Your answer")).to_have_value(LIST)
    assert write.get_attribute("tabindex") == "0"
    assert preview.get_attribute("tabindex") == "-1"
    page.keyboard.press("End")
    expect(preview).to_be_focused()
    expect(panel.locator("ul > li")).to_have_count(2)
    page.keyboard.press("Tab")
    expect(panel).to_be_focused()  # then the preview itself, to read it

    # What was previewed is what is saved.
    write.click()
    page.get_by_role("button", name="Save draft").click()
    expect(page.get_by_text("Draft saved.")).to_be_visible()
    expect(page.get_by_label("Your answer")).to_have_value(LIST)
    watched.check("saving the draft")


@pytest.mark.browser
def test_a_coordinator_previews_a_table_on_the_review_screen(
    live_server, new_page, run_on_commit, alice, northshire, topic, erin, colin
):
    question = ask(run_on_commit, alice, northshire, topic)
    services.answer_submit(question_id=question.pk, expert=erin, body=TABLE + " Keep receipts." * 10)
    watched = Watched(new_page())
    page = watched.page
    sign_in(page, colin)
    watched.visit(reverse("knowledge_admin:review", args=[question.pk]))
    page.get_by_role("tab", name="Preview").click()
    panel = page.get_by_role("tabpanel", name="Preview")
    expect(panel.locator("table td")).to_have_text(["Mileage", "45p a mile"])
    watched.check("the coordinator's preview")


@pytest.mark.browser
def test_without_javascript_the_editor_is_a_textarea_with_its_help(
    browser, live_server, run_on_commit, alice, northshire, topic, erin
):
    question = ask(run_on_commit, alice, northshire, topic)
    context = browser.new_context(base_url=live_server.url, java_script_enabled=False)
    page = context.new_page()
    sign_in(page, erin)
    page.goto(f"/experts/questions/{question.pk}/")
    expect(page.get_by_role("tab")).to_have_count(0)
    expect(page.get_by_label("Your answer")).to_be_visible()
    page.get_by_text("Formatting help").click()
    help_table = page.locator(".md-help > table")
    expect(help_table.locator("ul").first).to_be_visible()
    context.close()


@pytest.mark.browser
def test_the_formatting_buttons_write_markdown(live_server, new_page, run_on_commit, alice, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic)
    watched = Watched(new_page())
    page = watched.page
    sign_in(page, erin)
    watched.visit(f"/experts/questions/{question.pk}/")
    box = page.get_by_label("Your answer")
    formatting = page.get_by_role("group", name="Formatting")
    box.fill("Trustees must agree")
    box.select_text()
    formatting.get_by_role("button", name="Bold").click()
    expect(box).to_have_value("**Trustees must agree**")
    box.press("End")
    formatting.get_by_role("button", name="Bulleted list").click()
    expect(box).to_have_value("**Trustees must agree**\n- item")
    box.press("End")
    box.press("Enter")
    box.press("Enter")
    formatting.get_by_role("button", name="Link").click()
    box.press_sequentially("https://www.gov.uk/")  # the address part is selected: typing replaces it
    expect(box).to_have_value("**Trustees must agree**\n- item\n\n[link text](https://www.gov.uk/)")
    page.get_by_role("tab", name="Preview").click()
    panel = page.get_by_role("tabpanel", name="Preview")
    expect(panel.locator("strong")).to_have_text("Trustees must agree")
    expect(panel.locator("li")).to_have_text(["item"])
    expect(panel.get_by_role("link", name="link text")).to_have_attribute("href", "https://www.gov.uk/")
    watched.check("the formatting buttons")
