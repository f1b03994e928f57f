"""`make run` loads demo data that looks like the real service, once. (Loading takes ~10 s: two tests only.)"""

import io

import pytest
from django.core.management import call_command
from django.db.models import Count

from experts.models import ExpertProfile
from qa_site.demo.people import DEMO_PASSWORD
from qa_site.knowledge.models import (
    AnswerReview,
    HelpfulVote,
    PersonalDataFlag,
    Question,
    QuestionEvent,
    QuestionPage,
    TopicPage,
)
from subscriptions.models import BillingSettings, Membership, Network, Plan

DEMO_LOGINS = ["adviser@demo.test", "netadmin@demo.test", "expert@demo.test", "coordinator@demo.test"]


@pytest.fixture
def demo(db):
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    return out.getvalue()


def test_demo_looks_like_the_real_service(demo, client):
    # Shape: 3 networks on 2 plans, ~10 advisers, ≥6 experts, ≥8 topics, ≥50 published answers.
    assert Network.objects.count() == 3
    assert Plan.objects.count() == 2
    assert Membership.objects.count() >= 10
    assert ExpertProfile.objects.count() >= 6
    assert TopicPage.objects.live().count() >= 8
    assert QuestionPage.objects.live().count() >= 50
    per_topic = QuestionPage.objects.live().order_by().values("topic").annotate(n=Count("pk"))
    assert min(row["n"] for row in per_topic) >= 4
    # Substantial answers.
    assert min(len(p.answer.split()) for p in QuestionPage.objects.live()) >= 200
    # Open questions in every lifecycle state, and a declined one that was re-routed.
    statuses = set(Question.objects.values_list("status", flat=True))
    assert statuses >= {
        "submitted",
        "assigned",
        "awaiting_clarification",
        "answered",
        "published",
        "withdrawn",
        "rejected",
        "closed_as_duplicate",
    }
    assert Question.objects.in_triage().exists()
    # Invoices carry a complete seller: address, VAT number, billing e-mail and real-looking bank details.
    assert BillingSettings.load().missing_invoice_details() == []
    assert QuestionEvent.objects.filter(action="declined").exists()
    # Every demo login works, and is printed.
    assert "demo-password" in demo
    for email in DEMO_LOGINS:
        assert email in demo
        assert client.login(email=email, password=DEMO_PASSWORD), email
    # The demo expert has work waiting; the coordinator has answers to review.
    client.login(email="expert@demo.test", password=DEMO_PASSWORD)
    assert "To answer" in client.get("/experts/dashboard/").content.decode()
    assert Question.objects.filter(assignee__email="expert@demo.test", status="assigned").exists()
    assert Question.objects.awaiting_review().count() >= 1
    # An answer in review holds personal data to clear; answers past their review date are back with experts.
    assert PersonalDataFlag.objects.filter(question__status="answered", cleared_at=None).exists()
    assert AnswerReview.objects.filter(status="due").exists()
    assert HelpfulVote.objects.exists()
    # The demo adviser follows topics and an answer, so their alerts page is not empty.
    client.login(email="adviser@demo.test", password=DEMO_PASSWORD)
    alerts_page = client.get("/alerts/").content.decode()
    assert 'data-testid="follows"' in alerts_page
    assert "Charity law" in alerts_page


def test_loading_again_changes_nothing_but_still_prints_the_logins(demo):
    counts = (Question.objects.count(), QuestionPage.objects.count(), Network.objects.count())
    out = io.StringIO()
    call_command("load_demo", "--if-empty", stdout=out)
    assert "nothing was loaded" in out.getvalue()
    assert (Question.objects.count(), QuestionPage.objects.count(), Network.objects.count()) == counts
    assert "adviser@demo.test" in out.getvalue()
