"""Answers are Markdown: rendered safely, as written in every place an answer appears, and cut into teasers for the
public, feeds and e-mail."""

import feedparser
import pytest
from bs4 import BeautifulSoup
from django.core import mail
from django.urls import reverse
from django.utils import timezone
from django.utils.text import Truncator

from feeds.models import Follow
from qa_site.demo.people import load_topics
from qa_site.knowledge import services
from qa_site.knowledge.models import Question
from qa_site.knowledge.templatetags.knowledge_tags import TEASER_WORDS, plain_text, render_markdown, teaser
from subscriptions.models import AccessKey, Plan
from tests.factories import ask, make_published_page

DEMO_ANSWERS = [item["answer"] for topic in load_topics() for item in topic["answered"]]


@pytest.mark.parametrize("answer", DEMO_ANSWERS, ids=range(len(DEMO_ANSWERS)))
def test_teaser_from_the_opening_lines_equals_the_teaser_of_the_whole_answer(answer):
    assert teaser(answer) == Truncator(plain_text(answer)).words(TEASER_WORDS, truncate=" …")


def test_teaser_of_a_short_answer_is_the_whole_answer_without_an_ellipsis():
    assert teaser("**Yes.** Register first.") == "Yes. Register first."


@pytest.mark.parametrize(
    ("source", "forbidden"),
    [
        ("<script>alert(1)</script>", "<script"),
        ("[x](javascript:alert(1))", "javascript:"),
        ('<img src=x onerror="alert(1)">', "onerror"),
        ("<iframe src='https://example.org'></iframe>", "<iframe"),
        ('<a href="https://example.org" onclick="steal()">x</a>', "onclick"),
    ],
)
def test_markdown_rendering_removes_anything_active(source, forbidden):
    assert forbidden not in render_markdown(source)


def test_links_are_kept_but_marked_nofollow():
    html = render_markdown("[guidance](https://www.gov.uk/guidance)")
    assert 'href="https://www.gov.uk/guidance"' in html
    assert 'rel="nofollow noopener"' in html


def test_a_list_typed_straight_after_a_line_is_a_list():
    """Experts type lists without a blank line before them, as the help text says they may."""
    html = render_markdown(
        "The policy should cover:\n- who may claim\n- what they may claim\n\nThen:\n1. agree it\n2. minute it"
    )
    assert "<ul>\n<li>who may claim</li>\n<li>what they may claim</li>\n</ul>" in html
    assert "<ol>\n<li>agree it</li>\n<li>minute it</li>\n</ol>" in html
    assert "<p>The policy should cover:</p>" in html


def test_tables_links_and_emphasis_render_as_written():
    html = render_markdown("**Note** the [form](https://example.org/form).\n\n| Fee | Who |\n|---|---|\n| £10 | all |")
    assert "<strong>Note</strong>" in html
    assert '<a href="https://example.org/form" rel="nofollow noopener">form</a>' in html
    assert "<table>" in html
    assert "<td>£10</td>" in html


# --- What an expert writes renders as written in every place an answer appears -------------------------------------

AS_WRITTEN = (
    "## Who may claim\n"
    "Trustees may be repaid:\n"
    "- travel to meetings\n"
    "- postage\n\n"
    "See [the guidance](https://www.gov.uk/guidance) before you pay anything, and keep every receipt with the "
    "minutes of the meeting that agreed it.\n\n"
    "| Cost | Repaid |\n"
    "|---|---|\n"
    "| Mileage | 45p a mile |\n"
)
AS_WRITTEN_TEASER = (
    "Who may claim Trustees may be repaid: • travel to meetings • postage See the guidance before you pay"
)


def assert_as_written(html):
    """The heading, the list typed straight after a line, the link and the table of ``AS_WRITTEN``, as HTML."""
    assert "<h4>Who may claim</h4>" in html
    assert "<p>Trustees may be repaid:</p>\n<ul>\n<li>travel to meetings</li>\n<li>postage</li>\n</ul>" in html
    assert 'href="https://www.gov.uk/guidance"' in html
    assert ">the guidance</a>" in html
    assert "<th>Cost</th>" in html
    assert "<td>Mileage</td>\n<td>45p a mile</td>" in html


