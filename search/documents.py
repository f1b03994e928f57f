"""Published question pages as the flat documents every search engine indexes (``SearchDocument``)."""

import html
import re

import nh3
from django.utils import timezone
from markdown_it import MarkdownIt
from wagtail.models import Site

from qa_site.knowledge.models import QuestionPage
from subscriptions.access import Visibility

from .backends.base import SearchDocument

INDEXED_VISIBILITIES = (Visibility.PUBLIC, Visibility.NETWORK)

# markdown-it renders an answer ~5x faster than Python-Markdown (what pages show), and only the words matter
# here: rebuilding 100,000 answers takes about a minute and a half instead of six.
_MARKDOWN = MarkdownIt("commonmark").enable("table")
_BLOCK_END = re.compile(r"</(p|li|h\d|blockquote|pre|tr|td|th)>|<br\s*/?>", re.IGNORECASE)


def answer_text(markdown):
    """An answer's Markdown (or safe HTML) as plain text: no tags or entities, one line per paragraph."""
    rendered = _BLOCK_END.sub(lambda m: m.group(0) + "\n", _MARKDOWN.render(markdown or ""))
    text = html.unescape(nh3.clean(rendered, tags=set()))
    return "\n".join(filter(None, (" ".join(line.split()) for line in text.splitlines())))


def _pages():
    """Live, shareable answer pages with just what a document needs (one query, no per-page lookups)."""
    return (
        QuestionPage.objects.live()
        .filter(visibility__in=INDEXED_VISIBILITIES)
        .select_related("topic", "expert")
        .only(
            "pk",
            "title",
            "url_path",
            "first_published_at",
            "last_published_at",
            "question_text",
            "answer",
            "visibility",
            "network_id",
            "topic__title",
            "expert__first_name",
            "expert__last_name",
            "expert__email",
        )
        .order_by("pk")
    )


def _relative_url(url_path, root_paths):
    """The page's path on its site (``/topics/charity-law/…/``), as Wagtail's page URLs are built."""
    for _site_id, root_path, _root_url, _language in root_paths:
        if url_path.startswith(root_path):
            return "/" + url_path[len(root_path) :]
    return url_path


def _document(page, root_paths):
    expert = page.expert
    return SearchDocument(
        page_id=page.pk,
        title=page.title,
        question=page.question_text,
        answer=answer_text(page.answer),
        url_path=_relative_url(page.url_path, root_paths),
        visibility=page.visibility,
        network_id=page.network_id if page.visibility == Visibility.NETWORK else None,
        topic_id=page.topic_id,
        topic_title=page.topic.title if page.topic_id else "",
        expert_id=expert.pk if expert else None,
        expert_name=expert.display_name if expert else "",
        published_at=page.first_published_at or page.last_published_at or timezone.now(),
    )


def documents_for(page_ids) -> list[SearchDocument]:
    """Documents for those of ``page_ids`` that are live, shareable answer pages (others are left out)."""
    page_ids = list(page_ids)
    if not page_ids:
        return []
    root_paths = Site.get_site_root_paths()
    return [_document(page, root_paths) for page in _pages().filter(pk__in=page_ids)]


def iter_documents(batch_size=2000):
    """Every live, shareable answer page as a document, read ``batch_size`` pages at a time in id order."""
    root_paths = Site.get_site_root_paths()
    last = 0
    while True:
        batch = list(_pages().filter(pk__gt=last)[:batch_size])
        if not batch:
            return
        for page in batch:
            yield _document(page, root_paths)
        last = batch[-1].pk


def count_documents():
    """How many documents ``iter_documents`` yields (for progress bars)."""
    return _pages().count()
