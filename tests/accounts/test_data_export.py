"""Download my data: everything kept about a person, as a JSON attachment, in a constant number of queries."""

import datetime as dt
import json

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.totp.internal.auth import TOTP
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from experts.models import ExpertApplication, FeeRate
from qa_site.knowledge import services
from qa_site.knowledge.models import Answer, Question
from subscriptions.models import Invitation, Membership
from tests.factories import QUESTION_DETAILS, QUESTION_TITLE, ask, make_published_page

from .conftest import ANSWER

URL = "/account/data/"


def download(client, user):
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    return response, json.loads(response.content)


def iso(value):
    return value.isoformat() if value is not None else None


def test_it_is_for_signed_in_people_only(client, site_tree):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_an_advisers_data(client, run_on_commit, published, alice, nadia, northshire, topic, erin):
    Membership.objects.filter(user=alice).update(organisation="Hillside Village Hall")
    EmailAddress.objects.create(user=alice, email="alice.home@example.test", verified=False, primary=False)
    private = ask(
        run_on_commit,
        alice,
        northshire,
        topic,
        title="A private question about our lease",
        details="Our landlord wants to change the lease of the village hall. What should we check?",
        visibility="private",
    )
    other = make_published_page(topic=topic, title="How do we register?", expert=erin)
    services.answer_rate(question_id=other.question_id, user=alice, stars=4, comment="Clear and practical.")
    accepted_at = timezone.now() - dt.timedelta(days=3)
    invitation = Invitation.objects.create(
        network=northshire,
        email="alice@example.test",
        organisation="Hillside Village Hall",
        invited_by=nadia,
        expires_at=accepted_at + dt.timedelta(days=14),
        accepted_at=accepted_at,
        accepted_by=alice,
    )
    alice.refresh_from_db()
    membership = Membership.objects.get(user=alice)
    rating = alice.answer_ratings.get()
    reply = published.events.get(action="clarified")

    response, data = download(client, alice)

    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"] == (
        f'attachment; filename="ask-an-expert-my-data-{timezone.localdate():%Y-%m-%d}.json"'
    )
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    assert list(data) == [
        "exported_at",
        "profile",
        "memberships",
        "questions",
        "ratings",
        "clarification_replies",
        "invitations_accepted",
        "expert_applications",
        "alerts",
        "api_tokens",
        "expert",
    ]
    assert data["profile"] == {
        "first_name": "Alice",
        "last_name": alice.last_name,
        "display_name": alice.display_name,
        "email": "alice@example.test",
        "email_addresses": [
            {"email": "alice@example.test", "primary": True, "verified": True},
            {"email": "alice.home@example.test", "primary": False, "verified": False},
        ],
        "date_joined": iso(alice.date_joined),
        "last_login": iso(alice.last_login),
        "coordinator": False,
        "two_factor": [],
    }
    assert data["memberships"] == [
        {
            "network": "Northshire RCC",
            "role": "adviser",
            "organisation": "Hillside Village Hall",
            "joined_at": iso(membership.joined_at),
        }
    ]
    assert data["questions"] == [
        {
            "title": QUESTION_TITLE,
            "details": QUESTION_DETAILS,
            "topic": "Charity law",
            "network": "Northshire RCC",
            "status": "published",
            "visibility": "public",
            "submitted_at": iso(published.submitted_at),
            "answered_at": iso(published.answered_at),
            "published_at": iso(published.published_at),
            "answer": ANSWER,
            "answered_by": erin.display_name,
        },
        {
            "title": "A private question about our lease",
            "details": "Our landlord wants to change the lease of the village hall. What should we check?",
            "topic": "Charity law",
            "network": "Northshire RCC",
            "status": "assigned",
            "visibility": "private",
            "submitted_at": iso(private.submitted_at),
            "answered_at": None,
            "published_at": None,
            "answer": None,
            "answered_by": None,
        },
    ]
    assert data["ratings"] == [
        {
            "question": "How do we register?",
            "stars": 4,
            "comment": "Clear and practical.",
            "created_at": iso(rating.created_at),
            "updated_at": iso(rating.updated_at),
        }
    ]
    assert data["clarification_replies"] == [
        {"question": QUESTION_TITLE, "reply": "About ten hours a month.", "sent_at": iso(reply.created_at)}
    ]
    assert data["invitations_accepted"] == [
        {
            "network": "Northshire RCC",
            "email": "alice@example.test",
            "role": "adviser",
            "organisation": "Hillside Village Hall",
            "invited_at": iso(invitation.created_at),
            "accepted_at": iso(accepted_at),
        }
    ]
    assert data["expert_applications"] == []
    assert data["alerts"] == {"following": [], "sent": []}  # tests/feeds/test_alerts.py fills them
    assert data["api_tokens"] == []  # tests/api/test_tokens.py fills them
    assert data["expert"] is None
    exported = dt.datetime.fromisoformat(data["exported_at"])
    assert abs(exported - timezone.now()) < dt.timedelta(minutes=1)


