"""The expert's own screens through the test client: the queue and the answer page."""

import datetime as dt
import math

import pytest
from bs4 import BeautifulSoup
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experts.models import ExpertProfile
from qa_site.knowledge import services
from qa_site.knowledge.clock import deadlines
from qa_site.knowledge.models import Answer, Question, SLASettings
from tests.factories import UserFactory, ask, make_expert

Status = Question.Status
DASHBOARD = "/experts/dashboard/"
ANSWER = (
    "Yes. You can do this, but take three steps first. Check your governing document for a power to do it, "
    "record the trustees' decision in the minutes, and tell your insurer before the change takes effect."
)
SHORT_ANSWER = "Yes, check your governing document first."  # six words


def page_url(question):
    return f"/experts/questions/{question.pk}/"


def with_expert(expert, title, *, network, topic, submitted_at, sla_hours, status=Status.ASSIGNED):
    """A question already routed to ``expert``, asked at ``submitted_at``, due by the business calendar."""
    warn_at, due_at = deadlines(
        submitted_at=submitted_at,
        sla_hours=sla_hours,
        paused_seconds=0,
        warning_fraction=0.75,
        calendar=SLASettings.load().calendar(),
    )
    return Question.objects.create(
        title=title,
        details="Details of the question, long enough to read.",
        topic=topic,
        network=network,
        status=status,
        assignee=expert,
        sla_hours=sla_hours,
        submitted_at=submitted_at,
        assigned_at=submitted_at,
        warn_at=warn_at,
        due_at=due_at,
        sla_running=status in (Status.SUBMITTED, Status.ASSIGNED),
    )


def queue_rows(response):
    soup = BeautifulSoup(response.content, "html.parser")
    rows = soup.select('[data-testid="queue"] tbody tr')
    return [
        (
            row.select_one("a.queue-title").get_text(strip=True),
            row.select_one('[data-testid="queue-sla"]').get_text(strip=True),
        )
        for row in rows
    ]


def page_messages(response):
    return [str(message) for message in response.context["messages"]]


def field_errors(response, name):
    soup = BeautifulSoup(response.content, "html.parser")
    errors = soup.select(f"#id_{name}_error li")
    return [error.get_text(" ", strip=True).removeprefix("Error: ") for error in errors]


def snapshot(question):
    """Everything an expert's action could change, to show that a refused action changed nothing."""
    question.refresh_from_db()
    answer = Answer.objects.filter(question=question).values_list("body", "submitted_at").first()
    events = list(question.events.order_by("pk").values_list("action", flat=True))
    return question.status, question.assignee_id, question.needs_triage, answer, events


@pytest.fixture
def routed(run_on_commit, alice, northshire, topic, erin):
    """Alice's question, routed to Erin by the real flow."""
    question = ask(run_on_commit, alice, northshire, topic)
    assert (question.status, question.assignee) == (Status.ASSIGNED, erin)
    return question


# --- The dashboard ------------------------------------------------------------------------------------------------


