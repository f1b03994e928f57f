"""Races on published answers' reviews, with real threads and connections: exactly one winner (PostgreSQL only)."""

import datetime as dt

import pytest
from django.core import mail
from django.db import connection

from experts import reviews
from qa_site.knowledge import services
from qa_site.knowledge.models import AnswerReview, QuestionEvent, QuestionPage
from tests.factories import UserFactory, make_expert, make_published_page, make_topic
from tests.test_concurrency import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

UPDATE = "An updated answer with enough words to pass review and be published for everyone to read again. " * 2
TODAY = dt.date(2026, 6, 15)


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI does)")


@pytest.fixture
def cast():
    from qa_site.knowledge.setup import ensure_site_tree

    ensure_site_tree()
    topic = make_topic("Charity law")
    expert = make_expert(topics=[topic], user=UserFactory(email="expert@example.test")).user
    pages = [make_published_page(topic=topic, title=f"Old answer {n}", expert=expert) for n in range(3)]
    QuestionPage.objects.filter(pk__in=[p.pk for p in pages]).update(review_by=TODAY - dt.timedelta(days=10))
    return {"topic": topic, "expert": expert, "pages": pages, "coordinator": UserFactory(is_staff=True)}


def test_three_sweeps_at_once_open_each_review_once_and_email_once(cast):
    mail.outbox.clear()
    results = race(*[lambda: reviews.sweep(today=TODAY)] * 3)
    assert sum(r["queued"] for r in results) == 3, results
    assert AnswerReview.objects.count() == 3
    assert QuestionEvent.objects.filter(action="review_due").count() == 3
    bodies = [message.body for message in mail.outbox]
    for page in cast["pages"]:  # each answer is in exactly one e-mail, whichever sweep opened it
        assert sum(body.count(f"{page.title} (") for body in bodies) == 1


def test_a_double_clicked_confirm_confirms_once(cast):
    reviews.sweep(today=TODAY)
    review = AnswerReview.objects.first()
    results = race(*[lambda: services.answer_review_confirm(review_id=review.pk, expert=cast["expert"])] * 2)
    assert sorted(type(r).__name__ for r in results) == ["AnswerReview", "TransitionError"], results
    assert QuestionEvent.objects.filter(action="review_confirmed").count() == 1


def test_two_topic_experts_taking_one_review_at_once_have_one_winner(cast):
    cast["expert"].expert_profile.status = "retired"
    cast["expert"].expert_profile.save()
    one, two = make_expert(topics=[cast["topic"]]).user, make_expert(topics=[cast["topic"]]).user
    reviews.sweep(today=TODAY)
    review = AnswerReview.objects.first()
    assert review.expert is None
    results = race(
        lambda: services.answer_review_confirm(review_id=review.pk, expert=one),
        lambda: services.answer_review_submit(review_id=review.pk, expert=two, body=UPDATE),
    )
    winners = [r for r in results if isinstance(r, AnswerReview)]
    assert len(winners) == 1, results
    review.refresh_from_db()
    assert review.status in ("confirmed", "submitted")


def test_publishing_and_returning_an_update_at_once_do_one(cast):
    reviews.sweep(today=TODAY)
    review = AnswerReview.objects.first()
    services.answer_review_submit(review_id=review.pk, expert=cast["expert"], body=UPDATE)
    review.refresh_from_db()
    coordinator = cast["coordinator"]
    results = race(
        lambda: services.answer_review_publish(review_id=review.pk, actor=coordinator, **review.publishable_copy()),
        lambda: services.answer_review_return(review_id=review.pk, actor=coordinator, comment="Please add a source."),
    )
    assert sorted(type(r).__name__ for r in results) == ["AnswerReview", "TransitionError"], results
    review.refresh_from_db()
    published = QuestionPage.objects.get(pk=review.page_id).answer == UPDATE.strip()
    assert published == (review.status == "updated")


def test_clearing_a_flag_while_the_answer_is_published_neither_deadlocks_nor_fails(cast):
    from qa_site.knowledge.models import Question
    from tests.factories import MembershipFactory, NetworkFactory, SubscriptionFactory

    network = NetworkFactory()
    SubscriptionFactory(network=network)
    asker = MembershipFactory(network=network).user
    question = Question.objects.create(
        title="Paying Jo at M1 1AE?",
        details="Jo, jo@example.org, 07700 900123, trains our volunteers.",
        topic=cast["topic"],
        asker=asker,
        network=network,
        visibility="public",
        sla_hours=48,
    )
    services.question_assign(question_id=question.pk, expert=cast["expert"], reason="test")
    services.answer_submit(question_id=question.pk, expert=cast["expert"], body=UPDATE)
    flags = list(question.personal_data_flags.all())
    redacted = {"title": "Paying a trainer", "question_text": "A trustee trains our volunteers.", "answer_text": UPDATE}
    coordinator = cast["coordinator"]
    results = race(
        lambda: services.question_publish(question_id=question.pk, actor=coordinator, **redacted),
        *[lambda f=f: services.personal_data_flag_clear(flag_id=f.pk, actor=coordinator) for f in flags],
    )
    assert all(not isinstance(r, Exception) or type(r) is services.TransitionError for r in results), results
    question.refresh_from_db()
    assert question.status == "published"
    assert not question.personal_data_flags.filter(cleared_at=None).exists()
