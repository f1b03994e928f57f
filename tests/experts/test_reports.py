"""Reports for coordinators: SLA compliance for a date range, and expert fees for finance."""

import csv
import datetime as dt
import io
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from openpyxl import load_workbook

from experts import reports, stats
from experts.models import FeeRate
from qa_site.knowledge.models import Question
from tests.factories import NetworkFactory, UserFactory, make_expert, make_topic

Status = Question.Status
LONDON = ZoneInfo("Europe/London")
COMPLIANCE = "/admin/experts/reports/sla-compliance/"
FEES = "/admin/experts/reports/fees/"


def london(*args):
    return dt.datetime(*args, tzinfo=LONDON)


def expert(topic, first_name, last_name):
    return make_expert(
        topics=[topic],
        user=UserFactory(first_name=first_name, last_name=last_name, email=f"{first_name.lower()}@example.test"),
    ).user


def answered(assignee, *, topic, network, at, met, hours, status=Status.PUBLISHED, title="An answered question"):
    return Question.objects.create(
        title=title,
        details="Details of the question, long enough to read.",
        topic=topic,
        network=network,
        status=status,
        assignee=assignee,
        sla_hours=48,
        submitted_at=at - dt.timedelta(days=5),
        answered_at=at,
        published_at=at if status == Status.PUBLISHED else None,
        sla_met=met,
        working_hours_to_answer=Decimal(hours),
        sla_running=False,
    )


def page_messages(response):
    return [str(message) for message in response.context["messages"]]


def table(response, grouping):
    page = BeautifulSoup(response.content, "html.parser")
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all("td")]
        for row in page.select(f"section#by-{grouping} table.listing tbody tr")
    ]


def csv_rows(response):
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    return list(csv.reader(io.StringIO(response.content.decode())))


@pytest.fixture
def coordinator(client, colin):
    client.force_login(colin)
    return client


# --- SLA compliance -----------------------------------------------------------------------------------------------

JUNE = "?from=2026-06-01&to=2026-06-14"  # two London weeks in summer time (UTC+1)


@pytest.fixture
def known(topic, other_topic, northshire, westvale):
    """Five answers in the first fortnight of June 2026 (London), and some that must not count."""
    erin = expert(topic, "Erin", "Evans")
    sam = expert(topic, "Sam", "Shaw")
    law, transport = topic, other_topic
    answered(erin, topic=law, network=northshire, at=london(2026, 6, 1, 9), met=True, hours="10.00")
    answered(erin, topic=law, network=westvale, at=london(2026, 6, 3, 12), met=True, hours="20.00")
    answered(erin, topic=transport, network=northshire, at=london(2026, 6, 8, 10), met=False, hours="50.00")
    answered(sam, topic=law, network=northshire, at=london(2026, 6, 9, 15), met=True, hours="30.00")
    # 23:30 on Sunday 14 June in London is 22:30 UTC: inside the range and the week of 8 June.
    answered(
        sam,
        topic=transport,
        network=westvale,
        at=london(2026, 6, 14, 23, 30),
        met=False,
        hours="60.00",
        status="answered",
    )
    # Outside in London terms (though 15 June 00:30 London is still 14 June in UTC).
    answered(erin, topic=law, network=northshire, at=london(2026, 5, 31, 23, 30), met=False, hours="99.00")
    answered(sam, topic=law, network=northshire, at=london(2026, 6, 15, 0, 30), met=False, hours="99.00")
    # Inside the range but not timed (an answer returned to the expert): not counted.
    Question.objects.create(
        title="Returned answer",
        details="Details.",
        topic=law,
        network=northshire,
        status=Status.ASSIGNED,
        assignee=erin,
        sla_hours=48,
        answered_at=None,
        sla_met=None,
    )
    return {"erin": erin, "sam": sam}


