"""Search the knowledge base: ranked, highlighted, faceted, and only what the person may see."""

from dataclasses import dataclass
from urllib.parse import urlencode

from django.shortcuts import render
from django.utils.safestring import mark_safe

from qa_site.knowledge import pagecache
from qa_site.knowledge.models import QuestionPage
from subscriptions import access

from . import querylog
from .audience import audience_for
from .backends import get_backend
from .backends.base import Filters
from .text import normalise, query_words

MAX_QUERY_LENGTH = 200
PAGE_SIZE = 10
MAX_PAGE = 100  # 1,000 answers deep: nobody pages further; refine the search instead
FILTERS = (("topic", "topic_id", "Topic"), ("expert", "expert_id", "Expert"), ("year", "year", "Year"))
_ID_RANGE = (1, 2**63 - 1)
_RANGES = {"topic": _ID_RANGE, "expert": _ID_RANGE, "year": (1900, 9999)}


@dataclass
class ResultPage:
    number: int
    num_pages: int

    @property
    def has_previous(self):
        return self.number > 1

    @property
    def has_next(self):
        return self.number < self.num_pages

    @property
    def has_other_pages(self):
        return self.num_pages > 1

    @property
    def previous_page_number(self):
        return self.number - 1

    @property
    def next_page_number(self):
        return self.number + 1


def _whole_number(raw, low, high):
    """``raw`` as an int in [low, high], else None."""
    raw = (raw or "").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 19:
        return None
    value = int(raw)
    return value if low <= value <= high else None


def parse_filters(params):
    """The filters in the address: (``Filters``, {param: value} chosen, whether any was not understood)."""
    chosen, junk = {}, False
    for param, _field, _title in FILTERS:
        raw = params.get(param)
        if raw in (None, ""):
            continue
        value = _whole_number(raw, *_RANGES[param])
        if value is None:
            junk = True
        else:
            chosen[param] = value
    fields = {field: chosen[param] for param, field, _title in FILTERS if param in chosen}
    return Filters(**fields), chosen, junk


def parse_page(raw):
    number = _whole_number(raw, 1, 10**6)
    return number or 1


@pagecache.effect_handler("search_logged")
def _logged(request, *, query, hits):
    querylog.record(query, hits)


def _url(query, chosen, **changes):
    params = {"q": query, **chosen, **changes}
    return "?" + urlencode({key: value for key, value in params.items() if value not in (None, "")})


def _facet_groups(results, query, chosen):
    """Facets as the template shows them: each value with its count and a link that adds or removes it."""
    groups = []
    for param, _field, title in FILTERS:
        values = []
        for value in results.facets.get(param, []):
            selected = chosen.get(param) == value.value
            values.append(
                {
                    "label": value.label,
                    "count": value.count,
                    "selected": selected,
                    "url": _url(query, chosen, **{param: None if selected else value.value}),
                }
            )
        if values:
            groups.append({"name": param, "title": title, "values": values})
    return groups


def _active_filters(results, query, chosen):
    labels = {(param, value.value): value.label for param, *_ in FILTERS for value in results.facets.get(param, [])}
    return [
        {
            "title": title,
            "label": labels.get((param, chosen[param]), str(chosen[param])),
            "url": _url(query, chosen, **{param: None}),
        }
        for param, _field, title in FILTERS
        if param in chosen
    ]


def _rows(hits, user):
    """The hits as rows to show, each with its live page (a hit whose page went since it was indexed, or
    that the policy no longer lets this person see, is left out)."""
    ids = [hit.page_id for hit in hits]
    pages = QuestionPage.objects.live().filter(pk__in=ids).filter(access.published_filter(user))
    pages = {page.pk: page for page in pages.select_related("topic", "expert")}
    return [
        {
            "page": pages[hit.page_id],
            "title_html": mark_safe(hit.title_html),  # escaped by the engine, matches in <mark>
            "snippet_html": mark_safe(hit.snippet_html),
        }
        for hit in hits
        if hit.page_id in pages
    ]


def _results(request, query, filters, chosen, number):
    """The context for a page of results: searched as ``request.user`` may see, past-the-end pages shown
    as the last, and a new search (first page, no filters) counted in the log."""
    backend, audience = get_backend(), audience_for(request.user)
    results = backend.search(query, audience=audience, filters=filters, offset=(number - 1) * PAGE_SIZE)
    num_pages = max(1, min(MAX_PAGE, -(-results.total // PAGE_SIZE)))
    if number == 1 and not chosen:
        pagecache.effect(request, "search_logged", query=normalise(query), hits=results.total)
    elif number > num_pages:
        number = num_pages
        results = backend.search(query, audience=audience, filters=filters, offset=(number - 1) * PAGE_SIZE)
    return {
        "results": results,
        "rows": _rows(results.hits, request.user),
        "pages": ResultPage(number=number, num_pages=num_pages),
        "facet_groups": _facet_groups(results, query, chosen),
        "active_filters": _active_filters(results, query, chosen),
        "previous_url": _url(query, chosen, page=number - 1),
        "next_url": _url(query, chosen, page=number + 1),
    }


@pagecache.cached
def search(request):
    pagecache.cacheable(request, params=("q", "page", *(param for param, _field, _title in FILTERS)))
    query = " ".join(request.GET.get("q", "").split())
    filters, chosen, junk_filters = parse_filters(request.GET)
    number = parse_page(request.GET.get("page"))
    context = {"query": query, "results": None, "error": "", "notices": []}
    if junk_filters:
        context["notices"].append("A filter in the address was not understood, so it was left out.")
    if len(query) > MAX_QUERY_LENGTH:
        context["error"] = f"Please shorten your search to at most {MAX_QUERY_LENGTH} characters."
    elif query and not query_words(query):
        context["notices"].append("Type at least one word to search for.")
    elif query:
        if number > MAX_PAGE:
            context["notices"].append(f"Only the first {MAX_PAGE} pages are shown: try more specific words.")
            number = MAX_PAGE
        context.update(_results(request, query, filters, chosen, number))
    context["full_access"] = access.has_subscriber_access(request.user)
    return render(request, "search/search.html", context, status=400 if context["error"] else 200)
