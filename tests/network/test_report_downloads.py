"""The value report's months (``from``, ``to``), its charts as SVG and PNG files, and the report as a PDF."""

import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.utils import timezone
from pypdf import PdfReader

from qa_site.knowledge.models import Question
from qa_site.network import report

from .pages import soup, table_rows, text_of

LONDON = ZoneInfo("Europe/London")
URL = "/network/northshire/report/"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def year(topic, northshire):
    """Northshire's last 12 months: a question asked and answered in time two months ago, nothing in between."""
    starts = report.month_starts()
    asked = dt.datetime.combine(starts[9] + dt.timedelta(days=2), dt.time(10), tzinfo=LONDON)
    Question.objects.create(
        title="Can our trustees be paid?",
        details="Some details.",
        topic=topic,
        network=northshire,
        sla_hours=48,
        status=Question.Status.PUBLISHED,
        submitted_at=asked,
        answered_at=asked + dt.timedelta(days=1),
        working_hours_to_answer=Decimal("6.5"),
        sla_met=True,
    )
    return starts


def figures(response):
    return {figure["data-testid"]: figure for figure in soup(response).select("figure.chart")}


def test_each_chart_shows_one_measure_with_its_table_and_downloads(as_nadia, year):
    response = as_nadia.get(URL)
    shown = figures(response)
    assert list(shown) == ["chart-questions", "chart-sla", "chart-hours", "chart-reading"]
    sla = shown["chart-sla"]
    # The % alone on its axis: the count answered is in the questions chart, not beside it.
    assert sla.select_one("svg > title").get_text() == "Answered within the promised time"
    assert [text.get_text() for text in sla.select(".legends text")] == []
    assert table_rows(response, "chart-sla")[9:] == [
        [f"{year[9]:%b %Y}", "100%"],
        [f"{year[10]:%b %Y}", "–"],
        [f"{year[11]:%b %Y}", "–"],
    ]
    assert [text.get_text() for text in shown["chart-questions"].select(".legends text")] == ["Asked", "Answered"]
    query = f"from={year[0]:%Y-%m}&to={year[11]:%Y-%m}"
    assert [a["href"] for a in sla.select(".chart-downloads a")] == [
        f"?{query}&chart=sla&format=svg",
        f"?{query}&chart=sla&format=png",
    ]
    assert [a["href"] for a in soup(response).select('[data-testid="downloads"] a')] == [
        f"?{query}&export=pdf",
        f"?{query}&export=csv",
    ]


def test_a_chart_downloads_as_png_and_svg(as_nadia, year):
    stem = f"northshire-value-report-{year[0]:%Y-%m}-to-{year[11]:%Y-%m}"
    png = as_nadia.get(URL, {"chart": "sla", "format": "png"})
    svg = as_nadia.get(URL, {"chart": "hours", "format": "svg"})
    assert png["Content-Type"] == "image/png"
    assert png["Content-Disposition"] == f'attachment; filename="{stem}-sla.png"'
    assert png.content[:8] == PNG
    assert len(png.content) > 10_000
    assert svg["Content-Type"] == "image/svg+xml"
    assert svg["Content-Disposition"] == f'attachment; filename="{stem}-hours.svg"'
    assert BeautifulSoup(svg.content, "xml").svg.title.get_text() == "Working hours to answer"


@pytest.mark.parametrize("who", ["anonymous", "walter"])
def test_a_chart_is_not_for_other_networks_admins_or_anonymous_visitors(client, request, year, nadia, who):
    if who == "walter":
        client.force_login(request.getfixturevalue("walter"))
    response = client.get(URL, {"chart": "sla", "format": "png"})
    assert not response.content.startswith(PNG)
    if who == "walter":
        assert response.status_code == 403
        assert "This page is for the network admins of Northshire RCC." in response.content.decode()
    else:
        assert response.status_code == 302
        assert response["Location"].startswith("/accounts/login/")
    client.force_login(nadia)  # the same link, for Northshire's own admin
    assert client.get(URL, {"chart": "sla", "format": "png"}).content.startswith(PNG)


def test_the_report_downloads_as_a_pdf_of_the_same_months(as_nadia, year):
    response = as_nadia.get(URL, {"from": f"{year[8]:%Y-%m}", "to": f"{year[10]:%Y-%m}", "export": "pdf"})
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        f'attachment; filename="northshire-value-report-{year[8]:%Y-%m}-to-{year[10]:%Y-%m}.pdf"'
    )
    assert response.content.startswith(b"%PDF")
    pdf = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join(page.extract_text().split()) for page in pdf.pages)
    end = (year[10].replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    assert text.startswith(
        f"Northshire RCC Value report: what the members got from the subscription, {year[8]:%B %Y} to "
        f"{end:%B %Y}, by month (UK time). Generated on "
    )
    assert "Answered within the promised time" in text
    assert f"{year[9]:%b %Y} 1 1 6.5 6.5 100.0% 0 0 0" in text  # the month-by-month table
    assert "Total, 3 months 1 1 6.5 6.5 100.0% 0 0 0" in text


def test_chosen_months_are_reported(as_nadia, year):
    response = as_nadia.get(URL, {"from": f"{year[9]:%Y-%m}", "to": f"{year[10]:%Y-%m}"})
    assert response.status_code == 200
    assert [row[0] for row in table_rows(response, "report")] == [f"{year[9]:%b %Y}", f"{year[10]:%b %Y}"]
    assert table_rows(response, "report", part="tfoot") == [
        ["Total, 2 months", "1", "1", "6.5", "6.5", "100.0%", "0", "0", "0"]
    ]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"from": "last spring"}, "Write the months as year and month, for example 2025-04."),
        ({"from": "2025-13"}, "Write the months as year and month, for example 2025-04."),
        ({"to": "2025-04-31"}, "Write the months as year and month, for example 2025-04."),
        ({"from": "2025-06", "to": "2025-03"}, "The first month must not be after the last month."),
        ({"from": "2020-01", "to": "2025-01"}, "Choose at most 36 months: from and to are 61 months apart."),
        ({"from": "1999-12", "to": "2000-02"}, "The report starts in January 2000 at the earliest."),
        ({"from": "2025-01", "to": "9999-01"}, None),  # the latest month named in the message
    ],
)
@pytest.mark.parametrize("export", ["", "pdf", "csv"])
def test_months_that_are_not_right_get_a_message_and_no_report(as_nadia, northshire, query, message, export):
    response = as_nadia.get(URL, {**query, "export": export})
    this_month = timezone.localdate().replace(day=1)
    expected = message or f"The report can end in {this_month:%B %Y} at the latest: later months have no figures yet."
    assert response.status_code == 400
    assert response["Content-Type"] == "text/html; charset=utf-8"
    assert text_of(response, "period-error") == f"There is a problem with the months {expected}"
    assert soup(response).select('[data-testid="report"]') == []


def test_an_unknown_export_or_chart_gets_a_message(as_nadia, year):
    export = as_nadia.get(URL, {"export": "xlsx"})
    chart = as_nadia.get(URL, {"chart": "pie", "format": "png"})
    assert export.status_code == 400
    assert text_of(export, "bad-request") == (
        "Something in the link is not right The value report downloads as csv or pdf: choose export=csv or "
        "export=pdf. Go back to the page"
    )
    assert chart.status_code == 400
    assert text_of(chart, "bad-request") == (
        "Something in the link is not right This page has no chart called “pie”. Its charts: questions, sla, hours, "
        "reading. Go back to the page"
    )
