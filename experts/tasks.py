"""Tasks the experts app puts in the outbox: routing, and the e-mails of the SLA and review sweeps and of
applications. Each takes ids, re-reads, and is safe to run twice."""

import logging

from django.contrib.auth import get_user_model
from django.db.models import Prefetch
from django.urls import reverse
from django.utils import timezone

from qa_site.knowledge.models import AnswerReview, Question, TopicPage
from qa_site.knowledge.services import TransitionError
from qa_site.mail import send_templated

from . import routing
from .models import ExpertApplication, ExpertProfile

log = logging.getLogger(__name__)


def route_question(question_id):
    """Route a new or declined question; does nothing if it has already been routed."""
    question = Question.objects.select_related("topic").filter(pk=question_id).first()
    if question is None:
        return
    waiting = question.status == Question.Status.DECLINED or (
        question.status == Question.Status.SUBMITTED and not question.needs_triage
    )
    if not waiting:
        return
    try:
        routing.route_question(question)
    except TransitionError as exc:  # withdrawn or routed by someone else meanwhile
        log.info("Question %s not routed: %s", question_id, exc)


def _coordinators():
    return get_user_model().objects.filter(is_active=True, is_staff=True).exclude(email="")


def send_sla_reminder(question_id):
    """Remind the expert that a question's time is running short (sent once: the sweep claimed it)."""
    question = Question.objects.select_related("assignee", "topic").filter(pk=question_id).first()
    if question is None or question.assignee is None or question.status not in Question.WITH_EXPERT_STATUSES:
        return
    send_templated(
        to=question.assignee.email,
        template="experts/emails/reminder",
        context={"question": question, "path": reverse("experts:question", args=[question.pk])},
    )


def send_breach_alert(question_id):
    """Tell the coordinators a question has passed its due time."""
    question = Question.objects.select_related("assignee", "topic", "network").filter(pk=question_id).first()
    if question is None:
        return
    recipients = list(_coordinators().values_list("email", flat=True))
    if recipients:
        send_templated(
            to=recipients,
            template="experts/emails/breach",
            context={"question": question, "path": reverse("knowledge_admin:question", args=[question.pk])},
        )


def send_application_received(application_id):
    application = ExpertApplication.objects.select_related("user").filter(pk=application_id).first()
    recipients = list(_coordinators().values_list("email", flat=True))
    if application and recipients:
        send_templated(
            to=recipients,
            template="experts/emails/application_received",
            context={"application": application, "path": reverse("experts_admin:applications")},
        )


def send_application_decision(application_id):
    application = ExpertApplication.objects.select_related("user").filter(pk=application_id).first()
    if application and application.status != ExpertApplication.Status.PENDING and application.user.is_active:
        send_templated(
            to=application.user.email,
            template="experts/emails/application_decision",
            context={"application": application, "path": reverse("experts:dashboard")},
        )


def review_recipients(reviews):
    """{expert user: [reviews]} — each review's expert, or everyone on the panel who answers on its topic."""
    pooled_topics = {review.page.topic_id for review in reviews if review.expert_id is None}
    by_topic = {}
    if pooled_topics:
        topics = TopicPage.objects.filter(pk__in=pooled_topics).only("pk")
        for profile in (
            ExpertProfile.objects.on_panel()
            .filter(topics__in=pooled_topics)
            .select_related("user")
            .prefetch_related(Prefetch("topics", queryset=topics, to_attr="pooled_topics"))
            .distinct()
        ):
            for topic in profile.pooled_topics:
                by_topic.setdefault(topic.pk, []).append(profile.user)
    to = {}
    for review in reviews:
        people = [review.expert] if review.expert_id else by_topic.get(review.page.topic_id, [])
        for person in people:
            if person.is_active and person.email:
                to.setdefault(person, []).append(review)
    return to


def send_review_due(review_ids):
    """Tell experts which answers have come back for review: one e-mail per expert, each review told once."""
    now = timezone.now()
    claimed = [
        review_id
        for review_id in review_ids
        if AnswerReview.objects.filter(pk=review_id, notified_at=None, status=AnswerReview.Status.DUE).update(
            notified_at=now
        )
    ]
    waiting = list(
        AnswerReview.objects.filter(pk__in=claimed).select_related("page", "page__topic", "expert").order_by("pk")
    )
    for expert, items in review_recipients(waiting).items():
        send_templated(
            to=expert.email,
            template="experts/emails/review_due",
            context={"expert": expert, "reviews": items, "path": reverse("experts:dashboard") + "#reviews"},
        )
