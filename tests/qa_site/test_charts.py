"""Charts people can read: one measure each, gaps for nothing to measure, a title and description, a table of
the same numbers, and files to download (SVG, PNG)."""

import re

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import AnonymousUser
from django.template import Context, Template
from django.test import RequestFactory

from qa_site import charts

MONTHS = ["Jan 2026", "Feb 2026", "Mar 2026", "Apr 2026"]


def sla_chart(**extra):
    return charts.Chart(
        name="sla",
        title="Answered within the promised time",
        labels=MONTHS,
        series={"Within the promised time": [50.0, None, 75.0, 100.0]},
        kind="line",
        percent=True,
        unit="%",
        label_heading="Month",
        **extra,
    )


def svg_of(markup):
    return BeautifulSoup(str(markup), "html.parser").select_one("svg")


def test_a_chart_svg_has_a_title_and_description_named_for_assistive_technology():
    svg = svg_of(sla_chart().svg())
    title, desc = svg.find("title", recursive=False), svg.find("desc", recursive=False)
    assert svg["role"] == "img"
    assert svg["aria-labelledby"] == f"{title['id']} {desc['id']}"
    assert title.get_text() == "Answered within the promised time"
    assert desc.get_text() == (
        "Line chart of Within the promised time (%), by month, Jan 2026 to Apr 2026. Gaps mark where there was "
        "nothing to measure (– in the table). The table of the same numbers gives every value."
    )


def test_a_line_breaks_where_there_is_nothing_to_measure():
    labels = [*MONTHS, "May 2026"]

    def line(values):
        return svg_of(charts.Chart(name="sla", title="t", labels=labels, series={"s": values}, kind="line").svg())

    with_gap, without_gap = line([50.0, 60.0, None, 75.0, 100.0]), line([50.0, 60.0, 70.0, 75.0, 100.0])
    # One stroke per run of values: Jan–Feb, Apr–May. Without the gap, one stroke through all five.
    assert len(with_gap.select("path.line.reactive.nofill")) == 2
    assert len(without_gap.select("path.line.reactive.nofill")) == 1


def test_text_is_at_least_twelve_pixels_at_the_narrowest_width_shown():
    svg = str(sla_chart().svg())
    width = float(re.search(r'viewBox="0 0 ([\d.]+) ', svg)[1])
    sizes = {float(size) for size in re.findall(r"font-size:([\d.]+)px", svg)}
    smallest = min(sizes)
    assert width == charts.WIDTH
    assert smallest * charts.MIN_DISPLAY_WIDTH / width >= 12


def test_the_table_shows_each_value_and_a_dash_for_a_gap():
    assert sla_chart().rows == [
        ("Jan 2026", ["50%"]),
        ("Feb 2026", ["–"]),
        ("Mar 2026", ["75%"]),
        ("Apr 2026", ["100%"]),
    ]


def test_counts_have_whole_number_steps():
    chart = charts.Chart(name="asked", title="Asked", labels=MONTHS, series={"Asked": [0, 1, 3, 0]})
    labels = [text.get_text() for text in svg_of(chart.svg()).select("g.axis.y text")]
    assert labels == ["0", "1", "2", "3", "4"]


def test_the_figure_pairs_the_chart_with_its_table_and_download_links():
    request = RequestFactory().get("/network/northshire/report/", {"from": "2026-01", "to": "2026-04"})
    request.csp_nonce = "n0nce"
    html = Template("{% load charts %}{% chart_figure chart %}").render(
        Context({"chart": sla_chart(), "request": request})
    )
    figure = BeautifulSoup(html, "html.parser").select_one("figure.chart")
    table = figure.select_one("details table")
    assert figure.select_one("svg style")["nonce"] == "n0nce"
    assert table.caption.get_text() == "Answered within the promised time"
    assert [th.get_text() for th in table.select("thead th")] == ["Month", "Within the promised time"]
    assert [[cell.get_text() for cell in row.select("th, td")] for row in table.select("tbody tr")] == [
        ["Jan 2026", "50%"],
        ["Feb 2026", "–"],
        ["Mar 2026", "75%"],
        ["Apr 2026", "100%"],
    ]
    assert [(a.get_text(), a["href"]) for a in figure.select(".chart-downloads a")] == [
        ("SVG of “Answered within the promised time”", "?from=2026-01&to=2026-04&chart=sla&format=svg"),
        ("PNG of “Answered within the promised time”", "?from=2026-01&to=2026-04&chart=sla&format=png"),
    ]


def test_the_svg_file_stands_alone_on_white():
    data = sla_chart().svg_file()
    assert data.startswith(b"<?xml")
    assert b'width="640"' in data
    assert b"background-color:#ffffff" in data


def test_the_png_is_a_picture():
    data = sla_chart().png()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (charts.WIDTH * charts.PNG_SCALE, charts.HEIGHT * charts.PNG_SCALE)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"chart": "nope", "format": "png"}, "This page has no chart called “nope”. Its charts: sla."),
        ({"chart": "sla", "format": "gif"}, "Charts download as svg or png: choose format=svg or format=png."),
        ({"chart": "sla"}, "Charts download as svg or png: choose format=svg or format=png."),
    ],
)
@pytest.mark.django_db
def test_a_download_link_that_is_not_right_says_why(rf, query, message):
    request = rf.get("/somewhere/", query)
    request.user = AnonymousUser()
    response = charts.download(request, [sla_chart()], "stem")
    page = BeautifulSoup(response.content, "html.parser")
    assert response.status_code == 400
    assert page.select_one('[data-testid="bad-request"] p').get_text() == message


def test_no_download_asked_for_is_none(rf):
    assert charts.download(rf.get("/somewhere/", {"from": "2026-01"}), [sla_chart()], "stem") is None
