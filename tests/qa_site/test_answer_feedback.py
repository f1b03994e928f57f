"""One box for a reader's say on an answer ("Was this helpful?", then an optional 1–5 rating), on the answer page
and on the asker's own question page."""

import pytest
from bs4 import BeautifulSoup
from django.urls import reverse
from django.utils import timezone

from qa_site.knowledge.models import Answer, AnswerRating, HelpfulVote, Question
from tests.factories import make_published_page


@pytest.fixture
def page(topic, erin):
    return make_published_page(topic=topic, title="Can we pay a trustee?", expert=erin)


@pytest.fixture
def asked_by_alice(page, alice, northshire):
    """``page``'s question, as Alice asked it through her network."""
    Question.objects.filter(pk=page.question_id).update(asker=alice, network=northshire)
    return page.question_id


def soup(response):
    return BeautifulSoup(response.content, "html.parser")


def boxes(response):
    return soup(response).select("section.feedback")


def text(node):
    return " ".join(node.get_text().split())


def test_the_answer_page_asks_once_then_offers_the_rating_in_the_same_box(client, page, alice):
    client.force_login(alice)
    [box] = boxes(client.get(page.url))
    forms = box.select("form")
    assert [form["action"] for form in forms] == [
        f"/answers/{page.pk}/helpful/",
        f"/questions/{page.question_id}/rate/",
    ]
    assert text(box.select_one("legend")) == "Was this answer helpful?"
    rating = box.select_one("details[data-rating]")
    assert text(rating.select_one("summary")) == "Rate it from 1 to 5, and tell the expert why (optional)"
    assert not rating.has_attr("open")  # the rating waits until the reader has said whether it helped

    client.post(reverse("knowledge:helpful", args=[page.pk]), {"helpful": "yes"})
    [box] = boxes(client.get(page.url))
    assert "You said this helped. You can change your answer." in text(box)
    assert box.select_one("details[data-rating]").has_attr("open")

    client.post(reverse("knowledge:rate", args=[page.question_id]), {"stars": "4"})
    [box] = boxes(client.get(page.url))
    assert text(box.select_one("summary")) == "You rated this answer 4 out of 5 — change your rating?"
    assert text(box.select_one("[data-testid=rating-summary]")) == "Rated 4.0 out of 5 by 1 reader"
    assert text(box.select_one("button[type=submit]:not([name])")) == "Update my rating"


def test_the_asker_says_whether_their_answer_helped_and_rates_it_on_their_question_page(
    client, page, alice, asked_by_alice
):
    client.force_login(alice)
    question_page = reverse("knowledge:question", args=[asked_by_alice])
    [box] = boxes(client.get(question_page))
    assert text(box.select_one("legend")) == "Was this answer helpful?"
    assert [i["value"] for i in box.select("input[name=from]")] == ["question", "question"]

    response = client.post(reverse("knowledge:helpful", args=[page.pk]), {"helpful": "no", "from": "question"})
    assert response["Location"] == f"{question_page}#helpful"
    response = client.post(
        reverse("knowledge:rate", args=[asked_by_alice]), {"stars": "2", "comment": "Too vague.", "from": "question"}
    )
    assert response["Location"] == question_page

    body = client.get(question_page)
    [box] = boxes(body)
    assert "Thank you for rating this answer." in text(soup(body))
    assert "You said this did not help. You can change your answer." in text(box)
    assert text(box.select_one("summary")) == "You rated this answer 2 out of 5 — change your rating?"
    assert list(AnswerRating.objects.values_list("user", "stars", "comment")) == [(alice.pk, 2, "Too vague.")]
    assert list(HelpfulVote.objects.values_list("user", "helpful")) == [(alice.pk, False)]


def test_only_the_asker_gets_the_box_on_a_question_page_and_is_brought_back_there(
    client, page, alice, asked_by_alice, colin, erin, bob
):
    question_page = reverse("knowledge:question", args=[asked_by_alice])
    client.force_login(alice)
    assert len(boxes(client.get(question_page))) == 1
    for person in (colin, erin):  # a coordinator, the answer's expert: they follow the question, they do not rate it
        client.force_login(person)
        assert boxes(client.get(question_page)) == []
    client.force_login(bob)  # reads the public answer, did not ask it: sent back to the answer, not the question
    response = client.post(reverse("knowledge:rate", args=[asked_by_alice]), {"stars": "3", "from": "question"})
    assert response["Location"] == page.url
    response = client.post(reverse("knowledge:helpful", args=[page.pk]), {"helpful": "yes", "from": "question"})
    assert response["Location"] == f"{page.url}#helpful"


def test_the_asker_of_a_private_answer_rates_it_on_their_question_page(client, topic, erin, alice, northshire):
    question = Question.objects.create(
        title="Our own trustee's pay",
        details="A private matter about one trustee's pay.",
        topic=topic,
        asker=alice,
        network=northshire,
        visibility="private",
        status=Question.Status.ANSWERED,
        assignee=erin,
        sla_hours=48,
        published_at=timezone.now(),
    )
    Answer.objects.create(question=question, author=erin, body="Only if the constitution allows it.")
    client.force_login(alice)
    question_page = reverse("knowledge:question", args=[question.pk])
    assert boxes(client.get(question_page)) == []  # in review: nothing to rate yet
    Question.objects.filter(pk=question.pk).update(status=Question.Status.PUBLISHED)
    [box] = boxes(client.get(question_page))
    assert box.select("[data-helpful-form]") == []  # not in the knowledge base: nothing to vote on there
    assert text(box.select_one("legend")) == "How useful was this answer?"
    response = client.post(reverse("knowledge:rate", args=[question.pk]), {"stars": "5", "from": "question"})
    assert response["Location"] == question_page
    [box] = boxes(client.get(question_page))
    assert text(box.select_one("legend")) == "You rated this answer 5 out of 5 — change your rating?"
