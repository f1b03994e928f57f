"""Render experts' Markdown safely, and make teasers of it."""

import re

import markdown as markdown_lib
import nh3
from django import template
from django.utils.html import strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator

register = template.Library()

TEASER_WORDS = 45  # what the public sees of an answer, on pages and in feeds alike

_ALLOWED_TAGS = {
    "p",
    "br",
    "strong",
    "em",
    "b",
    "i",
    "ul",
    "ol",
    "li",
    "blockquote",
    "code",
    "pre",
    "h3",
    "h4",
    "h5",
    "a",
    "hr",
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
}
_ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}


def render_markdown(text):
    """Markdown to HTML with only harmless tags and attributes left."""
    html = markdown_lib.markdown(text or "", extensions=["sane_lists", "tables"], output_format="html")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )


def plain_text(text):
    """Markdown source as flowing plain text (for teasers, feeds and e-mail)."""
    return re.sub(r"\s+", " ", strip_tags(render_markdown(text))).strip()


@register.filter(name="markdown")
def markdown_filter(text):
    return mark_safe(render_markdown(text))


def _opening(text, words):
    """The first whole lines of ``text`` holding comfortably more than ``words`` words (cheap to render)."""
    lines, count = [], 0
    for line in (text or "").splitlines():
        lines.append(line)
        count += len(line.split())
        if count > words * 2:
            break
    return "\n".join(lines)


@register.filter
def teaser(text, words=TEASER_WORDS):
    words = int(words)
    return Truncator(plain_text(_opening(text, words))).words(words, truncate=" …")
