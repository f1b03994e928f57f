"""Search the knowledge base: only what the person may see, ranked by the configured backend."""

import re

from django.core.paginator import Paginator
from django.shortcuts import render

from qa_site.knowledge.models import QuestionPage
from subscriptions import access

MAX_QUERY_LENGTH = 200
PAGE_SIZE = 10
_WORD = re.compile(r"\w+")


def search_terms(query):
    """The words of a query, without the punctuation full-text engines treat as syntax (quotes, *, :, ( …)."""
    return " ".join(_WORD.findall(query))


def search(request):
    query = " ".join(request.GET.get("q", "").split())
    error = notice = ""
    results = None
    if len(query) > MAX_QUERY_LENGTH:
        error = f"Please shorten your search to at most {MAX_QUERY_LENGTH} characters."
    elif query and not search_terms(query):
        notice = "Type at least one word to search for."
    elif search_terms(query):
        pages = (
            QuestionPage.objects.live().filter(access.published_filter(request.user)).select_related("topic", "expert")
        )
        found = pages.search(search_terms(query))
        results = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "search/search.html",
        {
            "query": query,
            "results": results,
            "error": error,
            "notice": notice,
            "full_access": access.has_subscriber_access(request.user),
        },
        status=400 if error else 200,
    )
