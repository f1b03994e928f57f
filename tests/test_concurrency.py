"""Races on one question, with real threads and real connections: exactly one winner.

PostgreSQL only (row locks are the point); CI runs the suite a second time with DATABASE_URL set.
"""

import pytest
from django.db import connection

from experts import routing
from qa_site.knowledge import services
from qa_site.knowledge.models import Question, QuestionEvent, QuestionPage
from qa_site.knowledge.setup import ensure_site_tree
from tests.factories import MembershipFactory, NetworkFactory, SubscriptionFactory, UserFactory, make_expert, make_topic
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ANSWER = "A complete answer with enough words to pass review and be published for everyone to read. " * 2


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI does)")


@pytest.fixture
def cast():
    ensure_site_tree()
    topic = make_topic("Charity law")
    network = NetworkFactory()
    SubscriptionFactory(network=network)
    asker = MembershipFactory(network=network, user=UserFactory()).user
    return {"topic": topic, "network": network, "asker": asker}


def submit(cast, title="Can trustees be paid?"):
    question = Question.objects.create(
        title=title,
        details="d" * 40,
        topic=cast["topic"],
        asker=cast["asker"],
        network=cast["network"],
        visibility="public",
        sla_hours=48,
    )
    return question


def test_two_coordinators_publishing_at_once_publish_once(cast):
    expert = make_expert(topics=[cast["topic"]]).user
    coordinators = [UserFactory(is_staff=True), UserFactory(is_staff=True)]
    question = submit(cast)
    services.question_assign(question_id=question.pk, expert=expert, reason="test")
    services.answer_submit(question_id=question.pk, expert=expert, body=ANSWER)

    results = race(
        *[
            (
                lambda c=c: services.question_publish(
                    question_id=question.pk, actor=c, title="Once", question_text="q", answer_text=ANSWER
                )
            )
            for c in coordinators
        ]
    )
    winners = [r for r in results if isinstance(r, Question)]
    losers = [r for r in results if isinstance(r, services.TransitionError)]
    assert (len(winners), len(losers)) == (1, 1), results
    assert QuestionPage.objects.filter(question=question).count() == 1
    assert QuestionEvent.objects.filter(question=question, action="published").count() == 1


def test_expert_answering_while_coordinator_rejects_has_one_outcome(cast):
    expert = make_expert(topics=[cast["topic"]]).user
    question = submit(cast)
    services.question_assign(question_id=question.pk, expert=expert, reason="test")
    results = race(
        lambda: services.answer_submit(question_id=question.pk, expert=expert, body=ANSWER),
        lambda: services.question_reject(question_id=question.pk, actor=UserFactory(is_staff=True), reason="No"),
    )
    question.refresh_from_db()
    errors = [r for r in results if isinstance(r, Exception)]
    # Either order is a valid outcome: answer then reject (both succeed), or reject first (answer refused).
    if errors:
        assert len(errors) == 1
        assert isinstance(errors[0], services.TransitionError)
    assert question.status == Question.Status.REJECTED
    assert QuestionEvent.objects.filter(question=question, action="rejected").count() == 1


def test_two_routing_jobs_for_one_question_assign_it_once(cast):
    make_expert(topics=[cast["topic"]])
    make_expert(topics=[cast["topic"]])
    question = submit(cast)
    results = race(*[lambda: routing.route_question(Question.objects.get(pk=question.pk)) for _ in range(2)])
    assert sum(isinstance(r, services.TransitionError) for r in results) == 1, results
    assert QuestionEvent.objects.filter(question=question, action="assigned").count() == 1


def test_an_expert_with_one_slot_left_gets_only_one_of_two_simultaneous_questions(cast):
    make_expert(topics=[cast["topic"]], max_open_questions=1)
    first, second = submit(cast, "First question here"), submit(cast, "Second question here")
    race(*[lambda q=q: routing.route_question(Question.objects.get(pk=q.pk)) for q in (first, second)])
    statuses = sorted(Question.objects.filter(pk__in=[first.pk, second.pk]).values_list("status", "needs_triage"))
    assert statuses == [("assigned", False), ("submitted", True)]


# --- Issue 3: the expert's actions, the coordinator's and the sweep, racing on one question ------------------


@pytest.fixture
def assigned(cast):
    from django.core import mail

    expert = make_expert(topics=[cast["topic"]]).user
    question = submit(cast)
    services.question_assign(question_id=question.pk, expert=expert, reason="test")
    mail.outbox.clear()
    return question, expert


def outcomes(results):
    wins = [r for r in results if not isinstance(r, Exception)]
    losses = [r for r in results if isinstance(r, Exception)]
    assert all(isinstance(r, services.TransitionError) for r in losses), losses
    return wins, losses


