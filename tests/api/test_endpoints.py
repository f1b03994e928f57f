"""What each operation returns and does: the same services, search engine and report as the pages."""

import pytest
from django.utils import timezone

from qa_site.knowledge import services
from qa_site.knowledge.models import Question, QuestionEvent
from qa_site.outbox.models import OutboxMessage
from subscriptions.models import Subscription, UsageCount

from ..factories import ask, make_published_page
from .conftest import ApiClient, make_token

ASK = {
    "title": "Can trustees be paid for their work?",
    "details": "We are a small charity and one trustee is a qualified trainer. Can we pay her?",
}


@pytest.fixture(autouse=True)
def generous(settings):
    settings.RATE_LIMIT_ASK = "1000/h"


def test_topics_count_the_answers_each_person_may_see(alice, bob, erin, topic, northshire):
    make_published_page(topic=topic, expert=erin)
    make_published_page(topic=topic, title="Northshire only", visibility="network", network=northshire, expert=erin)

    mine = ApiClient(make_token(alice)).get("/api/v1/topics").json()["items"]
    theirs = ApiClient(make_token(bob)).get("/api/v1/topics").json()["items"]

    assert [(t["title"], t["answer_count"]) for t in mine] == [("Charity law", 2)]
    assert [(t["title"], t["answer_count"]) for t in theirs] == [("Charity law", 1)]
    assert mine[0]["url"] == "http://testserver/topics/charity-law/"


def test_experts_lists_the_panel(alice, erin, topic):
    items = ApiClient(make_token(alice)).get("/api/v1/experts").json()["items"]
    assert items == [
        {
            "id": erin.pk,
            "name": erin.display_name,
            "slug": f"expert-{erin.pk}",
            "headline": "Expert adviser",
            "organisation": "",
            "topic_ids": [topic.pk],
            "url": f"http://testserver/experts/expert-{erin.pk}/",
        }
    ]


def test_answers_filter_by_topic_and_expert(alice, erin, topic, other_topic):
    on_law = make_published_page(topic=topic, title="On charity law", expert=erin)
    make_published_page(topic=other_topic, title="On transport")
    api = ApiClient(make_token(alice))

    assert [a["id"] for a in api.get("/api/v1/answers", {"topic": topic.pk}).json()["items"]] == [on_law.pk]
    assert [a["id"] for a in api.get("/api/v1/answers", {"expert": erin.pk}).json()["items"]] == [on_law.pk]
    junk = api.get("/api/v1/answers", {"topic": "charity"})
    assert junk.status_code == 400
    assert "whole numbers" in junk.json()["detail"]


def test_search_uses_the_engine_with_its_highlights(alice, erin, topic, run_on_commit):
    with run_on_commit():  # indexed after commit, as publishing does
        page = make_published_page(
            topic=topic,
            title="Paying trustees for training",
            expert=erin,
            answer="Trustees may be paid for training only if the governing document allows. " * 3,
        )
        make_published_page(topic=topic, title="Registering a charity", expert=erin)

    data = ApiClient(make_token(alice)).get("/api/v1/answers", {"q": "trustees"}).json()

    assert data["total"] == 1
    assert [item["id"] for item in data["items"]] == [page.pk]
    assert data["items"][0]["highlight"]["title_html"] == "Paying <mark>trustees</mark> for training"
    assert "<mark>Trustees</mark>" in data["items"][0]["highlight"]["snippet_html"]


def test_search_pages_with_a_cursor_bound_to_its_query(alice, erin, topic, run_on_commit):
    with run_on_commit():
        pages = [make_published_page(topic=topic, title=f"Trustees question {n}", expert=erin) for n in range(5)]
    api = ApiClient(make_token(alice))

    seen, url = [], "/api/v1/answers?q=trustees&limit=2"
    while url:
        data = api.get(url).json()
        seen += [item["id"] for item in data["items"]]
        url = data["next_url"]
    assert sorted(seen) == sorted(page.pk for page in pages)
    assert len(seen) == 5

    cursor = api.get("/api/v1/answers", {"q": "trustees", "limit": 2}).json()["next"]
    other = api.get("/api/v1/answers", {"q": "registering", "cursor": cursor})
    assert other.status_code == 400
    assert "another search" in other.json()["detail"]


@pytest.mark.parametrize(("q", "detail"), [("x" * 201, "at most 200 characters"), ("!!! ???", "at least one word")])
def test_search_refuses_what_the_page_refuses(alice, q, detail):
    response = ApiClient(make_token(alice)).get("/api/v1/answers", {"q": q})
    assert response.status_code == 400
    assert detail in response.json()["detail"]


def test_full_answer_counts_as_read_for_the_network(alice, erin, topic, northshire):
    page = make_published_page(topic=topic, expert=erin)
    data = ApiClient(make_token(alice)).get(f"/api/v1/answers/{page.pk}").json()

    assert data["full_access"] is True
    assert data["question"] == page.question_text
    assert data["answer_html"].startswith("<p>Register with the Charity Commission")
    assert UsageCount.objects.filter(network=northshire, kind=UsageCount.Kind.ANSWER_READ).count() == 1


