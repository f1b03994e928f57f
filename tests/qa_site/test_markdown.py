"""Answers are Markdown: rendered safely, and cut into teasers for the public and feeds."""

import pytest
from django.utils.text import Truncator

from qa_site.demo.people import load_topics
from qa_site.knowledge.templatetags.knowledge_tags import TEASER_WORDS, plain_text, render_markdown, teaser

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
