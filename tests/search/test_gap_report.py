"""The coordinators' search gap report: what people looked for and did not find, with a chart and a CSV."""

import csv
import io

import pytest
from django.utils import timezone

from search import querylog
from search.models import SearchQueryLog

GAPS = "/admin/search/gaps/"


@pytest.fixture
def searches(db):
    for query, times in (("minibus permits", 3), ("=cmd|' /c calc'!a0", 1), ("zebra crossings", 5)):
        for _ in range(times):
            querylog.record(query, 0)
    querylog.record("volunteer expenses", 12)  # found answers: not a gap
    querylog.record("mileage", 0)
    querylog.record("mileage", 4)  # found answers the last time: no longer a gap
    querylog.flush()


def test_coordinators_see_the_gaps_most_searched_first_with_a_chart(client, colin, searches):
    client.force_login(colin)
    response = client.get(GAPS)
    assert response.status_code == 200
    body = response.content.decode()
    table = body.split('id="search-gaps"')[1]
    assert table.index("zebra crossings") < table.index("minibus permits") < table.index("calc")
    assert "volunteer expenses" not in table
    assert "mileage" not in table
    assert '<strong id="gap-count">3</strong> queries found nothing' in body
    assert "<svg" in body
    assert "Most searched, found nothing" in body
    assert "<script" not in body.split("<svg")[1].split("</svg>")[0]


def test_the_gap_report_has_a_csv_with_formulas_defused(client, colin, searches):
    client.force_login(colin)
    response = client.get(GAPS, {"export": "csv"})
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="search-gaps-')
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Query", "Times searched", "Last searched"]
    assert [(row[0], row[1]) for row in rows[1:]] == [
        ("zebra crossings", "5"),
        ("minibus permits", "3"),
        ("'=cmd|' /c calc'!a0", "1"),
    ]
    last = SearchQueryLog.objects.get(query="zebra crossings").last_searched_at
    assert rows[1][2] == timezone.localtime(last).isoformat(timespec="minutes")


def test_an_empty_log_says_so(client, colin):
    client.force_login(colin)
    assert "No search has come back empty yet." in client.get(GAPS).content.decode()


def test_only_coordinators_may_see_the_gap_report(client, alice, searches):
    assert client.get(GAPS).status_code == 302  # to sign in
    client.force_login(alice)
    response = client.get(GAPS)
    assert response.status_code in (302, 403)
    assert "zebra crossings" not in response.content.decode()
    assert "zebra" not in client.get(GAPS, {"export": "csv"}).content.decode()


def test_the_report_is_in_the_reports_menu_for_coordinators(client, colin):
    client.force_login(colin)
    body = client.get("/admin/").content.decode()
    assert '"Search gaps"' in body
    assert "/admin/search/gaps/" in body
