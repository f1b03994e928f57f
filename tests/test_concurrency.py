"""Races on one question, with real threads and real connections: exactly one winner.

PostgreSQL only (row locks are the point); CI runs the suite a second time with DATABASE_URL set.
"""

import threading

import pytest
from django.db import close_old_connections, connection

from experts import routing
from qa_site.knowledge import services
from qa_site.knowledge.models import Question, QuestionEvent, QuestionPage
from qa_site.knowledge.setup import ensure_site_tree
from tests.factories import MembershipFactory, NetworkFactory, SubscriptionFactory, UserFactory, make_expert, make_topic

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


def race(*calls):
    """Run the calls at the same moment in separate threads; return what each returned or raised."""
    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, call):
        try:
            barrier.wait()
            results[i] = call()
        except Exception as exc:  # the loser's TransitionError is a result too
            results[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return results


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
