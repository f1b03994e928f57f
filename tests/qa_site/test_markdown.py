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
