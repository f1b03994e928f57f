"""Similar answered questions, shown to an adviser while they write a question (``/ask/``).

The ask page asks ``/search/similar/?q=…`` as the adviser types (a debounced fetch; the answer is an HTML
fragment for the page's live region); without JavaScript, its "Check for similar answers" button re-shows
the form with the same list (``templatetags/similar_tags.py``). Each suggestion links through
``/search/similar/<page id>/open/``, which counts a deflection — a question the knowledge base may have
saved — for the adviser's networks (the network's value report shows them), then opens the answer.
"""

import logging

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.views.decorators.http import require_GET
from django_ratelimit.decorators import ratelimit

from qa_site.knowledge.models import QuestionPage
from subscriptions import access, usage
from subscriptions.models import UsageCount

from .audience import audience_for
from .backends import get_backend
from .text import query_words

logger = logging.getLogger("search")

MAX_TEXT_LENGTH = 1000  # the page sends the title and the start of the details
SUGGESTIONS = 5
RATE = "60/m"  # per person: typing fires a request at most every few hundred milliseconds
MAX_ID = 2**63 - 1  # larger page ids in the address cannot be looked up (SQLite and PostgreSQL integers)


def similar_answers(user, text, *, limit=SUGGESTIONS):
    """Live answer pages like ``text`` that ``user`` may see, best first. Never fails: junk text (empty, only
    punctuation, too long) finds nothing, and an engine error is logged and finds nothing."""
    if not text or len(text) > MAX_TEXT_LENGTH or not query_words(text):
        return []
    try:
        with transaction.atomic():  # a savepoint: a database engine's error must not break the request
            hits = get_backend().similar(text, audience=audience_for(user), limit=limit)
    except Exception:
        logger.exception("Similar answers: the search engine failed")
        return []
    ids = [hit.page_id for hit in hits]
    # The engine filtered by audience; the access policy is asked again, as every listing does.
    pages = QuestionPage.objects.live().filter(access.published_filter(user), pk__in=ids).select_related("topic")
    by_id = {page.pk: page for page in pages}
    return [by_id[pk] for pk in ids if pk in by_id]


def count_deflection(*, user, page_id):
    """An adviser about to ask opened a similar answer: counted once per person, answer and day, for each of
    the networks they have live access through."""
    networks = access.live_network_ids(user)
    day = timezone.localdate()
    if networks and cache.add(f"usage:deflection:{user.pk}:{page_id}:{day.isoformat()}", 1, timeout=60 * 60 * 26):
        usage.record(network_ids=networks, kind=UsageCount.Kind.DEFLECTION, day=day)


def _may_ask(user):
    if not access.can_ask(user):
        raise PermissionDenied("Only members of a network with a current subscription can ask questions.")


@login_required
@require_GET
@ratelimit(key="user", rate=RATE, block=True)
def similar(request):
    _may_ask(request.user)
    suggestions = similar_answers(request.user, request.GET.get("q", "").strip())
    return render(request, "search/similar_answers.html", {"suggestions": suggestions})


@login_required
@require_GET
def open_similar(request, page_id):
    _may_ask(request.user)
    if page_id > MAX_ID:
        raise Http404("No such answer.")
    page = get_object_or_404(QuestionPage.objects.live().filter(access.published_filter(request.user)), pk=page_id)
    count_deflection(user=request.user, page_id=page.pk)
    return redirect(page.url)
