"""The answers widget that member organisations embed: its JSON, its script, an iframe page, and counted clicks.

- ``/embed/answers.json?key=…&topic=…&count=…`` — the latest public answers a widget key may show: teasers, or
  the full answer when the network's plan includes it. Readable from another website (CORS) only by the
  websites listed on the key. A key that cannot be used gets a JSON body saying why and no items.
- ``/embed/widget.js`` — the script that renders that JSON in place, inside a shadow root.
- ``/embed/frame/?key=…`` — the same list as a small standalone page, for sites that allow no scripts; only the
  key's websites may frame it.
- ``/embed/click/<page id>/?key=…`` — where the widget's links go: counted, then on to the answer.

Only public answers: a widget is shown to anyone who visits a member's website. The key, its network's
subscription and the Origin are checked on every request, from the key's cached grant (a revoked key stops at
once in the process that revoked it, within seconds elsewhere; an ended subscription within a minute); the list
itself is cached until the next publish (``generation``). Views and clicks are counted in the cache (``counting``).
"""

import datetime as dt
import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path
from types import SimpleNamespace
from urllib.parse import urlencode

from csp.decorators import csp_exempt
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_GET, require_safe

from qa_site.knowledge import generation
from qa_site.knowledge.forms import is_page_id
from qa_site.knowledge.models import QuestionPage, TopicPage
from qa_site.knowledge.templatetags.knowledge_tags import render_markdown, teaser
from subscriptions import access
from subscriptions.access import Visibility
from subscriptions.models import AccessKey

from . import counting

COUNT_DEFAULT = 5
COUNT_MAX = 20
STYLES = ("light", "dark", "compact")
CACHE_SECONDS = 10 * 60  # besides the generation: see generation.py
SCRIPT = Path(__file__).parent / "static" / "feeds" / "widget.js"
SCRIPT_MAX_AGE = 24 * 60 * 60


class Refusal(Exception):
    """Why a widget request gets no answers: an HTTP status, a short reason code and a sentence for people."""

    def __init__(self, status, reason, message):
        super().__init__(message)
        self.status, self.reason, self.message = status, reason, message


_KEY = re.compile(r"[-A-Za-z0-9_]{8,64}")
_SLUG = re.compile(r"[-\w]{1,255}")  # Wagtail's slugs: letters (any script), digits, hyphens and underscores


def _bad(message):
    return Refusal(400, "bad_request", message)


def _widget_key(request):
    """The usable widget key named in the request, or a Refusal saying why not.

    Checked on every request from the key's grant (``access.key_grant``): no query while the grant is cached, and a
    revoked key or an ended subscription stops within a minute at most (at once in the process that revoked it).
    """
    value = request.GET.get("key", "").strip()
    if not value:
        raise _bad("Add your widget key to the address: ?key=…")
    # Keys are URL-safe tokens: anything else is no key, and is not sent to the database (PostgreSQL refuses NUL).
    grant = access.key_grant(value) if _KEY.fullmatch(value) else None
    if grant is None:
        raise Refusal(404, "unknown", "There is no widget key like this. Copy it again from your network's page.")
    key = SimpleNamespace(
        key=grant["key"],
        pk=grant["pk"],
        network_id=grant["network_id"],
        origins=grant["origins"],
        topic_ids=grant["topic_ids"],
        full_answers=grant["full_answers_in_widgets"],
    )
    request.widget_key = key  # known: errors below may still be read by the key's own websites
    name = grant["network_name"]
    if grant["kind"] != AccessKey.Kind.WIDGET:
        raise Refusal(403, "wrong_kind", "This is a feed key: widgets need a widget key.")
    if grant["revoked"]:
        raise Refusal(410, "revoked", "This widget key has been revoked.")
    if not grant["network_is_live"]:
        raise Refusal(403, "expired", f"The subscription of {name} has ended.")
    if not grant["widgets"]:
        raise Refusal(403, "not_in_plan", f"The plan of {name} does not include widgets.")
    origin = request.headers.get("Origin")
    if origin is not None and origin not in key.origins:
        raise Refusal(403, "origin", f"This key may not be used on {origin[:100]}: add it to the key's websites.")
    return key


