"""The coordinator's home (/admin/): the work waiting, each queue with its count and a link, in fixed queries."""

import datetime as dt
from decimal import Decimal

import pytest
from bs4 import BeautifulSoup
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experts.models import ExpertApplication
from qa_site.knowledge.models import AnswerReview, Question
from subscriptions import billing
from subscriptions.models import Invoice, JoinRequest
from tests.factories import UserFactory, make_published_page

Status = Question.Status
LABELS = [
    "Triage queue",
    "Answers waiting for review",
    "Questions breached",
    "Questions at risk",
    "Answers past their review date",
    "Expert applications",
    "Networks joining",
    "Overdue invoices",
]


def question(topic, network, n, **fields):
    return Question.objects.create(
        title=f"Question {n}",
        details="Details of the question, long enough to read.",
        topic=topic,
        network=network,
        asker=UserFactory(),
        sla_hours=48,
        **fields,
    )


def fill_queues(topic, network, erin, count):
    """``count`` items in each queue (and some that are in none)."""
    now = timezone.now()
    hour = dt.timedelta(hours=1)
    for n in range(count):
        question(topic, network, n, status=Status.SUBMITTED, needs_triage=True)
        question(topic, network, n, status=Status.ANSWERED, assignee=erin, sla_running=False)
        question(
            topic,
            network,
            n,
            status=Status.ASSIGNED,
            assignee=erin,
            sla_running=True,
            warn_at=now - 2 * hour,
            due_at=now - hour,
        )
        question(
            topic,
            network,
            n,
            status=Status.ASSIGNED,
            assignee=erin,
            sla_running=True,
            warn_at=now - hour,
            due_at=now + hour,
        )
        page = make_published_page(topic=topic, title=f"Stale answer {n}", expert=erin)
        AnswerReview.objects.create(page=page, expert=erin, due_on=timezone.localdate() - dt.timedelta(days=3))
        application = ExpertApplication.objects.create(
            user=UserFactory(), headline="Charity lawyer", bio="About me.", experience="Twenty years."
        )
        application.topics.add(topic)
        JoinRequest.objects.create(
            user=UserFactory(),
            plan=subscription_plan(network),
            start="trial",
            seats=10,
            name=f"Dales CVS {n}",
            billing_email="money@dales.test",
            billing_address="1 High Street",
        )
        subscription = network.subscriptions.get()
        billing.invoice_issue(
            network=network,
            subscription=subscription,
            kind=Invoice.Kind.NEW,
            period_start=subscription.starts_on,
            period_end=subscription.ends_on,
            lines=[("Plan", Decimal("1"), Decimal("100.00"))],
            issued_on=timezone.localdate() - dt.timedelta(days=90),
        )
    # In no queue: on track, published, an application decided, an invoice not yet due.
    question(
        topic,
        network,
        99,
        status=Status.ASSIGNED,
        assignee=erin,
        sla_running=True,
        warn_at=now + hour,
        due_at=now + 2 * hour,
    )
    ExpertApplication.objects.create(
        user=UserFactory(), headline="Accountant", bio="x", experience="y", status=ExpertApplication.Status.REJECTED
    )
    JoinRequest.objects.create(
        user=UserFactory(),
        plan=subscription_plan(network),
        start="trial",
        seats=10,
        name="Refused CVS",
        billing_email="money@refused.test",
        billing_address="2 High Street",
        status=JoinRequest.Status.REFUSED,
    )


def subscription_plan(network):
    return network.subscriptions.get().plan


def work_waiting(response):
    table = BeautifulSoup(response.content, "html.parser").find(attrs={"data-testid": "work-waiting"})
    assert table is not None, "no Work waiting panel"
    return {
        row["data-queue"]: (row.find(attrs={"data-testid": "count"}).get_text(strip=True), row.a["href"])
        for row in table.select("tbody tr")
    }


@pytest.fixture
def network(northshire):
    return northshire


