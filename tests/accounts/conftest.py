"""Fixtures for the account pages: a question taken through its life (tests/conftest.py gives each test a fresh
cache, where rate limits live)."""

import pytest

from qa_site.knowledge import services
from tests.factories import ask

ANSWER = (
    "Yes, if your governing document allows it. Record the trustees' decision in the minutes, "
    "manage the conflict of interest, and tell the Charity Commission if your constitution asks you to."
)


def take_through_to_published(run_on_commit, *, asker, network, topic, expert, coordinator, visibility="public", **kw):
    """Ask, have the expert ask for detail, reply, answer, publish: as the people involved would."""
    question = ask(run_on_commit, asker, network, topic, visibility=visibility, **kw)
    assert question.assignee == expert
    with run_on_commit():
        services.question_request_clarification(
            question_id=question.pk, expert=expert, message="How many hours a month would she work?"
        )
        services.question_clarify(question_id=question.pk, actor=asker, reply="About ten hours a month.")
        services.answer_submit(question_id=question.pk, expert=expert, body=ANSWER)
        services.question_publish(
            question_id=question.pk,
            actor=coordinator,
            title="Can a charity pay a trustee for training?",
            question_text="A small charity wants to pay a trustee who is a qualified trainer.",
            answer_text=ANSWER,
        )
    question.refresh_from_db()
    return question


@pytest.fixture
def published(run_on_commit, alice, northshire, topic, erin, colin):
    """Alice's public question, answered by Erin and published by Colin (with a page in the knowledge base)."""
    return take_through_to_published(
        run_on_commit, asker=alice, network=northshire, topic=topic, expert=erin, coordinator=colin
    )
