"""Background jobs of the Q&A core. Each takes ids, re-reads, and is safe to run twice."""

from django.urls import reverse

from qa_site.mail import send_templated

from .models import Question


def _question(question_id):
    return Question.objects.select_related("asker", "assignee", "topic", "network").filter(pk=question_id).first()


def send_assignment_email(question_id):
    """Tell the expert a question is theirs and when it is due."""
    question = _question(question_id)
    if question is None or question.assignee is None or question.status != Question.Status.ASSIGNED:
        return
    send_templated(
        to=question.assignee.email,
        template="knowledge/emails/assigned",
        context={"question": question, "path": reverse("experts:question", args=[question.pk])},
    )


def send_answer_returned_email(question_id):
    question = _question(question_id)
    if question is None or question.assignee is None:
        return
    send_templated(
        to=question.assignee.email,
        template="knowledge/emails/returned",
        context={
            "question": question,
            "comment": question.answer.review_comment,
            "path": reverse("experts:question", args=[question.pk]),
        },
    )


def send_answer_published_email(question_id):
    """Tell the asker their question is answered, with a link to read it."""
    question = _question(question_id)
    if question is None or question.asker is None or not question.asker.is_active:
        return
    send_templated(
        to=question.asker.email,
        template="knowledge/emails/answer_published",
        context={"question": question, "path": reverse("knowledge:question", args=[question.pk])},
    )


def send_question_rejected_email(question_id):
    question = _question(question_id)
    if question is None or question.asker is None or not question.asker.is_active:
        return
    send_templated(
        to=question.asker.email,
        template="knowledge/emails/rejected",
        context={
            "question": question,
            "reason": _last_note(question, "rejected"),
            "path": reverse("knowledge:question", args=[question.pk]),
        },
    )


def _last_note(question, action):
    event = question.events.filter(action=action).order_by("created_at", "pk").last()
    return event.note if event else ""


def send_clarification_request_email(question_id):
    """Tell the asker the expert needs more detail (the question waits for their reply)."""
    question = _question(question_id)
    if question is None or question.asker is None or question.status != Question.Status.AWAITING_CLARIFICATION:
        return
    send_templated(
        to=question.asker.email,
        template="knowledge/emails/clarification_request",
        context={
            "question": question,
            "message": _last_note(question, "clarification_requested"),
            "path": reverse("knowledge:question", args=[question.pk]),
        },
    )


def send_clarification_reply_email(question_id):
    question = _question(question_id)
    if question is None or question.assignee is None:
        return
    send_templated(
        to=question.assignee.email,
        template="knowledge/emails/clarification_reply",
        context={
            "question": question,
            "reply": _last_note(question, "clarified"),
            "path": reverse("experts:question", args=[question.pk]),
        },
    )


def send_closed_as_duplicate_email(question_id):
    question = _question(question_id)
    if question is None or question.asker is None or question.duplicate_of is None:
        return
    send_templated(
        to=question.asker.email,
        template="knowledge/emails/closed_as_duplicate",
        context={
            "question": question,
            "answer_url": question.duplicate_of.url,
            "path": reverse("knowledge:question", args=[question.pk]),
        },
    )