def test_dashboard_lists_only_the_experts_open_questions_by_due_time_with_sla_labels(client, erin, northshire, topic):
    now = timezone.now()
    long_ago = now - dt.timedelta(days=60)
    calendar = SLASettings.load().calendar()
    worked = calendar.working_time_between(long_ago, now).total_seconds() / 3600
    # Nine tenths of its working hours used: past the 75 % warning, well short of the due time.
    at_risk_hours = math.ceil(worked / 0.9)
    with_expert(erin, "On track question", network=northshire, topic=topic, submitted_at=now, sla_hours=200)
    with_expert(
        erin, "At risk question", network=northshire, topic=topic, submitted_at=long_ago, sla_hours=at_risk_hours
    )
    with_expert(
        erin,
        "Waiting question",
        network=northshire,
        topic=topic,
        submitted_at=long_ago,
        sla_hours=16,
        status=Status.AWAITING_CLARIFICATION,
    )
    with_expert(erin, "Breached question", network=northshire, topic=topic, submitted_at=long_ago, sla_hours=8)
    # Not in Erin's queue: answered, withdrawn, someone else's, or not yet assigned.
    with_expert(
        erin,
        "Answered question",
        network=northshire,
        topic=topic,
        submitted_at=long_ago,
        sla_hours=8,
        status=Status.ANSWERED,
    )
    with_expert(
        erin,
        "Withdrawn question",
        network=northshire,
        topic=topic,
        submitted_at=long_ago,
        sla_hours=8,
        status=Status.WITHDRAWN,
    )
    other = make_expert(topics=[topic]).user
    with_expert(other, "Someone else's question", network=northshire, topic=topic, submitted_at=long_ago, sla_hours=8)
    with_expert(
        None,
        "Unassigned question",
        network=northshire,
        topic=topic,
        submitted_at=long_ago,
        sla_hours=8,
        status=Status.SUBMITTED,
    )

    client.force_login(erin)
    response = client.get(DASHBOARD)

    assert response.status_code == 200
    assert queue_rows(response) == [
        ("Breached question", "Breached"),
        ("Waiting question", "Waiting for the adviser"),
        ("At risk question", "At risk"),
        ("On track question", "On track"),
    ]
    due_times = [question.due_at for question in response.context["queue"]]
    assert due_times == sorted(due_times)
    assert [question.title for question in response.context["recent"]] == ["Answered question"]


def test_dashboard_with_nothing_waiting_says_so(client, erin):
    client.force_login(erin)
    response = client.get(DASHBOARD)
    assert response.status_code == 200
    assert queue_rows(response) == []
    assert "Nothing waiting for you." in response.content.decode()


def test_dashboard_a_paused_expert_still_sees_their_queue(client, erin, northshire, topic):
    ExpertProfile.objects.filter(user=erin).update(status=ExpertProfile.Status.PAUSED)
    with_expert(erin, "Still mine", network=northshire, topic=topic, submitted_at=timezone.now(), sla_hours=48)
    client.force_login(erin)
    assert queue_rows(client.get(DASHBOARD)) == [("Still mine", "On track")]


@pytest.mark.parametrize("who", ["alice", "nobody", "colin", "retired_expert"])
def test_dashboard_is_forbidden_to_signed_in_non_experts(client, request, topic, who):
    if who == "retired_expert":
        user = make_expert(topics=[topic], status=ExpertProfile.Status.RETIRED).user
    else:
        user = request.getfixturevalue(who)
    client.force_login(user)
    assert client.get(DASHBOARD).status_code == 403


def test_dashboard_redirects_anonymous_visitors_to_sign_in(client, site_tree):
    response = client.get(DASHBOARD)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/experts/dashboard/"


def test_dashboard_query_count_does_not_grow_with_the_queue(client, erin, northshire, topic):
    now = timezone.now()

    def add(count, start):
        for number in range(start, start + count):
            with_expert(
                erin,
                f"Queued question {number}",
                network=northshire,
                topic=topic,
                submitted_at=now - dt.timedelta(hours=number),
                sla_hours=48,
                status=Status.AWAITING_CLARIFICATION if number % 3 == 0 else Status.ASSIGNED,
            )
            with_expert(
                erin,
                f"Answered question {number}",
                network=northshire,
                topic=topic,
                submitted_at=now - dt.timedelta(days=number),
                sla_hours=48,
                status=Status.ANSWERED,
            )

    client.force_login(erin)
    client.get(DASHBOARD)  # the first request of a session may do one-off work
    add(2, 0)
    with CaptureQueriesContext(connection) as two:
        response = client.get(DASHBOARD)
    assert len(queue_rows(response)) == 2
    add(8, 2)
    with CaptureQueriesContext(connection) as ten:
        response = client.get(DASHBOARD)
    assert len(queue_rows(response)) == 10
    assert len(ten) == len(two)


# --- The answer page ----------------------------------------------------------------------------------------------


def test_answer_page_shows_the_question_to_its_expert(client, erin, routed):
    client.force_login(erin)
    response = client.get(page_url(routed))
    assert response.status_code == 200
    assert response.context["question"] == routed
    assert response.context["can_edit"] is True
    assert routed.details in response.content.decode()