def test_dashboard_shows_each_queue_with_its_count_and_link(client, colin, erin, topic, network):
    fill_queues(topic, network, erin, 2)
    client.force_login(colin)
    queues = work_waiting(client.get("/admin/"))
    expected = {
        "Triage queue": ("2", "/admin/routing/triage/"),
        "Answers waiting for review": ("2", "/admin/questions/review/"),
        "Questions breached": ("2", "/admin/routing/sla/#breached"),
        "Questions at risk": ("2", "/admin/routing/sla/#at_risk"),
        "Answers past their review date": ("2", "/admin/questions/due-for-review/"),
        "Expert applications": ("2", "/admin/experts/applications/"),
        "Networks joining": ("2", "/admin/joining/"),
        "Overdue invoices": ("2", "/admin/billing/invoices/?overdue=on"),
    }
    assert {label: queues[label] for label in LABELS} == expected


def test_dashboard_lists_the_queues_in_the_order_of_the_work(client, colin, site_tree):
    client.force_login(colin)
    labels = [label for label in work_waiting(client.get("/admin/")) if label in LABELS]
    assert labels == LABELS


def test_dashboard_says_none_calmly_when_nothing_waits(client, colin, site_tree):
    client.force_login(colin)
    response = client.get("/admin/")
    queues = work_waiting(response)
    assert {queues[label][0] for label in LABELS} == {"none"}
    page = BeautifulSoup(response.content, "html.parser")
    assert page.find(attrs={"data-testid": "nothing-waiting"}).get_text(strip=True) == (
        "Nothing is waiting: every queue is empty."
    )


def test_dashboard_emphasises_late_work_and_big_queues(client, colin, erin, topic, network):
    fill_queues(topic, network, erin, 1)
    for n in range(10):
        question(topic, network, 100 + n, status=Status.SUBMITTED, needs_triage=True)
    client.force_login(colin)
    page = BeautifulSoup(client.get("/admin/").content, "html.parser")
    emphasised = {
        row["data-queue"] for row in page.select('[data-testid="work-waiting"] tbody tr') if row.find("strong")
    }
    assert emphasised == {"Triage queue", "Questions breached", "Overdue invoices"}


def test_dashboard_counts_in_fixed_queries_however_much_waits(client, colin, erin, topic, network):
    client.force_login(colin)
    fill_queues(topic, network, erin, 1)
    client.get("/admin/")  # warm caches (site root, settings)
    with CaptureQueriesContext(connection) as few:
        client.get("/admin/")
    fill_queues(topic, network, erin, 4)
    with CaptureQueriesContext(connection) as many:
        response = client.get("/admin/")
    assert work_waiting(response)["Triage queue"][0] == "5"
    assert len(many) == len(few)


def test_work_queues_take_at_most_eight_queries(rf, colin, erin, topic, network, django_assert_max_num_queries):
    from qa_site.knowledge.dashboard import work_queues

    fill_queues(topic, network, erin, 3)
    request = rf.get("/admin/")
    request.user = colin
    with django_assert_max_num_queries(8):
        queues = work_queues(request)
    assert {queue.label: queue.count for queue in queues if queue.label in LABELS} == dict.fromkeys(LABELS, 3)


def test_dashboard_drops_the_page_count_and_page_search(client, colin, site_tree):
    client.force_login(colin)
    page = BeautifulSoup(client.get("/admin/").content, "html.parser")
    assert page.select(".w-summary") == []
    assert page.select('form[role="search"]') == []


@pytest.mark.parametrize("role", ["colin", "editor", "erin"])
def test_dashboard_shows_the_work_to_coordinators_only(client, colin, erin, topic, network, role):
    fill_queues(topic, network, erin, 1)
    editor = UserFactory(email="editor@example.test")  # may use the admin, but is not a coordinator
    editor.user_permissions.add(Permission.objects.get(codename="access_admin"))
    client.force_login({"colin": colin, "editor": editor, "erin": erin}[role])
    body = client.get("/admin/").content.decode()
    assert ("Work waiting" in body, "Triage queue" in body) == ((True, True) if role == "colin" else (False, False))
