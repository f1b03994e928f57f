"""The coordinator's console in the Wagtail admin: review and publish, return, reject, close, triage."""

import pytest
from django.core import mail
from django.urls import reverse

from qa_site.knowledge import services
from qa_site.knowledge.models import Question, QuestionPage
from tests.factories import ask, make_expert, make_published_page

ANSWER = "You should check your governing document, minute the trustees' decision and tell your insurer. " * 3


@pytest.fixture
def answered(run_on_commit, alice, northshire, topic, erin):
    question = ask(
        run_on_commit,
        alice,
        northshire,
        topic,
        title="Can we pay Jo Bloggs of 12 High Street?",
        details="Jo (jo@example.org, 07700 900123) wants paying for training.",
    )
    return services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)


@pytest.fixture
def coordinator(client, colin):
    client.force_login(colin)
    return client


def test_review_queue_lists_answers_waiting_oldest_first(coordinator, answered):
    body = coordinator.get(reverse("knowledge_admin:review_queue")).content.decode()
    assert "Can we pay Jo Bloggs of 12 High Street?" in body
    assert "Erin" in body


def test_publishing_uses_the_coordinators_redacted_copy(
    coordinator, answered, topic, django_capture_on_commit_callbacks
):
    review = coordinator.get(reverse("knowledge_admin:review", args=[answered.pk])).content.decode()
    assert "edit it out before publishing" in review
    with django_capture_on_commit_callbacks(execute=True):
        response = coordinator.post(
            reverse("knowledge_admin:review", args=[answered.pk]),
            {
                "action": "publish",
                "title": "Can we pay a trustee for training?",
                "question_text": "A trustee wants paying for training.",
                "answer_text": ANSWER,
            },
        )
    assert response.status_code == 302
    page = QuestionPage.objects.get()
    assert page.title == "Can we pay a trustee for training?"
    assert "jo@example.org" not in page.question_text
    assert page.live
    assert page.get_parent().pk == topic.pk
    assert mail.outbox[-1].subject.startswith("Answered:")


@pytest.mark.parametrize("missing", ["title", "question_text", "answer_text"])
def test_publishing_with_an_empty_field_publishes_nothing(coordinator, answered, missing):
    data = {"action": "publish", "title": "A fine title", "question_text": "q", "answer_text": ANSWER, missing: ""}
    response = coordinator.post(reverse("knowledge_admin:review", args=[answered.pk]), data)
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    answered.refresh_from_db()
    assert answered.status == Question.Status.ANSWERED
    assert not QuestionPage.objects.exists()


def test_returning_an_answer_needs_a_comment(coordinator, answered):
    url = reverse("knowledge_admin:review", args=[answered.pk])
    response = coordinator.post(url, {"action": "return", "comment": ""})
    assert response.status_code == 200
    assert "This field is required." in response.content.decode()
    answered.refresh_from_db()
    assert answered.status == Question.Status.ANSWERED
    coordinator.post(url, {"action": "return", "comment": "Please remove the name."})
    answered.refresh_from_db()
    assert answered.status == Question.Status.ASSIGNED
    assert answered.answer.review_comment == "Please remove the name."


def test_review_page_of_a_question_not_in_review_redirects_with_a_message(coordinator, answered, colin):
    services.answer_return(question_id=answered.pk, actor=colin, comment="again")
    response = coordinator.get(reverse("knowledge_admin:review", args=[answered.pk]), follow=True)
    assert "not waiting for review any more" in response.content.decode()


def test_unknown_question_ids_are_404(coordinator, site_tree):
    assert coordinator.get(reverse("knowledge_admin:review", args=[999999])).status_code == 404
    assert coordinator.get(reverse("knowledge_admin:question", args=[999999])).status_code == 404


def test_question_detail_shows_the_audit_trail(coordinator, answered):
    body = coordinator.get(reverse("knowledge_admin:question", args=[answered.pk])).content.decode()
    for label in ("Asked", "Assigned to an expert", "Answer submitted"):
        assert label in body
    assert "Routed to Erin" in body


def test_reject_needs_a_reason(coordinator, run_on_commit, alice, northshire, topic, erin):
    question = services.question_submit(
        asker=alice,
        network=northshire,
        topic=topic,
        title="Please sue our landlord",
        details="d" * 40,
        visibility="private",
    )
    url = reverse("knowledge_admin:question", args=[question.pk])
    response = coordinator.post(url, {"action": "reject", "reason": ""})
    assert response.status_code == 400
    question.refresh_from_db()
    assert question.status == Question.Status.SUBMITTED
    coordinator.post(url, {"action": "reject", "reason": "We cannot act in disputes."})
    question.refresh_from_db()
    assert question.status == Question.Status.REJECTED


