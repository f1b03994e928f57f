"""RSS 2.0 and Atom feeds: the latest answers, per topic, per expert, and a network's own feed through its key.

Public feeds (latest, topic, expert) carry teasers of public answers. A network's key feed carries the
topics the key names (all when none), public answers and — if its plan has private feeds — the network's
own network-only answers, in full if its plan allows full answers off the site. Every feed is rendered once
per publication generation and then served from the cache (``caching.py``).
"""

from django.contrib.auth import get_user_model
from django.db.models import Q
from django.http import Http404, HttpResponse
from django.views.decorators.http import require_safe

from qa_site.knowledge.models import QuestionPage, TopicPage
from subscriptions import access
from subscriptions.access import Visibility
from subscriptions.models import AccessKey

from .builders import FEED_SIZE, build_feed, expert_profile_path, render_feed
from .caching import PRIVATE, PUBLIC, cached_feed

SITE_NAME = "Ask an Expert"


def _answers():
    """Live answers ready for a feed: one query, whatever the number of entries."""
    return (
        QuestionPage.objects.live()
        .public()
        .defer_streamfields()
        .select_related("topic", "expert", "expert__expert_profile")
        .order_by("-published_at", "-pk")  # through the listing indexes (QuestionPage.published_at)
    )


def _public_answers():
    return _answers().filter(visibility=Visibility.PUBLIC)


def _feed_response(request, fmt, *, pages, **feed):
    return render_feed(build_feed(request=request, pages=pages[:FEED_SIZE], self_path=request.path, **feed), fmt)


@require_safe
def latest(request, fmt):
    def render():
        return _feed_response(
            request,
            fmt,
            pages=_public_answers(),
            title=f"{SITE_NAME} — latest answers",
            description="The newest answers from our panel of named experts for the voluntary and community sector.",
            alternate_path="/",
        )

    return cached_feed(request, identity=f"latest:{fmt}", render=render, cache_control=PUBLIC)


@require_safe
def topic(request, slug, fmt):
    def render():
        page = TopicPage.objects.live().public().filter(slug=slug).first()
        if page is None:
            raise Http404("No such topic.")
        return _feed_response(
            request,
            fmt,
            pages=_public_answers().filter(topic=page),
            title=f"{SITE_NAME} — {page.title}",
            description=page.description or f"Answers on {page.title} from our panel of named experts.",
            alternate_path=page.get_url(request=request),
        )

    return cached_feed(request, identity=f"topic:{slug}:{fmt}", render=render, cache_control=PUBLIC)


@require_safe
def expert(request, slug, fmt):
    def render():
        # Expert profiles are addressed by their slug; read through the relation the experts app adds.
        user = get_user_model().objects.filter(expert_profile__slug=slug).select_related("expert_profile").first()
        if user is None:
            raise Http404("No such expert.")
        return _feed_response(
            request,
            fmt,
            pages=_public_answers().filter(expert=user),
            title=f"{SITE_NAME} — answers by {user.display_name}",
            description=f"Answers by {user.display_name}, one of our named experts.",
            alternate_path=expert_profile_path(user),
        )

    return cached_feed(request, identity=f"expert:{slug}:{fmt}", render=render, cache_control=PUBLIC)


def _refusal(status, reason):
    response = HttpResponse(reason + "\n", status=status, content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "private, no-cache"
    return response


@require_safe
def network_key(request, key, fmt):
    """A network's own feed. The key, its network's subscription and plan are checked on every request, from the
    key's cached grant (``access.key_grant``): no query while it is cached, and a revoked key or an ended
    subscription stops within a minute at most."""
    grant = access.key_grant(key)
    if grant is None:
        return _refusal(404, "No feed has this key.")
    # Widget keys are refused: they are limited to their websites, which a feed reader has no way to show.
    if grant["kind"] != AccessKey.Kind.FEED:
        return _refusal(403, "This is a widget key: feeds need a feed key.")
    if grant["revoked"]:
        return _refusal(410, "This feed key was revoked by its network.")
    if not grant["network_is_live"]:
        return _refusal(404, "This network's subscription has ended.")
    topic_ids = grant["topic_ids"]
    private = grant["private_feeds"]
    # The plan's "full answers in widgets" is its permission to show full answers off the site, feeds included.
    full_text = grant["full_answers_in_widgets"]
    network_id, network_name = grant["network_id"], grant["network_name"]

    def render():
        audience = Q(visibility=Visibility.PUBLIC)
        if private:
            audience |= Q(visibility=Visibility.NETWORK, network_id=network_id)
        pages = _answers().filter(audience)
        if topic_ids:
            pages = pages.filter(topic_id__in=topic_ids)
        return _feed_response(
            request,
            fmt,
            pages=pages,
            title=f"{SITE_NAME} — answers for {network_name}",
            description=f"Answers from our panel of named experts, chosen for {network_name}.",
            alternate_path="/",
            full_text=full_text,
        )

    identity = f"key:{key}:{fmt}:{network_name}:topics={topic_ids}:private={private}:full={full_text}"
    return cached_feed(request, identity=identity, render=render, cache_control=PRIVATE)
