"""The question lifecycle through its services: each transition, its audit line and its side effects."""

import pytest
from django.core import mail

from qa_site.knowledge import services
from qa_site.knowledge.models import Question, QuestionEvent, QuestionPage
from tests.factories import UserFactory, ask, make_expert

Status = Question.Status
ANSWER = (
    "Yes. You can do this, but take three steps first. Check your governing document for a power to do it, "
    "record the trustees' decision in the minutes, and tell your insurer before the change takes effect."
)


def test_submitted_question_is_routed_to_the_topic_expert_with_a_due_time(
    run_on_commit, alice, northshire, topic, erin
):
    question = ask(run_on_commit, alice, northshire, topic)
    question.refresh_from_db()
    assert question.status == Status.ASSIGNED
    assert question.assignee == erin
    assert question.sla_hours == 48
    assert question.due_at > question.submitted_at
    actions = list(question.events.values_list("action", flat=True))
    assert actions == [QuestionEvent.Action.SUBMITTED, QuestionEvent.Action.ASSIGNED]
    assert "Routed to Erin" in question.events.get(action="assigned").note
    assert [m.to for m in mail.outbox] == [["erin@example.test"]]
    assert "New question for you" in mail.outbox[0].subject
    assert mail.outbox[0].alternatives[0][1] == "text/html"


def test_question_with_no_eligible_expert_goes_to_triage_with_the_reason(
    run_on_commit, alice, northshire, other_topic, erin
):
    question = ask(run_on_commit, alice, northshire, other_topic)
    question.refresh_from_db()
    assert question.status == Status.SUBMITTED
    assert question.needs_triage is True
    assert question.assignee is None
    assert question.due_at is not None, "the SLA clock runs in triage too"
    assert Question.objects.in_triage().get() == question
    assert question.events.get(action="triaged").note == "No expert covers Rural transport yet."
    assert mail.outbox == []


def test_premium_plan_promises_a_shorter_time(run_on_commit, bob, westvale, topic, erin, alice, northshire):
    premium = ask(run_on_commit, bob, westvale, topic)
    standard = ask(run_on_commit, alice, northshire, topic)
    premium.refresh_from_db()
    standard.refresh_from_db()
    assert (premium.sla_hours, standard.sla_hours) == (24, 48)


def test_adviser_of_an_expired_network_cannot_ask(carol, eastmoor, topic):
    with pytest.raises(services.TransitionError, match="current subscription"):
        services.question_submit(
            asker=carol,
            network=eastmoor,
            topic=topic,
            title="A question that is long",
            details="Details " * 10,
            visibility="public",
        )
    assert not Question.objects.exists()


def test_the_whole_loop_publishes_a_page_and_emails_the_asker(run_on_commit, alice, northshire, topic, erin, colin):
    question = ask(run_on_commit, alice, northshire, topic)
    services.answer_save_draft(question_id=question.pk, expert=erin, body="First thoughts")
    question = services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    assert question.status == Status.ANSWERED
    assert question.answer.body == ANSWER
    mail.outbox.clear()
    with run_on_commit():
        question = services.question_publish(
            question_id=question.pk,
            actor=colin,
            title="Can trustees be paid for training?",
            question_text="A trustee is a qualified trainer. Can the charity pay her?",
            answer_text=ANSWER,
        )
    assert question.status == Status.PUBLISHED
    page = QuestionPage.objects.get(question=question)
    assert page.live
    assert page.title == "Can trustees be paid for training?"
    assert page.get_parent().specific == topic
    assert page.topic_id == topic.pk
    assert page.expert == erin
    assert page.url.startswith("/topics/charity-law/")
    assert [m.to for m in mail.outbox] == [["alice@example.test"]]
    assert "Answered: Can trustees be paid" in mail.outbox[0].subject
    assert f"/questions/{question.pk}/" in mail.outbox[0].body
    assert list(question.events.values_list("action", flat=True)) == [
        "submitted",
        "assigned",
        "answered",
        "published",
    ]
    published = question.events.get(action="published")
    assert (published.actor, published.from_status, published.to_status) == (colin, "answered", "published")


def test_private_question_is_delivered_but_never_becomes_a_page(run_on_commit, alice, northshire, topic, erin, colin):
    question = ask(run_on_commit, alice, northshire, topic, visibility="private")
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    with run_on_commit():
        services.question_publish(
            question_id=question.pk, actor=colin, title="t" * 10, question_text="q", answer_text=ANSWER
        )
    question.refresh_from_db()
    assert question.status == Status.PUBLISHED
    assert not QuestionPage.objects.exists()
    assert mail.outbox[-1].to == ["alice@example.test"]
    assert "only you can read this answer" in mail.outbox[-1].body


def test_network_question_page_records_its_network(run_on_commit, alice, northshire, topic, erin, colin):
    question = ask(run_on_commit, alice, northshire, topic, visibility="network")
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    services.question_publish(
        question_id=question.pk, actor=colin, title="Network only answer", question_text="q", answer_text=ANSWER
    )
    page = QuestionPage.objects.get()
    assert (page.visibility, page.network) == ("network", northshire)


def test_returned_answer_goes_back_to_the_expert_with_the_comment(run_on_commit, alice, northshire, topic, erin, colin):
    question = ask(run_on_commit, alice, northshire, topic)
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    mail.outbox.clear()
    with run_on_commit():
        question = services.answer_return(question_id=question.pk, actor=colin, comment="Please cite the section.")
    assert question.status == Status.ASSIGNED
    assert question.answer.review_comment == "Please cite the section."
    assert question.answer.submitted_at is None
    assert question.answer.body == ANSWER, "the expert keeps their text to edit"
    assert mail.outbox[0].to == ["erin@example.test"]
    assert "Please cite the section." in mail.outbox[0].body