def test_ask_goes_through_the_same_service_as_the_page(alice, erin, topic, northshire, run_on_commit):
    api = ApiClient(make_token(alice))
    with run_on_commit():
        response = api.post("/api/v1/questions", {**ASK, "topic": topic.pk, "visibility": "private"})

    assert response.status_code == 201, response.content
    question = Question.objects.get()
    assert response["Location"] == f"http://testserver/api/v1/questions/{question.pk}"
    assert (question.asker, question.network, question.topic, question.visibility) == (
        alice,
        northshire,
        topic,
        "private",
    )
    assert question.assignee == erin  # routed after commit, as from /ask/
    assert question.sla_hours == 48
    assert question.due_at is not None
    assert Subscription.objects.get(network=northshire).questions_used == 1
    assert QuestionEvent.objects.filter(question=question, action=QuestionEvent.Action.SUBMITTED).exists()
    assert response.json()["id"] == question.pk


def test_ask_with_bad_fields_lists_each_and_changes_nothing(alice, topic):
    before = OutboxMessage.objects.count()
    response = ApiClient(make_token(alice)).post(
        "/api/v1/questions", {"title": "short", "details": "", "topic": 2**70, "visibility": "everyone"}
    )

    assert response.status_code == 422
    errors = {error["field"]: error["detail"] for error in response.json()["errors"]}
    assert errors == {
        "title": "Write your question in at least 15 characters",
        "details": "Enter the details of your question",
        "topic": "Choose a topic from the list",
        "visibility": "Choose who may read the answer from the options given",
    }
    assert not Question.objects.exists()
    assert OutboxMessage.objects.count() == before


def test_ask_refused_when_the_allowance_is_used(alice, topic, northshire):
    subscription = Subscription.objects.get(network=northshire)
    subscription.plan.question_allowance = 1
    subscription.plan.save()
    Subscription.objects.filter(pk=subscription.pk).update(questions_used=1)

    response = ApiClient(make_token(alice)).post("/api/v1/questions", {**ASK, "topic": topic.pk})

    assert response.status_code == 403
    assert response.json()["type"].endswith("/allowance-used")
    assert not Question.objects.exists()


def test_ask_through_one_of_several_networks(alice, topic, westvale, northshire):
    from ..factories import MembershipFactory

    MembershipFactory(network=westvale, user=alice)
    api = ApiClient(make_token(alice))
    missing = api.post("/api/v1/questions", {**ASK, "topic": topic.pk})
    assert missing.status_code == 422
    assert missing.json()["errors"] == [{"field": "network", "detail": "Choose the network you are asking through."}]

    chosen = api.post("/api/v1/questions", {**ASK, "topic": topic.pk, "network": westvale.pk})
    assert chosen.status_code == 201
    assert Question.objects.get().network == westvale


def test_reply_to_a_request_for_detail_resumes_the_question(alice, erin, topic, northshire, run_on_commit):
    question = ask(run_on_commit, alice, northshire, topic)
    services.question_request_clarification(question_id=question.pk, expert=erin, message="How many trustees?")
    api = ApiClient(make_token(alice))
    listed = api.get("/api/v1/questions").json()["items"]
    assert [(q["id"], q["needs_reply"]) for q in listed] == [(question.pk, True)]

    response = api.post(f"/api/v1/questions/{question.pk}/replies", {"reply": "Five trustees, one paid."})

    assert response.status_code == 201, response.content
    data = response.json()
    assert data["status"] == "assigned"
    assert data["needs_reply"] is False
    assert [(m["kind"], m["text"]) for m in data["thread"]] == [
        ("request", "How many trustees?"),
        ("reply", "Five trustees, one paid."),
    ]
    again = api.post(f"/api/v1/questions/{question.pk}/replies", {"reply": "And another thing."})
    assert again.status_code == 409
    assert QuestionEvent.objects.filter(question=question, action=QuestionEvent.Action.CLARIFIED).count() == 1


def test_reply_refuses_an_empty_reply(alice, erin, topic, northshire, run_on_commit):
    question = ask(run_on_commit, alice, northshire, topic)
    services.question_request_clarification(question_id=question.pk, expert=erin, message="How many trustees?")

    response = ApiClient(make_token(alice)).post(f"/api/v1/questions/{question.pk}/replies", {"reply": " "})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "reply"
    question.refresh_from_db()
    assert question.status == Question.Status.AWAITING_CLARIFICATION


def test_report_has_the_numbers_of_the_value_report(nadia, alice, topic, northshire, run_on_commit):
    ask(run_on_commit, alice, northshire, topic)
    today = timezone.localdate()

    response = ApiClient(make_token(nadia, ["report"])).get(
        "/api/v1/network/report", {"from": f"{today:%Y-%m}", "to": f"{today:%Y-%m}"}
    )

    assert response.status_code == 200, response.content
    data = response.json()
    assert data["network"] == "northshire"
    assert [(row["month"], row["asked"]) for row in data["months"]] == [(f"{today:%Y-%m}", 1)]
    assert data["total"]["asked"] == 1
    assert data["total"]["month"] is None


@pytest.mark.parametrize(
    ("params", "detail"),
    [({"from": "April"}, "Write the months as year and month"), ({"from": "2001-01", "to": "2020-01"}, "at most 36")],
)
def test_report_refuses_months_it_cannot_show(nadia, params, detail):
    response = ApiClient(make_token(nadia, ["report"])).get("/api/v1/network/report", params)
    assert response.status_code == 400
    assert detail in response.json()["detail"]
