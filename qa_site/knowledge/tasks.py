"""Tasks the Q&A core's transitions put in the outbox: the e-mails each transition sends.

Each job takes an id, re-reads the question, and sends nothing if the question has moved on or the
person has gone, so a late or repeated delivery is harmless.
"""

from django.urls import reverse

from qa_site.mail import send_templated

from . import reply_addresses
from .models import Question

Status = Question.Status


def _question(question_id):
    return (
        Question.objects.select_related("asker", "assignee", "topic", "network", "duplicate_of")
        .filter(pk=question_id)
        .first()
    )


def _last_note(question, action):
    event = question.events.filter(action=action).order_by("created_at", "pk").last()
    return event.note if event else ""


def _reply_to(question, person, role):
    """Extra headers giving ``person`` a Reply-To address into ``question``'s thread (none when that is off)."""
    address = reply_addresses.make_address(question_id=question.pk, user_id=person.pk, role=role)
    return ({"Reply-To": address} if address else None), bool(address)


def _tell_asker(question, template, *, reply_by_email=False, **context):
    """E-mail the adviser who asked, with a link to their question's page (and, for a request to act, an address
    to reply to by e-mail)."""
    if question is None or question.asker is None or not question.asker.is_active:
        return
    path = reverse("knowledge:question", args=[question.pk])
    headers, reply_by_email = (
        _reply_to(question, question.asker, reply_addresses.ADVISER) if reply_by_email else ({}, False)
    )
    send_templated(
        to=question.asker.email,
        template=f"knowledge/emails/{template}",
        context={"question": question, "path": path, "reply_by_email": reply_by_email, **context},
        headers=headers or None,
    )


def _tell_expert(question, template, *, reply_by_email=False, **context):
    """E-mail the assigned expert, with a link to the question on their dashboard (and, for a request to act, an
    address to reply to by e-mail)."""
    if question is None or question.assignee is None or not question.assignee.is_active:
        return
    path = reverse("experts:question", args=[question.pk])
    headers, reply_by_email = (
        _reply_to(question, question.assignee, reply_addresses.EXPERT) if reply_by_email else ({}, False)
    )
    send_templated(
        to=question.assignee.email,
        template=f"knowledge/emails/{template}",
        context={"question": question, "path": path, "reply_by_email": reply_by_email, **context},
        headers=headers or None,
    )


def send_assignment_email(question_id):
    """Tell the expert a question is theirs and when it is due."""
    question = _question(question_id)
    if question and question.status == Status.ASSIGNED:
        _tell_expert(question, "assigned")


def send_answer_returned_email(question_id):
    question = _question(question_id)
    if question:
        _tell_expert(question, "returned", comment=question.answer.review_comment)


def send_clarification_reply_email(question_id):
    question = _question(question_id)
    if question:
        _tell_expert(
            question,
            "clarification_reply",
            reply=_last_note(question, "clarified"),
            reply_by_email=question.status == Status.ASSIGNED,
        )


def send_answer_published_email(question_id):
    """Tell the asker their question is answered, with a link to read it."""
    _tell_asker(_question(question_id), "answer_published")


def send_question_rejected_email(question_id):
    question = _question(question_id)
    if question:
        _tell_asker(question, "rejected", reason=_last_note(question, "rejected"))


def send_clarification_request_email(question_id):
    """Tell the asker the expert needs more detail (the question waits for their reply)."""
    question = _question(question_id)
    if question and question.status == Status.AWAITING_CLARIFICATION:
        _tell_asker(
            question,
            "clarification_request",
            message=_last_note(question, "clarification_requested"),
            reply_by_email=True,
        )


def send_closed_as_duplicate_email(question_id):
    question = _question(question_id)
    if question and question.duplicate_of:
        _tell_asker(question, "closed_as_duplicate", answer_url=question.duplicate_of.url)


def _review(review_id):
    from .models import AnswerReview

    return AnswerReview.objects.select_related("page", "expert").filter(pk=review_id).first()


def _tell_reviewer(review, template, **context):
    """E-mail the expert who wrote an updated answer, with a link to the review on their dashboard."""
    if review is None or review.expert is None or not review.expert.is_active:
        return
    send_templated(
        to=review.expert.email,
        template=f"knowledge/emails/{template}",
        context={"review": review, "page": review.page, "path": reverse("experts:review", args=[review.pk]), **context},
    )


def send_update_returned_email(review_id):
    review = _review(review_id)
    if review and review.status == review.Status.DUE:
        _tell_reviewer(review, "update_returned", comment=review.review_comment)


def send_update_published_email(review_id):
    review = _review(review_id)
    if review and review.status == review.Status.UPDATED:
        _tell_reviewer(review, "update_published", page_path=review.page.url)