def _options(request, key):
    """(topic or None, count) from the request, checked against the key's topics."""
    raw = request.GET.get("count", "")
    if raw == "":
        count = COUNT_DEFAULT
    elif (
        raw.isascii() and raw.isdigit() and len(raw) <= 6 and 1 <= int(raw) <= COUNT_MAX
    ):  # int() refuses 4,300+ digits
        count = int(raw)
    else:
        raise _bad(f"count must be a whole number from 1 to {COUNT_MAX}.")
    slug = request.GET.get("topic", "").strip()
    topic = None
    if slug:
        topic = _live_topics().get(slug) if _SLUG.fullmatch(slug) else None
        if topic is None:
            raise _bad(f"There is no topic “{slug[:100]}”.")
        if key.topic_ids and topic.pk not in key.topic_ids:
            raise Refusal(403, "topic", f"This key does not include the topic “{topic.title}”.")
    return topic, count


def _live_topics():
    """{slug: topic (pk, slug, title, url)} of the live topics, read once per publication generation."""
    key = f"widget-topics:{generation.current()}"
    topics = generation.get(key)
    if topics is None:
        topics = {
            topic.slug: SimpleNamespace(pk=topic.pk, slug=topic.slug, title=topic.title, url=topic.url)
            for topic in TopicPage.objects.live()
        }
        generation.put(key, topics, CACHE_SECONDS)
    return topics


def _iso_day(moment):
    return timezone.localtime(moment).date().isoformat() if moment else None


def _build(request, key, topic, count):
    """The widget's content as a JSON-ready dict."""
    full = key.full_answers
    pages = QuestionPage.objects.live().public().filter(visibility=Visibility.PUBLIC)
    if topic is not None:
        pages = pages.filter(topic_id=topic.pk)
    elif key.topic_ids:
        pages = pages.filter(topic_id__in=key.topic_ids)
    pages = pages.select_related("topic", "expert").order_by("-published_at", "-pk")[:count]  # by the listing indexes
    absolute = request.build_absolute_uri
    items = []
    for page in pages:
        item = {
            "id": page.pk,
            "title": page.title,
            "url": absolute(page.url),
            "click_url": absolute(f"{reverse('embed:click', args=[page.pk])}?{urlencode({'key': key.key})}"),
            "topic": {"slug": page.topic.slug, "title": page.topic.title},
            "expert": page.expert.display_name if page.expert else None,
            "published": _iso_day(page.first_published_at),
            "teaser": teaser(page.answer),
            # Imported answers: where they come from, as their licence requires (None for answers written here).
            "source": source.as_json() if (source := page.attribution) else None,
        }
        if full:
            item["answer_html"] = render_markdown(page.answer)
        items.append(item)
    site = settings.WAGTAIL_SITE_NAME
    return {
        "title": f"Latest answers on {topic.title}" if topic else f"Latest answers from {site}",
        "topic": {"slug": topic.slug, "title": topic.title} if topic else None,
        "more": {"title": f"More answers from {site}", "url": absolute(topic.url if topic else "/")},
        "full_answers": full,
        "items": items,
    }


def _content(request, key, topic, count):
    """(payload, etag): built once per key, topic, count and address until the next publish."""
    parts = [
        generation.current(),
        key.pk,
        sorted(key.topic_ids),
        key.full_answers,
        topic.pk if topic else None,
        count,
        request.scheme,
        request.get_host(),
    ]
    cache_key = "widget:" + hashlib.sha256(json.dumps(parts).encode()).hexdigest()[:40]
    cached = generation.get(cache_key)
    if cached is None:
        payload = _build(request, key, topic, count)
        etag = hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()[:32]
        cached = {"payload": payload, "etag": etag}
        generation.put(cache_key, cached, CACHE_SECONDS)
    return cached["payload"], cached["etag"]


def _cors(request, response):
    """Let the key's own websites read the response; nobody else."""
    patch_vary_headers(response, ["Origin"])
    key = getattr(request, "widget_key", None)
    origin = request.headers.get("Origin")
    if key is not None and origin and origin in key.origins:
        response["Access-Control-Allow-Origin"] = origin
    return response


