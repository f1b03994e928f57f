"""Template tags of the search app, for pages that live elsewhere (the question page's related questions)."""

import logging

from django import template
from django.contrib.auth.models import AnonymousUser
from django.core.cache import cache
from django.db import transaction

from qa_site.knowledge import generation
from qa_site.knowledge.models import QuestionPage
from subscriptions import access

from .. import backends
from ..audience import audience_for

log = logging.getLogger(__name__)
register = template.Library()
RELATED_SECONDS = 60 * 60  # besides the generation: see qa_site/knowledge/generation.py


def _related_ids(page, audience, limit):
    """Ids of the answers like ``page`` for ``audience``: asked of the engine once per publication generation.

    Finding them costs tens of milliseconds at 100,000 answers (several words, any of which may match), and
    every view of an answer page asks; the list only changes when answers are published or withdrawn.
    """
    key = f"related:{generation.current()}:{page.pk}:{limit}:{audience.everything}:"
    key += f"{','.join(map(str, sorted(audience.network_ids)))}:{audience.expert_id}"
    ids = cache.get(key)
    if ids is None:
        # A savepoint, so that a database engine's error cannot break the request's transaction.
        with transaction.atomic():
            hits = backends.get_backend().similar(
                f"{page.title} {page.question_text}", audience=audience, limit=limit, exclude_page_id=page.id
            )
        ids = [hit.page_id for hit in hits if hit.page_id != page.id]
        cache.set(key, ids, timeout=RELATED_SECONDS)
    return ids


@register.simple_tag(takes_context=True)
def related_questions(context, page, limit=5):
    """Published answers like ``page``, best first, that this reader may see.

    ``{% related_questions page as related %}`` (at most ``limit``; five by default).

    Asks the search engine for similar questions (the title and the question's text), then reads those pages in one
    query. If the engine fails, the error is logged and the list is empty: the page itself must never fail.
    """
    request = context.get("request")
    user = getattr(request, "user", None) or AnonymousUser()
    try:
        ids = _related_ids(page, audience_for(user), limit)
    except Exception:
        log.exception("Related questions for page %s: the search engine failed", page.id)
        return []
    if not ids:
        return []
    # The engine filtered by audience; the access policy is asked again here, as every listing does.
    pages = QuestionPage.objects.live().filter(access.published_filter(user), pk__in=ids).select_related("topic")
    by_id = {related.pk: related for related in pages}
    return [by_id[pk] for pk in ids if pk in by_id]