def test_answer_page_is_forbidden_to_another_expert(client, topic, routed):
    sam = make_expert(topics=[topic], user=UserFactory(first_name="Sam")).user
    before = snapshot(routed)
    client.force_login(sam)
    assert client.get(page_url(routed)).status_code == 403
    assert client.post(page_url(routed), {"action": "submit", "body": ANSWER}).status_code == 403
    assert snapshot(routed) == before


def test_answer_page_is_forbidden_to_the_asker(client, alice, routed):
    client.force_login(alice)
    assert client.get(page_url(routed)).status_code == 403


def test_answer_page_save_draft_keeps_the_text_and_changes_no_status(client, erin, routed):
    client.force_login(erin)
    response = client.post(page_url(routed), {"action": "save", "body": "First thoughts: check the constitution."})
    assert response.status_code == 302
    assert response.url == page_url(routed)
    assert snapshot(routed) == (
        Status.ASSIGNED,
        erin.pk,
        False,
        ("First thoughts: check the constitution.", None),
        ["submitted", "assigned"],
    )
    response = client.get(response.url)
    assert page_messages(response) == ["Draft saved."]
    assert response.context["form"]["body"].value() == "First thoughts: check the constitution."


def test_answer_page_submit_under_twenty_words_shows_the_error_and_changes_nothing(client, erin, routed):
    client.force_login(erin)
    before = snapshot(routed)
    response = client.post(page_url(routed), {"action": "submit", "body": SHORT_ANSWER})
    assert response.status_code == 200
    assert field_errors(response, "body") == [
        "An answer needs at least 20 words. Save it as a draft if you are not finished."
    ]
    assert response.context["form"]["body"].value() == SHORT_ANSWER, "the expert keeps their text"
    assert snapshot(routed) == before
    assert not Answer.objects.exists()


def test_answer_page_submit_under_twenty_words_keeps_an_earlier_draft(client, erin, routed):
    services.answer_save_draft(question_id=routed.pk, expert=erin, body="An earlier draft.")
    client.force_login(erin)
    client.post(page_url(routed), {"action": "submit", "body": SHORT_ANSWER})
    assert Answer.objects.get(question=routed).body == "An earlier draft."


def test_answer_page_valid_submit_sends_the_answer_for_review(client, erin, routed):
    client.force_login(erin)
    response = client.post(page_url(routed), {"action": "submit", "body": ANSWER})
    assert response.status_code == 302
    assert response.url == DASHBOARD
    routed.refresh_from_db()
    assert routed.status == Status.ANSWERED
    assert routed.answered_at is not None
    assert routed.answer.body == ANSWER
    assert routed.answer.submitted_at == routed.answered_at
    assert list(routed.events.values_list("action", flat=True)) == ["submitted", "assigned", "answered"]
    response = client.get(DASHBOARD)
    assert page_messages(response) == ["Thank you: your answer has gone to a coordinator for review."]
    assert queue_rows(response) == []


@pytest.mark.parametrize(
    ("action", "field", "text", "error"),
    [
        ("clarify", "message", "Income?", "Ensure this value has at least 10 characters (it has 7)."),
        ("decline", "reason", "No", "Ensure this value has at least 5 characters (it has 2)."),
    ],
)
def test_answer_page_too_short_clarify_or_decline_shows_the_error_and_changes_nothing(
    client, erin, routed, action, field, text, error
):
    client.force_login(erin)
    before = snapshot(routed)
    response = client.post(page_url(routed), {"action": action, field: text})
    assert response.status_code == 200
    assert field_errors(response, field) == [error]
    assert snapshot(routed) == before


def test_answer_page_clarify_asks_the_adviser(client, erin, routed):
    client.force_login(erin)
    response = client.post(page_url(routed), {"action": "clarify", "message": "What is your annual income?"})
    assert response.status_code == 302
    assert response.url == page_url(routed)
    routed.refresh_from_db()
    assert routed.status == Status.AWAITING_CLARIFICATION
    assert routed.events.get(action="clarification_requested").note == "What is your annual income?"