def test_compliance_tables_for_a_known_set_of_answers(coordinator, known):
    response = coordinator.get(COMPLIANCE + JUNE)
    assert response.status_code == 200
    assert page_messages(response) == []
    page = BeautifulSoup(response.content, "html.parser")
    assert (page.select_one("#from")["value"], page.select_one("#to")["value"]) == ("2026-06-01", "2026-06-14")
    totals = [page.select_one(f"#total-{name}").get_text() for name in ("answered", "met", "met-percent")]
    assert totals == ["5", "3", "60.0%"]
    assert table(response, "week") == [
        ["w/c 1 Jun 2026", "2", "2", "100.0%", "15.0"],
        ["w/c 8 Jun 2026", "3", "1", "33.3%", "50.0"],
    ]
    assert table(response, "expert") == [
        ["Erin Evans erin@example.test", "3", "2", "66.7%", "20.0"],
        ["Sam Shaw sam@example.test", "2", "1", "50.0%", "45.0"],
    ]
    assert table(response, "topic") == [
        ["Charity law", "3", "3", "100.0%", "20.0"],
        ["Rural transport", "2", "0", "0.0%", "55.0"],
    ]
    assert table(response, "network") == [
        ["Northshire RCC", "3", "2", "66.7%", "30.0"],
        ["Westvale CVS", "2", "1", "50.0%", "40.0"],
    ]
    for grouping in ("week", "expert", "topic", "network"):
        section = page.select_one(f"section#by-{grouping}")
        assert section.select_one("svg") is not None, grouping
        assert section.select_one("script") is None
        link = section.select_one("a[download]")["href"]
        assert link == f"?from=2026-06-01&to=2026-06-14&export={grouping}"


def test_compliance_chart_labels_carry_the_counts(coordinator, known):
    page = BeautifulSoup(coordinator.get(COMPLIANCE + JUNE).content, "html.parser")
    labels = [text.get_text() for text in page.select("section#by-expert svg text")]
    assert "Erin Evans (2/3)" in labels
    assert "Sam Shaw (1/2)" in labels


def test_compliance_by_week_charts_the_percent_and_the_count_apart_with_gaps(coordinator, known, topic, northshire):
    answered(known["erin"], topic=topic, network=northshire, at=london(2026, 6, 29, 10), met=True, hours="5.00")
    page = BeautifulSoup(coordinator.get(COMPLIANCE + "?from=2026-06-01&to=2026-07-05").content, "html.parser")
    figures = page.select("section#by-week figure.chart")
    titles = [figure.select_one("svg > title").get_text() for figure in figures]
    rows = [
        [[cell.get_text() for cell in row.select("th, td")] for row in figure.select("details tbody tr")]
        for figure in figures
    ]
    assert titles == ["SLA met by week", "Questions answered by week"]
    # The week of 22 June had no answers: no % (a gap in the line), and a count of 0.
    assert rows == [
        [["1 Jun", "100%"], ["8 Jun", "33.3%"], ["15 Jun", "0%"], ["22 Jun", "–"], ["29 Jun", "100%"]],
        [["1 Jun", "2"], ["8 Jun", "3"], ["15 Jun", "1"], ["22 Jun", "0"], ["29 Jun", "1"]],
    ]
    # One stroke through 1, 8 and 15 June (three points), and 29 June a lone dot: never a line across 22 June.
    strokes = figures[0].select("path.line.reactive.nofill")
    assert len(strokes) == 1
    assert len(strokes[0]["d"].replace("M", " ").replace("L", " ").split()) == 3 * 2


def test_a_compliance_chart_downloads_as_png_for_coordinators_only(client, coordinator, known, nadia):
    query = "?from=2026-06-01&to=2026-06-14&chart=week-sla&format=png"
    png = coordinator.get(COMPLIANCE + query)
    client.force_login(nadia)
    refused = client.get(COMPLIANCE + query)
    assert png["Content-Disposition"] == 'attachment; filename="sla-compliance-2026-06-01-to-2026-06-14-week-sla.png"'
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert refused.status_code in (302, 403)
    assert not refused.content.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("grouping", "expected"),
    [
        (
            "week",
            [
                ["Week commencing", "Answered", "Met", "Met %", "Median working hours"],
                ["2026-06-01", "2", "2", "100.0", "15.0"],
                ["2026-06-08", "3", "1", "33.3", "50.0"],
            ],
        ),
        (
            "expert",
            [
                ["Expert", "Email", "Answered", "Met", "Met %", "Median working hours"],
                ["Erin Evans", "erin@example.test", "3", "2", "66.7", "20.0"],
                ["Sam Shaw", "sam@example.test", "2", "1", "50.0", "45.0"],
            ],
        ),
        (
            "topic",
            [
                ["Topic", "Answered", "Met", "Met %", "Median working hours"],
                ["Charity law", "3", "3", "100.0", "20.0"],
                ["Rural transport", "2", "0", "0.0", "55.0"],
            ],
        ),
        (
            "network",
            [
                ["Network", "Answered", "Met", "Met %", "Median working hours"],
                ["Northshire RCC", "3", "2", "66.7", "30.0"],
                ["Westvale CVS", "2", "1", "50.0", "40.0"],
            ],
        ),
    ],
)
def test_compliance_csv_for_each_grouping(coordinator, known, grouping, expected):
    response = coordinator.get(COMPLIANCE + JUNE + f"&export={grouping}")
    assert response["Content-Disposition"] == (
        f'attachment; filename="sla-compliance-by-{grouping}-2026-06-01-to-2026-06-14.csv"'
    )
    assert csv_rows(response) == expected


