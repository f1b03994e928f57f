"""Background jobs of the experts app. Each takes ids, re-reads, and is safe to run twice."""

import logging

from django.contrib.auth import get_user_model
from django.urls import reverse

from qa_site.knowledge.models import Question
from qa_site.knowledge.services import TransitionError
from qa_site.mail import send_templated

from . import routing

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


def sla_sweep():
    """The scheduled sweep (every minute): reminders, breach alerts, re-routing."""
    from . import sla

    return sla.sweep()


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
    from .models import ExpertApplication

    application = ExpertApplication.objects.select_related("user").filter(pk=application_id).first()
    recipients = list(_coordinators().values_list("email", flat=True))
    if application and recipients:
        send_templated(
            to=recipients,
            template="experts/emails/application_received",
            context={"application": application, "path": reverse("experts_admin:applications")},
        )


def send_application_decision(application_id):
    from .models import ExpertApplication

    application = ExpertApplication.objects.select_related("user").filter(pk=application_id).first()
    if application and application.status != ExpertApplication.Status.PENDING and application.user.is_active:
        send_templated(
            to=application.user.email,
            template="experts/emails/application_decision",
            context={"application": application, "path": reverse("experts:dashboard")},
        )


def review_sweep():
    """The scheduled review sweep (daily): published answers past their review-by date go back to experts."""
    from . import reviews

    return reviews.sweep()


def send_review_due(review_ids):
    """Tell experts which answers have come back for review: one e-mail per expert, each review told once."""
    from django.utils import timezone

    from qa_site.knowledge.models import AnswerReview

    from . import reviews

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
    for expert, items in reviews.recipients(waiting).items():
        send_templated(
            to=expert.email,
            template="experts/emails/review_due",
            context={"expert": expert, "reviews": items, "path": reverse("experts:dashboard") + "#reviews"},
        )