def test_answer_page_decline_passes_the_question_on(client, run_on_commit, erin, routed):
    client.force_login(erin)
    with run_on_commit():
        response = client.post(page_url(routed), {"action": "decline", "reason": "Conflict of interest"})
    assert response.status_code == 302
    assert response.url == DASHBOARD
    routed.refresh_from_db()
    assert (routed.status, routed.assignee, routed.needs_triage) == (Status.SUBMITTED, None, True)
    assert routed.events.get(action="declined").note == "Conflict of interest"


@pytest.mark.parametrize("action", ["save", "submit", "clarify", "decline"])
def test_answer_page_post_after_the_answer_was_submitted_changes_nothing(client, erin, routed, action):
    services.answer_submit(question_id=routed.pk, expert=erin, body=ANSWER)
    before = snapshot(routed)
    client.force_login(erin)
    response = client.post(
        page_url(routed),
        {"action": action, "body": ANSWER + " Edited.", "message": "What is your income?", "reason": "Too busy now"},
        follow=True,
    )
    assert response.redirect_chain == [(page_url(routed), 302)]
    assert page_messages(response) == ["This question is no longer waiting for your answer."]
    assert response.context["can_edit"] is False
    assert snapshot(routed) == before


def test_answer_page_post_after_the_asker_withdrew_changes_nothing(client, alice, erin, routed):
    services.question_withdraw(question_id=routed.pk, actor=alice)
    before = snapshot(routed)
    client.force_login(erin)
    response = client.post(page_url(routed), {"action": "submit", "body": ANSWER}, follow=True)
    assert page_messages(response) == ["This question is no longer waiting for your answer."]
    assert snapshot(routed) == before
    assert before[0] == Status.WITHDRAWN


def test_answer_page_submit_while_awaiting_clarification_shows_why_and_changes_nothing(client, erin, routed):
    services.question_request_clarification(question_id=routed.pk, expert=erin, message="What is your income?")
    before = snapshot(routed)
    client.force_login(erin)
    response = client.post(page_url(routed), {"action": "submit", "body": ANSWER}, follow=True)
    assert response.redirect_chain == [(page_url(routed), 302)]
    assert page_messages(response) == ["This question is now “waiting for the adviser”, so that is no longer possible."]
    assert snapshot(routed) == before


def test_answer_page_of_a_reassigned_question_is_forbidden_to_the_expert_who_declined(
    client, run_on_commit, topic, erin, routed
):
    sam = make_expert(topics=[topic], user=UserFactory(first_name="Sam")).user
    with run_on_commit():
        services.question_decline(question_id=routed.pk, expert=erin, reason="Conflict of interest")
    routed.refresh_from_db()
    assert routed.assignee == sam
    before = snapshot(routed)
    client.force_login(erin)
    assert client.post(page_url(routed), {"action": "submit", "body": ANSWER}).status_code == 403
    assert snapshot(routed) == before


# --- Accepting an assigned question -------------------------------------------------------------------------------


def queue_status(response):
    soup = BeautifulSoup(response.content, "html.parser")
    return [
        (
            row.select_one("a.queue-title").get_text(strip=True),
            row.select_one('[data-testid="queue-status"]').get_text(strip=True),
            bool(row.select("form")),
        )
        for row in soup.select('[data-testid="queue"] tbody tr')
    ]


def test_dashboard_marks_new_questions_and_offers_to_accept_them(client, erin, routed):
    client.force_login(erin)
    assert queue_status(client.get(DASHBOARD)) == [(routed.title, "New", True)]
    response = client.post(f"/experts/questions/{routed.pk}/accept/")
    assert (response.status_code, response.url) == (302, DASHBOARD)
    routed.refresh_from_db()
    assert routed.accepted_at is not None
    assert routed.status == Status.ASSIGNED
    assert list(routed.events.values_list("action", flat=True)) == ["submitted", "assigned", "accepted"]
    response = client.get(DASHBOARD)
    assert page_messages(response) == [f"Accepted: “{routed.title}”."]
    assert queue_status(response) == [(routed.title, "Accepted", False)]


