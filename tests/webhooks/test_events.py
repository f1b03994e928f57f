"""Which endpoints hear of what: topics, networks, private questions never; and what a message may say."""

import datetime as dt
import json

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from qa_site.knowledge import services as knowledge
from qa_site.knowledge.models import QuestionPage
from qa_site.webhooks.models import Delivery
from subscriptions import billing
from subscriptions.models import Subscription
from tests.factories import ask

DETAILS = "Our treasurer Mrs Jane Example (jane@charity.example) asks: can we pay a trustee to run training days?"
ANSWER = "Only if the governing document allows it, or the Charity Commission authorises it, and the trustee abstains."


def answer_and_publish(run_on_commit, question, erin, colin, *, title="Can trustees be paid for training?"):
    knowledge.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    with run_on_commit():
        return knowledge.question_publish(
            question_id=question.pk,
            actor=colin,
            title=title,
            question_text="Can a charity pay a trustee to run training?",
            answer_text=ANSWER,
        )


def bodies(receiver):
    return [json.loads(request["body"]) for request in receiver.requests]


def test_a_public_answer_goes_to_every_network_following_its_topic_and_answered_to_the_askers_network(
    receiver, make_endpoint, northshire, westvale, nadia, walter, alice, erin, colin, topic, other_topic, run_on_commit
):
    mine = make_endpoint(northshire, nadia)
    theirs = make_endpoint(westvale, walter, events=["answer.published", "question.answered"])
    elsewhere = make_endpoint(westvale, walter, events=["answer.published"], topic_ids=[other_topic.pk])
    question = ask(run_on_commit, alice, northshire, topic, details=DETAILS)
    answer_and_publish(run_on_commit, question, erin, colin)
    page = QuestionPage.objects.get(question=question)
    sent = {(d.endpoint_id, d.event, d.state) for d in Delivery.objects.all()}
    assert sent == {
        (mine.pk, "answer.published", "delivered"),
        (mine.pk, "question.answered", "delivered"),
        (theirs.pk, "answer.published", "delivered"),
    }
    assert elsewhere.pk not in {endpoint for endpoint, _event, _state in sent}
    published = next(body for body in bodies(receiver) if body["type"] == "answer.published")
    assert published["data"] == {
        "answer": {
            "id": page.pk,
            "title": "Can trustees be paid for training?",
            "url": f"http://127.0.0.1:8000{page.url}",
            "visibility": "public",
            "published_at": published["data"]["answer"]["published_at"],
        },
        "topic": {"id": topic.pk, "title": "Charity law", "url": "http://127.0.0.1:8000/topics/charity-law/"},
    }
    answered = next(body for body in bodies(receiver) if body["type"] == "question.answered")
    assert answered["data"]["question"] == {
        "id": question.pk,
        "title": "Can trustees be paid for training?",  # the published title, as reviewed
        "url": f"http://127.0.0.1:8000/questions/{question.pk}/",
        "visibility": "public",
        "asked_at": answered["data"]["question"]["asked_at"],
    }
    assert answered["data"]["network"] == {"slug": "northshire", "name": "Northshire RCC"}
    for request in receiver.requests:  # no question text, answer text, nor anything about the asker or expert
        text = request["body"].decode()
        for secret in ("Jane", "jane@charity.example", "alice", "Alice", "erin", "Erin", "Governing", "governing"):
            assert secret not in text


def test_a_network_only_answer_goes_to_its_own_network_only(
    receiver, make_endpoint, northshire, westvale, nadia, walter, alice, erin, colin, topic, run_on_commit
):
    mine = make_endpoint(northshire, nadia)
    make_endpoint(westvale, walter)
    question = ask(run_on_commit, alice, northshire, topic, visibility="network")
    answer_and_publish(run_on_commit, question, erin, colin)
    assert sorted(Delivery.objects.values_list("endpoint_id", "event")) == [
        (mine.pk, "answer.published"),
        (mine.pk, "question.answered"),
    ]
    assert {body["data"]["answer"]["visibility"] for body in bodies(receiver)} == {"network"}