def test_compliance_weeks_without_answers_are_listed_with_zero(coordinator, known):
    response = coordinator.get(COMPLIANCE + "?from=2026-05-25&to=2026-06-28")
    assert table(response, "week") == [
        ["w/c 25 May 2026", "1", "0", "0.0%", "99.0"],
        ["w/c 1 Jun 2026", "2", "2", "100.0%", "15.0"],
        ["w/c 8 Jun 2026", "3", "1", "33.3%", "50.0"],
        ["w/c 15 Jun 2026", "1", "0", "0.0%", "99.0"],
        ["w/c 22 Jun 2026", "0", "0", "—", "—"],
    ]
    rows = csv_rows(coordinator.get(COMPLIANCE + "?from=2026-05-25&to=2026-06-28&export=week"))
    assert rows[-1] == ["2026-06-22", "0", "0", "", ""]


def test_compliance_date_range_is_inclusive_in_london_days(coordinator, known):
    one_day = table(coordinator.get(COMPLIANCE + "?from=2026-06-14&to=2026-06-14"), "expert")
    assert one_day == [["Sam Shaw sam@example.test", "1", "0", "0.0%", "60.0"]]
    nothing = coordinator.get(COMPLIANCE + "?from=2026-07-01&to=2026-07-31")
    assert table(nothing, "expert") == []
    assert "No questions were answered in this period." in nothing.content.decode()
    assert BeautifulSoup(nothing.content, "html.parser").select_one("section#by-topic svg") is None


def test_compliance_defaults_to_the_last_26_weeks(coordinator, topic, northshire):
    erin = expert(topic, "Erin", "Evans")
    default = reports.default_range()
    this_monday = default.end - dt.timedelta(days=default.end.weekday())
    assert (default.start, default.end) == (this_monday - dt.timedelta(weeks=25), timezone.localdate())
    first_day = dt.datetime.combine(default.start, dt.time(0, 30), tzinfo=LONDON)
    answered(erin, topic=topic, network=northshire, at=timezone.now(), met=True, hours="7.00")
    answered(erin, topic=topic, network=northshire, at=first_day, met=False, hours="60.00")
    answered(erin, topic=topic, network=northshire, at=first_day - dt.timedelta(hours=1), met=False, hours="99.00")
    response = coordinator.get(COMPLIANCE)
    page = BeautifulSoup(response.content, "html.parser")
    assert (page.select_one("#from")["value"], page.select_one("#to")["value"]) == (
        default.start.isoformat(),
        default.end.isoformat(),
    )
    weeks = table(response, "week")
    assert len(weeks) == 26
    assert weeks[0][1:] == ["1", "0", "0.0%", "60.0"]
    assert table(response, "expert") == [["Erin Evans erin@example.test", "2", "1", "50.0%", "33.5"]]


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?from=junk", "Dates must be real dates written as YYYY-MM-DD: showing the last 26 weeks instead."),
        (
            "?from=2026-02-30&to=2026-03-10",
            "Dates must be real dates written as YYYY-MM-DD: showing the last 26 weeks instead.",
        ),
        (
            "?from=2026-01-01&to=99999-01-01",
            "Dates must be real dates written as YYYY-MM-DD: showing the last 26 weeks instead.",
        ),
        (
            "?from=0001-01-01&to=2026-01-01",
            "Dates must be real dates written as YYYY-MM-DD: showing the last 26 weeks instead.",
        ),
        (
            "?from=2999-12-31&to=9999-12-31",
            "Dates must be real dates written as YYYY-MM-DD: showing the last 26 weeks instead.",
        ),
        ("?from=%00&to=<script>", "Dates must be real dates written as YYYY-MM-DD: showing the last 26 weeks instead."),
        ("?from=2026-06-14&to=2026-06-01", "The start date is after the end date: showing the last 26 weeks instead."),
        ("?from=2020-01-01&to=2026-06-01", "Choose a range of at most three years: showing the last 26 weeks instead."),
        ("?from=2026-06-01&to=2026-06-14&export=everything", "Unknown export: choose week, expert, topic or network."),
    ],
)
def test_compliance_junk_parameters_give_a_message_and_never_a_500(coordinator, known, query, message):
    response = coordinator.get(COMPLIANCE + query)
    assert response.status_code == 200
    assert "Content-Disposition" not in response
    assert page_messages(response) == [message]
    if "export" not in query:
        default = reports.default_range()
        page = BeautifulSoup(response.content, "html.parser")
        assert page.select_one("#from")["value"] == default.start.isoformat()


