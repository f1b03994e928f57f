"""A question that has arrived shows the published answers it may duplicate: on the coordinator's question screen
(linked from each triage row), each closable as a duplicate in one click (the adviser is sent the answer), and on the
expert's page. The triage list itself runs no search per row, so its queries stay constant as the queue grows."""

import pytest
from django.core import mail
from django.urls import reverse

from qa_site.knowledge.models import Question
from search.backends import get_backend
from search.documents import iter_documents
from tests.factories import ask, make_published_page

TITLE = "Can our volunteer drivers claim mileage?"
DETAILS = "Our drivers take older people to appointments in their own cars. What can we pay them per mile?"


@pytest.fixture
def published(topic, erin):
    pages = {
        "mileage": make_published_page(
            topic=topic,
            title="Volunteer drivers and mileage",
            expert=erin,
            answer="Volunteer drivers may claim the approved mileage rate per mile without it counting as pay. " * 2,
        ),
        "trustees": make_published_page(topic=topic, title="Paying trustees for training", expert=erin),
    }
    get_backend().rebuild(iter_documents())
    return pages


def duplicates_shown(response):
    html = response.content.decode()
    if 'data-testid="likely-duplicates"' not in html:
        return ""
    return html.split('data-testid="likely-duplicates"', 1)[1].split("</section>", 1)[0]


def test_triage_links_to_likely_duplicates_and_one_closes_the_question_in_a_click(
    client, colin, alice, northshire, other_topic, published, run_on_commit
):
    question = ask(run_on_commit, alice, northshire, other_topic, title=TITLE, details=DETAILS)
    assert question.needs_triage  # nobody answers on the other topic
    client.force_login(colin)
    triage = client.get(reverse("experts_admin:triage")).content.decode()
    assert f'href="{reverse("knowledge_admin:question", args=[question.pk])}#likely-duplicates"' in triage
    shown = duplicates_shown(client.get(reverse("knowledge_admin:question", args=[question.pk])))
    assert "Volunteer drivers and mileage" in shown
    assert "Paying trustees" not in shown
    mail.outbox.clear()
    with run_on_commit():
        response = client.post(
            reverse("knowledge_admin:question", args=[question.pk]),
            {"action": "duplicate", "duplicate_of": published["mileage"].pk, "note": "Closed from the suggestions."},
        )
    assert response.status_code == 302
    question.refresh_from_db()
    assert (question.status, question.duplicate_of_id) == (Question.Status.CLOSED_AS_DUPLICATE, published["mileage"].pk)
    assert [m.to for m in mail.outbox] == [[alice.email]]


def test_the_question_screen_offers_the_same_and_nothing_once_the_question_is_closed(
    client, colin, alice, northshire, other_topic, published, run_on_commit
):
    question = ask(run_on_commit, alice, northshire, other_topic, title=TITLE, details=DETAILS)
    client.force_login(colin)
    page = client.get(reverse("knowledge_admin:question", args=[question.pk]))
    shown = duplicates_shown(page)
    assert "Close as a duplicate of this" in shown
    assert f'name="duplicate_of" value="{published["mileage"].pk}"' in shown
    Question.objects.filter(pk=question.pk).update(status=Question.Status.WITHDRAWN)
    assert duplicates_shown(client.get(reverse("knowledge_admin:question", args=[question.pk]))) == ""


def test_the_expert_sees_published_answers_like_the_question_without_a_close_button(
    client, erin, alice, northshire, topic, published, run_on_commit
):
    question = ask(run_on_commit, alice, northshire, topic, title=TITLE, details=DETAILS)
    assert question.assignee == erin
    client.force_login(erin)
    shown = duplicates_shown(client.get(reverse("experts:question", args=[question.pk])))
    assert "Volunteer drivers and mileage" in shown
    assert "Close as a duplicate" not in shown
