"""The coordinators' search gap report: what people searched for and did not find."""

from django.utils import timezone

from qa_site import charts
from qa_site.exports import csv_response
from qa_site.knowledge.admin_views import CoordinatorView

from .models import SearchQueryLog

REPORT_ROWS = 200
CHART_ROWS = 15


def gaps():
    """Queries whose last search found nothing, most often searched first."""
    return SearchQueryLog.objects.filter(zero_results=True).order_by("-count", "-last_searched_at", "query")


def gaps_csv():
    rows = (
        [query, count, timezone.localtime(last).isoformat(timespec="minutes")]
        for query, count, last in gaps().values_list("query", "count", "last_searched_at").iterator()
    )
    return csv_response(
        f"search-gaps-{timezone.localdate().isoformat()}.csv", ["Query", "Times searched", "Last searched"], rows
    )


class SearchGapsView(CoordinatorView):
    page_title = "Searches that found nothing"
    header_icon = "search"
    template_name = "search/admin/gaps.html"

    def get(self, request, *args, **kwargs):
        if request.GET.get("export") == "csv":
            return gaps_csv()
        return super().get(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        rows = list(gaps()[:REPORT_ROWS])
        context["rows"] = rows
        context["gap_count"] = gaps().count() if len(rows) == REPORT_ROWS else len(rows)
        top = rows[:CHART_ROWS]
        if top:
            context["chart"] = charts.bar(
                title="Most searched, found nothing",
                labels=[row.query for row in top],
                series={"Times searched": [row.count for row in top]},
            )
        return context