def test_compliance_export_with_junk_dates_shows_the_page_not_a_file(coordinator, known):
    response = coordinator.get(COMPLIANCE + "?from=nonsense&export=week")
    assert "Content-Disposition" not in response
    assert page_messages(response) == [
        "Dates must be real dates written as YYYY-MM-DD: showing the last 26 weeks instead."
    ]


def test_compliance_labels_keep_two_experts_of_the_same_name_apart(coordinator, topic, northshire):
    first = make_expert(topics=[topic], user=UserFactory(first_name="Jo", last_name="Smith", email="jo1@example.test"))
    second = make_expert(topics=[topic], user=UserFactory(first_name="Jo", last_name="Smith", email="jo2@example.test"))
    answered(first.user, topic=topic, network=northshire, at=london(2026, 6, 2, 10), met=True, hours="5")
    answered(second.user, topic=topic, network=northshire, at=london(2026, 6, 2, 11), met=False, hours="70")
    assert table(coordinator.get(COMPLIANCE + JUNE), "expert") == [
        ["Jo Smith jo1@example.test", "1", "1", "100.0%", "5.0"],
        ["Jo Smith jo2@example.test", "1", "0", "0.0%", "70.0"],
    ]


def test_compliance_queries_do_not_grow_with_the_answers(coordinator, known, topic):
    url = COMPLIANCE + JUNE
    coordinator.get(url)
    with CaptureQueriesContext(connection) as few:
        coordinator.get(url)
    with CaptureQueriesContext(connection) as few_csv:
        coordinator.get(url + "&export=expert")
    for n in range(6):
        network = NetworkFactory()
        other_topic = make_topic(f"Extra topic {n}")
        person = expert(other_topic, f"Extra{n}", "Person")
        for day in (2, 9):
            answered(person, topic=other_topic, network=network, at=london(2026, 6, day, 10 + n), met=n % 2, hours="12")
    with CaptureQueriesContext(connection) as many:
        response = coordinator.get(url)
    with CaptureQueriesContext(connection) as many_csv:
        coordinator.get(url + "&export=expert")
    assert len(table(response, "expert")) == 8
    assert len(many) == len(few)
    assert len(many_csv) == len(few_csv)


# --- Fees ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def june_fees(topic, other_topic, northshire, westvale):
    """June 2026 (London): Ann earns £50 by default and £80 on Charity law from 10 June; Zed has no rate."""
    ann = expert(topic, "Ann", "Archer")
    zed = expert(topic, "Zed", "Zimmer")
    FeeRate.objects.create(expert=ann.expert_profile, amount=Decimal("50.00"), effective_from=dt.date(2026, 1, 1))
    FeeRate.objects.create(
        expert=ann.expert_profile, topic=topic, amount=Decimal("80.00"), effective_from=dt.date(2026, 6, 10)
    )
    made = {
        "a1": answered(
            ann, topic=topic, network=northshire, at=london(2026, 6, 5, 10), met=True, hours="5", title="Ann early June"
        ),
        "a2": answered(
            ann, topic=topic, network=westvale, at=london(2026, 6, 20, 10), met=True, hours="5", title="=Ann on law"
        ),
        "a3": answered(
            ann,
            topic=other_topic,
            network=northshire,
            at=london(2026, 6, 21, 10),
            met=True,
            hours="5",
            title="Ann on transport",
        ),
        # 23:30 on 30 June in London (22:30 UTC): June.
        "z1": answered(
            zed, topic=topic, network=westvale, at=london(2026, 6, 30, 23, 30), met=True, hours="5", title="Zed late"
        ),
    }
    # 00:30 on 1 July in London is still 30 June in UTC: July, not June.
    answered(ann, topic=topic, network=northshire, at=london(2026, 7, 1, 0, 30), met=True, hours="5", title="Ann July")
    # Answered but not published: earns nothing yet.
    answered(ann, topic=topic, network=northshire, at=london(2026, 6, 12, 10), met=True, hours="5", status="answered")
    return {"ann": ann, "zed": zed, **made}


