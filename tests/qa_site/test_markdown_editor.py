"""The Markdown editor for answers: its preview endpoint (the server's renderer, for experts and coordinators only) and
the widget on the expert's answer page, the expert's review page and the coordinator's review screen."""

import datetime as dt

import pytest
from bs4 import BeautifulSoup
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from experts import reviews
from qa_site.knowledge import services
from qa_site.knowledge.editor import ANSWER_MAX_LENGTH, HELP_EXAMPLES
from qa_site.knowledge.models import AnswerReview, QuestionPage
from qa_site.knowledge.templatetags.knowledge_tags import render_markdown
from tests.factories import ask, make_published_page

PREVIEW = "/answers/preview/"
SOURCE = (
    "Before paying a trustee, check:\n"
    "- your governing document\n"
    "- the [Charity Commission's guidance](https://www.gov.uk/guidance)\n\n"
    "| Payment | Allowed |\n|---|---|\n| Expenses | yes |\n"
)


def preview(client, text):
    return client.post(PREVIEW, {"text": text})


def test_preview_renders_lists_tables_and_links_as_the_published_page_does(client, erin, alice, topic):
    client.force_login(erin)
    response = preview(client, SOURCE)
    assert response.status_code == 200
    html = response.json()["html"]
    assert "<ul>\n<li>your governing document</li>" in html
    assert '<a href="https://www.gov.uk/guidance" rel="nofollow noopener">Charity Commission\'s guidance</a>' in html
    assert "<td>Expenses</td>\n<td>yes</td>" in html
    page = make_published_page(topic=topic, expert=erin, answer=SOURCE)
    client.force_login(alice)
    published = BeautifulSoup(client.get(page.url).content, "html.parser").select_one('[data-testid="full-answer"]')
    assert BeautifulSoup(html, "html.parser").decode() == published.decode_contents()


def test_preview_is_sanitised(client, colin):
    client.force_login(colin)
    html = preview(client, "<script>alert(1)</script>\n\n[x](javascript:alert(1)) <b onclick='x()'>bold</b>").json()
    assert html == {"html": '\n<p><a rel="nofollow noopener">x</a> <b>bold</b></p>\n'}


def test_coordinators_may_preview(client, colin):
    client.force_login(colin)
    assert preview(client, "**Yes**").json() == {"html": "<p><strong>Yes</strong></p>\n"}


def test_preview_of_nothing_is_empty(client, erin):
    client.force_login(erin)
    assert preview(client, "").json() == {"html": ""}


def test_preview_refuses_anonymous_visitors(client, site_tree):
    response = preview(client, SOURCE)
    assert response.status_code == 403
    assert response.json() == {"error": "Sign in as an expert or a coordinator to preview an answer."}


@pytest.mark.parametrize("who", ["alice", "nadia", "nobody"])
def test_preview_refuses_advisers_and_other_people(client, who, request):
    client.force_login(request.getfixturevalue(who))
    response = preview(client, SOURCE)
    assert response.status_code == 403
    assert response.json() == {"error": "Only experts and coordinators can preview answers."}


def test_preview_refuses_an_expert_who_has_left_the_panel(client, erin):
    erin.expert_profile.status = "retired"
    erin.expert_profile.save()
    client.force_login(erin)
    assert preview(client, SOURCE).status_code == 403


def test_preview_refuses_oversize_text_with_a_message(client, erin):
    client.force_login(erin)
    assert preview(client, "a" * ANSWER_MAX_LENGTH).status_code == 200
    response = preview(client, "a" * (ANSWER_MAX_LENGTH + 1))
    assert response.status_code == 413
    assert response.json() == {
        "error": "This answer is too long to preview: 50,001 characters, and an answer may have at most 50,000. "
        "Shorten it, then preview again."
    }


def test_preview_is_post_only(client, erin):
    client.force_login(erin)
    assert client.get(PREVIEW, {"text": "x"}).status_code == 405


