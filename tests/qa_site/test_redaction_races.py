"""Races on redacting personal data, with real threads and connections (PostgreSQL only): a double-clicked Redact
replaces the text once; a redaction and a publication at the same moment leave the page consistent."""

import pytest
from django.db import connection

from qa_site.knowledge import services
from qa_site.knowledge.models import Answer, Question, QuestionEvent, QuestionPage
from qa_site.knowledge.setup import ensure_site_tree
from tests.factories import MembershipFactory, NetworkFactory, SubscriptionFactory, UserFactory, make_expert, make_topic
from tests.racing import race

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

ANSWER = "A complete answer with enough words to pass review and be published for everyone to read. " * 2
DETAILS = "Jo (jo@example.org, 07700 900123) wants paying for training."


@pytest.fixture(autouse=True)
def _postgres_only():
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL: set DATABASE_URL (CI does)")


@pytest.fixture
def answered():
    ensure_site_tree()
    topic = make_topic("Charity law")
    network = NetworkFactory()
    SubscriptionFactory(network=network)
    asker = MembershipFactory(network=network, user=UserFactory()).user
    expert = make_expert(topics=[topic]).user
    question = Question.objects.create(
        title="Can we pay a trustee?",
        details=DETAILS,
        topic=topic,
        asker=asker,
        network=network,
        visibility="public",
        sla_hours=48,
    )
    services.question_assign(question_id=question.pk, expert=expert, reason="Routed.")
    services.answer_submit(question_id=question.pk, expert=expert, body=ANSWER)
    return {"question": question, "coordinator": UserFactory(is_staff=True)}


def test_a_double_clicked_redact_replaces_the_text_once(answered):
    question, colin = answered["question"], answered["coordinator"]
    phone = question.personal_data_flags.get(kind="phone")
    results = race(*[lambda: services.personal_data_redact(flag_id=phone.pk, actor=colin)] * 2)
    assert sorted((len(r.redacted), len(r.already)) for r in results) == [(0, 1), (1, 0)], results
    copy = Answer.objects.get(question=question).publishable_copy()
    assert copy["question_text"] == "Jo (jo@example.org, [phone number]) wants paying for training."
    assert QuestionEvent.objects.filter(action="pii_redacted").count() == 1


def test_redacting_two_flags_of_one_field_at_once_keeps_both(answered):
    question, colin = answered["question"], answered["coordinator"]
    email, phone = (question.personal_data_flags.get(kind=kind) for kind in ("email", "phone"))
    results = race(
        lambda: services.personal_data_redact(flag_id=email.pk, actor=colin),
        lambda: services.personal_data_redact(flag_id=phone.pk, actor=colin),
    )
    assert all(isinstance(r, services.Redacted) for r in results), results
    copy = Answer.objects.get(question=question).publishable_copy()
    assert copy["question_text"] == "Jo ([e-mail address], [phone number]) wants paying for training."


def test_redact_all_against_publishing_leaves_no_personal_data_on_the_page(answered):
    question, colin = answered["question"], answered["coordinator"]
    copy = Answer.objects.get(question=question).publishable_copy()
    results = race(
        lambda: services.personal_data_redact_all(question_id=question.pk, actor=colin),
        lambda: services.question_publish(question_id=question.pk, actor=colin, **copy),
    )
    # Publishing the unredacted copy is refused whichever runs first (before: flags open; after: the copy it
    # was given still holds them), so the number never reaches a page.
    assert isinstance(results[0], services.Redacted), results
    assert isinstance(results[1], services.PersonalDataError), results
    assert not QuestionPage.objects.exists()