def test_only_the_assigned_expert_can_answer(run_on_commit, alice, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic)
    intruder = make_expert(topics=[topic]).user
    with pytest.raises(services.TransitionError, match="not assigned to you"):
        services.answer_submit(question_id=question.pk, expert=intruder, body=ANSWER)
    question.refresh_from_db()
    assert question.status == Status.ASSIGNED


def test_a_transition_from_the_wrong_state_changes_nothing(run_on_commit, alice, northshire, topic, erin, colin):
    question = ask(run_on_commit, alice, northshire, topic)
    with pytest.raises(services.TransitionError, match="with an expert"):
        services.question_publish(
            question_id=question.pk, actor=colin, title="Too early", question_text="q", answer_text="a"
        )
    question.refresh_from_db()
    assert question.status == Status.ASSIGNED
    assert not QuestionPage.objects.exists()
    assert question.events.count() == 2


def test_publishing_twice_publishes_once(run_on_commit, alice, northshire, topic, erin, colin):
    question = ask(run_on_commit, alice, northshire, topic)
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    services.question_publish(
        question_id=question.pk, actor=colin, title="Once only", question_text="q", answer_text=ANSWER
    )
    with pytest.raises(services.TransitionError):
        services.question_publish(
            question_id=question.pk, actor=colin, title="Twice", question_text="q", answer_text=ANSWER
        )
    assert QuestionPage.objects.count() == 1
    assert question.events.filter(action="published").count() == 1


def test_clarification_round_trip_emails_each_side(run_on_commit, alice, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic)
    mail.outbox.clear()
    with run_on_commit():
        question = services.question_request_clarification(
            question_id=question.pk, expert=erin, message="What is your annual income?"
        )
    assert question.status == Status.AWAITING_CLARIFICATION
    assert mail.outbox[0].to == ["alice@example.test"]
    assert "What is your annual income?" in mail.outbox[0].body
    with pytest.raises(services.TransitionError, match="Only the person who asked"):
        services.question_clarify(question_id=question.pk, actor=erin, reply="Me")
    with run_on_commit():
        question = services.question_clarify(question_id=question.pk, actor=alice, reply="About £40,000 a year.")
    assert question.status == Status.ASSIGNED
    assert mail.outbox[1].to == ["erin@example.test"]
    assert "About £40,000 a year." in mail.outbox[1].body


def test_declined_question_is_rerouted_and_never_back_to_the_decliner(run_on_commit, alice, northshire, topic, erin):
    second = make_expert(topics=[topic], user=UserFactory(first_name="Sam")).user
    question = ask(run_on_commit, alice, northshire, topic)
    first_choice = question.__class__.objects.get(pk=question.pk).assignee
    other = second if first_choice == erin else erin
    with run_on_commit():
        services.question_decline(question_id=question.pk, expert=first_choice, reason="Conflict of interest")
    question.refresh_from_db()
    assert question.status == Status.ASSIGNED
    assert question.assignee == other
    # The second expert declines too: nobody is left, so it goes to triage and never back to either.
    with run_on_commit():
        services.question_decline(question_id=question.pk, expert=other, reason="Away next week")
    question.refresh_from_db()
    assert (question.status, question.needs_triage, question.assignee) == (Status.SUBMITTED, True, None)
    assert "2 declined this question" in question.events.filter(action="triaged").last().note


def test_asker_can_withdraw_an_open_question_but_nobody_else_can(run_on_commit, alice, bob, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic)
    with pytest.raises(services.TransitionError):
        services.question_withdraw(question_id=question.pk, actor=bob)
    question = services.question_withdraw(question_id=question.pk, actor=alice)
    assert question.status == Status.WITHDRAWN
    with pytest.raises(services.TransitionError):
        services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)


def test_close_as_duplicate_points_the_asker_to_the_existing_answer(
    run_on_commit, alice, northshire, topic, erin, colin
):
    from tests.factories import make_published_page

    existing = make_published_page(topic=topic, title="How do we pay a trustee?")
    question = ask(run_on_commit, alice, northshire, topic)
    mail.outbox.clear()
    with run_on_commit():
        question = services.question_close_as_duplicate(question_id=question.pk, actor=colin, duplicate_of=existing)
    assert question.status == Status.CLOSED_AS_DUPLICATE
    assert question.duplicate_of == existing
    assert existing.url in mail.outbox[0].body


def test_only_coordinators_can_publish_return_reject_or_close(run_on_commit, alice, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic)
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    for attempt in (
        lambda: services.question_publish(
            question_id=question.pk, actor=erin, title="Mine", question_text="q", answer_text=ANSWER
        ),
        lambda: services.answer_return(question_id=question.pk, actor=alice, comment="No"),
        lambda: services.question_reject(question_id=question.pk, actor=erin, reason="No"),
    ):
        with pytest.raises(services.TransitionError, match="Only coordinators"):
            attempt()
    question.refresh_from_db()
    assert question.status == Status.ANSWERED
    assert not QuestionPage.objects.exists()


def test_rejected_question_tells_the_asker_why(run_on_commit, alice, northshire, topic, erin, colin):
    question = ask(run_on_commit, alice, northshire, topic)
    mail.outbox.clear()
    with run_on_commit():
        question = services.question_reject(question_id=question.pk, actor=colin, reason="Needs a solicitor.")
    assert question.status == Status.REJECTED
    assert mail.outbox[0].to == ["alice@example.test"]
    assert "Needs a solicitor." in mail.outbox[0].body
