"""Build RSS 2.0 and Atom documents of published answers with feedgen.

Public feeds carry teasers of public answers only: the full answer is for subscribers, on the site. A
network's key feed carries full answers when its plan allows them off the site. GUIDs are tag URIs built
from the page id, so they never change when a title or slug is edited.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.urls import reverse
from feedgen.feed import FeedGenerator

from qa_site.knowledge.templatetags.knowledge_tags import TEASER_WORDS, render_markdown, teaser

FEED_SIZE = 20
FORMATS = {
    "rss": "application/rss+xml; charset=utf-8",
    "atom": "application/atom+xml; charset=utf-8",
}


def answer_guid(page):
    host = urlsplit(settings.BASE_URL).hostname or "localhost"
    return f"tag:{host},2026:answer:{page.pk}"


def expert_profile_path(user):
    """The path of ``user``'s public expert profile, or None (read through the relation the experts app adds)."""
    profile = getattr(user, "expert_profile", None)
    return reverse("experts:profile", args=[profile.slug]) if profile else None


def build_feed(*, request, pages, title, description, self_path, alternate_path, full_text=False):
    """A FeedGenerator filled with ``pages`` (newest first); dates are the pages' own, so output is stable.

    ``pages`` should come with ``topic``, ``expert`` and ``expert__expert_profile`` selected. Every entry has
    a teaser (RSS ``description``, Atom ``summary``); with ``full_text`` the answer as HTML is added too
    (RSS ``content:encoded``, Atom ``content``).
    """
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
        url = absolute(page.get_url(request=request))
        entry.id(answer_guid(page))
        entry.guid(answer_guid(page), permalink=False)
        entry.title(page.title)
        entry.link(href=url)
        entry.published(page.first_published_at)
        entry.updated(page.last_published_at)
        source = page.attribution
        summary = f"{teaser(page.answer, TEASER_WORDS)} Read the full answer: {url}"
        entry.description(f"{summary} {source.as_text()}" if source else summary, isSummary=True)
        if full_text:
            content = render_markdown(page.answer)
            entry.content(f"{content}\n{source.as_html()}" if source else content, type="html")
        entry.category(term=page.topic.slug, label=page.topic.title)
        if page.expert:
            profile_path = expert_profile_path(page.expert)
            entry.author(name=page.expert.display_name, uri=absolute(profile_path) if profile_path else None)
            entry.dc.dc_creator(page.expert.display_name)
        if source:
            _credit(entry, source, named=not page.expert)
    return feed


def _credit(entry, source, *, named):
    """An imported answer's credit beyond its summary and content: the licence as the item's rights (Atom
    ``rights``, RSS ``dc:rights``) and, for answers with no expert here, the original's authors (Atom ``author``
    with their profile, RSS ``dc:creator``). (No Atom ``via`` link to the original: feedgen writes entry links
    without their ``rel``, which would make it a second ``alternate``; the summary links to it instead.)"""
    if source.licence:
        rights = f"{source.licence}: {source.licence_url}" if source.licence_url else source.licence
        entry.rights(rights)
        entry.dc.dc_rights(rights)
    if named:
        for author in source.authors:
            entry.author(name=author.name, uri=author.url or None)
            entry.dc.dc_creator(author.name)


def render_feed(feed, fmt):
    """(bytes, content type) of ``feed`` as ``fmt`` ("rss" or "atom")."""
    body = feed.atom_str(pretty=True) if fmt == "atom" else feed.rss_str(pretty=True)
    return body, FORMATS[fmt]