def test_fees_page_shows_totals_and_lines_for_the_month(coordinator, june_fees):
    response = coordinator.get(FEES + "?month=2026-06")
    assert response.status_code == 200
    assert page_messages(response) == []
    page = BeautifulSoup(response.content, "html.parser")
    totals = [
        [cell.get_text(strip=True) for cell in row.find_all(["td", "th"])] for row in page.select("#fee-totals tr")
    ]
    assert totals == [
        ["Expert", "Email", "Answers", "Total"],
        ["Ann Archer", "ann@example.test", "3", "£180.00"],
        ["Zed Zimmer", "zed@example.test", "1", "£0.00"],
        ["All experts", "4", "£180.00"],
    ]
    assert page.select_one("#fees-total").get_text() == "£180.00"
    assert " ".join(page.select_one("#unpriced").get_text().split()) == (
        "1 answer earns £0.00: no fee rate applied on the day it was published. "
        "Set rates under Experts → Profiles and fee rates."
    )
    body = page.get_text(" ", strip=True)
    assert "Ann Archer — £180.00" in body
    assert "Ann July" not in body
    assert [link["href"] for link in page.select("a[download]")] == [
        "?month=2026-06&export=csv",
        "?month=2026-06&export=xlsx",
    ]


def test_fees_download_as_xlsx_with_numbers_dates_and_text_kept_as_text(coordinator, june_fees):
    response = coordinator.get(FEES + "?month=2026-06&export=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="expert-fees-2026-06.xlsx"'
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[0] == ["Expert", "Email", "Question id", "Title", "Topic", "Network", "Published", "Fee"]
    assert rows[1] == [
        "Ann Archer",
        "ann@example.test",
        june_fees["a1"].pk,
        "Ann early June",
        "Charity law",
        "Northshire RCC",
        dt.datetime(2026, 6, 5),
        50,
    ]
    assert rows[2][3] == "=Ann on law"
    assert sheet["D3"].data_type == "s"


def test_fees_csv_lists_every_line_for_finance(coordinator, june_fees):
    response = coordinator.get(FEES + "?month=2026-06&export=csv")
    assert response["Content-Disposition"] == 'attachment; filename="expert-fees-2026-06.csv"'
    q = june_fees
    assert csv_rows(response) == [
        ["Expert", "Email", "Question id", "Title", "Topic", "Network", "Published", "Fee"],
        [
            "Ann Archer",
            "ann@example.test",
            str(q["a1"].pk),
            "Ann early June",
            "Charity law",
            "Northshire RCC",
            "2026-06-05",
            "50.00",
        ],
        # A title that a spreadsheet would run as a formula is written as text.
        [
            "Ann Archer",
            "ann@example.test",
            str(q["a2"].pk),
            "'=Ann on law",
            "Charity law",
            "Westvale CVS",
            "2026-06-20",
            "80.00",
        ],
        [
            "Ann Archer",
            "ann@example.test",
            str(q["a3"].pk),
            "Ann on transport",
            "Rural transport",
            "Northshire RCC",
            "2026-06-21",
            "50.00",
        ],
        [
            "Zed Zimmer",
            "zed@example.test",
            str(q["z1"].pk),
            "Zed late",
            "Charity law",
            "Westvale CVS",
            "2026-06-30",
            "0.00",
        ],
    ]


def test_fees_default_to_last_month_and_junk_months_say_so(coordinator, june_fees):
    year, month = reports.last_month()
    default = coordinator.get(FEES)
    assert page_messages(default) == []
    page = BeautifulSoup(default.content, "html.parser")
    assert page.select_one("#month")["value"] == f"{year:04d}-{month:02d}"
    for junk in ("junk", "2026-13", "2026-6", "1999-01", "2026-06-01", "%00"):
        response = coordinator.get(FEES + f"?month={junk}&export=csv")
        assert response.status_code == 200
        assert "Content-Disposition" not in response
        assert page_messages(response) == ["Choose a month written as YYYY-MM: showing last month instead."]
        page = BeautifulSoup(response.content, "html.parser")
        assert page.select_one("#month")["value"] == f"{year:04d}-{month:02d}"


def test_a_month_without_answers_says_so(coordinator, june_fees):
    response = coordinator.get(FEES + "?month=2026-05")
    assert "No answers were published in May 2026, so no fees are due." in response.content.decode()
    assert csv_rows(coordinator.get(FEES + "?month=2026-05&export=csv")) == [
        ["Expert", "Email", "Question id", "Title", "Topic", "Network", "Published", "Fee"]
    ]


def test_fees_queries_do_not_grow_with_the_lines(coordinator, june_fees, topic, northshire):
    url = FEES + "?month=2026-06"
    coordinator.get(url)
    with CaptureQueriesContext(connection) as few:
        coordinator.get(url)
    with CaptureQueriesContext(connection) as few_csv:
        coordinator.get(url + "&export=csv")
    for n in range(5):
        person = expert(topic, f"More{n}", "Person")
        FeeRate.objects.create(expert=person.expert_profile, amount=Decimal("40"), effective_from=dt.date(2026, 1, 1))
        for day in (3, 17):
            answered(person, topic=topic, network=northshire, at=london(2026, 6, day, 10), met=True, hours="4")
    with CaptureQueriesContext(connection) as many:
        response = coordinator.get(url)
    with CaptureQueriesContext(connection) as many_csv:
        csv_response = coordinator.get(url + "&export=csv")
    assert len(csv_rows(csv_response)) == 1 + 4 + 10
    assert "£580.00" in response.content.decode()
    assert len(many) == len(few)
    assert len(many_csv) == len(few_csv)


# --- The helpers behind the views ---------------------------------------------------------------------------------


def test_parse_range_and_month_edges():
    today = dt.date(2026, 3, 4)  # a Wednesday
    assert reports.default_range(today) == reports.DateRange(dt.date(2025, 9, 8), today)
    assert reports.parse_range({"from": "2026-01-05"}, today) == (reports.DateRange(dt.date(2026, 1, 5), today), "")
    assert reports.parse_range({"to": "2026-02-01"}, today) == (
        reports.DateRange(dt.date(2025, 9, 8), dt.date(2026, 2, 1)),
        "",
    )
    assert reports.last_month(dt.date(2026, 1, 15)) == (2025, 12)
    assert reports.parse_month("2026-12", today) == ((2026, 12), "")
    assert reports.shift_month(2026, 12, 1) == (2027, 1)
    assert reports.shift_month(2026, 1, -1) == (2025, 12)
    start, end = reports.DateRange(dt.date(2026, 3, 29), dt.date(2026, 3, 29)).bounds  # the clocks go forward
    assert end.astimezone(dt.UTC) - start.astimezone(dt.UTC) == dt.timedelta(hours=23)


def test_stats_by_field_groups_by_id_and_labels_by_the_label_field(topic, northshire):
    first = expert(topic, "Jo", "Smith")
    second = make_expert(topics=[topic], user=UserFactory(first_name="Jo", last_name="Smith", email="jo2@example.test"))
    answered(first, topic=topic, network=northshire, at=london(2026, 6, 2, 10), met=True, hours="5")
    answered(first, topic=topic, network=northshire, at=london(2026, 6, 3, 10), met=False, hours="9")
    answered(second.user, topic=topic, network=northshire, at=london(2026, 6, 2, 11), met=False, hours="70")
    rows = stats.by_field(stats.answered(), "assignee_id", "assignee__first_name")
    assert rows == [
        {"key": "Jo", "id": first.pk, "answered": 2, "met": 1, "met_percent": 50.0, "median_hours": 7.0},
        {"key": "Jo", "id": second.user.pk, "answered": 1, "met": 0, "met_percent": 0.0, "median_hours": 70.0},
    ]
    assert len(stats.by_week(stats.answered(), weeks=None)) == 1
    cards = stats.panel_scorecards([first.pk, second.user.pk])
    for user in (first, second.user):
        card = stats.scorecard(expert_user=user)
        del card["returned"]
        assert cards[user.pk] == card