def test_a_private_question_never_leaves(
    receiver, make_endpoint, northshire, westvale, nadia, walter, alice, erin, colin, topic, run_on_commit
):
    make_endpoint(northshire, nadia)
    make_endpoint(westvale, walter)
    question = ask(run_on_commit, alice, northshire, topic, visibility="private", details=DETAILS)
    with run_on_commit():
        knowledge.question_request_clarification(question_id=question.pk, expert=erin, message="Which charity?")
    with run_on_commit():
        knowledge.question_clarify(question_id=question.pk, actor=alice, reply="A small one.")
    answer_and_publish(run_on_commit, question, erin, colin)
    assert not Delivery.objects.exists()
    assert receiver.requests == []


def test_a_request_for_more_detail_tells_the_askers_network_without_the_experts_message(
    receiver, make_endpoint, northshire, westvale, nadia, walter, alice, erin, topic, run_on_commit
):
    mine = make_endpoint(northshire, nadia, events=["question.needs_reply"])
    make_endpoint(westvale, walter)  # another network's
    make_endpoint(northshire, nadia, events=["answer.published"])  # did not ask for it
    question = ask(run_on_commit, alice, northshire, topic)
    with run_on_commit():
        knowledge.question_request_clarification(
            question_id=question.pk, expert=erin, message="Is the trustee paid by the hour?"
        )
    assert list(Delivery.objects.values_list("endpoint_id", "event", "state")) == [
        (mine.pk, "question.needs_reply", "delivered")
    ]
    [body] = bodies(receiver)
    assert body["data"]["question"]["id"] == question.pk
    assert body["data"]["question"]["url"] == f"http://127.0.0.1:8000/questions/{question.pk}/"
    assert body["data"]["topic"]["title"] == "Charity law"
    assert "by the hour" not in receiver.requests[0]["body"].decode()


def test_an_unreviewed_title_goes_without_the_personal_data_found_in_it(
    receiver, make_endpoint, northshire, nadia, alice, erin, topic, run_on_commit
):
    make_endpoint(northshire, nadia, events=["question.needs_reply"])
    question = ask(
        run_on_commit, alice, northshire, topic, title="Can jo.bloggs@example.org at LS1 4DY be paid as a trustee?"
    )
    with run_on_commit():
        knowledge.question_request_clarification(question_id=question.pk, expert=erin, message="Which charity?")
    [body] = bodies(receiver)
    assert body["data"]["question"]["title"] == "Can [e-mail address] at [postcode] be paid as a trustee?"


def test_a_renewal_invoice_tells_its_network(
    receiver, make_endpoint, northshire, westvale, nadia, walter, run_on_commit
):
    mine = make_endpoint(northshire, nadia, events=["subscription.renewal_due"])
    make_endpoint(westvale, walter)
    today = timezone.localdate()
    Subscription.objects.filter(network=northshire).update(ends_on=today + dt.timedelta(days=10))
    with run_on_commit():
        assert billing.sweep(today=today)["renewal_invoices"] == 1
    subscription = Subscription.objects.get(network=northshire)
    invoice = subscription.renewal_invoice
    assert list(Delivery.objects.values_list("endpoint_id", "event")) == [(mine.pk, "subscription.renewal_due")]
    [body] = bodies(receiver)
    assert body["data"]["invoice"]["number"] == invoice.number
    assert body["data"]["invoice"]["total"] == str(invoice.total)
    assert body["data"]["invoice"]["url"] == f"http://127.0.0.1:8000/network/invoices/{invoice.pk}/"
    assert body["data"]["subscription"]["period_ends_on"] == (today + dt.timedelta(days=10)).isoformat()
    # The sweep run again issues nothing and sends nothing.
    with run_on_commit():
        billing.sweep(today=today)
    assert len(receiver.requests) == 1
    assert [m.subject for m in mail.outbox if "Webhook" in m.subject] == []


def test_a_change_that_rolls_back_sends_nothing(
    receiver, make_endpoint, northshire, nadia, alice, erin, topic, run_on_commit
):
    make_endpoint(northshire, nadia)
    question = ask(run_on_commit, alice, northshire, topic)

    def request_then_fail():
        with transaction.atomic():
            knowledge.question_request_clarification(question_id=question.pk, expert=erin, message="Which charity?")
            raise RuntimeError("the request failed after the change")

    with run_on_commit(), pytest.raises(RuntimeError, match="failed after the change"):
        request_then_fail()
    assert not Delivery.objects.exists()
    assert receiver.requests == []
