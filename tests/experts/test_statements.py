"""What experts earn: fee rates, monthly statements (page and CSV) and the fees table on the dashboard."""

import csv
import datetime as dt
import io
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup

from experts import fees
from experts.models import ExpertProfile, FeeRate
from qa_site.knowledge.models import Question
from tests.factories import make_expert

Status = Question.Status
UTC = dt.UTC


def at(*args):
    return dt.datetime(*args, tzinfo=UTC)


def rate(expert, amount, starts, topic=None):
    return FeeRate.objects.create(
        expert=ExpertProfile.objects.get(user=expert), topic=topic, amount=Decimal(amount), effective_from=starts
    )


def answered(expert, title, *, topic, network, when, status=Status.PUBLISHED):
    """A question ``expert`` answered; published at ``when`` (UTC) when its status is published."""
    return Question.objects.create(
        title=title,
        details="Details of the question, long enough to read.",
        topic=topic,
        network=network,
        status=status,
        assignee=expert,
        sla_hours=48,
        submitted_at=when - dt.timedelta(days=3),
        answered_at=when - dt.timedelta(days=1) if status != Status.ASSIGNED else None,
        published_at=when if status == Status.PUBLISHED else None,
    )


def statement_lines(expert, year, month):
    result = fees.statement(expert_user=expert, year=year, month=month)
    return [(line.title, line.fee) for line in result["lines"]], result["total"]


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def table(response, selector):
    return [
        [cell.get_text(" ", strip=True) for cell in row.find_all(["td", "th"])]
        for row in soup(response).select(f"{selector} tr")
    ]


# --- Rates --------------------------------------------------------------------------------------------------------


def test_a_topic_rate_beats_the_default_rate(erin, topic, other_topic, northshire):
    rate(erin, "50.00", dt.date(2026, 1, 1))
    rate(erin, "80.00", dt.date(2026, 1, 1), topic=topic)
    answered(erin, "Charity law answer", topic=topic, network=northshire, when=at(2026, 3, 10, 12))
    answered(erin, "Transport answer", topic=other_topic, network=northshire, when=at(2026, 3, 11, 12))
    assert statement_lines(erin, 2026, 3) == (
        [("Charity law answer", Decimal("80.00")), ("Transport answer", Decimal("50.00"))],
        Decimal("130.00"),
    )


def test_a_topic_rate_beats_a_newer_default_rate(erin, topic, northshire):
    rate(erin, "80.00", dt.date(2026, 1, 1), topic=topic)
    rate(erin, "50.00", dt.date(2026, 3, 1))
    answered(erin, "Charity law answer", topic=topic, network=northshire, when=at(2026, 3, 10, 12))
    assert statement_lines(erin, 2026, 3) == ([("Charity law answer", Decimal("80.00"))], Decimal("80.00"))


def test_rate_history_applies_the_rate_in_force_on_the_day_of_publication(erin, topic, northshire):
    rate(erin, "50.00", dt.date(2026, 1, 1))
    rate(erin, "60.00", dt.date(2026, 3, 1))
    rate(erin, "90.00", dt.date(2026, 4, 1), topic=topic)  # not yet in force in March
    answered(erin, "Before the rise", topic=topic, network=northshire, when=at(2026, 2, 28, 16))
    answered(erin, "On the day of the rise", topic=topic, network=northshire, when=at(2026, 3, 1, 9))
    answered(erin, "After the topic rate", topic=topic, network=northshire, when=at(2026, 4, 2, 9))
    assert statement_lines(erin, 2026, 2) == ([("Before the rise", Decimal("50.00"))], Decimal("50.00"))
    assert statement_lines(erin, 2026, 3) == ([("On the day of the rise", Decimal("60.00"))], Decimal("60.00"))
    assert statement_lines(erin, 2026, 4) == ([("After the topic rate", Decimal("90.00"))], Decimal("90.00"))


def test_a_rate_starts_on_the_london_date_not_the_utc_date(erin, topic, northshire):
    rate(erin, "50.00", dt.date(2026, 1, 1))
    rate(erin, "70.00", dt.date(2026, 6, 1))
    # 23:30 UTC on 31 May is 00:30 on 1 June in London (summer time).
    answered(erin, "Just after midnight in London", topic=topic, network=northshire, when=at(2026, 5, 31, 23, 30))
    assert statement_lines(erin, 2026, 6) == (
        [("Just after midnight in London", Decimal("70.00"))],
        Decimal("70.00"),
    )
    assert statement_lines(erin, 2026, 5) == ([], Decimal("0.00"))