def test_the_queue_gives_each_title_the_rows_width_with_topic_network_and_state_under_it(client, erin, routed):
    client.force_login(erin)
    soup = BeautifulSoup(client.get(DASHBOARD).content, "html.parser")
    queue = soup.select_one('[data-testid="queue"]')
    assert [th.get_text(strip=True) for th in queue.select("thead th")] == ["Question", "Due", "SLA", "Actions"]
    (row,) = queue.select("tbody tr")
    question = row.select_one("td.queue-question")
    assert question.select_one("a.queue-title").get_text() == routed.title
    assert question.select_one(".queue-from").get_text(" ", strip=True) == "Charity law · Northshire RCC · New"
    assert row.get_text().count("Northshire RCC") == 1


def test_the_queue_explains_accept_and_answer_and_offers_accept_until_accepted(client, erin, routed):
    client.force_login(erin)
    soup = BeautifulSoup(client.get(DASHBOARD).content, "html.parser")
    assert soup.select_one("#queue-help").get_text(" ", strip=True) == (
        "Accept tells the adviser you have taken their question on (their question page shows it); it does not "
        "pause the clock, which runs until you submit your answer. Answer opens the question: read it, ask the "
        "adviser for more detail, save drafts and submit."
    )
    row = soup.select_one('[data-testid="queue"] tbody tr')
    title_id = row.select_one("a.queue-title")["id"]
    actions = [
        (control.get_text(strip=True), control["aria-describedby"])
        for control in row.select("td.row-actions button, td.row-actions a")
    ]
    assert actions == [("Accept", title_id), ("Answer", title_id)]
    client.post(f"/experts/questions/{routed.pk}/accept/")
    row = BeautifulSoup(client.get(DASHBOARD).content, "html.parser").select_one('[data-testid="queue"] tbody tr')
    assert [control.get_text(strip=True) for control in row.select("td.row-actions button, td.row-actions a")] == [
        "Answer"
    ]


def test_accepting_twice_records_one_acceptance(client, erin, routed):
    client.force_login(erin)
    client.post(f"/experts/questions/{routed.pk}/accept/")
    client.post(f"/experts/questions/{routed.pk}/accept/")
    assert list(routed.events.values_list("action", flat=True)) == ["submitted", "assigned", "accepted"]


def test_accepting_someone_elses_question_changes_nothing(client, topic, routed):
    sam = make_expert(topics=[topic], user=UserFactory(first_name="Sam")).user
    before = snapshot(routed)
    client.force_login(sam)
    response = client.post(f"/experts/questions/{routed.pk}/accept/", follow=True)
    assert page_messages(response) == ["This question is no longer assigned to you."]
    assert snapshot(routed) == before
    routed.refresh_from_db()
    assert routed.accepted_at is None


def test_accept_is_post_only_and_for_experts(client, alice, erin, routed):
    client.force_login(erin)
    assert client.get(f"/experts/questions/{routed.pk}/accept/").status_code == 405
    client.force_login(alice)
    assert client.post(f"/experts/questions/{routed.pk}/accept/").status_code == 403
    client.logout()
    response = client.post(f"/experts/questions/{routed.pk}/accept/")
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    routed.refresh_from_db()
    assert routed.accepted_at is None


# --- Performance --------------------------------------------------------------------------------------------------


def timed(expert, title, *, network, topic, answered_at, hours, met, status=Status.PUBLISHED):
    return Question.objects.create(
        title=title,
        details="Details of the question, long enough to read.",
        topic=topic,
        network=network,
        status=status,
        assignee=expert,
        sla_hours=16,
        submitted_at=answered_at - dt.timedelta(days=3),
        answered_at=answered_at,
        working_hours_to_answer=hours,
        sla_met=met,
    )


def stat(response, name):
    soup = BeautifulSoup(response.content, "html.parser")
    return soup.select_one(f'[data-testid="stat-{name}"]').get_text(strip=True)