@pytest.mark.parametrize("bad", ["", "abc", "-4", "999999"])
def test_close_as_duplicate_refuses_anything_but_a_live_answer(coordinator, alice, northshire, topic, bad):
    question = services.question_submit(
        asker=alice, network=northshire, topic=topic, title="How do we register?", details="d" * 40, visibility="public"
    )
    response = coordinator.post(
        reverse("knowledge_admin:question", args=[question.pk]), {"action": "duplicate", "duplicate_of": bad}
    )
    assert response.status_code == 400
    question.refresh_from_db()
    assert question.status == Question.Status.SUBMITTED


def test_close_as_duplicate_with_a_live_answer(coordinator, alice, northshire, topic):
    existing = make_published_page(topic=topic, title="How to register a charity")
    question = services.question_submit(
        asker=alice, network=northshire, topic=topic, title="How do we register?", details="d" * 40, visibility="public"
    )
    coordinator.post(
        reverse("knowledge_admin:question", args=[question.pk]), {"action": "duplicate", "duplicate_of": existing.pk}
    )
    question.refresh_from_db()
    assert (question.status, question.duplicate_of) == (Question.Status.CLOSED_AS_DUPLICATE, existing)


def test_unknown_action_changes_nothing(coordinator, alice, northshire, topic):
    question = services.question_submit(
        asker=alice, network=northshire, topic=topic, title="How do we register?", details="d" * 40, visibility="public"
    )
    response = coordinator.post(
        reverse("knowledge_admin:question", args=[question.pk]), {"action": "explode"}, follow=True
    )
    assert "Unknown action." in response.content.decode()
    question.refresh_from_db()
    assert question.status == Question.Status.SUBMITTED


def test_all_questions_filters_by_status_and_ignores_junk(coordinator, answered):
    listing = reverse("knowledge_admin:questions")
    assert answered.title in coordinator.get(listing + "?status=answered").content.decode()
    assert answered.title not in coordinator.get(listing + "?status=published").content.decode()
    assert answered.title in coordinator.get(listing + "?status=<junk>&p=zz").content.decode()


@pytest.fixture
def in_triage(run_on_commit, alice, northshire, other_topic):
    question = ask(run_on_commit, alice, northshire, other_topic, title="Do we need a section 19 permit?")
    assert question.needs_triage
    return question


def test_triage_queue_shows_why_and_offers_experts(coordinator, in_triage, erin):
    body = coordinator.get(reverse("experts_admin:triage")).content.decode()
    assert "Do we need a section 19 permit?" in body
    assert "No expert covers Rural transport yet." in body
    assert "Erin" in body


def test_assigning_by_hand_records_who_and_why(coordinator, in_triage, other_topic, colin):
    expert = make_expert(topics=[other_topic])
    coordinator.post(
        reverse("experts_admin:assign", args=[in_triage.pk]), {"expert": expert.pk, "note": "Knows permits well"}
    )
    in_triage.refresh_from_db()
    assert (in_triage.status, in_triage.assignee, in_triage.needs_triage) == ("assigned", expert.user, False)
    event = in_triage.events.get(action="assigned")
    assert event.actor == colin
    assert event.note == "Assigned by hand by Colin " + colin.last_name + ": Knows permits well"


@pytest.mark.parametrize("bad", ["", "abc", "999999"])
def test_assigning_without_a_valid_expert_changes_nothing(coordinator, in_triage, bad):
    response = coordinator.post(reverse("experts_admin:assign", args=[in_triage.pk]), {"expert": bad}, follow=True)
    assert "Choose an active expert" in response.content.decode()
    in_triage.refresh_from_db()
    assert in_triage.needs_triage
    assert in_triage.assignee is None


def test_triage_queue_queries_do_not_grow_with_the_queue(coordinator, run_on_commit, alice, northshire, other_topic):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def ask(n):
        with run_on_commit():
            services.question_submit(
                asker=alice,
                network=northshire,
                topic=other_topic,
                title=f"Question number {n}",
                details="d" * 40,
                visibility="public",
            )

    ask(0)
    coordinator.get(reverse("experts_admin:triage"))
    with CaptureQueriesContext(connection) as few:
        coordinator.get(reverse("experts_admin:triage"))
    for n in range(1, 8):
        ask(n)
    with CaptureQueriesContext(connection) as many:
        coordinator.get(reverse("experts_admin:triage"))
    assert len(many) == len(few)