def test_no_rate_yet_means_no_fee(erin, topic, northshire):
    rate(erin, "50.00", dt.date(2026, 6, 1))
    answered(erin, "Before any rate", topic=topic, network=northshire, when=at(2026, 3, 10, 12))
    assert statement_lines(erin, 2026, 3) == ([("Before any rate", Decimal("0.00"))], Decimal("0.00"))


def test_another_experts_rates_do_not_apply(erin, topic, northshire):
    other = make_expert(topics=[topic]).user
    rate(other, "500.00", dt.date(2026, 1, 1))
    rate(erin, "50.00", dt.date(2026, 1, 1))
    answered(erin, "Erin's answer", topic=topic, network=northshire, when=at(2026, 3, 10, 12))
    answered(other, "The other expert's answer", topic=topic, network=northshire, when=at(2026, 3, 10, 13))
    assert statement_lines(erin, 2026, 3) == ([("Erin's answer", Decimal("50.00"))], Decimal("50.00"))
    assert statement_lines(other, 2026, 3) == ([("The other expert's answer", Decimal("500.00"))], Decimal("500.00"))


def test_only_published_answers_earn(erin, topic, northshire):
    rate(erin, "50.00", dt.date(2026, 1, 1))
    when = at(2026, 3, 10, 12)
    answered(erin, "Published", topic=topic, network=northshire, when=when)
    answered(erin, "In review", topic=topic, network=northshire, when=when, status=Status.ANSWERED)
    answered(erin, "Returned to the expert", topic=topic, network=northshire, when=when, status=Status.ASSIGNED)
    answered(erin, "Rejected after answering", topic=topic, network=northshire, when=when, status=Status.REJECTED)
    answered(erin, "Withdrawn", topic=topic, network=northshire, when=when, status=Status.WITHDRAWN)
    assert statement_lines(erin, 2026, 3) == ([("Published", Decimal("50.00"))], Decimal("50.00"))


@pytest.mark.parametrize(
    ("when", "month"),
    [
        (at(2026, 2, 28, 23, 59), (2026, 2)),  # winter: London is on UTC
        (at(2026, 3, 1, 0, 30), (2026, 3)),
        (at(2026, 3, 31, 22, 59), (2026, 3)),  # summer time from 29 March: 23:59 in London
        (at(2026, 3, 31, 23, 0), (2026, 4)),  # 00:00 on 1 April in London
        (at(2026, 9, 30, 23, 30), (2026, 10)),  # 00:30 on 1 October in London
        (at(2026, 10, 31, 23, 30), (2026, 10)),  # winter again from 25 October: still 31 October
        (at(2026, 12, 31, 23, 59), (2026, 12)),
        (at(2027, 1, 1, 0, 0), (2027, 1)),
    ],
)
def test_statements_follow_london_months(erin, topic, northshire, when, month):
    rate(erin, "50.00", dt.date(2026, 1, 1))
    answered(erin, "The answer", topic=topic, network=northshire, when=when)
    found = [
        (year, number)
        for year, number in [(2026, m) for m in range(1, 13)] + [(2027, 1)]
        if statement_lines(erin, year, number)[0]
    ]
    assert found == [month]


# --- The statement page and its CSV -------------------------------------------------------------------------------


@pytest.fixture
def march(erin, topic, other_topic, northshire):
    rate(erin, "50.00", dt.date(2026, 1, 1))
    rate(erin, "80.00", dt.date(2026, 1, 1), topic=topic)
    answered(erin, "Can trustees be paid?", topic=topic, network=northshire, when=at(2026, 3, 3, 10))
    answered(erin, 'Minibus "section 19" permits', topic=other_topic, network=northshire, when=at(2026, 3, 31, 22))
    answered(erin, "Published in April, London time", topic=topic, network=northshire, when=at(2026, 3, 31, 23))
    answered(erin, "Still in review", topic=topic, network=northshire, when=at(2026, 3, 20), status=Status.ANSWERED)


def test_statement_page_lists_each_fee_and_the_total(client, erin, march):
    client.force_login(erin)
    response = client.get("/experts/statements/2026-03/")
    assert response.status_code == 200
    assert soup(response).h1.get_text(strip=True) == "Fees for March 2026"
    assert table(response, '[data-testid="statement"]') == [
        ["Published", "Question", "Topic", "Fee"],
        ["3 Mar 2026", "Can trustees be paid?", "Charity law", "£80.00"],
        ["31 Mar 2026", 'Minibus "section 19" permits', "Rural transport", "£50.00"],
        ["Total (2 answers)", "£130.00"],
    ]


def test_statement_csv_has_the_same_lines_and_a_filename(client, erin, march):
    client.force_login(erin)
    response = client.get("/experts/statements/2026-03/?format=csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"] == 'attachment; filename="ask-an-expert-fees-2026-03.csv"'
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows == [
        ["Published", "Question", "Topic", "Fee (GBP)"],
        ["2026-03-03", "Can trustees be paid?", "Charity law", "80.00"],
        ["2026-03-31", 'Minibus "section 19" permits', "Rural transport", "50.00"],
        ["Total", "2 answers", "", "130.00"],
    ]