def test_preview_needs_a_csrf_token(erin):
    client = Client(enforce_csrf_checks=True)
    client.force_login(erin)
    assert preview(client, SOURCE).status_code == 403


# --- The widget ---------------------------------------------------------------------------------------------------


def editor_of(response, name):
    soup = BeautifulSoup(response.content, "html.parser")
    textarea = soup.select_one(f"textarea[name={name}]")
    assert textarea is not None, f"no textarea named {name}"
    return soup, textarea.find_parent(attrs={"data-markdown-editor": True})


def test_the_formatting_help_promises_only_what_the_renderer_does():
    rendered = {label: render_markdown(source) for label, source, _ in HELP_EXAMPLES}
    promised = {
        "Bold and italic": "<strong>Bold</strong> and <em>italic</em>",
        "A bulleted list (it may follow a line directly)": "<ul>\n<li>a constitution</li>",
        "A numbered list": "<ol>\n<li>Agree it</li>",
        "A link (https://, http:// or mailto:)": '<a href="https://www.gov.uk/" rel="nofollow noopener">',
        "Headings: “#” largest, “###” smallest": "<h3>Who may claim</h3>\n<h4>Mileage</h4>",
        "A table: a header row, a line of dashes, then rows": "<td>£10</td>",
        "A quotation": "<blockquote>",
        "Code, or a form's exact wording": "<code>Form CC1</code>",
        "Paragraphs: leave a blank line between them": "<p>First paragraph.</p>\n<p>Second paragraph.</p>",
    }
    assert set(promised) == set(rendered)
    for label, fragment in promised.items():
        assert fragment in rendered[label], label


def test_the_experts_answer_box_is_the_editor_with_tabs_and_help(client, run_on_commit, alice, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic)
    client.force_login(erin)
    soup, editor = editor_of(client.get(f"/experts/questions/{question.pk}/"), "body")
    assert editor["data-preview-url"] == PREVIEW
    tabs = editor.select("[role=tab]")
    assert [(tab.get_text(), tab["aria-selected"]) for tab in tabs] == [("Write", "true"), ("Preview", "false")]
    assert editor.select_one("[role=tablist]").has_attr("hidden")  # until the script shows it
    assert editor.select_one("#id_body-preview").has_attr("hidden")
    help_rows = editor.select(".md-help > table > tbody > tr")
    assert len(help_rows) == len(HELP_EXAMPLES)
    assert "<ul>\n<li>a constitution</li>\n<li>two trustees</li>\n</ul>" in str(editor.select_one(".md-help"))
    assert soup.select('script[src="/static/js/markdown-editor.js"][defer]')
    assert soup.select('link[href="/static/css/markdown-editor.css"]')


def test_the_experts_review_page_uses_the_editor(client, run_on_commit, topic, erin):
    page = make_published_page(topic=topic, expert=erin)
    QuestionPage.objects.filter(pk=page.pk).update(review_by=timezone.localdate() - dt.timedelta(days=1))
    with run_on_commit():
        reviews.sweep(today=timezone.localdate())
    client.force_login(erin)
    soup, editor = editor_of(client.get(f"/experts/dashboard/reviews/{AnswerReview.objects.get().pk}/"), "body")
    assert editor.select_one("textarea").get_text().strip() == page.answer.strip()
    assert soup.select('script[src="/static/js/markdown-editor.js"]')


def test_the_coordinators_review_screen_uses_the_editor(client, run_on_commit, colin, alice, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic)
    services.answer_submit(question_id=question.pk, expert=erin, body=SOURCE)
    client.force_login(colin)
    soup, editor = editor_of(client.get(reverse("knowledge_admin:review", args=[question.pk])), "answer_text")
    assert editor["data-preview-url"] == PREVIEW
    assert editor.select_one("textarea").get_text().strip() == SOURCE.strip()
    assert soup.select('script[src="/static/js/markdown-editor.js"]')
