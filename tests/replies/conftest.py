"""The people and the question of the replies-by-e-mail tests: Alice's question, on which Erin asked for more detail."""

import pytest
from django.core import mail

from qa_site.knowledge import reply_addresses, services
from qa_site.knowledge.models import Question
from tests.factories import ask

DOMAIN = "replies.ask-an-expert.test"


@pytest.fixture
def replies_on(settings):
    settings.REPLY_DOMAIN = DOMAIN


@pytest.fixture
def awaiting(replies_on, run_on_commit, alice, northshire, topic, erin):
    """Alice's question, on which Erin has asked for more detail (Alice has been e-mailed)."""
    question = ask(run_on_commit, alice, northshire, topic, title="What records must we keep for Gift Aid?")
    mail.outbox.clear()
    with run_on_commit():
        services.question_request_clarification(
            question_id=question.pk, expert=erin, message="Do you claim on cash donations too?"
        )
    question.refresh_from_db()
    assert question.status == Question.Status.AWAITING_CLARIFICATION
    return question


def address(question, person, role, **kwargs):
    return reply_addresses.make_address(question_id=question.pk, user_id=person.pk, role=role, **kwargs)