def test_headings_sit_under_the_pages_own_and_none_is_lost():
    html = render_markdown("# One\n## Two\n### Three\n#### Four\n###### Six")
    assert html == "<h3>One</h3>\n<h4>Two</h4>\n<h5>Three</h5>\n<h5>Four</h5>\n<h5>Six</h5>\n"


def test_a_teaser_keeps_list_items_apart():
    assert teaser("You need:\n- a constitution\n- two trustees") == "You need: • a constitution • two trustees"


def test_the_answer_page_shows_an_answer_as_written(client, topic, erin, alice):
    page = make_published_page(topic=topic, expert=erin, answer=AS_WRITTEN)
    client.force_login(alice)
    soup = BeautifulSoup(client.get(page.url).content, "html.parser")
    assert_as_written(soup.select_one('[data-testid="full-answer"]').decode_contents())


def test_the_advisers_own_question_page_shows_the_answer_as_written(
    client, run_on_commit, topic, erin, alice, northshire
):
    question = ask(run_on_commit, alice, northshire, topic, visibility="private")
    services.answer_submit(question_id=question.pk, expert=erin, body=AS_WRITTEN)
    Question.objects.filter(pk=question.pk).update(status=Question.Status.PUBLISHED, published_at=timezone.now())
    client.force_login(alice)
    soup = BeautifulSoup(client.get(f"/questions/{question.pk}/").content, "html.parser")
    assert_as_written(soup.select_one('[data-testid="answer"]').decode_contents())


@pytest.mark.parametrize("fmt", ["rss", "atom"])
def test_a_full_text_feed_carries_the_answer_as_written(client, topic, erin, northshire, fmt):
    Plan.objects.filter(subscriptions__network=northshire).update(private_feeds=True, full_answers_in_widgets=True)
    make_published_page(topic=topic, expert=erin, answer=AS_WRITTEN, visibility="network", network=northshire)
    key = AccessKey.objects.create(network=northshire, name="Intranet", kind=AccessKey.Kind.FEED)
    entry = feedparser.parse(client.get(f"/feeds/key/{key.key}.{fmt}").content).entries[0]
    assert_as_written(entry.content[0].value)


def test_the_widget_carries_the_answer_as_written(client, topic, erin, northshire):
    Plan.objects.filter(subscriptions__network=northshire).update(full_answers_in_widgets=True)
    make_published_page(topic=topic, expert=erin, answer=AS_WRITTEN)
    key = AccessKey.objects.create(network=northshire, name="Website", kind=AccessKey.Kind.WIDGET)
    item = client.get("/embed/answers.json", {"key": key.key}).json()["items"][0]
    assert_as_written(item["answer_html"])


def test_an_alert_email_teases_the_answer_as_written(django_capture_on_commit_callbacks, topic, erin, alice):
    Follow.objects.create(user=alice, topic=topic, frequency=Follow.Frequency.IMMEDIATE)
    with django_capture_on_commit_callbacks(execute=True):
        make_published_page(topic=topic, expert=erin, answer=AS_WRITTEN)
    (message,) = mail.outbox
    assert AS_WRITTEN_TEASER in message.body
    assert AS_WRITTEN_TEASER in message.alternatives[0][0]


def test_the_coordinators_review_screen_shows_the_answer_as_written(
    client, run_on_commit, colin, alice, northshire, topic, erin
):
    question = ask(run_on_commit, alice, northshire, topic)
    services.answer_submit(question_id=question.pk, expert=erin, body=AS_WRITTEN)
    client.force_login(colin)
    body = client.get(reverse("knowledge_admin:review", args=[question.pk])).content.decode()
    assert_as_written(body)
