"""Search the knowledge base: only what the person may see, ranked by the configured backend."""

from django.core.paginator import Paginator
from django.shortcuts import render

from qa_site.knowledge.models import QuestionPage
from subscriptions import access

MAX_QUERY_LENGTH = 200
PAGE_SIZE = 10


def search(request):
    query = " ".join(request.GET.get("q", "").split())
    error = ""
    results = None
    if len(query) > MAX_QUERY_LENGTH:
        error = f"Please shorten your search to at most {MAX_QUERY_LENGTH} characters."
    elif query:
        pages = (
            QuestionPage.objects.live().filter(access.published_filter(request.user)).select_related("topic", "expert")
        )
        found = pages.search(query)
        results = Paginator(found, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "search/search.html",
        {"query": query, "results": results, "error": error, "full_access": access.has_subscriber_access(request.user)},
        status=400 if error else 200,
    )
