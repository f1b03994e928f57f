"""Asking, following and replying, through the adviser's pages — including everything a user could get wrong."""

import pytest
from django.core import mail
from django.urls import reverse

from qa_site.knowledge import services
from qa_site.knowledge.models import Question
from tests.factories import ask

VALID = {
    "title": "Can our volunteers claim mileage without it counting as pay?",
    "details": "We run a community car scheme with twelve volunteer drivers and want to pay them per mile.",
    "visibility": "public",
}


@pytest.fixture
def form_data(topic, northshire):
    return {**VALID, "topic": topic.pk, "network": northshire.pk}


def test_ask_form_offers_topics_and_visibility(client, alice, topic):
    client.force_login(alice)
    body = client.get(reverse("knowledge:ask")).content.decode()
    assert "Charity law" in body
    assert "Everyone — shared in the knowledge base" in body
    assert "Private — only me, the expert and the coordinators" in body


def test_asking_routes_the_question_and_shows_its_progress(
    client, alice, erin, form_data, django_capture_on_commit_callbacks
):
    client.force_login(alice)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("knowledge:ask"), form_data)
    question = Question.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("knowledge:question", args=[question.pk])
    page = client.get(response["Location"]).content.decode()
    assert "Thank you: your question has been sent." in page
    assert "Erin" in page
    assert "is answering this question" in page
    assert question.assignee == erin
    assert mail.outbox[0].to == ["erin@example.test"]


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"title": "Too short?"}, "at least 15 characters"),
        ({"title": "x" * 201}, "at most 200 characters"),
        ({"title": "   " + "a " * 5}, "at least 15 characters"),
        ({"details": "Help"}, "at least 30 characters"),
        ({"details": "d" * 10_001}, "at most 10,000 characters"),
        ({"topic": ""}, "Choose a topic"),
        ({"topic": "abc"}, "Choose a topic from the list"),
        ({"topic": "999999"}, "Choose a topic from the list"),
        ({"visibility": "everyone-and-their-dog"}, "Choose who may read the answer from the options given"),
        ({"network": "999999"}, "You can only ask through a network you belong to"),
        ({"network": ""}, "Choose the network you are asking through."),
    ],
)
def test_bad_question_input_gets_a_clear_message_and_changes_nothing(client, alice, form_data, change, message):
    client.force_login(alice)
    response = client.post(reverse("knowledge:ask"), {**form_data, **change})
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Question.objects.exists()


def test_cannot_ask_through_someone_elses_network(client, alice, westvale, form_data):
    client.force_login(alice)
    response = client.post(reverse("knowledge:ask"), {**form_data, "network": westvale.pk})
    assert response.status_code == 200
    assert "You can only ask through a network you belong to" in response.content.decode()
    assert not Question.objects.exists()


def test_member_of_an_expired_network_is_told_why_they_cannot_ask(client, carol, topic):
    client.force_login(carol)
    response = client.get(reverse("knowledge:ask"))
    assert response.status_code == 403
    assert "has no current subscription" in response.content.decode()


def test_an_adviser_whose_subscription_ended_is_told_which_network_when_and_who_can_renew(
    client, carol, eastmoor, topic
):
    from django.utils import dateformat
    from django.utils.html import escape

    from subscriptions.models import Membership
    from tests.factories import MembershipFactory, UserFactory

    admin = UserFactory(email="ella.admin@example.test", first_name="Ella", last_name="Moorland")
    MembershipFactory(network=eastmoor, user=admin, role=Membership.Role.ADMIN)
    ended_on = eastmoor.subscriptions.get().access_until
    Question.objects.create(
        asker=carol, network=eastmoor, topic=topic, title="An old question", details="d" * 40, sla_hours=48
    )
    client.force_login(carol)
    body = client.get(reverse("knowledge:ask")).content.decode()
    assert "Eastmoor VA" in body
    assert f"ended on {dateformat.format(ended_on, 'j F Y')}" in body
    assert escape("Ella Moorland") in body
    assert 'href="mailto:ella.admin@example.test"' in body
    assert f'href="{reverse("knowledge:my_questions")}"' in body  # her questions are still hers
    mine = client.get(reverse("knowledge:my_questions")).content.decode()
    assert "An old question" in mine
    assert "You can't ask new questions just now" in mine


