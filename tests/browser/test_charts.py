"""The value report's charts in a real browser: readable text, their numbers a click away, a PNG to download, and
nothing wider than a phone's screen; axe-core finds no serious or critical problem."""

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from qa_site.knowledge.models import Question
from qa_site.network import report
from tests.browser.harness import DESKTOP, VIEWPORTS, sign_in, visit

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def answered_year(topic, northshire):
    """An answer in time in each of the last twelve months but two."""
    for i, start in enumerate(report.month_starts()):
        if i in (4, 5):
            continue
        asked = dt.datetime.combine(start + dt.timedelta(days=2), dt.time(10), tzinfo=LONDON)
        Question.objects.create(
            title=f"Question {i}",
            details="Some details.",
            topic=topic,
            network=northshire,
            sla_hours=48,
            status=Question.Status.PUBLISHED,
            submitted_at=asked,
            answered_at=asked + dt.timedelta(hours=5),
            working_hours_to_answer=Decimal(i + 2),
            sla_met=i % 3 != 0,
        )


@pytest.mark.browser
@VIEWPORTS
def test_the_value_reports_charts_read_at_their_size_and_give_their_numbers(new_page, nadia, answered_year, viewport):
    page = new_page(viewport)
    sign_in(page, nadia)
    visit(page, "/network/northshire/report/")  # axe-core, and no sideways scroll on a phone
    figures = page.locator("figure.chart")
    expect(figures).to_have_count(4)
    # The smallest text of every chart, as drawn on this screen, is at least 12 px.
    smallest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('figure.chart svg')].flatMap((svg) => {
            const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
            return [...svg.querySelectorAll('text')].filter((t) => t.getBBox().width > 0)
                .map((t) => parseFloat(getComputedStyle(t).fontSize) * scale);
        }))"""
    )
    assert smallest >= 12
    sla = page.locator('[data-testid="chart-sla"]')
    sla.get_by_text("The numbers in this chart").click()
    expect(sla.locator("table caption")).to_have_text("Answered within the promised time")
    expect(sla.locator("tbody tr")).to_have_count(12)
    if viewport == DESKTOP:
        with page.expect_download() as download:
            sla.get_by_role("link", name="PNG").click()
        assert download.value.suggested_filename.endswith("-sla.png")
        with open(download.value.path(), "rb") as png:
            assert png.read(8) == b"\x89PNG\r\n\x1a\n"
