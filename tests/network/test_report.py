"""The value report: questions, answering times, SLA and usage by London month for the last 12 months."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from qa_site.knowledge.models import Question
from qa_site.network import report
from subscriptions.models import UsageCount

from .pages import csv_rows, soup, table_rows, text_of

LONDON = ZoneInfo("Europe/London")
URL = "/network/northshire/report/"


def at(day, hour=12, minute=0):
    return dt.datetime(day.year, day.month, day.day, hour, minute, tzinfo=LONDON)


def question(topic, network, *, submitted, answered=None, hours=None, met=None):
    return Question.objects.create(
        title="A question",
        details="Some details.",
        topic=topic,
        network=network,
        sla_hours=48,
        status=Question.Status.PUBLISHED if answered else Question.Status.ASSIGNED,
        submitted_at=submitted,
        answered_at=answered,
        working_hours_to_answer=None if hours is None else Decimal(str(hours)),
        sla_met=met,
    )


def usage(network, day, kind, count):
    UsageCount.objects.create(network=network, day=day, kind=kind, count=count)


def bst_boundary(starts):
    """An index k such that months k and k+1 are both in the report and London is on summer time at their
    boundary (so London's midnight is 23:00 UTC the day before)."""
    for k in range(len(starts) - 1):
        if at(starts[k + 1], 0).utcoffset() == dt.timedelta(hours=1):
            return k
    raise AssertionError("every 12 months include a summer-time month boundary")


@pytest.fixture
def history(topic, northshire, westvale):
    """A known year for Northshire (and noise that must not count: other networks, older months, other kinds)."""
    starts = report.month_starts()
    m = starts  # m[11] is this month, m[0] eleven months ago
    expected = {start: {"asked": 0} for start in starts}

    # This month: two asked, not answered yet.
    question(topic, northshire, submitted=at(m[11], 9))
    question(topic, northshire, submitted=at(m[11], 10))
    expected[m[11]]["asked"] += 2
    # Last month: three asked and answered, in 10, 20 and 40 working hours; two within the promise.
    for hours, met in ((20, True), (40, False), (10, True)):
        question(
            topic, northshire, submitted=at(m[10], 9), answered=at(m[10] + dt.timedelta(days=3)), hours=hours, met=met
        )
    expected[m[10]]["asked"] += 3
    # Asked in one month, answered in the next, in 7.5 hours.
    question(topic, northshire, submitted=at(m[7] + dt.timedelta(days=27)), answered=at(m[8], 15), hours=7.5, met=True)
    expected[m[7]]["asked"] += 1
    # London's months, not UTC's: 00:30 on the 1st in summer is 23:30 UTC the day before.
    k = bst_boundary(starts)
    question(topic, northshire, submitted=at(starts[k + 1], 0, 30))
    question(topic, northshire, submitted=at(starts[k + 1], 0) - dt.timedelta(minutes=30))
    expected[starts[k + 1]]["asked"] += 1
    expected[starts[k]]["asked"] += 1
    # Older than the report, or another network's: never counted.
    before = m[0] - dt.timedelta(days=1)
    question(topic, northshire, submitted=at(before, 23, 59), answered=at(before, 23, 59), hours=1, met=False)
    question(topic, westvale, submitted=at(m[10]), answered=at(m[10]), hours=99, met=False)

    usage(northshire, m[11], "answer_read", 5)
    usage(northshire, m[11] + dt.timedelta(days=1), "answer_read", 7)
    usage(northshire, m[3] + dt.timedelta(days=20), "answer_read", 4)
    usage(northshire, m[10], "deflection", 2)
    usage(northshire, m[10] + dt.timedelta(days=1), "widget_view", 30)
    usage(northshire, m[10], "widget_click", 99)
    usage(northshire, before, "answer_read", 50)
    usage(westvale, m[11], "answer_read", 1000)
    return starts, expected, k


def test_the_report_counts_a_known_year(as_nadia, history):
    starts, expected, k = history
    m = starts
    response = as_nadia.get(URL)
    assert response.status_code == 200

    def row(start, answered="0", median="–", p90="–", met="–", reads="0", saved="0", views="0"):
        return [f"{start:%b %Y}", str(expected[start]["asked"]), answered, median, p90, met, reads, saved, views]

    rows = {start: row(start) for start in starts}
    rows[m[11]] = row(m[11], reads="12")
    rows[m[10]] = row(m[10], "3", "20.0", "36.0", "66.7%", saved="2", views="30")
    rows[m[8]] = row(m[8], "1", "7.5", "7.5", "100.0%")
    rows[m[3]] = row(m[3], reads="4")
    assert table_rows(response, "report") == [rows[start] for start in starts]
    assert table_rows(response, "report", part="tfoot") == [
        ["Total, 12 months", "8", "4", "15.0", "34.0", "75.0%", "16", "2", "30"]
    ]
    assert sum(expected[start]["asked"] for start in starts) == 8
    assert text_of(response, "totals") == (
        "8 questions asked 4 questions answered 75.0% answered within the promised time "
        "15.0 median working hours to answer 16 answers read by members"
    )
    assert text_of(response, "note") == (
        "Working hours to answer and SLA met count the questions answered in each month. A question is saved when a "
        "member, while writing a question, opens a similar answer instead (once per person, answer and day). Widget "
        "views count each time a member's website shows your widget; they reach this report within five minutes."
    )
    # Charts of the same numbers, one measure each: counts as bars, SLA met and hours as lines.
    titles = [svg.select_one("title").get_text() for svg in soup(response).select("figure.chart svg")]
    assert titles == [
        "Questions asked and answered",
        "Answered within the promised time",
        "Working hours to answer",
        "Answers read, and questions saved, by your members",
        "Widget views on your members' websites",
    ]
    assert "<script" not in response.content.decode().split("<main", 1)[1]


def test_the_report_as_csv(as_nadia, history):
    starts, expected, _ = history
    m = starts
    response = as_nadia.get(URL + "?export=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="northshire-value-report-{m[0]:%Y-%m}-to-{m[11]:%Y-%m}.csv"'
    )
    rows = csv_rows(response)
    assert rows[0] == [
        "Month",
        "Questions asked",
        "Answered",
        "Median working hours to answer",
        "90th percentile working hours to answer",
        "SLA met %",
        "Answers read by members",
        "Similar answers that saved a question",
        "Widget views",
    ]
    by_month = {row[0]: row[1:] for row in rows[1:]}
    assert list(by_month) == [f"{start:%Y-%m}" for start in starts] + ["Total"]
    assert by_month[f"{m[10]:%Y-%m}"] == ["3", "3", "20.0", "36.0", "66.7", "0", "2", "30"]
    assert by_month[f"{m[8]:%Y-%m}"] == [str(expected[m[8]]["asked"]), "1", "7.5", "7.5", "100.0", "0", "0", "0"]
    assert by_month[f"{m[11]:%Y-%m}"] == ["2", "0", "", "", "", "12", "0", "0"]
    assert by_month["Total"] == ["8", "4", "15.0", "34.0", "75.0", "16", "2", "30"]
    # The total row adds up the months.
    for column in (0, 1, 5, 6, 7):
        assert sum(int(values[column]) for month, values in by_month.items() if month != "Total") == int(
            by_month["Total"][column]
        )


def test_the_dashboard_sums_up_the_year(as_nadia, history):
    response = as_nadia.get("/network/northshire/")
    assert text_of(response, "summary") == (
        "The last 12 months 8 questions asked 75.0% answered within the promised time 15.0 median working hours to "
        "answer 16 answers read by members The value report, month by month · Invoices"
    )


def test_a_quiet_year_has_a_table_of_noughts_and_no_charts(as_nadia, northshire):
    response = as_nadia.get(URL)
    assert response.status_code == 200
    assert soup(response).select("figure.chart") == []
    assert "Nothing to chart yet: no questions asked or answers read in these months." in response.content.decode()
    assert len(table_rows(response, "report")) == 12
    assert table_rows(response, "report", part="tfoot") == [
        ["Total, 12 months", "0", "0", "–", "–", "–", "0", "0", "0"]
    ]


@pytest.mark.parametrize(
    ("values", "p", "result"),
    [
        ([], 50, None),
        ([5], 50, 5.0),
        ([5], 90, 5.0),
        ([1, 2, 3, 4], 50, 2.5),
        ([1, 2, 3, 4], 90, 3.7),
        ([40, 10, 20], 50, 20.0),
        ([40, 10, 20], 90, 36.0),
        ([1.25, 1.25], 90, 1.2),  # rounded to one place, half to even as round() does
    ],
)
def test_percentiles_interpolate_between_ranks(values, p, result):
    assert report.percentile(values, p) == result


def test_months_are_the_last_twelve_including_this_one():
    assert report.month_starts(dt.date(2025, 3, 31)) == [
        dt.date(2024, 4, 1),
        dt.date(2024, 5, 1),
        dt.date(2024, 6, 1),
        dt.date(2024, 7, 1),
        dt.date(2024, 8, 1),
        dt.date(2024, 9, 1),
        dt.date(2024, 10, 1),
        dt.date(2024, 11, 1),
        dt.date(2024, 12, 1),
        dt.date(2025, 1, 1),
        dt.date(2025, 2, 1),
        dt.date(2025, 3, 1),
    ]


def _grow(topic, network, starts, n):
    for i in range(n):
        start = starts[i % len(starts)]
        question(
            topic,
            network,
            submitted=at(start, 9),
            answered=at(start + dt.timedelta(days=1)),
            hours=i + 1,
            met=i % 3 != 0,
        )
    UsageCount.objects.bulk_create(
        (
            UsageCount(network=network, day=start + dt.timedelta(days=d), kind=kind, count=d + 1)
            for start in starts
            for d in range(5)
            for kind in ("answer_read", "deflection", "widget_view")
        ),
        ignore_conflicts=True,
    )


def test_the_report_takes_three_queries_however_much_there_is(topic, northshire, django_assert_num_queries):
    starts = report.month_starts()
    with django_assert_num_queries(3):
        report.value_report(northshire)
    _grow(topic, northshire, starts, 60)
    with django_assert_num_queries(3):
        result = report.value_report(northshire)
    assert result.total.answered == 60
    assert result.total.asked == 60


def test_the_report_page_and_csv_take_the_same_queries_as_data_grows(as_nadia, topic, northshire):
    starts = report.month_starts()
    _grow(topic, northshire, starts[:2], 2)
    as_nadia.get("/network/northshire/")  # a process reads a session's user with it once it knows whose it is
    counts = []
    for _ in range(2):
        for url in (URL, URL + "?export=csv", "/network/northshire/"):
            with CaptureQueriesContext(connection) as queries:
                assert as_nadia.get(url).status_code == 200
            counts.append(len(queries))
        _grow(topic, northshire, starts, 120)
    assert counts[:3] == counts[3:]