def test_dashboard_shows_the_experts_performance_with_a_chart_and_a_table(client, erin, alice, bob, northshire, topic):
    from qa_site.knowledge.models import AnswerRating, QuestionEvent

    utc = dt.UTC
    jan = timed(
        erin,
        "January one",
        network=northshire,
        topic=topic,
        answered_at=dt.datetime(2026, 1, 5, 12, tzinfo=utc),
        hours=10,
        met=True,
    )
    timed(
        erin,
        "January two",
        network=northshire,
        topic=topic,
        answered_at=dt.datetime(2026, 1, 20, 12, tzinfo=utc),
        hours=20,
        met=False,
    )
    timed(
        erin,
        "March one",
        network=northshire,
        topic=topic,
        answered_at=dt.datetime(2026, 3, 2, 12, tzinfo=utc),
        hours=4,
        met=True,
        status=Status.ANSWERED,
    )
    # 23:30 UTC on 31 March is 00:30 on 1 April in London.
    timed(
        erin,
        "April one",
        network=northshire,
        topic=topic,
        answered_at=dt.datetime(2026, 3, 31, 23, 30, tzinfo=utc),
        hours=6,
        met=True,
    )
    other = make_expert(topics=[topic]).user
    timed(
        other,
        "Not Erin's",
        network=northshire,
        topic=topic,
        answered_at=dt.datetime(2026, 1, 5, tzinfo=utc),
        hours=99,
        met=False,
    )
    AnswerRating.objects.create(question=jan, user=alice, stars=5)
    AnswerRating.objects.create(question=jan, user=bob, stars=4)
    QuestionEvent.objects.create(question=jan, action=QuestionEvent.Action.RETURNED, note="Please cite the Act.")

    client.force_login(erin)
    response = client.get(DASHBOARD)
    assert [stat(response, name) for name in ("answered", "met", "median", "rating", "returned")] == [
        "4",
        "75.0%",
        "8.0",
        "4.5★",
        "1",
    ]
    soup = BeautifulSoup(response.content, "html.parser")
    assert "average rating (2 ratings)" in soup.select_one('[data-testid="performance"]').get_text(" ", strip=True)
    rows = [
        [cell.get_text(strip=True) for cell in row.find_all("td")]
        for row in soup.select('[data-testid="by-month"] tbody tr')
    ]
    assert rows == [
        ["Jan 2026", "2", "1", "50.0%", "15.0"],
        ["Mar 2026", "1", "1", "100.0%", "4.0"],
        ["Apr 2026", "1", "1", "100.0%", "6.0"],
    ]
    # Two charts, one measure each, every month from January to April (February, with no answers, a gap in the %).
    figures = soup.select('[data-testid="performance"] figure.chart')
    assert [figure.select_one("svg > title").get_text() for figure in figures] == [
        "Your answers by month",
        "Answers within the promised time, by month",
    ]
    assert [
        [[cell.get_text() for cell in row.select("th, td")] for row in figure.select("details tbody tr")]
        for figure in figures
    ] == [
        [["Jan 2026", "2"], ["Feb 2026", "0"], ["Mar 2026", "1"], ["Apr 2026", "1"]],
        [["Jan 2026", "50%"], ["Feb 2026", "–"], ["Mar 2026", "100%"], ["Apr 2026", "100%"]],
    ]
    assert soup.select('[data-testid="performance"] script') == []
    png = client.get(DASHBOARD + "?chart=sla&format=png")
    assert png["Content-Disposition"] == 'attachment; filename="my-answers-sla.png"'
    assert png.content[:8] == b"\x89PNG\r\n\x1a\n"


def test_dashboard_performance_before_any_answer(client, erin):
    client.force_login(erin)
    response = client.get(DASHBOARD)
    assert [stat(response, name) for name in ("answered", "met", "median", "rating", "returned")] == [
        "0",
        "–",
        "–",
        "–",
        "0",
    ]
    soup = BeautifulSoup(response.content, "html.parser")
    assert soup.select('[data-testid="performance"] svg') == []
    assert [p.get_text(strip=True) for p in soup.select('[data-testid="performance"] p.card')] == [
        "Your record will appear here once you have answered a question."
    ]