def test_statement_csv_writes_a_title_a_spreadsheet_would_run_as_text(client, erin, topic, northshire):
    rate(erin, "50.00", dt.date(2026, 1, 1))
    answered(erin, '=HYPERLINK("http://evil.test","Fees")', topic=topic, network=northshire, when=at(2026, 3, 3, 10))
    client.force_login(erin)
    response = client.get("/experts/statements/2026-03/?format=csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8"))))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.test","Fees")'


def test_statement_for_a_month_without_answers(client, erin, march):
    client.force_login(erin)
    response = client.get("/experts/statements/2026-05/")
    assert response.status_code == 200
    assert [p.get_text(strip=True) for p in soup(response).select("main p.card")] == [
        "No answers of yours were published in May 2026."
    ]
    rows = list(csv.reader(io.StringIO(client.get("/experts/statements/2026-05/?format=csv").content.decode())))
    assert rows == [["Published", "Question", "Topic", "Fee (GBP)"], ["Total", "0 answers", "", "0.00"]]


@pytest.mark.parametrize(
    "period", ["2026-13", "2026-00", "abc", "2026-3", "26-03", "2026-03-01", "1999-12", "2026_03", "２０２６-03"]
)
def test_statement_for_a_month_that_does_not_exist_is_not_found(client, erin, period):
    client.force_login(erin)
    assert client.get(f"/experts/statements/{period}/").status_code == 404


def test_statement_shows_only_the_experts_own_answers(client, erin, topic, northshire, march):
    other = make_expert(topics=[topic]).user
    rate(other, "500.00", dt.date(2026, 1, 1))
    answered(other, "Someone else's answer", topic=topic, network=northshire, when=at(2026, 3, 4, 10))
    client.force_login(other)
    rows = table(client.get("/experts/statements/2026-03/"), '[data-testid="statement"]')
    assert [row[1] for row in rows[1:-1]] == ["Someone else's answer"]


def test_statement_redirects_anonymous_visitors_to_sign_in(client, site_tree):
    response = client.get("/experts/statements/2026-03/")
    assert (response.status_code, response.url) == (302, "/accounts/login/?next=/experts/statements/2026-03/")


@pytest.mark.parametrize("who", ["alice", "colin"])
def test_statement_is_forbidden_to_people_who_were_never_experts(client, request, topic, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/experts/statements/2026-03/").status_code == 403
    assert client.get("/experts/statements/2026-03/?format=csv").status_code == 403
    assert client.get("/experts/statements/").status_code == 403


def test_a_retired_expert_keeps_their_statements(client, topic, northshire):
    profile = make_expert(topics=[topic], status=ExpertProfile.Status.RETIRED)
    rate(profile.user, "60.00", dt.date(2026, 1, 1))
    answered(profile.user, "An answer from before retiring", topic=topic, network=northshire, when=at(2026, 3, 4, 10))
    client.force_login(profile.user)
    index = client.get("/experts/statements/").content.decode()
    assert "no longer on the panel" in index
    assert "March 2026" in index
    rows = table(client.get("/experts/statements/2026-03/"), '[data-testid="statement"]')
    assert [row[1] for row in rows[1:-1]] == ["An answer from before retiring"]
    assert client.get("/experts/dashboard/").status_code == 403


# --- The fees table on the dashboard ------------------------------------------------------------------------------


def test_dashboard_fees_table_lists_months_newest_first_with_links(client, erin, topic, northshire, march):
    answered(erin, "A February answer", topic=topic, network=northshire, when=at(2026, 2, 10, 12))
    client.force_login(erin)
    response = client.get("/experts/dashboard/")
    assert table(response, '[data-testid="fees"] table') == [
        ["Month", "Published answers", "Total"],
        ["April 2026", "1", "£80.00"],
        ["March 2026", "2", "£130.00"],
        ["February 2026", "1", "£80.00"],
    ]
    links = [a["href"] for a in soup(response).select('[data-testid="fees"] table a')]
    assert links == ["/experts/statements/2026-04/", "/experts/statements/2026-03/", "/experts/statements/2026-02/"]


def test_dashboard_without_fees_says_how_they_are_earned(client, erin):
    client.force_login(erin)
    response = client.get("/experts/dashboard/")
    assert [p.get_text(strip=True) for p in soup(response).select('[data-testid="fees"] p.card')] == [
        "No fees yet: you earn a fee for each answer when a coordinator publishes it."
    ]
