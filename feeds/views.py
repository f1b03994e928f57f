"""Public RSS and Atom feeds of the latest answers."""

import hashlib

from django.db.models import Count, Max
from django.http import HttpResponse
from django.views.decorators.cache import cache_control
from django.views.decorators.http import condition

from qa_site.knowledge.models import QuestionPage
from subscriptions.access import Visibility

from .builders import FEED_SIZE, build_feed


def _public_answers():
    return QuestionPage.objects.live().filter(visibility=Visibility.PUBLIC)


def _state():
    return _public_answers().aggregate(latest=Max("last_published_at"), count=Count("pk"), top=Max("pk"))


def _last_modified(request, *args, **kwargs):
    return _state()["latest"]


def _etag(request, *args, **kwargs):
    state = _state()
    raw = f"{kwargs.get('kind')}:{state['latest']}:{state['count']}:{state['top']}"
    return hashlib.sha256(raw.encode()).hexdigest()[:32]


@cache_control(public=True, max_age=300)
@condition(etag_func=_etag, last_modified_func=_last_modified)
def latest(request, kind):
    pages = _public_answers().select_related("topic", "expert").order_by("-first_published_at", "-pk")[:FEED_SIZE]
    feed = build_feed(
        request=request,
        pages=pages,
        title="Ask an Expert — latest answers",
        description="The newest answers from our panel of named experts for the voluntary and community sector.",
        self_path=request.path,
        alternate_path="/",
    )
    if kind == "atom":
        return HttpResponse(feed.atom_str(pretty=True), content_type="application/atom+xml; charset=utf-8")
    return HttpResponse(feed.rss_str(pretty=True), content_type="application/rss+xml; charset=utf-8")