def test_answering_while_declining_has_exactly_one_outcome(assigned):
    question, expert = assigned
    results = race(
        lambda: services.answer_submit(question_id=question.pk, expert=expert, body=ANSWER),
        lambda: services.question_decline(question_id=question.pk, expert=expert, reason="Conflict"),
    )
    wins, losses = outcomes(results)
    assert (len(wins), len(losses)) == (1, 1)
    question.refresh_from_db()
    assert question.status in ("answered", "submitted")  # answered, or declined and (nobody left) in triage
    assert QuestionEvent.objects.filter(question=question, action__in=["answered", "declined"]).count() == 1


def test_reassigning_while_the_expert_answers_has_exactly_one_outcome(assigned, cast):
    question, expert = assigned
    other = make_expert(topics=[cast["topic"]]).user
    coordinator = UserFactory(is_staff=True)
    results = race(
        lambda: services.answer_submit(question_id=question.pk, expert=expert, body=ANSWER),
        lambda: services.question_reassign(question_id=question.pk, expert=other, actor=coordinator),
    )
    wins, _ = outcomes(results)
    assert len(wins) == 1
    question.refresh_from_db()
    if question.status == "answered":
        assert question.assignee == expert
    else:
        assert (question.status, question.assignee) == ("assigned", other)


def test_a_double_clicked_reassign_assigns_and_emails_once(assigned, cast):
    from django.core import mail

    question, _ = assigned
    other = make_expert(topics=[cast["topic"]]).user
    coordinator = UserFactory(is_staff=True)
    results = race(*[lambda: services.question_reassign(question_id=question.pk, expert=other, actor=coordinator)] * 2)
    wins, losses = outcomes(results)
    assert (len(wins), len(losses)) == (1, 1)
    assert QuestionEvent.objects.filter(question=question, action="reassigned").count() == 1
    assert [m.to for m in mail.outbox] == [[other.email]]


def test_accepting_while_declining_leaves_a_consistent_question(assigned):
    question, expert = assigned
    results = race(
        lambda: services.assignment_accept(question_id=question.pk, expert=expert),
        lambda: services.question_decline(question_id=question.pk, expert=expert, reason="Away"),
    )
    outcomes(results)
    question.refresh_from_db()
    # Declined either way (declining also works on an accepted question), and never left accepted by nobody.
    assert question.assignee is None
    assert question.accepted_at is None
    assert QuestionEvent.objects.filter(question=question, action="declined").count() == 1


def test_two_sweeps_at_once_remind_and_alert_each_question_once(cast):
    import datetime as dt

    from django.core import mail
    from django.utils import timezone

    from experts import sla

    UserFactory(is_staff=True, email="coordinator@example.test")
    expert = make_expert(topics=[cast["topic"]], max_open_questions=50).user
    questions = [submit(cast, f"Question number {n}") for n in range(8)]
    for question in questions:
        services.question_assign(question_id=question.pk, expert=expert, reason="test")
    now = timezone.now()
    # Half are at risk, half are past due.
    Question.objects.filter(pk__in=[q.pk for q in questions[:4]]).update(
        warn_at=now - dt.timedelta(minutes=5), due_at=now + dt.timedelta(hours=2)
    )
    Question.objects.filter(pk__in=[q.pk for q in questions[4:]]).update(
        warn_at=now - dt.timedelta(hours=3), due_at=now - dt.timedelta(minutes=5)
    )
    mail.outbox.clear()
    results = race(lambda: sla.sweep(now=now), lambda: sla.sweep(now=now), lambda: sla.sweep(now=now))
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sum(r["reminded"] for r in results) == 4
    assert sum(r["breached"] for r in results) == 4
    reminders = [m for m in mail.outbox if m.subject.startswith("Reminder")]
    alerts = [m for m in mail.outbox if m.subject.startswith("SLA breached")]
    assert (len(reminders), len(alerts)) == (4, 4)
    assert QuestionEvent.objects.filter(action="reminded").count() == 8  # claimed for all; e-mailed if not past due
    assert QuestionEvent.objects.filter(action="breached").count() == 4


def test_the_sweep_rerouting_a_breach_while_the_expert_answers_has_one_outcome(assigned, cast):
    import datetime as dt

    from django.utils import timezone

    from experts import sla
    from qa_site.knowledge.models import SLASettings

    question, expert = assigned
    make_expert(topics=[cast["topic"]])
    policy = SLASettings.load()
    policy.reroute_on_breach = True
    policy.save()
    now = timezone.now()
    Question.objects.filter(pk=question.pk).update(due_at=now - dt.timedelta(minutes=1))
    results = race(
        lambda: services.answer_submit(question_id=question.pk, expert=expert, body=ANSWER),
        lambda: sla.sweep(now=now),
    )
    question.refresh_from_db()
    answered = not isinstance(results[0], Exception)
    if answered:
        assert question.status == "answered"
        assert question.assignee == expert
        assert not QuestionEvent.objects.filter(question=question, action="released").exists()
    else:
        assert isinstance(results[0], services.TransitionError)
        assert question.assignee != expert
        assert QuestionEvent.objects.filter(question=question, action="released").count() == 1