def _fresh(request, response, etag):
    """``response``, or a 304 when the browser already has it; revalidated on every use."""
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = "no-cache"
    return get_conditional_response(request, etag=response["ETag"], response=response) or response


def _count_view(request, key, payload):
    if payload["items"] and request.GET.get("preview") != "1":
        counting.count(network_id=key.network_id, kind=counting.VIEW)


@require_safe
def answers(request):
    try:
        key = _widget_key(request)
        topic, count = _options(request, key)
    except Refusal as refusal:
        body = {"error": refusal.message, "reason": refusal.reason}
        response = JsonResponse(body, status=refusal.status, json_dumps_params={"ensure_ascii": False})
        response["Cache-Control"] = "no-store"
        return _cors(request, response)
    payload, etag = _content(request, key, topic, count)
    response = JsonResponse(payload, json_dumps_params={"ensure_ascii": False})
    response = _fresh(request, response, etag)
    _count_view(request, key, payload)
    return _cors(request, response)


_ORIGIN = re.compile(r"https?://[a-z0-9.\-\[\]:]+")


def _frame_ancestors(key):
    # Origins were checked when the key was made; a stray ";" must still never add a directive.
    origins = [origin for origin in key.origins if _ORIGIN.fullmatch(origin)] if key is not None else []
    return " ".join(["frame-ancestors 'self'", *origins])


@require_safe
@xframe_options_exempt
@csp_exempt()  # it sends its own, stricter policy, with the key's websites as frame-ancestors
def frame(request):
    style = request.GET.get("style", "light")
    try:
        key = _widget_key(request)
        topic, count = _options(request, key)
        if style not in STYLES:
            raise _bad(f"style must be one of: {', '.join(STYLES)}.")
    except Refusal as refusal:
        # Like the script, an unusable key shows nothing; the status and the comment in the page say why.
        context = {"refusal": refusal, "style": "light"}
        response = render(request, "feeds/widget/frame.html", context, status=refusal.status)
        response["Cache-Control"] = "no-store"
    else:
        payload, etag = _content(request, key, topic, count)
        items = [{**item, "published_on": dt.date.fromisoformat(item["published"])} for item in payload["items"]]
        response = render(request, "feeds/widget/frame.html", {**payload, "items": items, "style": style})
        response = _fresh(request, response, f"{etag}-{style}")
        _count_view(request, key, payload)
    key = getattr(request, "widget_key", None)
    csp = "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"
    response["Content-Security-Policy"] = f"{csp}; {_frame_ancestors(key)}"
    return response


def _read_script():
    body = SCRIPT.read_bytes()
    return body, hashlib.sha256(body).hexdigest()[:32]


_cached_script = lru_cache(maxsize=1)(_read_script)


@require_safe
@csp_exempt()  # a script other websites load, not a page: their policy applies to it
def script(request):
    """The widget's script, at an address that never changes (it is pasted into other sites)."""
    body, etag = _read_script() if settings.DEBUG else _cached_script()
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["ETag"] = f'"{etag}"'
    response["Cache-Control"] = f"public, max-age={SCRIPT_MAX_AGE}"
    # Host pages that isolate themselves (Cross-Origin-Embedder-Policy) may still load it.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return get_conditional_response(request, etag=response["ETag"], response=response) or response


@require_GET
@never_cache
def click(request, page_id):
    """A click on an answer in a widget: counted for the key's network, then on to the answer."""
    if not is_page_id(page_id):  # a number past 64 bits would overflow SQLite's integers: a 500, not a 404
        raise Http404("No such answer.")
    page = get_object_or_404(QuestionPage.objects.live().public().filter(visibility=Visibility.PUBLIC), pk=page_id)
    try:
        key = _widget_key(request)
    except Refusal:
        key = None  # old links from a revoked key still lead to the answer; they are just not counted
    if key is not None:
        counting.count(network_id=key.network_id, kind=counting.CLICK)
    return redirect(page.url)
