"""The console's list of every question (a Wagtail viewset): filters, search, ordering, CSV and XLSX downloads."""

import csv
import io

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.urls import reverse
from openpyxl import load_workbook

from qa_site.knowledge.models import Question
from tests.factories import UserFactory

LIST = "/admin/questions/all/"
Status = Question.Status


def question(title, *, topic, network, status=Status.SUBMITTED, **fields):
    return Question.objects.create(
        title=title,
        details="Details of the question, long enough to read.",
        topic=topic,
        network=network,
        asker=UserFactory(),
        status=status,
        sla_hours=48,
        **fields,
    )


@pytest.fixture
def coordinator(client, colin):
    client.force_login(colin)
    return client


@pytest.fixture
def questions(topic, other_topic, northshire, westvale, erin):
    return [
        question("Can trustees be paid?", topic=topic, network=northshire, status=Status.ANSWERED, assignee=erin),
        question("Minibus permits", topic=other_topic, network=westvale, needs_triage=True),
        question('=HYPERLINK("http://evil.test","Click")', topic=topic, network=westvale, status=Status.PUBLISHED),
    ]


def titles(response):
    page = BeautifulSoup(response.content, "html.parser")
    return [cell.get_text(" ", strip=True) for cell in page.select("table.listing tbody td.title a")]


def test_question_list_shows_every_question_newest_first_with_links(coordinator, questions):
    response = coordinator.get(LIST)
    assert response.status_code == 200
    assert titles(response) == ['=HYPERLINK("http://evil.test","Click")', "Minibus permits", "Can trustees be paid?"]
    page = BeautifulSoup(response.content, "html.parser")
    link = page.find("a", string=lambda text: text and "Can trustees be paid?" in text)
    assert link["href"] == reverse("knowledge_admin:question", args=[questions[0].pk])


def test_question_list_filters_by_status_and_triage(coordinator, questions):
    assert titles(coordinator.get(LIST + "?status=answered")) == ["Can trustees be paid?"]
    assert titles(coordinator.get(LIST + "?needs_triage=true")) == ["Minibus permits"]


def test_question_list_filters_by_topic_and_network(coordinator, questions, topic, westvale):
    assert titles(coordinator.get(LIST + f"?topic={topic.pk}&network={westvale.pk}")) == [
        '=HYPERLINK("http://evil.test","Click")'
    ]


def test_question_list_searches_titles_and_details(coordinator, questions):
    assert titles(coordinator.get(LIST + "?q=minibus")) == ["Minibus permits"]


def test_question_list_orders_by_a_column(coordinator, questions):
    assert titles(coordinator.get(LIST + "?ordering=title")) == [
        '=HYPERLINK("http://evil.test","Click")',
        "Can trustees be paid?",
        "Minibus permits",
    ]


@pytest.mark.parametrize("query", ["?status=<junk>&p=zz", "?topic=abc", "?network=999999", "?ordering=nonsense"])
def test_question_list_ignores_junk_with_a_message(coordinator, questions, query):
    response = coordinator.get(LIST + query)
    assert response.status_code == 200
    assert len(titles(response)) == 3
    if "ordering" not in query:
        assert "Some filters were not understood and are ignored: " in response.content.decode()


def test_question_list_downloads_as_csv_with_formulas_quoted(coordinator, questions, erin):
    response = coordinator.get(LIST + "?export=csv&status=answered")
    assert response["Content-Disposition"] == 'attachment; filename="questions.csv"'
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8"))))
    assert rows[0] == [
        "Id",
        "Title",
        "Status",
        "In triage",
        "Visibility",
        "Topic",
        "Network",
        "Expert",
        "Asked",
        "Due",
        "Answered",
        "Published",
        "SLA met",
    ]
    assert rows[1][:8] == [
        str(questions[0].pk),
        "Can trustees be paid?",
        "Answered, in review",
        "False",
        "public",
        "Charity law",
        "Northshire RCC",
        erin.display_name,
    ]
    evil = coordinator.get(LIST + "?export=csv&status=published")
    rows = list(csv.reader(io.StringIO(b"".join(evil.streaming_content).decode("utf-8"))))
    assert rows[1][1] == '\'=HYPERLINK("http://evil.test","Click")'


def test_question_list_downloads_as_xlsx_with_text_kept_as_text(coordinator, questions):
    response = coordinator.get(LIST + "?export=xlsx&q=HYPERLINK")
    assert response["Content-Disposition"] == 'attachment; filename="questions.xlsx"'
    sheet = load_workbook(io.BytesIO(b"".join(response.streaming_content))).active
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]][:3] == ["Id", "Title", "Status"]
    assert [cell.value for cell in rows[1]][1:3] == ['=HYPERLINK("http://evil.test","Click")', "Answered"]
    assert rows[1][1].data_type == "s"
    assert len(rows) == 2


@pytest.mark.parametrize("role", ["anonymous", "editor", "erin"])
def test_question_list_is_for_coordinators_only(client, questions, erin, role):
    editor = UserFactory(email="editor@example.test")  # may use the admin, but is not a coordinator
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    if role != "anonymous":
        client.force_login({"editor": editor, "erin": erin}[role])
    for query in ("", "?export=csv", "?export=xlsx"):
        response = client.get(LIST + query)
        assert response.status_code == 302, query
        assert "Can trustees be paid?" not in response.content.decode()


def test_question_list_keeps_its_old_address_and_name(coordinator, questions):
    assert reverse("knowledge_admin:questions") == LIST
    assert len(titles(coordinator.get(reverse("knowledge_admin:questions")))) == 3