def test_my_questions_stays_in_the_navigation_after_the_subscription_ends(client, carol, eastmoor, site_tree, topic):
    Question.objects.create(
        asker=carol, network=eastmoor, topic=topic, title="An old question", details="d" * 40, sla_hours=48
    )
    client.force_login(carol)
    for path in ("/", "/topics/", "/questions/"):  # a cached reader page, and a page rendered each time
        body = client.get(path).content.decode()
        assert f'<a href="{reverse("knowledge:my_questions")}">My questions</a>' in body, path
        assert "Ask a question</a>" not in body, path
    assert "An old question" in client.get(reverse("knowledge:my_questions")).content.decode()


def test_ask_link_with_a_junk_topic_parameter_still_works(client, alice, topic):
    client.force_login(alice)
    assert client.get(reverse("knowledge:ask") + "?topic=<script>").status_code == 200
    body = client.get(reverse("knowledge:ask") + f"?topic={topic.pk}").content.decode()
    assert f'<option value="{topic.pk}" selected>' in body


def test_my_questions_lists_only_my_own(client, alice, bob, northshire, westvale, topic, erin):
    mine = services.question_submit(
        asker=alice,
        network=northshire,
        topic=topic,
        title="Alice's own question here",
        details="d" * 40,
        visibility="private",
    )
    services.question_submit(
        asker=bob,
        network=westvale,
        topic=topic,
        title="Bob's question is elsewhere",
        details="d" * 40,
        visibility="private",
    )
    client.force_login(alice)
    body = client.get(reverse("knowledge:my_questions") + "?page=banana").content.decode()
    assert mine.title.replace("'", "&#x27;") in body
    assert "Bob&#x27;s question" not in body


@pytest.fixture
def awaiting(run_on_commit, alice, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic, title="What records must we keep for Gift Aid?")
    return services.question_request_clarification(
        question_id=question.pk, expert=erin, message="Do you claim on cash donations too?"
    )


def test_asker_sees_the_experts_request_and_replies(client, alice, awaiting):
    client.force_login(alice)
    page = client.get(reverse("knowledge:question", args=[awaiting.pk])).content.decode()
    assert "Do you claim on cash donations too?" in page
    assert "needs more detail from you" in page
    response = client.post(reverse("knowledge:reply", args=[awaiting.pk]), {"reply": "Yes, bucket collections."})
    assert response.status_code == 302
    awaiting.refresh_from_db()
    assert awaiting.status == Question.Status.ASSIGNED
    assert awaiting.events.last().note == "Yes, bucket collections."


def test_an_empty_reply_is_refused_and_changes_nothing(client, alice, awaiting):
    client.force_login(alice)
    response = client.post(reverse("knowledge:reply", args=[awaiting.pk]), {"reply": " "})
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    awaiting.refresh_from_db()
    assert awaiting.status == Question.Status.AWAITING_CLARIFICATION


def test_the_expert_cannot_reply_in_the_advisers_place(client, erin, awaiting):
    client.force_login(erin)
    client.post(reverse("knowledge:reply", args=[awaiting.pk]), {"reply": "Pretending to be the adviser"})
    awaiting.refresh_from_db()
    assert awaiting.status == Question.Status.AWAITING_CLARIFICATION


def test_withdrawing_needs_a_post_and_the_asker(client, alice, bob, awaiting):
    url = reverse("knowledge:withdraw", args=[awaiting.pk])
    client.force_login(alice)
    assert client.get(url).status_code == 405
    client.force_login(bob)
    assert client.post(url).status_code == 403
    client.force_login(alice)
    client.post(url)
    awaiting.refresh_from_db()
    assert awaiting.status == Question.Status.WITHDRAWN
    again = client.post(url, follow=True).content.decode()
    assert "no longer possible" in again
