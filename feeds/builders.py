"""Build RSS 2.0 and Atom documents of published answers with feedgen.

Public feeds carry teasers of public answers only: the full answer is for
subscribers, on the site. GUIDs are tag URIs built from the page id, so they
never change when a title or slug is edited.
"""

from urllib.parse import urlsplit

from django.conf import settings
from feedgen.feed import FeedGenerator

from qa_site.knowledge.templatetags.knowledge_tags import TEASER_WORDS, teaser

FEED_SIZE = 20


def answer_guid(page):
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    return f"tag:{host},2026:answer:{page.pk}"


def build_feed(*, request, pages, title, description, self_path, alternate_path):
    """A FeedGenerator filled with ``pages`` (newest first); dates are the pages' own, so output is stable."""
    absolute = request.build_absolute_uri
    feed = FeedGenerator()
    # RSS's own <author> must be an e-mail address; experts are named through dc:creator instead.
    feed.load_extension("dc", atom=False, rss=True)
    feed.id(absolute(self_path))
    feed.title(title)
    feed.description(description)
    feed.language("en-GB")
    feed.link(href=absolute(self_path), rel="self")
    feed.link(href=absolute(alternate_path), rel="alternate")
    pages = list(pages)
    if pages:
        feed.updated(max(p.last_published_at for p in pages))
        feed.lastBuildDate(max(p.last_published_at for p in pages))
    for page in pages:
        entry = feed.add_entry(order="append")
        url = absolute(page.url)
        entry.id(answer_guid(page))
        entry.guid(answer_guid(page), permalink=False)
        entry.title(page.title)
        entry.link(href=url)
        entry.published(page.first_published_at)
        entry.updated(page.last_published_at)
        entry.description(f"{teaser(page.answer, TEASER_WORDS)} Read the full answer: {url}")
        entry.category(term=page.topic.slug, label=page.topic.title)
        if page.expert:
            entry.author(name=page.expert.display_name)
            entry.dc.dc_creator(page.expert.display_name)
    return feed