def test_an_answer_in_review_is_not_in_the_askers_data(client, run_on_commit, alice, northshire, topic, erin):
    question = ask(run_on_commit, alice, northshire, topic)
    services.answer_submit(question_id=question.pk, expert=erin, body=ANSWER)
    _, data = download(client, alice)
    assert [(q["status"], q["answer"], q["answered_by"]) for q in data["questions"]] == [("answered", None, None)]


def test_it_holds_nobody_elses_data(client, published, alice, bob, westvale, topic, erin):
    make_published_page(topic=topic, title="Bob's answered question", expert=erin)
    response, data = download(client, bob)
    body = response.content.decode()
    assert data["questions"] == data["ratings"] == data["clarification_replies"] == []
    assert [m["network"] for m in data["memberships"]] == ["Westvale CVS"]
    assert "alice" not in body.lower()
    assert QUESTION_TITLE not in body


def test_an_experts_data_has_their_profile_and_answers(client, published, erin, topic, other_topic):
    profile = erin.expert_profile
    profile.organisation = "Carter & Co"
    profile.bio = "Charity solicitor."
    profile.save()
    FeeRate.objects.create(expert=profile, amount="80.00", effective_from=dt.date(2026, 1, 1))
    FeeRate.objects.create(expert=profile, topic=topic, amount="95.00", effective_from=dt.date(2026, 2, 1))
    application = ExpertApplication.objects.create(
        user=erin,
        headline="Charity solicitor",
        bio="About me.",
        experience="Twenty years.",
        status=ExpertApplication.Status.APPROVED,
        decided_at=timezone.now(),
    )
    application.topics.set([topic, other_topic])
    TOTP.activate(erin, "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP")
    answer = Answer.objects.get(question=published)

    response, data = download(client, erin)

    assert data["profile"]["two_factor"] == ["totp"]
    assert "JBSWY3DP" not in response.content.decode(), "no secrets in the download"
    assert data["expert_applications"] == [
        {
            "headline": "Charity solicitor",
            "organisation": "",
            "bio": "About me.",
            "experience": "Twenty years.",
            "topics": ["Charity law", "Rural transport"],
            "status": "approved",
            "submitted_at": iso(application.submitted_at),
            "decided_at": iso(application.decided_at),
        }
    ]
    assert data["expert"] == {
        "profile": {
            "slug": profile.slug,
            "headline": "Expert adviser",
            "organisation": "Carter & Co",
            "bio": "Charity solicitor.",
            "status": "active",
            "topics": ["Charity law"],
            "accepting_new": True,
            "max_open_questions": 5,
            "away_from": None,
            "away_until": None,
            "joined_on": iso(profile.joined_on),
            "fee_rates": [
                {"topic": None, "amount": "80.00", "effective_from": "2026-01-01"},
                {"topic": "Charity law", "amount": "95.00", "effective_from": "2026-02-01"},
            ],
        },
        "answers": [
            {
                "question": QUESTION_TITLE,
                "topic": "Charity law",
                "question_status": "published",
                "body": ANSWER,
                "submitted_at": iso(answer.submitted_at),
                "published_at": iso(published.published_at),
            }
        ],
    }


def test_a_coordinators_data_says_so(client, colin):
    _, data = download(client, colin)
    assert data["profile"]["coordinator"] is True
    assert data["memberships"] == []


def _queries_for(client, user):
    client.force_login(user)
    client.get("/account/")  # a process reads a session's user with it once it knows whose the session is
    with CaptureQueriesContext(connection) as queries:
        assert client.get(URL).status_code == 200
    return len(queries)


def _add_history(user, network, topic, expert, n):
    """``n`` more questions (half of them published, with an answer), ratings and replies for ``user``."""
    for number in range(n):
        published = number % 2 == 0
        question = Question.objects.create(
            title=f"Question {number} of many",
            details="Details of the question.",
            topic=topic,
            asker=user,
            network=network,
            status=Question.Status.PUBLISHED if published else Question.Status.ASSIGNED,
            assignee=expert,
            sla_hours=48,
            published_at=timezone.now() if published else None,
        )
        if published:
            Answer.objects.create(question=question, author=expert, body=f"Answer {number}.")
            question.ratings.create(user=user, stars=5)
        question.events.create(actor=user, action="clarified", note=f"Reply {number}.")


@pytest.mark.parametrize("person", ["alice", "erin"])
def test_the_number_of_queries_does_not_grow_with_the_history(client, request, person, alice, northshire, topic, erin):
    user = request.getfixturevalue(person)
    _add_history(user, northshire, topic, erin, 1)
    few = _queries_for(client, user)
    _add_history(user, northshire, topic, erin, 12)
    many = _queries_for(client, user)
    _, data = download(client, user)
    assert len(data["questions"]) == 13
    assert len(data["clarification_replies"]) == 13
    assert many == few
    assert few <= 20
