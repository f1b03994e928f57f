"""oEmbed (https://oembed.com) for public answers: ``/oembed/?url=<answer page>&format=json``.

Answers a ``rich`` response whose ``html`` is a small blockquote (title, teaser, the expert, a link back):
no script, no iframe. Only public answers have one; network-only answers, other pages and other sites are
"not found". Only JSON is offered: any other format is 501 Not Implemented, as the specification asks.
Errors are JSON too: ``{"error": "..."}``.
"""

from urllib.parse import unquote, urlsplit

from django.conf import settings
from django.http import JsonResponse
from django.utils.html import format_html
from django.views.decorators.http import require_safe
from wagtail.models import Site

from qa_site.knowledge.models import QuestionPage
from qa_site.knowledge.templatetags.knowledge_tags import teaser
from subscriptions.access import Visibility

from .builders import expert_profile_path

PROVIDER_NAME = "Ask an Expert"
DEFAULT_WIDTH, DEFAULT_HEIGHT = 600, 320
MAX_URL_LENGTH = 2000
CACHE_AGE = 3600


class _Refused(Exception):
    def __init__(self, status, message):
        super().__init__(message)
        self.status = status


def _error(status, message):
    response = JsonResponse({"error": message}, status=status)
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _dimension(request, name, default):
    value = request.GET.get(name, "").strip()
    if not value:
        return default
    # ASCII digits, at most five: str.isdigit() accepts "²", and int() refuses strings of thousands of digits.
    if not (len(value) <= 5 and value.isascii() and value.isdigit()) or not 0 < int(value) <= 10_000:
        raise _Refused(400, f"{name} must be a whole number of pixels from 1 to 10000.")
    return min(default, int(value))


def _our_hosts(request):
    hosts = {urlsplit(settings.BASE_URL).netloc.lower(), request.get_host().lower()}
    for root in Site.get_site_root_paths():
        hosts.add(urlsplit(root.root_url).netloc.lower())
    return hosts


def _answer_for(request, url):
    """The public, live answer page at ``url`` on this site, or _Refused."""
    try:
        parts = urlsplit(url)
        netloc = parts.netloc.lower()
    except ValueError as exc:
        raise _Refused(400, "url is not a valid address.") from exc
    if parts.scheme not in ("http", "https") or not netloc:
        raise _Refused(400, "url must be an http or https address.")
    if netloc not in _our_hosts(request):
        raise _Refused(404, "That address is not on this site.")
    path = unquote(parts.path or "/")
    if not path.endswith("/"):
        path += "/"
    site = Site.find_for_request(request)
    if site is None:
        raise _Refused(404, "That address is not an answer on this site.")
    page = (
        QuestionPage.objects.live()
        .public()
        .filter(url_path=site.root_page.url_path + path.lstrip("/"), visibility=Visibility.PUBLIC)
        .select_related("expert", "expert__expert_profile")
        .first()
    )
    if page is None:
        raise _Refused(404, "That address is not a public answer on this site.")
    return page


@require_safe
def oembed(request):
    url = request.GET.get("url", "").strip()
    fmt = request.GET.get("format", "json").strip().lower() or "json"
    try:
        if not url:
            raise _Refused(400, "The url parameter is required.")
        if len(url) > MAX_URL_LENGTH or any(ord(c) < 32 for c in url):
            raise _Refused(400, "url is not a valid address.")
        if fmt != "json":
            if fmt.isalnum() and len(fmt) <= 10:
                raise _Refused(501, "Only the json format is available.")
            raise _Refused(400, "format must be json.")
        width = _dimension(request, "maxwidth", DEFAULT_WIDTH)
        height = _dimension(request, "maxheight", DEFAULT_HEIGHT)
        page = _answer_for(request, url)
    except _Refused as refused:
        return _error(refused.status, str(refused))

    absolute = request.build_absolute_uri
    page_url = absolute(page.get_url(request=request))
    data = {
        "version": "1.0",
        "type": "rich",
        "title": page.title,
        "provider_name": PROVIDER_NAME,
        "provider_url": absolute("/"),
        "cache_age": CACHE_AGE,
        "width": width,
        "height": height,
    }
    byline = ""
    if page.expert:
        data["author_name"] = page.expert.display_name
        profile_path = expert_profile_path(page.expert)
        if profile_path:
            data["author_url"] = absolute(profile_path)
        byline = format_html("Answered by {}. ", page.expert.display_name)
    data["html"] = format_html(
        '<blockquote class="ask-an-expert-answer" cite="{url}" style="max-width:{width}px">'
        "<p><strong>{title}</strong></p><p>{teaser}</p>"
        '<p>{byline}<a href="{url}">Read the full answer on {provider}</a></p></blockquote>',
        url=page_url,
        width=width,
        title=page.title,
        teaser=teaser(page.answer),
        byline=byline,
        provider=PROVIDER_NAME,
    )
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = f"public, max-age={CACHE_AGE}"
    return response
