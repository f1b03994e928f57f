"""Render experts' Markdown safely, and make teasers of it."""

import html
import json
import re

import nh3
from django import template
from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html, strip_tags
from django.utils.safestring import mark_safe
from django.utils.text import Truncator
from markdown_it import MarkdownIt

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


# CommonMark (markdown-it-py), as the search index reads answers: a list may follow a line directly ("covering:" then
# "- who …"), as experts type them, and the same text renders alike on pages, in previews, feeds and the index.
# Raw HTML (imported answers) is let through to nh3, which keeps only harmless tags and attributes.
_MARKDOWN = MarkdownIt("commonmark", {"html": True}).enable("table")
# Every link written as one stays a link, its text shown; nh3 then drops any address that is not http(s) or mailto.
_MARKDOWN.validateLink = lambda url: True

# Headings sit under the page's own title and sections: "#" is an <h3>, "##" an <h4>, "###" and smaller an <h5>, so
# every heading an expert writes is kept (nh3 allows h3 to h5 only) and none competes with the page's <h1> or <h2>.
HEADING_SHIFT = 2


def _answer_headings(state):
    for token in state.tokens:
        if token.type in ("heading_open", "heading_close"):
            token.tag = f"h{min(int(token.tag[1:]) + HEADING_SHIFT, 5)}"


_MARKDOWN.core.ruler.push("answer_headings", _answer_headings)


def render_markdown(text):
    """Markdown to HTML with only harmless tags and attributes left."""
    html = _MARKDOWN.render(text or "")
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRIBUTES,
        url_schemes={"http", "https", "mailto"},
        link_rel="nofollow noopener",
    )


def plain_text(text):
    """Markdown source as flowing plain text (for teasers, feeds and e-mail); each list item keeps a "•" before it,
    so that a list read on one line is still a list."""
    return re.sub(r"\s+", " ", strip_tags(render_markdown(text).replace("<li>", "<li>• "))).strip()


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


QUESTION_TEASER_WORDS = 40  # of the question, for readers without full access (as the page shows it)

# What Django's json_script escapes, so that no string in the data can close the <script> element early.
_JSON_SCRIPT_ESCAPES = {ord(">"): "\\u003E", ord("<"): "\\u003C", ord("&"): "\\u0026"}


def question_structured_data(page, *, full_access, url, expert_url=None):
    """schema.org ``QAPage`` data for a question page, holding only what this reader may read on it."""
    question = {
        "@type": "Question",
        "name": page.title,
        "text": page.question_text if full_access else Truncator(page.question_text).words(QUESTION_TEASER_WORDS),
        "dateCreated": page.asked_on.isoformat(),
        "answerCount": 1,
        "url": url,
    }
    if full_access:
        answered = page.first_published_at or page.checked_on
        text = html.unescape(plain_text(page.answer))
        answer = {"@type": "Answer", "text": text, "dateCreated": answered.isoformat(), "url": url}
        if page.expert_id:
            author = {"@type": "Person", "name": page.expert.display_name}
            if expert_url:
                author["url"] = expert_url
            answer["author"] = author
        question["acceptedAnswer"] = answer
    _credit_structured_data(page.attribution, question)
    return {"@context": "https://schema.org", "@type": "QAPage", "mainEntity": question}


def _credit_structured_data(source, question):
    """An imported answer's credit (see ``attribution.py``): the original (``isBasedOn``), its authors and licence."""
    if source is None:
        return
    people = {
        author.role: {"@type": "Person", "name": author.name, **({"url": author.url} if author.url else {})}
        for author in source.authors
        if author.role
    }
    answer = question.get("acceptedAnswer")
    for part, role in ((question, "question"), (answer, "answer")):
        if part is None:
            continue
        if role in people and "author" not in part:
            part["author"] = people[role]
        if source.licence_url:
            part["license"] = source.licence_url
    if source.url:
        question["isBasedOn"] = source.url


@register.simple_tag(takes_context=True)
def question_jsonld(context, page, full_access=False):
    """``<script type="application/ld+json">`` with the page's QAPage data, escaped like ``json_script``."""
    request = context["request"]
    profile = getattr(page.expert, "expert_profile", None) if page.expert_id else None
    _, root_url, path = page.get_url_parts(request) or (None, "", page.url_path)
    data = question_structured_data(
        page,
        full_access=full_access,
        url=root_url + path,
        expert_url=root_url + profile.get_absolute_url() if profile else None,
    )
    payload = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_JSON_SCRIPT_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))


@register.simple_tag(takes_context=True)
def personal(context, name, **args):
    """``{% personal "name" arg=value %}``: a part of the page that is this reader's own (see ``pagecache``)."""
    from qa_site.knowledge import pagecache

    request = context.get("request")
    if request is None:
        return ""  # rendered outside a request (an e-mail, a bare error page): nobody to make it for
    return pagecache.personal(request, name, args)
